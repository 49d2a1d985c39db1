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
import type { InferenceModel } from './inference-model.js';
import type { InferenceScheduler } from './scheduler.js';
import type { SessionContext } from '../pipeline/session.js';

/** One loaded model as served: its band and directory, the model, its own scheduler (a batch holds one model's windows) and its engine. */
export interface ServedModel {
  readonly band: Band;
  readonly dir: string;
  readonly metadata: ModelMetadata;
  readonly model: InferenceModel;
  readonly scheduler: InferenceScheduler;
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

/** What a connection (StreamConnection, TwilioCall) shares with its sessions, minus each session's model. */
export type TransportContext = Omit<SessionContext, 'metadata' | 'engine'> & { readonly models: ServedModels };

/** A session's context: its connection's, with the chosen model's metadata and engine. */
export function sessionContext(ctx: TransportContext, model: ServedModel): SessionContext {
  return { ...ctx, metadata: model.metadata, engine: model.engine, band: model.band };
}
