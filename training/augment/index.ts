/**
 * Training-data augmentation for mono 16 kHz Float32 audio, applied before feature extraction and
 * to TRAINING data only (never to validation, test or live audio).
 *
 * An AugmentSpec says what to do; applyAugment does it in a fixed order (speed, then pitch, then
 * noise, so the noise stays white/pink and at the target SNR of the audio actually produced, then
 * silence padding, after the noise so that padded frames stay under the voicing gate and no label
 * point moves into them, then
 * the telephone channel, which carries the caller's noise down the line as a real call does, then
 * a lossy codec, as a recording is stored or sent last) and returns finite samples clipped to [-1, 1]. Everything random comes from the spec's seed, so
 * (input, spec) always gives bit-identical output and describeAugment(spec) can key a feature
 * cache (together with AUGMENT_VERSION, bumped whenever the output for a given spec changes).
 */
import type { G711Law } from '../../core/audio/g711.js';
import { type TelephoneChannel, telephoneChannel } from '../../core/audio/telephone.js';
import { addNoise, NOISE_KINDS, type NoiseKind } from './noise.js';
import { deriveSeed, Rng, toSeed } from './rng.js';
import { changeSpeed, checkSpeed } from './speed.js';
import { checkPad, PAD_FLOOR_KINDS, padSilence, type PadFloorKind, type PadSpec } from './pad.js';
import { checkPitch, pitchShift } from './pitch.js';
import { applyRoom, checkRoom, type RoomSpec } from './room.js';
import { applyCodec, checkCodec, CODEC_BITRATES, CODEC_KINDS, describeCodec, type CodecKind, type CodecSpec } from './codec.js';

export { activePower, addNoise, NOISE_KINDS, pinkNoise, whiteNoise, type NoiseKind } from './noise.js';
export { changeSpeed, effectiveSpeed } from './speed.js';
export { effectivePitchFactor, pitchShift, timeStretch } from './pitch.js';
export { deriveSeed, Rng, toSeed } from './rng.js';
export { applyRoom, roomImpulse, type RoomSpec } from './room.js';
export { applyCodec, CODEC_BITRATES, CODEC_KINDS, describeCodec, ffmpegInstalled, type CodecKind, type CodecSpec } from './codec.js';
export { PAD_FLOOR_KINDS, PAD_HISS_MAX_DB, PAD_MAX_S, padSilence, type PadFloorKind, type PadSpec } from './pad.js';

/**
 * Bump when the same spec would produce different audio (algorithm or parameter change). Not
 * bumped for the telephone channel, the silence padding, the room or the codec: specs without them
 * give the same audio as before, and specs with them have ids of their own ("tmu", "tabp",
 * "pad0.3-1.2h-80", "cmp3-32", ...), so cached features stay valid.
 */
export const AUGMENT_VERSION = 1;

const G711_LAWS: readonly G711Law[] = ['mulaw', 'alaw'];

export interface NoiseSpec {
  /** Signal-to-noise ratio in dB, signal = mean power of the active-speech frames. */
  readonly snrDb: number;
  readonly kind: NoiseKind;
}

export interface AugmentSpec {
  /** Additive noise; absent = none. */
  readonly noise?: NoiseSpec;
  /** Speed factor (0.9 = slower, longer, lower; 1.1 = faster); absent or 1 = unchanged. In [0.5, 2]. */
  readonly speed?: number;
  /** Pitch shift in semitones keeping the duration; absent or 0 = unchanged. Within +-12. */
  readonly pitchSemitones?: number;
  /** Through a simulated 8 kHz G.711 telephone line (core/audio/telephone.ts), last; absent = none. */
  readonly telephone?: TelephoneChannel;
  /** Quiet padding before and after the clip (pad.ts), after the noise; absent = none. */
  readonly pad?: PadSpec;
  /** A simulated room and microphone (room.ts), after pitch and before the noise; absent = none. */
  readonly room?: RoomSpec;
  /** Encoded and decoded with a lossy codec (codec.ts), last of all; absent = none. */
  readonly codec?: CodecSpec;
  /** Seed of everything random (an integer, taken modulo 2^32). */
  readonly seed: number;
}

