/**
 * Protocol fuzz cases: what one hostile (or broken) connection sends, and what the server must
 * answer. Random cases come from fast-check arbitraries; hand-picked ones name the exact error
 * code a reader of docs/protocol.md would expect. The expectation of a random case comes from
 * `expectedOutcome`, a small model of the session state machine (awaiting start -> streaming)
 * that classifies each text message with core's parseClientMessage: the fuzzer checks that the
 * server applies the documented codes, close codes and message order to whatever arrives.
 */
import fc from 'fast-check';
import { type ErrorCode, type StartMessage, ProtocolError, parseClientMessage } from '../../core/protocol/index.js';

/** One WebSocket frame the client sends. `invalidUtf8` text frames carry raw bytes. */
export type FuzzStep =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'rawText'; readonly bytes: Uint8Array }
  | { readonly kind: 'binary'; readonly bytes: Uint8Array };

/**
 * What the server must do: end the session with `error` (the error message + its close code),
 * close with a bare `close` code (what ws does itself, before our code sees the frame), or accept
 * (ready, labels, end, 1000 after the final stop). `error_or_accept` is for random Opus packets:
 * the decoder alone knows which byte strings are valid packets.
 */
export type Outcome =
  | { readonly kind: 'error'; readonly code: ErrorCode }
  | { readonly kind: 'close'; readonly close: number }
  | { readonly kind: 'accepted' }
  | { readonly kind: 'either'; readonly options: readonly Outcome[] };

export interface FuzzCase {
  /** Short description (printed when the case fails). */
  readonly name: string;
  readonly steps: readonly FuzzStep[];
  /** Append a stop after the steps (true unless the case is about what happens without it). */
  readonly stop: boolean;
  readonly expect: Outcome;
}

export interface FuzzLimits {
  readonly maxMessageBytes: number;
  /** Above this ws refuses the frame from its header: bare close 1009 (server.ts hardPayloadLimit). */
  readonly hardPayloadBytes: number;
}

const text = (t: string): FuzzStep => ({ kind: 'text', text: t });
const json = (v: unknown): FuzzStep => text(JSON.stringify(v));
const bin = (b: Uint8Array): FuzzStep => ({ kind: 'binary', bytes: b });

function stepBytes(s: FuzzStep): number {
  return s.kind === 'text' ? Buffer.byteLength(s.text) : s.bytes.length;
}

/** The outcome the documented protocol gives for these steps (+ a final stop when `stop`). */
export function expectedOutcome(steps: readonly FuzzStep[], stop: boolean, limits: FuzzLimits): Outcome {
  let start: StartMessage | undefined;
  let opusUncertain = false;
  const all = stop ? [...steps, text('{"type":"stop"}')] : steps;
  const settle = (o: Outcome): Outcome => (opusUncertain ? { kind: 'either', options: [{ kind: 'error', code: 'invalid_audio' }, o] } : o);
  for (const step of all) {
    const size = stepBytes(step);
    if (size > limits.hardPayloadBytes) return settle({ kind: 'close', close: 1009 });
    if (size > limits.maxMessageBytes) return settle({ kind: 'error', code: 'message_too_big' });
    if (step.kind === 'rawText') {
      const bytes = Buffer.from(step.bytes);
      if (!bytes.equals(Buffer.from(bytes.toString('utf8'), 'utf8'))) return settle({ kind: 'close', close: 1007 });
      continue;
    }
    if (step.kind === 'binary') {
      if (!start) return settle({ kind: 'error', code: 'start_required' });
      if (start.encoding === 'opus') {
        if (step.bytes.length === 0) return settle({ kind: 'error', code: 'invalid_audio' });
        opusUncertain = true;
      }
      continue;
    }
    let message;
    try {
      message = parseClientMessage(step.text);
    } catch (e) {
      if (e instanceof ProtocolError) return settle({ kind: 'error', code: e.code });
      throw e;
    }
    if (message.type === 'start') {
      if (start) return settle({ kind: 'error', code: 'unexpected_message' });
      start = message;
    } else if (message.type === 'stop') {
      return settle(start ? { kind: 'accepted' } : { kind: 'error', code: 'start_required' });
    }
  }
  // No stop (stop: false) and no error: the client closes; nothing may have gone wrong before.
  return settle({ kind: 'accepted' });
}

// ---------------------------------------------------------------------------------------------
// Arbitraries.

const VALID_START = { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 } as const;

const anyValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(1e308),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

