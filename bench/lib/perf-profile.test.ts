import { describe, expect, it } from 'vitest';
import { categorizeSample, formatPerfSummary, parsePerfScript, summarizePerf } from './perf-profile.js';

// Five samples as `perf script -F pid,tid,ip,sym,dso` printed them for a worker of
// `undertone serve --perf-basic-prof` at 200 streams (stacks cut after a few frames).
const SCRIPT = `30863/30863 
\t         1d47838 v8::base::ieee754::log (/usr/bin/node)
\t    7fed080d2043 JS:*compute file:///work/main/dist/core/features/frame-features.js:151:12 (/tmp/perf-30863.map)
\t    7fed08169938 JS:*feed file:///work/main/dist/core/stream-analyzer.js:68:9 (/tmp/perf-30863.map)
\t    7fed0814373a JS:*push file:///work/main/dist/server/pipeline/session.js:81:9 (/tmp/perf-30863.map)
\t    7fed081455bd JS:*onMessage file:///work/main/dist/server/transport/audio-connection.js:104:14 (/tmp/perf-30863.map)

30863/30863 
\t         176c0cd [unknown] (/work/main/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1)

30863/30863 
\tffffffff81e7bcf0 sock_recvmsg ([kernel.kallsyms])
\tffffffff816d8487 vfs_read ([kernel.kallsyms])
\t           f82ec read (/usr/lib/x86_64-linux-gnu/libc.so.6)
\t         14b8b90 uv__stream_io (/usr/bin/node)
\t         14c05fb uv__io_poll (/usr/bin/node)

30864/30870 
\t          d9b7aa v8::internal::Scavenger::Process (/usr/bin/node)
\t          d9d32f v8::internal::ScavengerCollector::JobTask::ProcessItems (/usr/bin/node)
\t         1965ca5 v8::platform::DefaultJobState::Join (/usr/bin/node)

30864/30864 
\t         14ffa9c Builtins_ArrayIncludesSmiOrObject (/usr/bin/node)
\t    7fa958164825 JS:*observeWithoutExemplar /work/main/node_modules/prom-client/lib/histogram.js:73:24 (/tmp/perf-30864.map)
\t    7fa95814f72a JS:^ file:///work/main/dist/server/pipeline/session.js:194:25 (/tmp/perf-30864.map)
\t         c4993d v8::internal::(anonymous namespace)::Invoke (/usr/bin/node)
`;

describe('perf profile summary', () => {
  it('parses samples: pid, tid and frames leaf first, symbols with spaces and parentheses kept', () => {
    const samples = parsePerfScript(SCRIPT);
    expect(samples.map((s) => [s.pid, s.tid, s.frames.length])).toEqual([
      [30863, 30863, 5],
      [30863, 30863, 1],
      [30863, 30863, 5],
      [30864, 30870, 3],
      [30864, 30864, 4],
    ]);
    expect(samples[4].frames[3]).toEqual({ symbol: 'v8::internal::(anonymous namespace)::Invoke', dso: '/usr/bin/node' });
  });

  it('charges V8 runtime code to the JavaScript that called it, and names what only perf sees', () => {
    const [log, ort, kernel, gc, metrics] = parsePerfScript(SCRIPT).map((s) => categorizeSample(s.frames));
    expect(log).toBe('features'); // Math.log inside the frame features
    expect(ort).toBe('inference');
    expect(kernel).toBe('kernel');
    expect(gc).toBe('GC');
    expect(metrics).toBe('metrics');
    expect(categorizeSample([{ symbol: 'uv__io_poll', dso: '/usr/bin/node' }])).toBe('native/program');
    expect(categorizeSample([{ symbol: 'v8::internal::compiler::GraphReducer::ReduceTop', dso: '/usr/bin/node' }])).toBe('JIT compile');
    expect(categorizeSample([{ symbol: 'JS:wasm-function[13]-13-turbofan', dso: '/tmp/perf-1.map' }])).toBe('features');
  });

  it('adds up samples by stage, thread and leaf, and prints them per stream-second', () => {
    const s = summarizePerf(parsePerfScript(SCRIPT));
    expect(s.samples).toBe(5);
    expect(s.mainThread).toBe(4);
    expect(s.byCategory.get('features')).toBe(1);
    expect(s.byDso.get('node')).toBe(3);
    expect(s.leaves.get('v8::base::ieee754::log')).toEqual({ samples: 1, category: 'features' });
    // 5 samples at 2 ms each over 10 stream-seconds: 1 ms per stream-second.
    const text = formatPerfSummary(s, 2, 10);
    expect(text).toContain('5 samples = 0.0 s of server CPU = 1.000 ms per stream-second');
    expect(text).toMatch(/features\s+20\.0%\s+0\.200 ms/);
    expect(text).toMatch(/kernel\s+20\.0%\s+0\.200 ms/);
    // Samples by process: 30863 is named the primary when it is the root of the tree.
    expect(s.byProcess.get(30863)).toBe(3);
    expect(formatPerfSummary(s, 2, 10, 20, 30863)).toMatch(/60\.0%\s+0\.600 ms\s+primary 30863/);
    expect(formatPerfSummary(s, 2, 10, 20, 30863)).toMatch(/40\.0%\s+0\.400 ms\s+worker 30864/);
  });
});