/** Throws a RangeError naming the first invalid field. */
export function validateAugmentSpec(spec: AugmentSpec): void {
  toSeed(spec.seed);
  if (spec.speed !== undefined) checkSpeed(spec.speed);
  if (spec.pitchSemitones !== undefined) checkPitch(spec.pitchSemitones);
  if (spec.noise !== undefined) {
    if (!Number.isFinite(spec.noise.snrDb)) throw new RangeError(`noise.snrDb must be finite, got ${spec.noise.snrDb}`);
    if (!NOISE_KINDS.includes(spec.noise.kind)) throw new RangeError(`noise.kind must be one of ${NOISE_KINDS.join(', ')}, got ${String(spec.noise.kind)}`);
  }
  if (spec.telephone !== undefined) {
    if (!G711_LAWS.includes(spec.telephone.law)) throw new RangeError(`telephone.law must be one of ${G711_LAWS.join(', ')}, got ${String(spec.telephone.law)}`);
    if (typeof spec.telephone.bandpass !== 'boolean') throw new RangeError(`telephone.bandpass must be a boolean, got ${String(spec.telephone.bandpass)}`);
  }
  if (spec.pad !== undefined) checkPad(spec.pad);
  if (spec.room !== undefined) checkRoom(spec.room);
  if (spec.codec !== undefined) checkCodec(spec.codec);
}

const hasSpeed = (spec: AugmentSpec): spec is AugmentSpec & { speed: number } => spec.speed !== undefined && spec.speed !== 1;
const hasPad = (spec: AugmentSpec): spec is AugmentSpec & { pad: PadSpec } =>
  spec.pad !== undefined && (spec.pad.beforeS > 0 || spec.pad.afterS > 0);
const hasPitch = (spec: AugmentSpec): spec is AugmentSpec & { pitchSemitones: number } =>
  spec.pitchSemitones !== undefined && spec.pitchSemitones !== 0;

/**
 * Stable short id of what the spec does, e.g. "n20w_s1.1_p-2_tmu_seed7" (noise 20 dB white, speed
 * 1.1, pitch -2 semitones, 8 kHz μ-law telephone line, seed 7; "tabp" = A-law with the 300-3400 Hz
 * band-pass; "pad0.3-1.2h-80" = 0.3 s of padding before and 1.2 s after at a -80 dBFS hiss, "z" a
 * digital-zero floor, "d" 16-bit dither; "r0.4d6l-3h2" = a room of RT60 0.4 s and 6 dB
 * direct-to-reverberant ratio, shelves -3 dB below 250 Hz and +2 dB above 4 kHz; "cmp3-32" = MP3 at
 * 32 kb/s, "copus-16", "caac-24", "cg722", "cmu" = 8-bit μ-law at 16 kHz). Numbers are written in JavaScript's shortest round-trip form,
 * so different values never share an id. Parts that change nothing are left out (speed 1, pitch 0,
 * no padding), and so is the seed when nothing random is applied (no noise, no dither or hiss):
 * specs that give identical audio share an id. A spec that changes nothing is "clean".
 */
