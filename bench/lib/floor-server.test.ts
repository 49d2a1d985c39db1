/**
 * The transport floor server of `bench:floor` speaks enough of the protocol for the load
 * generator: ready, one label per second of PCM received (the partial last one at stop), end and
 * close 1000, in one process and as a cluster; its process tree's CPU is measured.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AudioPool, corpusSpeech } from './audio.js';
import { startFloorServer } from './floor-process.js';
import { held, runLoad } from './load.js';

let speech: Float32Array;

beforeAll(async () => {
  speech = await corpusSpeech(8);
});

describe('transport floor server', () => {
  for (const workers of [1, 2]) {
    it(`${workers} worker(s): every label of every stream, paced, none late, CPU measured`, async () => {
      const floor = await startFloorServer(workers);
      try {
        const r = await runLoad(floor, AudioPool.build(speech, 'pcm_s16le', 20), { streams: 4, seconds: 3, rampUpMs: 200 });
        expect(r.received).toBe(12);
        expect(r.errorCount).toBe(0);
        expect(r.latency.count).toBe(12);
        expect(held(r, 1000)).toBe(true);
        expect(r.wallS).toBeGreaterThan(2.9);
        expect(r.treeCpuPct).toBeGreaterThan(0);
        expect(r.cpuMsPerStreamSecond).toBeGreaterThan(0);
      } finally {
        await floor.stop();
      }
    });
  }
});
