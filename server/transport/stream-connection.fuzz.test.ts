/**
 * Protocol fuzzing in the default tests: the hand-picked hostile cases and a few hundred random
 * ones (fixed seed, so a failure reproduces) against a real server, while a canary session
 * streams real corpus audio at real time and must get every label. `npm run bench:fuzz` runs
 * 10,000+ cases against `undertone serve` in a child process.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFile, manifestRows } from '../../test/corpora.js';
import { hardPayloadLimit } from '../process/server.js';
import { type FuzzLimits, caseArbitrary, handPickedCases } from '../../test/fuzz/cases.js';
import { Canary, canaryFiles, runCases } from '../../test/fuzz/runner.js';
import { type TestServer, opusPackets, startTestServer } from '../../test/harness.js';

const MAX_MESSAGE = 16384;
const LIMITS: FuzzLimits = { maxMessageBytes: MAX_MESSAGE, hardPayloadBytes: hardPayloadLimit(MAX_MESSAGE) };
const RANDOM_CASES = Number(process.env.UNDERTONE_FUZZ_CASES ?? 400);
const SEED = Number(process.env.UNDERTONE_FUZZ_SEED ?? 20261125);

let srv: TestServer;
let packets: Uint8Array[];
let canary: Canary;

beforeAll(async () => {
  srv = await startTestServer({ maxMessageBytes: MAX_MESSAGE, startTimeoutMs: 5000 });
  packets = (await opusPackets(corpusFile(manifestRows()[0]))).packets;
  canary = new Canary(srv.url, canaryFiles(2));
});

afterAll(async () => {
  await canary?.stop();
  await srv?.server.drain();
});

describe('protocol fuzzing', () => {
  it('hand-picked hostile cases get their documented error and close code (or are accepted)', async () => {
    const cases = handPickedCases(LIMITS, packets[10]);
    const summary = await runCases(srv.url, cases, 4);
    expect(summary.failures).toEqual([]);
    expect(summary.crashes).toBe(0);
    // Every kind of answer was exercised.
    for (const code of ['invalid_message', 'unsupported_encoding', 'unsupported_format', 'start_required', 'unexpected_message', 'invalid_audio', 'message_too_big', 'accepted', 'close:1009', 'close:1007']) {
      expect(summary.answers[code], code).toBeGreaterThan(0);
    }
  });

  it(`${RANDOM_CASES} random cases (seed ${SEED}): each answered as documented, no crash`, async () => {
    const cases = fc.sample(caseArbitrary(LIMITS, packets), { numRuns: RANDOM_CASES, seed: SEED });
    const summary = await runCases(srv.url, cases, 6);
    expect(summary.failures.slice(0, 5)).toEqual([]);
    expect(summary.crashes).toBe(0);
    expect(summary.answers.accepted).toBeGreaterThan(RANDOM_CASES / 10);
    expect(Object.keys(summary.answers).length).toBeGreaterThanOrEqual(8);
  });

  it('the canary streaming real audio at real time throughout got every label', async () => {
    await canary.stop();
    expect(canary.problems).toEqual([]);
    expect(canary.expected).toBeGreaterThan(0);
    expect(canary.received).toBe(canary.expected);
  });
});