export function describeAugment(spec: AugmentSpec): string {
  validateAugmentSpec(spec);
  const parts: string[] = [];
  if (hasPad(spec)) parts.push(`pad${num(spec.pad.beforeS)}-${num(spec.pad.afterS)}${spec.pad.floor === 'hiss' ? `h${num(spec.pad.hissDb as number)}` : spec.pad.floor[0]}`);
  if (spec.room) parts.push(`r${num(spec.room.rt60S)}d${num(spec.room.drrDb)}l${num(spec.room.lowShelfDb)}h${num(spec.room.highShelfDb)}`);
  if (spec.noise) parts.push(`n${num(spec.noise.snrDb)}${spec.noise.kind === 'white' ? 'w' : 'p'}`);
  if (hasSpeed(spec)) parts.push(`s${num(spec.speed)}`);
  if (hasPitch(spec)) parts.push(`p${num(spec.pitchSemitones)}`);
  if (spec.telephone) parts.push(`t${spec.telephone.law === 'mulaw' ? 'mu' : 'a'}${spec.telephone.bandpass ? 'bp' : ''}`);
  if (spec.codec) parts.push(`c${describeCodec(spec.codec)}`);
  if (spec.noise || spec.room || (hasPad(spec) && spec.pad.floor !== 'zero')) parts.push(`seed${toSeed(spec.seed)}`);
  return parts.length === 0 ? 'clean' : parts.join('_');
}

function num(x: number): string {
  return String(x === 0 ? 0 : x); // no "-0"
}

/** Non-finite samples become 0; the rest are clipped to [-1, 1]. In place. */
function sanitise(x: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    x[i] = Number.isFinite(v) ? (v > 1 ? 1 : v < -1 ? -1 : v) : 0;
  }
  return x;
}

/**
 * Applies the spec: speed, then pitch, then the room, then noise, then padding, then the telephone channel, then the codec. Returns a new array (the input is not
 * modified); its length is ceil(input / effective speed) plus the padding. Non-finite input samples are treated as
 * silence, and the output is finite and clipped to [-1, 1].
 */
export function applyAugment(samples: Float32Array, spec: AugmentSpec): Float32Array {
  validateAugmentSpec(spec);
  let x: Float32Array = Float32Array.from(samples);
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) x[i] = 0;
  if (hasSpeed(spec)) x = changeSpeed(x, spec.speed);
  if (hasPitch(spec)) x = pitchShift(x, spec.pitchSemitones);
  if (spec.room) x = applyRoom(sanitise(x), spec.room, deriveSeed(spec.seed, ROOM_STREAM));
  if (spec.noise) x = addNoise(x, spec.noise.snrDb, spec.noise.kind, deriveSeed(spec.seed, 1));
  if (hasPad(spec)) x = padSilence(x, spec.pad, deriveSeed(spec.seed, PAD_STREAM));
  if (spec.telephone) x = telephoneChannel(sanitise(x), spec.telephone);
  if (spec.codec) x = applyCodec(sanitise(x), spec.codec);
  return sanitise(x);
}

/** The random policy sampleAugmentSpecs draws from. */
export interface AugmentPolicy {
  /** Speed factors, each equally likely (1 = unchanged). */
  readonly speeds: readonly number[];
  /** Probability of a pitch shift, and its range in semitones (uniform, rounded to pitchStep; 0 = none). */
  readonly pitchProb: number;
  readonly pitchRange: readonly [number, number];
  readonly pitchStep: number;
  /** Probability of noise, its SNR range in dB (uniform, rounded to snrStep) and kinds (equally likely). */
  readonly noiseProb: number;
  readonly snrRange: readonly [number, number];
  readonly snrStep: number;
  readonly noiseKinds: readonly NoiseKind[];
  /**
   * Probability of the telephone channel, of the band-pass when it is applied, and its laws
   * (equally likely). Drawn from a stream of their own, so a policy that differs only here gives
   * the same speed, pitch and noise for every copy (and hits the same cached features).
   */
  readonly telephoneProb: number;
  readonly telephoneBandpassProb: number;
  readonly telephoneLaws: readonly G711Law[];
  /**
   * Probability of silence padding, the range of its length on each side (seconds, uniform,
   * rounded to padStep, drawn independently for before and after), its floors (equally likely)
   * and the range of the hiss floor (dBFS, uniform, whole dB). Drawn from a stream of its own,
   * as the telephone channel is, and never from anything about the clip: the padding carries no
   * label.
   */
  readonly padProb: number;
  readonly padRange: readonly [number, number];
  readonly padStep: number;
  readonly padFloors: readonly PadFloorKind[];
  readonly padHissDbRange: readonly [number, number];
  /**
   * Probability of a simulated room (room.ts) and the ranges of its RT60 (seconds, rounded to
   * 0.05), direct-to-reverberant ratio (dB, whole) and shelf gains (dB, rounded to 0.5, drawn
   * independently for low and high). Drawn from a stream of its own, like the telephone channel
   * and the padding, so the other draws stay those of the policy without it.
   */
  readonly roomProb: number;
  readonly roomRt60Range: readonly [number, number];
  readonly roomDrrDbRange: readonly [number, number];
  readonly roomShelfDbRange: readonly [number, number];
  /**
   * Probability of a lossy codec (codec.ts) and the kinds to draw from (equally likely, then a
   * bit rate of CODEC_BITRATES equally likely). Drawn from a stream of its own, like the others.
   */
  readonly codecProb: number;
  readonly codecKinds: readonly CodecKind[];
}

