/**
 * The 2-D networks (`--arch cnn2d`, `--arch stem2d`, `--arch crnn`, nets.py) as the server would meet them:
 * PyTorch builds each with a fixed seed and exports it (export.py), and onnxruntime-node must
 * give the same scores on windows with real frames and padding; what sits in the padding, and
 * how much of it there is, must not move the stem's or the CRNN's scores, whether the padding
 * is on the right or on the left as the server's windows have it (no model may read a clip's
 * length: the ASED caveat; a GRU would, if it ran through the padding); a seed ensemble of
 * stems exports with its members' scores; and the stem learns on a synthetic bundle through
 * fit.py, as `undertone train --arch stem2d` runs it. Runs Debian's python3-torch.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../augment/rng.js';
import { LABELS, type SyntheticClip, writeSyntheticBundle } from '../../test/synthetic-bundle.js';
import { fitArgs, PYTHON, runFit } from '../fit-runner.js';

const dir = mkdtempSync(path.join(tmpdir(), 'undertone-nets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIT_DIR = path.dirname(fileURLToPath(import.meta.url));
const T = 120;
const DIM = 88; // two normalisation groups of 40 MFCCs and 4 extras, as --norm both feeds the shipped nets

interface Exported {
  arch: string;
  /** The class of the graph export.py wrote (a seed ensemble of 1-D CNNs is fused, one of stems is not). */
  exported: string;
  onnx: string;
  x: number[];
  mask: number[];
  batch: number;
  scores: number[][];
  /** Largest score change when the padding holds noise instead of zeros, and when the window holds less padding: padding on the right, then on the left. */
  garbagePadding: number;
  shorterPadding: number;
  garbageLeftPadding: number;
  shorterLeftPadding: number;
}