/** Sample rates: valid for one encoding or another, absurd, negative, fractional, huge. */
const sampleRate = fc.oneof(
  fc.constantFrom(8000, 12000, 16000, 22050, 24000, 44100, 48000, 96000, 192000),
  fc.constantFrom(0, -1, 1, 3999, 192001, 2 ** 31, 2 ** 53, 1e308, 16000.5, Number.MAX_SAFE_INTEGER),
  fc.integer({ min: -1_000_000, max: 10_000_000 }),
  anyValue,
);
const channels = fc.oneof(fc.constantFrom(1, 2), fc.constantFrom(0, -1, 3, 8, 255, 65536, 1.5, 2 ** 40), anyValue);
const encoding = fc.oneof(fc.constantFrom('pcm_s16le', 'pcm_f32le', 'opus'), fc.constantFrom('PCM_S16LE', 'mp3', 'flac', 'pcm_s24le', '', 'opus '), anyValue);

/** A start message: mostly well-formed, with each field sometimes wrong, missing or extra. */
const startMessage = fc
  .record(
    {
      encoding,
      sampleRate,
      channels,
      preSkip: fc.oneof(fc.integer({ min: 0, max: 48000 }), fc.constantFrom(-1, 48001, 0.5), anyValue),
      key: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constant(''), fc.string({ minLength: 129, maxLength: 140 }), anyValue),
      unknownField: fc.constantFrom('samplerate', 'preskip', 'rate', '__proto__'),
    },
    { requiredKeys: [] },
  )
  .map(({ unknownField, ...fields }) => ({ type: 'start', ...fields, ...(unknownField !== undefined ? { [unknownField]: 1 } : {}) }));

/** A start message that is accepted, for each encoding. */
const validStart = fc.oneof(
  fc.record({
    type: fc.constant('start' as const),
    encoding: fc.constantFrom('pcm_s16le' as const, 'pcm_f32le' as const),
    sampleRate: fc.constantFrom(4000, 8000, 11025, 16000, 22050, 44100, 48000, 96000, 192000),
    channels: fc.constantFrom(1 as const, 2 as const),
  }),
  fc.record({
    type: fc.constant('start' as const),
    encoding: fc.constant('opus' as const),
    sampleRate: fc.constantFrom(8000, 12000, 16000, 24000, 48000),
    channels: fc.constantFrom(1 as const, 2 as const),
  }),
);

/** Binary audio: random bytes of any length (odd for s16le, not a multiple of 4 for f32le, empty). */
const randomBytes = (maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 1, maxLength }), fc.constant(new Uint8Array(0)));

/** f32le samples with NaN, ±Infinity, huge and subnormal values among ordinary ones. */
const hostileFloats = fc
  .array(fc.oneof(fc.float({ noNaN: false }), fc.constantFrom(NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, 0, 1, -1)), { maxLength: 2000 })
  .map((values) => {
    const buf = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => buf.writeFloatLE(v, i * 4));
    return new Uint8Array(buf);
  });

/** Text sent where audio is expected: keepalive (fine), stray JSON, a second start, garbage. */
const midStreamText = fc.oneof(
  fc.constant(text('{"type":"keepalive"}')),
  fc.constant(json(VALID_START)),
  fc.json({ maxDepth: 2 }).map(text),
  fc.string({ maxLength: 40 }).map(text),
  fc.constant(text('')),
);

/**
 * Random cases. `opusPackets` are real packets (from a corpus file) to truncate and corrupt.
 * Sizes stay around the limits so message_too_big and the hard limit are both exercised.
 */
