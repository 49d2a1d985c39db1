/**
 * Pitch shift by n semitones keeping the duration: WSOLA time-stretch by p = 2^(n/12), then a
 * speed change by p through core's resampler (speed.ts), which scales every frequency by p and
 * brings the length back to the input's.
 *
 * Library choice: soundtouchjs (npm, the maintained JS port of SoundTouch, LGPL-2.1). It imports
 * and runs in Node 20 without Web Audio: its SoundTouch, Stretch and FifoSampleBuffer classes are
 * plain JS over Float32Arrays, and we drive the pipe directly (putSamples / process /
 * receiveSamples), mono duplicated into its interleaved-stereo buffers. We use only its WSOLA
 * `Stretch`, not the whole `SoundTouch` pipe, and not `SimpleFilter`, because measured here:
 *  - SoundTouch's RateTransposer resamples by linear interpolation with no anti-alias filter.
 *    +2 semitones on a 7.5 kHz tone left its alias (7582 Hz) at -6.8 dB re the tone; with core's
 *    Kaiser-windowed polyphase resampler doing the transposition it is at -31 dB. -3 semitones on a
 *    3 kHz tone left an image at 5073 Hz at -31 dB through SoundTouch, -104 dB through core.
 *  - SimpleFilter only processes input in 16384-frame blocks and drops the last partial block at
 *    the end of the source (48000 frames in gave 44474 out), so we feed the pipe ourselves and
 *    flush it with zero padding.
 * soundtouch-ts is a TypeScript conversion of the same code (same linear transposer), so it was
 * not needed. Stretch is configured for 16 kHz (its default assumes 44.1 kHz, which would make
 * its millisecond windows 2.76x too long) and uses the exhaustive overlap search, not the
 * "quick" coarse-to-fine one whose scan offsets are tuned for 44.1 kHz.
 *
 * Order follows SoundTouch's: raising pitch stretches first (longer) and resamples last (which
 * low-passes what would alias); lowering pitch resamples first (longer, lower) and then stretches
 * back to length. The pretended resampling rate is rounded to a multiple of PITCH_RATE_STEP Hz,
 * which keeps core's polyphase filter small (at most 16000/40 = 400 phases: the filter for an
 * arbitrary whole-Hz rate can have 8000 phases and cost 20+ ms to build) at a pitch error of at
 * most 20 Hz / (16000 Hz * p): 0.14 % (2.4 cents) at -2 semitones, 0.25 % at -12;
 * effectivePitchFactor() reports the factor applied. The output has exactly the input's length.
 */
import { Stretch } from 'soundtouchjs';
import { MODEL_SAMPLE_RATE } from '../../core/audio/resample.js';
import { changeSpeed } from './speed.js';
import { concatFloat32 } from '../../core/audio/concat.js';

export const MAX_PITCH_SEMITONES = 12;
/** The pretended rate of the transposition is a multiple of this many Hz (see the module comment). */
export const PITCH_RATE_STEP = 40;
/** WSOLA overlap (cross-fade) length in ms; sequence and seek windows follow the tempo (SoundTouch's auto settings). */
const OVERLAP_MS = 8;
/** Frames handed to the stretcher per call, so its output FIFO stays small (it grows by exact-size reallocation). */
const CHUNK = 4096;

export function checkPitch(semitones: number): void {
  if (!Number.isFinite(semitones) || Math.abs(semitones) > MAX_PITCH_SEMITONES) {
    throw new RangeError(`pitch shift must be within +-${MAX_PITCH_SEMITONES} semitones, got ${semitones}`);
  }
}

/** The frequency factor really applied for a shift of `semitones` (2^(n/12) to within 20 Hz / (16 kHz * 2^(n/12))). */
export function effectivePitchFactor(semitones: number, sampleRate = MODEL_SAMPLE_RATE): number {
  checkPitch(semitones);
  const rate = Math.round((sampleRate * 2 ** (semitones / 12)) / PITCH_RATE_STEP) * PITCH_RATE_STEP;
  return rate / sampleRate;
}

/**
 * WSOLA time-stretch of mono audio by `factor` (output about factor x as long, pitch unchanged),
 * via soundtouchjs's Stretch. The input is followed by enough zeros to flush the stretcher, so the
 * result runs at least to round(length * factor) samples (it may be a little longer; callers trim).
 */
export function timeStretch(samples: Float32Array, factor: number, sampleRate = MODEL_SAMPLE_RATE): Float32Array {
  if (!Number.isFinite(factor) || factor <= 0) throw new RangeError(`stretch factor must be positive, got ${factor}`);
  const stretch = new Stretch(true);
  stretch.setParameters(sampleRate, 0, 0, OVERLAP_MS);
  stretch.quickSeek = false;
  stretch.tempo = 1 / factor;
  // One full input chunk of zeros past the end lets every real sample through the last sequence.
  const pad = 2 * stretch.inputChunkSize;
  const total = samples.length + pad;
  const interleaved = new Float32Array(2 * Math.min(CHUNK, total));
  const pieces: Float32Array[] = [];
  for (let start = 0; start < total; start += CHUNK) {
    const n = Math.min(CHUNK, total - start);
    for (let i = 0; i < n; i++) {
      const j = start + i;
      const v = j < samples.length ? samples[j] : 0;
      interleaved[2 * i] = v;
      interleaved[2 * i + 1] = v;
    }
    stretch.inputBuffer.putSamples(interleaved, 0, n);
    stretch.process();
    const m = stretch.outputBuffer.frameCount;
    if (m > 0) {
      const out = new Float32Array(2 * m);
      stretch.outputBuffer.receiveSamples(out, m);
      const mono = new Float32Array(m);
      for (let i = 0; i < m; i++) mono[i] = out[2 * i]; // both channels are identical
      pieces.push(mono);
    }
  }
  return concatFloat32(pieces);
}

/** Exactly `length` samples: truncated, or zero-extended if short. */
function fitLength(x: Float32Array, length: number): Float32Array {
  if (x.length === length) return x;
  if (x.length > length) return x.slice(0, length);
  const out = new Float32Array(length);
  out.set(x);
  return out;
}

/**
 * Shifts pitch (and formants) by `semitones`, keeping the duration: the output has exactly the
 * input's length. 0 returns a copy.
 */
export function pitchShift(samples: Float32Array, semitones: number, sampleRate = MODEL_SAMPLE_RATE): Float32Array {
  const p = effectivePitchFactor(semitones, sampleRate);
  if (p === 1 || samples.length === 0) return Float32Array.from(samples);
  if (p > 1) {
    const stretched = timeStretch(samples, p, sampleRate);
    return fitLength(changeSpeed(stretched, p, sampleRate), samples.length);
  }
  const slowed = changeSpeed(samples, p, sampleRate);
  return fitLength(timeStretch(slowed, p, sampleRate), samples.length);
}