/** Builds, exports and scores each arch in PyTorch (nets.py, export.py). */
function exportNets(): Exported[] {
  const script = `
import json, sys, torch
sys.path.insert(0, ${JSON.stringify(FIT_DIR)})
import nets
from export import export_onnx, for_inference
out = []
def built(arch, seed):
    torch.manual_seed(seed)
    net = nets.build(arch, ${DIM}, 8, None, 0.3, 2).eval()
    # Running statistics away from 0/1, so BatchNorm's folding into the graph is exercised.
    for m in net.modules():
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.5, 0.5); m.running_var.uniform_(0.5, 2.0)
    if arch == "crnn":
        # At its random start the CRNN's head scores windows almost alike (within 1e-4): sharpened,
        # so that the parity check below compares scores that differ between windows.
        with torch.no_grad():
            net.head[-1].weight.mul_(30)
    return net
for arch in ("cnn2d", "stem2d", "stem2d-ensemble", "crnn"):
    if arch == "stem2d-ensemble":
        # Three stems as one model file, as \`--members 3 --arch stem2d\` ships them.
        # Sharp member temperatures: random members averaged would otherwise score almost uniformly.
        net = nets.Ensemble([built("stem2d", s) for s in (7, 8, 9)], [0.1, 0.15, 0.2]).eval()
    else:
        net = built(arch, 7)
    path = ${JSON.stringify(dir)} + f"/{arch}.onnx"
    export_onnx(net, 1.3, ${T}, ${DIM}, path)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, ${T}, ${DIM}, generator=g)
    mask = torch.ones(3, ${T})
    mask[1, 70:] = 0
    mask[2, 33:] = 0
    x = x * mask.unsqueeze(2)
    with torch.no_grad():
        scores = torch.softmax(net(x, mask) / 1.3, 1)
        noisy = x.clone(); noisy[1, 70:] = 5 * torch.randn(${T} - 70, ${DIM}, generator=g)
        garbage = (torch.softmax(net(noisy, mask) / 1.3, 1) - scores).abs().max().item()
        # Cut to 80 frames (70 real): a multiple of the 16 frames one step of the last layer spans,
        # so the pools pair the same frames (the server's windows all have one length).
        short = torch.softmax(net(x[1:2, :80], mask[1:2, :80]) / 1.3, 1)
        shorter = (short - scores[1:2]).abs().max().item()
        # The same with the padding on the left (core/model/window.ts): 50 padded frames, then 18
        # (the first 32 cut, a multiple of 16 as above).
        left = torch.cat([torch.zeros(1, 50, ${DIM}), x[1:2, :70]], dim=1)
        left_mask = torch.cat([torch.zeros(1, 50), torch.ones(1, 70)], dim=1)
        base = torch.softmax(net(left, left_mask) / 1.3, 1)
        noisy_left = left.clone(); noisy_left[0, :50] = 5 * torch.randn(50, ${DIM}, generator=g)
        garbage_left = (torch.softmax(net(noisy_left, left_mask) / 1.3, 1) - base).abs().max().item()
        shorter_left = (torch.softmax(net(left[:, 32:], left_mask[:, 32:]) / 1.3, 1) - base).abs().max().item()
    out.append({"arch": arch, "exported": type(for_inference(net, ${T}, ${DIM})).__name__, "onnx": path, "x": x.flatten().tolist(), "mask": mask.flatten().tolist(), "batch": 3,
                "scores": scores.tolist(), "garbagePadding": garbage, "shorterPadding": shorter,
                "garbageLeftPadding": garbage_left, "shorterLeftPadding": shorter_left})
print(json.dumps(out))
`;
  const run = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`export failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '[]') as Exported[];
}

describe('2-D networks (nets.py): export, padding, learning', () => {
  const exported = exportNets();

  it.each(exported.map((e) => [e.arch, e] as const))('%s: onnxruntime gives PyTorch\'s scores (1e-4)', async (_arch, e) => {
    const session = await ort.InferenceSession.create(e.onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const out = await session.run({
      features: new ort.Tensor('float32', Float32Array.from(e.x), [e.batch, T, DIM]),
      mask: new ort.Tensor('float32', Float32Array.from(e.mask), [e.batch, T]),
    });
    const got = out.scores.data as Float32Array;
    const want = e.scores.flat();
    expect(got.length).toBe(want.length);
    const worst = Math.max(...want.map((v, i) => Math.abs(v - got[i])));
    expect(worst).toBeLessThan(1e-4);
    // Not a constant net: the three windows get different scores.
    expect(Math.abs(e.scores[0][0] - e.scores[1][0]) + Math.abs(e.scores[1][0] - e.scores[2][0])).toBeGreaterThan(1e-4);
  });

  it('exports a seed ensemble of stems as its members, side by side', () => {
    const ensemble = exported.find((e) => e.arch === 'stem2d-ensemble')!;
    // Fused into grouped 2-D convolutions, stems ran 18 % slower in onnxruntime: export.py keeps them apart.
    expect(ensemble.exported).toBe('Ensemble');
    expect(ensemble.scores).not.toEqual(exported.find((e) => e.arch === 'stem2d')!.scores);
  });

  it.each(['stem2d', 'crnn'])('%s cannot read what is in the padding, nor how long it is, on either side', (arch) => {
    const net = exported.find((e) => e.arch === arch)!;
    expect(net.garbagePadding).toBeLessThan(1e-6);
    expect(net.shorterPadding).toBeLessThan(1e-6);
    expect(net.garbageLeftPadding).toBeLessThan(1e-6);
    expect(net.shorterLeftPadding).toBeLessThan(1e-6);
  });

  it('passes --arch to the fit, and the stem learns a synthetic task through fit.py', async () => {
    expect(fitArgs({ arch: 'stem2d' })).toEqual(['--arch', 'stem2d']);
    const classes = ['neutral', 'happy', 'sad', 'angry'].map((l) => LABELS.indexOf(l));
    const rng = new Rng(11);
    const gauss = () => Math.sqrt(-2 * Math.log(Math.max(1e-9, rng.next()))) * Math.cos(2 * Math.PI * rng.next());
    const clips: SyntheticClip[] = Array.from({ length: 96 }, (_, k) => ({
      source: `synth/${k}.opus`, corpus: 'synth', speaker: `synth-${k % 4}`, label: classes[Math.floor(k / 4) % 4], part: k % 4 === 3 ? 'validation' : 'train',
    }));
    // MFCCs 1-4 hint the class under noise; the stem sees them as shapes across the log-mel bands.
    const bundle = writeSyntheticBundle(path.join(dir, 'bundle'), clips, (k, d) => (d >= 1 && d <= 4 ? (classes[d - 1] === clips[k].label ? 1 : 0) : 0) + 1.2 * gauss());
    const result = await runFit(bundle, path.join(dir, 'fit'), { arch: 'stem2d', epochs: 4, patience: 4, steps: 25, norm: 'global', augmented: false, specaugment: false, seed: 3, threads: 1 }, () => {});
    // Four classes: chance is 0.25.
    expect(result.best_val_score).toBeGreaterThan(0.6);
    const parity = JSON.parse(readFileSync(path.join(dir, 'fit', 'parity.json'), 'utf8')) as { windows: unknown[] };
    expect(parity.windows.length).toBeGreaterThan(0);
  });
});
