/**
 * Which model labels a file, chosen the way the live server chooses per stream (core/protocol
 * streamBand): the narrowband (telephone-band) model for G.711 WAV files and anything recorded at
 * 8 kHz or less, the wideband one otherwise; so a call's recording gets the labels its live stream
 * got. `--model DIR` uses one model for every file; `--band` forces a band, as a stream's `band`
 * field does (e.g. telephone audio that was upsampled before it was saved).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AudioFileInfo } from '../core/audio/decode-file.js';
import { EmotionModel } from '../core/model/emotion-model.js';
import { type Band, streamBand } from '../core/protocol/index.js';

export type ModelChoice =
  /** One model for every file (--model DIR). */
  | { readonly fixed: string }
  /** Per file by band; without a narrowband model every file gets the wideband one (as the server). */
  | { readonly wideband: string; readonly narrowband?: string; readonly band?: Band };

/** The default choice: models/ (or UNDERTONE_MODEL) and its narrowband/ when present, like `serve`. */
export function bandModels(widebandDir: string, band?: Band): ModelChoice {
  const narrowband = join(widebandDir, 'narrowband');
  return { wideband: widebandDir, ...(existsSync(join(narrowband, 'model.json')) ? { narrowband } : {}), ...(band ? { band } : {}) };
}

/** Every model directory a choice may load (to check them all before starting). */
export function modelDirs(choice: ModelChoice): string[] {
  return 'fixed' in choice ? [choice.fixed] : [choice.wideband, ...(choice.narrowband ? [choice.narrowband] : [])];
}

/** The band a file is labelled as, from what it says about its recording. */
export function fileBand(info: AudioFileInfo, forced?: Band): Band {
  const encoding = info.g711 === 'mulaw' ? 'pcm_mulaw' : info.g711 === 'alaw' ? 'pcm_alaw' : 'pcm_f32le';
  return streamBand({ encoding, sampleRate: info.sampleRate, band: forced });
}

/** The models of a choice, each loaded the first time a file needs it. */
export class ModelSet {
  private readonly loaded = new Map<string, Promise<EmotionModel>>();
  constructor(readonly choice: ModelChoice) {}

  private load(dir: string): Promise<EmotionModel> {
    let m = this.loaded.get(dir);
    if (!m) this.loaded.set(dir, (m = EmotionModel.load(dir)));
    return m;
  }

  /** The model for a file. */
  forFile(info: AudioFileInfo): Promise<EmotionModel> {
    const c = this.choice;
    if ('fixed' in c) return this.load(c.fixed);
    return this.load(fileBand(info, c.band) === 'narrowband' && c.narrowband ? c.narrowband : c.wideband);
  }

  /** Loads the model most files need, so a bad model fails before the first file. */
  async warm(): Promise<void> {
    await this.load('fixed' in this.choice ? this.choice.fixed : this.choice.wideband);
  }

  async release(): Promise<void> {
    for (const m of this.loaded.values()) await (await m).release();
  }
}