export function caseArbitrary(limits: FuzzLimits, opusPackets: readonly Uint8Array[]): fc.Arbitrary<FuzzCase> {
  const realPacket = fc.integer({ min: 0, max: opusPackets.length - 1 }).map((i) => opusPackets[i]);
  const corruptPacket = fc.oneof(
    fc.tuple(realPacket, fc.nat()).map(([p, n]) => p.subarray(0, n % Math.max(1, p.length))),
    fc.tuple(realPacket, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([p, i, b]) => {
      const copy = Uint8Array.from(p);
      copy[i % copy.length] ^= b;
      return copy;
    }),
    fc.tuple(realPacket, fc.integer({ min: 0, max: 255 })).map(([p, toc]) => Uint8Array.from([toc, ...p.subarray(1)])),
    randomBytes(1500),
    realPacket,
  );
  const huge = fc.integer({ min: limits.maxMessageBytes - 16, max: limits.hardPayloadBytes + 4096 });

  const build = (name: string, steps: FuzzStep[], stop = true): FuzzCase => ({ name, steps, stop, expect: expectedOutcome(steps, stop, limits) });

  return fc.oneof(
    // Arbitrary JSON / text as the first message.
    fc.json({ maxDepth: 4 }).map((t) => build('random JSON first', [text(t)])),
    fc.string({ maxLength: 200, unit: 'binary' }).map((t) => build('random text first', [text(t)])),
    fc.oneof(fc.constant('{}'), fc.constant('[]'), fc.constant('null'), fc.constant('"start"'), fc.constant('{"type":null}'), fc.constant('{"type":"START"}'))
      .map((t) => build('wrong shape', [text(t)])),
    // Unknown and known types with wrong fields.
    fc.record({ type: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('stop', 'keepalive', 'ready', 'emotion', 'end', 'error', '__proto__', 'constructor')), x: anyValue }, { requiredKeys: ['type'] })
      .map((m) => build('typed message first', [json(m)])),
    // Start with fields of any type and value, then some audio.
    { weight: 3, arbitrary: fc.tuple(startMessage, fc.array(randomBytes(4000), { maxLength: 3 })).map(([s, audio]) => build('random start + audio', [json(s), ...audio.map(bin)])) },
    // Valid start, then a stream of random PCM or Opus and text where audio is expected.
    {
      weight: 5,
      arbitrary: fc
        .tuple(
          validStart,
          fc.array(fc.oneof({ weight: 6, arbitrary: randomBytes(6000).map(bin) }, { weight: 1, arbitrary: midStreamText }), { maxLength: 6 }),
          fc.boolean(),
        )
        .map(([s, steps, stop]) => build(`valid ${s.encoding} start + random frames`, [json(s), ...steps], stop)),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom(8000, 16000, 48000), fc.array(hostileFloats, { minLength: 1, maxLength: 3 })).map(([rate, chunks]) =>
        build('f32le with NaN/Inf/huge', [json({ type: 'start', encoding: 'pcm_f32le', sampleRate: rate, channels: 1 }), ...chunks.map(bin)]),
      ),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(fc.constantFrom<1 | 2>(1, 2), fc.array(corruptPacket, { minLength: 1, maxLength: 5 })).map(([ch, packets]) =>
        build('opus with corrupt packets', [json({ type: 'start', encoding: 'opus', sampleRate: 48000, channels: ch }), ...packets.map(bin)]),
      ),
    },
    // Binary before start, stop before start, start twice.
    randomBytes(3000).map((b) => build('binary before start', [bin(b)])),
    fc.constant(build('stop before start', [], true)),
    validStart.map((s) => build('start twice', [json(s), json(s)])),
    // Oversized text and binary, around both limits.
    huge.map((n) => build('huge JSON', [text(JSON.stringify({ type: 'start', pad: 'x'.repeat(Math.max(0, n - 24)) }))])),
    fc.tuple(validStart, huge).map(([s, n]) => build('huge binary', [json(s), bin(new Uint8Array(n))])),
    // Deep nesting (a recursive parser would overflow its stack).
    fc.integer({ min: 10, max: 6000 }).map((d) => build('deeply nested JSON', [text('['.repeat(d) + ']'.repeat(d))])),
    // Text frames that are not UTF-8 (ws closes 1007 before our code sees them).
    fc.uint8Array({ minLength: 1, maxLength: 32 }).map((b) => build('raw text bytes', [{ kind: 'rawText', bytes: Uint8Array.from([0xff, ...b]) }])),
  );
}

