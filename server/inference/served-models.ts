/**
 * The models a server labels streams with, one per band: the wideband model (--model) for 16 kHz
 * audio and, unless disabled, the narrowband model (--narrowband-model) for telephone audio. The
 * wideband model is below chance on 8 kHz G.711 audio (docs/accuracy.md), the narrowband one
 * loses wideband accuracy, so each stream gets the one trained for its band (docs/decisions.md).
 * Each model has its own engine (and, batched, its own scheduler: a batch is one model's windows).
 */
import type { ModelMetadata } from '../../core/model/metadata.js';
import type { Band } from '../../core/protocol/index.js';
import type { LabelEngine } from '../pipeline/engine.js';
import type { LiveStreamContext } from '../pipeline/session.js';

export interface ServedModel {
  readonly band: Band;
  readonly dir: string;
  readonly metadata: ModelMetadata;
  readonly engine: LabelEngine;
}

export class ServedModels {
  constructor(
    readonly wideband: ServedModel,
    readonly narrowband?: ServedModel,
  ) {}

  /** The model for a stream of this band; the wideband one when no narrowband model is loaded. */
  choose(band: Band): ServedModel {
    return band === 'narrowband' && this.narrowband ? this.narrowband : this.wideband;
  }

  /** What ready.model and SessionInfo.model say about a chosen model. */
  static describe(model: ServedModel): { name: string; version: string; band: Band } {
    return { name: model.metadata.name, version: model.metadata.version, band: model.band };
  }
}

/** What a transport (Session, TwilioCall) shares with its streams, minus the per-stream model. */
export type TransportContext = Omit<LiveStreamContext, 'metadata' | 'engine'> & { readonly models: ServedModels };

/** A stream's context: the transport's, with the chosen model's metadata and engine. */
export function streamContext(ctx: TransportContext, model: ServedModel): LiveStreamContext {
  return { ...ctx, metadata: model.metadata, engine: model.engine };
}
