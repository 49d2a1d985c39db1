import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { categorize, shortenPaths, summarizeGcTrace, summarizeProfiles } from './cpu-profile.js';

describe('cpu-profile summary', () => {
  it('categorizes by script and function', () => {
    expect(categorize('run', 'file:///x/node_modules/onnxruntime-node/dist/backend.js')).toBe('inference');
    expect(categorize('compute', 'file:///x/dist/core/features/frame-features.js')).toBe('features');
    expect(categorize('push', 'file:///x/dist/core/audio/pcm.js')).toBe('decode');
    expect(categorize('resample', 'file:///x/dist/core/audio/resample.js')).toBe('resample');
    expect(categorize('writeWindow', 'file:///x/dist/core/model/window.js')).toBe('window assembly');
    expect(categorize('', 'wasm://wasm/00025d76')).toBe('features');
    expect(categorize('sendFrame', 'file:///x/node_modules/ws/lib/sender.js')).toBe('ws framing/net');
    expect(categorize('stringify', '')).toBe('JSON');
    expect(categorize('observe', 'file:///x/node_modules/prom-client/lib/histogram.js')).toBe('metrics');
    expect(categorize('write', 'file:///x/node_modules/pino/lib/proto.js')).toBe('logging');
    expect(categorize('(garbage collector)', '')).toBe('GC');
    expect(categorize('(idle)', '')).toBe('idle');
  });

  it('adds self time per function over profiles, within a window before the end', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cpuprof-test-'));
    const file = path.join(dir, 'a.cpuprofile');
    // Samples every 1 ms: features, features, GC, idle, inference (the last lasts 0: no next delta).
    writeFileSync(
      file,
      JSON.stringify({
        nodes: [
          { id: 1, callFrame: { functionName: 'compute', url: 'file:///x/dist/core/features/frame-features.js', lineNumber: 0 } },
          { id: 2, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
          { id: 3, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
          { id: 4, callFrame: { functionName: 'run', url: 'file:///x/node_modules/onnxruntime-node/dist/backend.js', lineNumber: 0 } },
        ],
        samples: [1, 1, 2, 3, 4],
        timeDeltas: [0, 1000, 1000, 1000, 1000],
        startTime: 0,
        endTime: 5000,
      }),
    );
    const all = summarizeProfiles([file]);
    expect(all.byCategory.get('features')).toBe(2);
    expect(all.byCategory.get('GC')).toBe(1);
    expect(all.byCategory.get('idle')).toBe(1);
    expect(all.totalMs).toBe(4);
    // Samples at t = 0..4 ms are 5..1 ms before the end; keep those 4.5 to 2.5 ms before it (t = 1, 2).
    const part = summarizeProfiles([file], { fromMsBeforeEnd: 4.5, toMsBeforeEnd: 2.5 });
    expect(part.byCategory.get('features')).toBe(1);
    expect(part.byCategory.get('GC')).toBe(1);
    expect(part.byCategory.has('idle')).toBe(false);
  });

  it('names our files and dependencies by their place in the repository, as URLs or paths', () => {
    expect(shortenPaths('file:///work/main/dist/core/features/frame-features.js')).toBe('dist/core/features/frame-features.js');
    expect(shortenPaths('JS startLoop /work/main/node_modules/ws/lib/receiver.js:172:12')).toBe('JS startLoop node_modules/ws/lib/receiver.js:172:12');
    expect(shortenPaths('node:internal/streams/readable')).toBe('node:internal/streams/readable');
  });

  it('counts --trace-gc collections by kind with their pauses', () => {
    const log = [
      '{"level":"info","msg":"session opened"}',
      '[4242:0x6b1c000]     1200 ms: Scavenge 12.3 (14.5) -> 11.2 (15.0) MB, 0.85 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure;',
      '[4242:0x6b1c000]     1300 ms: Scavenge 12.4 (15.0) -> 11.3 (15.0) MB, 0.15 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure;',
      '[4242:0x6b1c000]     1900 ms: Mark-Compact 40.1 (52.0) -> 30.2 (50.0) MB, 12.50 / 0.00 ms  (+ 3.1 ms in 20 steps since start of marking) (average mu = 0.99) finalize incremental marking;',
    ].join('\n');
    const kinds = summarizeGcTrace(log);
    expect(kinds.get('Scavenge')).toEqual({ count: 2, pauseMs: 1 });
    expect(kinds.get('Mark-Compact')).toEqual({ count: 1, pauseMs: 12.5 });
  });
});