/** Hand-picked cases with the answer a reader of docs/protocol.md expects, written out. */
export function handPickedCases(limits: FuzzLimits, opusPacket: Uint8Array): FuzzCase[] {
  const start = (s: object): FuzzStep => json({ type: 'start', ...s });
  const err = (code: ErrorCode): Outcome => ({ kind: 'error', code });
  const ok: Outcome = { kind: 'accepted' };
  const c = (name: string, steps: FuzzStep[], expect: Outcome, stop = true): FuzzCase => ({ name, steps, expect, stop });
  const s16 = { encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 };
  const f32 = (values: number[]): Uint8Array => {
    const b = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => b.writeFloatLE(v, i * 4));
    return new Uint8Array(b);
  };
  return [
    c('malformed JSON', [text('{"type":"start",')], err('invalid_message')),
    c('not JSON', [text('hello')], err('invalid_message')),
    c('JSON array', [text('[1,2,3]')], err('invalid_message')),
    c('JSON null', [text('null')], err('invalid_message')),
    c('zero-length text', [text('')], err('invalid_message')),
    c('zero-length binary before start', [bin(new Uint8Array(0))], err('start_required')),
    c('unknown type', [json({ type: 'hello' })], err('invalid_message')),
    c('type of the wrong type', [json({ type: 7 })], err('invalid_message')),
    c('server message type from a client', [json({ type: 'ready' })], err('invalid_message')),
    c('sampleRate as string', [start({ ...s16, sampleRate: '16000' })], err('invalid_message')),
    c('channels as string', [start({ ...s16, channels: '1' })], err('invalid_message')),
    c('missing encoding', [json({ type: 'start', sampleRate: 16000, channels: 1 })], err('invalid_message')),
    c('unknown start field', [start({ ...s16, samplerate: 16000 })], err('invalid_message')),
    c('stop with a field', [start(s16), json({ type: 'stop', now: true })], err('invalid_message'), false),
    c('unsupported encoding', [start({ ...s16, encoding: 'mp3' })], err('unsupported_encoding')),
    c('sample rate 0', [start({ ...s16, sampleRate: 0 })], err('unsupported_format')),
    c('sample rate negative', [start({ ...s16, sampleRate: -16000 })], err('unsupported_format')),
    c('sample rate 2^53', [start({ ...s16, sampleRate: 2 ** 53 })], err('unsupported_format')),
    c('sample rate 1e308', [start({ ...s16, sampleRate: 1e308 })], err('unsupported_format')),
    c('sample rate fractional', [start({ ...s16, sampleRate: 16000.5 })], err('invalid_message')),
    c('opus at 44100', [start({ ...s16, encoding: 'opus', sampleRate: 44100 })], err('unsupported_format')),
    c('channels 0', [start({ ...s16, channels: 0 })], err('unsupported_format')),
    c('channels 3', [start({ ...s16, channels: 3 })], err('unsupported_format')),
    c('channels 2^31', [start({ ...s16, channels: 2 ** 31 })], err('unsupported_format')),
    c('preSkip on PCM', [start({ ...s16, preSkip: 312 })], err('invalid_message')),
    c('key too long', [start({ ...s16, key: 'k'.repeat(129) })], err('invalid_message')),
    c('binary before start', [bin(new Uint8Array(640))], err('start_required')),
    c('stop before start', [], err('start_required')),
    c('start twice', [start(s16), start(s16)], err('unexpected_message')),
    c('odd byte counts for s16le', [start(s16), bin(new Uint8Array(1)), bin(new Uint8Array(3)), bin(new Uint8Array(8001)), bin(new Uint8Array(7999))], ok),
    c('zero-length PCM message', [start(s16), bin(new Uint8Array(0))], ok),
    c('f32le NaN and Inf', [start({ ...s16, encoding: 'pcm_f32le' }), ...[0, 1, 2, 3].map(() => bin(f32(Array.from({ length: 4000 }, (_, i) => [NaN, Infinity, -Infinity, 0.5][i % 4]))))], ok),
    c('f32le 3 bytes', [start({ ...s16, encoding: 'pcm_f32le' }), bin(new Uint8Array(3))], ok),
    c('f32le huge finite values', [start({ ...s16, encoding: 'pcm_f32le' }), ...[0, 1, 2, 3].map(() => bin(f32(Array.from({ length: 4000 }, (_, i) => (i % 2 ? 3.4e38 : -3.4e38)))))], ok),
    c('text where audio is expected', [start(s16), text('AAAA')], err('invalid_message')),
    c('keepalive mid-stream', [start(s16), bin(new Uint8Array(640)), text('{"type":"keepalive"}'), bin(new Uint8Array(640))], ok),
    c('zero-length Opus packet', [start({ ...s16, encoding: 'opus', sampleRate: 48000 }), bin(new Uint8Array(0))], err('invalid_audio')),
    c('Opus code 3 with 0 frames', [start({ ...s16, encoding: 'opus', sampleRate: 48000 }), bin(Uint8Array.from([0x03, 0x00]))], err('invalid_audio')),
    c('real Opus packet', [start({ ...s16, encoding: 'opus', sampleRate: 48000 }), bin(opusPacket)], ok),
    c('message just over the limit', [start(s16), bin(new Uint8Array(limits.maxMessageBytes + 2))], err('message_too_big')),
    c('text just over the limit', [text(' '.repeat(limits.maxMessageBytes + 1))], err('message_too_big')),
    c('binary over the hard limit', [start(s16), bin(new Uint8Array(limits.hardPayloadBytes + 1))], { kind: 'close', close: 1009 }),
    c('invalid UTF-8 text', [{ kind: 'rawText', bytes: Uint8Array.from([0xc3, 0x28]) }], { kind: 'close', close: 1007 }),
    c('deep JSON nesting', [text('['.repeat(100_00) + ']'.repeat(100_00))], err(limits.maxMessageBytes >= 20000 ? 'invalid_message' : 'message_too_big')),
  ];
}
