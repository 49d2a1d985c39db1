/**
 * The Twilio load generator of `bench:twilio` drives a real server's /v1/twilio: every call is
 * accepted and closed 1000 after `stop`, the server counts one label a second per track, and the
 * server's CPU over the run is read from /proc.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toMulaw8k } from '../../test/clients/twilio-client.js';
import { type ServerProcess, startServer } from '../../test/server-process.js';
import { corpusSpeech } from './audio.js';
import { runTwilioLoad } from './twilio-load.js';

let server: ServerProcess;
let mulaw: Uint8Array;

beforeAll(async () => {
  server = await startServer(['--workers', '1']);
  mulaw = toMulaw8k(await corpusSpeech(10));
});

afterAll(async () => {
  await server?.stop();
});

describe('Twilio load generator', () => {
  for (const tracks of [1, 2] as const) {
    it(`3 calls x ${tracks} track(s) x 3 s at real time: one label a second per track, no error, CPU measured`, async () => {
      const r = await runTwilioLoad(server, mulaw, { calls: 3, seconds: 3, tracks, rampUpMs: 200 });
      expect(r.errors).toEqual({});
      expect(r.expected).toBe(3 * tracks * 3);
      expect(r.labels).toBe(r.expected);
      // Real time: 3 s of audio cannot be sent in less.
      expect(r.wallS).toBeGreaterThan(2.9);
      expect(r.treeCpuPct).toBeGreaterThan(0);
      expect(r.cpuMsPerTrackSecond).toBeGreaterThan(0);
      expect(r.serverP99).toBeGreaterThan(0);
    });
  }
});