/**
 * Default policy: speed 0.9 / 1.0 / 1.1 equally likely (Kaldi's 3-way speed perturbation); with
 * p = 0.5 a pitch shift uniform in [-2, +2] semitones in steps of 0.1; with p = 0.5 white or pink
 * noise (equally likely) at an SNR uniform in [10, 30] dB in whole dB. The draws are independent,
 * so about 1/3 * 1/2 * 1/2 = 1/12 of specs come out clean. No telephone channel (the shipped
 * model's recipe); `undertone train --telephone P` sets telephoneProb (see docs/accuracy.md).
 * No silence padding unless `undertone train --pad P` sets padProb; when drawn, 0-1.5 s on each
 * side in steps of 0.05 s over a digital-zero, dither or hiss (-95 to -70 dBFS) floor. No room
 * unless `undertone train --room P` sets roomProb; when drawn, RT60 0.15-0.9 s, direct-to-
 * reverberant ratio 0-15 dB, shelves within ±6 dB (living rooms and offices to small halls, and
 * the colour of a cheap headset to a studio microphone). No codec unless `undertone train --codec P`
 * sets codecProb; when drawn, MP3, AAC, Opus, G.722 or 16 kHz μ-law, equally likely.
 */
export const DEFAULT_AUGMENT_POLICY: AugmentPolicy = {
  speeds: [0.9, 1.0, 1.1],
  pitchProb: 0.5,
  pitchRange: [-2, 2],
  pitchStep: 0.1,
  noiseProb: 0.5,
  snrRange: [10, 30],
  snrStep: 1,
  noiseKinds: ['white', 'pink'],
  telephoneProb: 0,
  telephoneBandpassProb: 0.5,
  telephoneLaws: ['mulaw', 'alaw'],
  padProb: 0,
  padRange: [0, 1.5],
  padStep: 0.05,
  padFloors: PAD_FLOOR_KINDS,
  padHissDbRange: [-95, -70],
  roomProb: 0,
  roomRt60Range: [0.15, 0.9],
  roomDrrDbRange: [0, 15],
  roomShelfDbRange: [-6, 6],
  codecProb: 0,
  codecKinds: CODEC_KINDS,
};

/** Stream number of the telephone draws (deriveSeed(seed, it)); the main draws use the seed itself. */
const TELEPHONE_STREAM = 0x7e1;
/** Stream of the padding draws (deriveSeed(seed, it)), and of the padding's floor samples from a spec's seed. */
const PAD_STREAM = 0x9ad;
/** Stream of the room draws, and of the room's impulse-response noise from a spec's seed. */
const ROOM_STREAM = 0x400d;
/** Stream of the codec draws. */
const CODEC_STREAM = 0xc0dec;

/** Uniform in [lo, hi] rounded to a multiple of step, written so the number prints short (0.3, not 0.30000000000000004). */
function quantisedUniform(rng: Rng, [lo, hi]: readonly [number, number], step: number): number {
  const k = Math.round(rng.uniform(lo, hi) / step);
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  const v = Number((k * step).toFixed(decimals));
  return v === 0 ? 0 : v;
}

/**
 * `count` random specs drawn from `policy` with a PRNG seeded by `seed`: the same arguments always
 * give the same list (and the first k specs do not depend on count). Each spec gets its own seed
 * for its noise. Identity parts are left out (no speed key for 1, no pitch key for 0).
 */
export function sampleAugmentSpecs(count: number, seed: number, policy: AugmentPolicy = DEFAULT_AUGMENT_POLICY): AugmentSpec[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const rng = new Rng(seed);
  const telephoneRng = new Rng(deriveSeed(seed, TELEPHONE_STREAM));
  const padRng = new Rng(deriveSeed(seed, PAD_STREAM));
  const roomRng = new Rng(deriveSeed(seed, ROOM_STREAM));
  const codecRng = new Rng(deriveSeed(seed, CODEC_STREAM));
  const specs: AugmentSpec[] = [];
  for (let i = 0; i < count; i++) {
    // Draw every value every time, used or not, so each spec takes the same number of draws.
    const speed = rng.pick(policy.speeds);
    const doPitch = rng.chance(policy.pitchProb);
    const pitch = quantisedUniform(rng, policy.pitchRange, policy.pitchStep);
    const doNoise = rng.chance(policy.noiseProb);
    const snrDb = quantisedUniform(rng, policy.snrRange, policy.snrStep);
    const kind = rng.pick(policy.noiseKinds);
    const specSeed = rng.nextUint32();
    const doTelephone = telephoneRng.chance(policy.telephoneProb);
    const law = telephoneRng.pick(policy.telephoneLaws);
    const bandpass = telephoneRng.chance(policy.telephoneBandpassProb);
    const doPad = padRng.chance(policy.padProb);
    const beforeS = quantisedUniform(padRng, policy.padRange, policy.padStep);
    const afterS = quantisedUniform(padRng, policy.padRange, policy.padStep);
    const floor = padRng.pick(policy.padFloors);
    const hissDb = quantisedUniform(padRng, policy.padHissDbRange, 1);
    const doRoom = roomRng.chance(policy.roomProb);
    const room: RoomSpec = {
      rt60S: quantisedUniform(roomRng, policy.roomRt60Range, 0.05),
      drrDb: quantisedUniform(roomRng, policy.roomDrrDbRange, 1),
      lowShelfDb: quantisedUniform(roomRng, policy.roomShelfDbRange, 0.5),
      highShelfDb: quantisedUniform(roomRng, policy.roomShelfDbRange, 0.5),
    };
    const doCodec = codecRng.chance(policy.codecProb);
    const codecKind = codecRng.pick(policy.codecKinds);
    const rates = CODEC_BITRATES[codecKind];
    const rateDraw = codecRng.uniform(0, 1); // drawn for fixed-rate codecs too: same draws per spec
    const codecKbps = rates.length > 0 ? rates[Math.min(rates.length - 1, Math.floor(rateDraw * rates.length))] : undefined;
    const spec: { -readonly [K in keyof AugmentSpec]: AugmentSpec[K] } = { seed: specSeed };
    if (speed !== 1) spec.speed = speed;
    if (doPitch && pitch !== 0) spec.pitchSemitones = pitch;
    if (doRoom) spec.room = room;
    if (doNoise) spec.noise = { snrDb, kind };
    if (doTelephone) spec.telephone = { law, bandpass };
    if (doPad && (beforeS > 0 || afterS > 0)) spec.pad = floor === 'hiss' ? { beforeS, afterS, floor, hissDb } : { beforeS, afterS, floor };
    if (doCodec) spec.codec = codecKbps === undefined ? { kind: codecKind } : { kind: codecKind, kbps: codecKbps };
    validateAugmentSpec(spec);
    specs.push(spec);
  }
  return specs;
}
