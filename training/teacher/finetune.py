"""mn04 fine-tuned end to end on our folds: how far the pretrained network goes when it may learn.

    flock /work/notes/heavy.lock /usr/bin/python3 training/teacher/finetune.py \
        --plan /work/cache/work/cv-bundle-e71a49283683/plan.json --group nested [--jobs 2] [--only FOLD,...]

The issue's lever "pretrained front ends: frozen embeddings + head first, then fine-tuning". The
frozen probe (probe.py) measured the first half; this measures the second on the same plan:
- per fold, the AudioSet checkpoint with its last layer replaced by 8 emotion outputs, trained on
  the fold's training speakers (the student's corpus-class balanced sampling), the epoch chosen by
  UAR on the fold's validation speakers, then scored on its test speakers (for `nested` folds the
  held-out validation corpus, what choices between recipes are made on);
- inputs: EfficientAT's log-mel of the trimmed 16 kHz clips upsampled to 32 kHz (computed once,
  cached as float16 in DIR/logmel.f16);
- no model may read a clip's length or padding (the ASED caveat): a step draws 32 clips, sorts
  them by length and trains on two groups of 16, each cropped at random to the shortest clip in
  its group (at most 3 s), so no input is padded; scoring uses each whole clip alone;
- `--probe-epochs N` first fits the new layer alone on the frozen network (LP-FT), and
  `--frozen-bn` keeps BatchNorm on its AudioSet statistics while fine-tuning.
Measured (docs/accuracy.md, "mn04 fine-tuned end to end"): neither recipe beat the 1-D student
on held-out corpora.
Writes DIR/finetune/<tag>/results.json (per fold: chosen epoch, validation and test UAR, per-epoch
validation curve) and, per fold, <fold>.json in the soft-label format of soft_labels.py (logits of
the chosen epoch for training and validation clips; NOT cross-fitted: the network saw those clips)
for a later distillation experiment. Test clips' logits are never written.
"""
import argparse
import json
import math
import multiprocessing as mp
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from heads import LABELS, TEACHER_DIR, ClipIndex, uar  # noqa: E402
from heap import keep_freed_memory  # noqa: E402  (heads.py put training/fit on the path)
from mn04 import LogMel, length_weighted_chunks, load_mn04, upsample_2x  # noqa: E402
from sampler import balance_weights  # noqa: E402  (heads.py put training/fit on the path)

CROP_FRAMES = 300  # 3 s at EfficientAT's 10 ms hop
SCORE_CHUNK = 1000  # frames per forward pass when scoring a whole clip (10 s, as embed.py)


def mel_cache(teacher_dir, clips, workers):
    """float16 log-mel (128 x frames) of every clip of `clips` (a ClipIndex), computed once:
    (memmap, offsets, frames)."""
    path, meta_path = os.path.join(teacher_dir, 'logmel.f16'), os.path.join(teacher_dir, 'logmel.json')
    samples = [n for _, n in clips.pcm_spans]
    meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
    # Same clips with the same lengths: a pcm.i16 rewritten with another trim is a new cache.
    if meta.get('sources') != clips.sources or meta.get('samples') != samples:
        t0 = time.time()
        chunks, offsets, frames, at = [], [], [], 0
        with mp.get_context('fork').Pool(workers, _init_mel, (os.path.join(teacher_dir, 'pcm.i16'),)) as pool:
            for i, m in enumerate(pool.imap(_mel_span, clips.pcm_spans, chunksize=16)):
                chunks.append(m)
                offsets.append(at)
                frames.append(m.shape[1])
                at += m.shape[1]
                if (i + 1) % 2000 == 0 or i + 1 == len(samples):
                    print(f'log-mel: {i + 1}/{len(samples)} clips, {time.time() - t0:.0f} s, load {os.getloadavg()[0]:.2f}', flush=True)
        np.concatenate(chunks, axis=1).astype(np.float16).tofile(path)
        meta = {'sources': clips.sources, 'samples': samples, 'offsets': offsets, 'frames': frames}
        json.dump(meta, open(meta_path, 'w'))
    return np.memmap(path, dtype=np.float16, mode='r').reshape(128, -1), np.array(meta['offsets']), np.array(meta['frames'])


_mel_worker = {}


def _init_mel(pcm_path):
    torch.set_num_threads(1)
    _mel_worker.update(front=LogMel(), pcm=np.memmap(pcm_path, dtype=np.int16, mode='r'))


def _mel_span(span):
    offset, samples = span
    x = torch.from_numpy(_mel_worker['pcm'][offset:offset + samples].astype(np.float32) / 32768.0)
    with torch.no_grad():
        return _mel_worker['front'](upsample_2x(x)[None])[0].numpy().astype(np.float16)


class Data(ClipIndex):
    """Clips of index.json with their log-mel rows (a memmap shared by fork)."""

    def __init__(self, teacher_dir, workers):
        super().__init__(teacher_dir)
        self.mel, self.offsets, self.frames = mel_cache(teacher_dir, self, workers)

    def clip(self, r):
        return self.mel[:, self.offsets[r]:self.offsets[r] + self.frames[r]]


def spec_augment(x, rng, freq_max=24, time_max=40):
    """One band of mel bins and one stretch of frames set to 0 per clip (EfficientAT masks its
    normalised log-mel the same way), training only."""
    b, n_mels, t = x.shape
    for i in range(b):
        f = int(rng.integers(0, freq_max + 1))
        f0 = int(rng.integers(0, n_mels - f + 1))
        x[i, f0:f0 + f] = 0
        w = int(rng.integers(0, min(time_max, t // 4) + 1))
        t0 = int(rng.integers(0, t - w + 1))
        x[i, :, t0:t0 + w] = 0
    return x


def crops(data, rows, rng):
    """Each clip cropped at random to the group's shortest length (<= 3 s): nothing padded."""
    n = min(CROP_FRAMES, int(data.frames[rows].min()))
    out = np.empty((len(rows), 128, n), np.float32)
    for i, r in enumerate(rows):
        start = int(rng.integers(0, data.frames[r] - n + 1))
        out[i] = data.clip(r)[:, start:start + n]
    return torch.from_numpy(out)


def score(net, data, rows):
    """Logits of whole clips, one at a time (long clips in 10 s chunks, averaged by length)."""
    net.eval()
    out = np.zeros((len(rows), len(LABELS)), np.float32)
    with torch.no_grad():
        for i, r in enumerate(rows):
            m = torch.from_numpy(np.asarray(data.clip(r), dtype=np.float32))
            (out[i],) = length_weighted_chunks(m.shape[1], SCORE_CHUNK, 10, lambda start, stop: (net(m[None, :, start:stop])[0][0],))
    return out


def build_net():
    net = load_mn04()
    hidden = net.classifier[-1].in_features
    net.classifier[-1] = nn.Linear(hidden, len(LABELS))  # the AudioSet classes' layer replaced
    return net


def train_stage(net, groups, epochs, first_epoch, a, data, rows, log, best, frozen_backbone=False):
    """`epochs` epochs of `a.steps` steps (10 % warm-up, then cosine), UAR on the validation
    speakers after each; `best` keeps the state of the best epoch so far. With frozen_backbone the
    pretrained layers stay in eval mode (their BatchNorm statistics untouched): a linear probe."""
    tr, va, w, rng = rows['train'], rows['validation'], rows['weights'], rows['rng']
    opt = torch.optim.AdamW(groups, weight_decay=a.weight_decay)
    total, warm = epochs * a.steps, max(1, epochs * a.steps // 10)
    base = [g['lr'] for g in opt.param_groups]
    for epoch in range(first_epoch, first_epoch + epochs):
        net.eval() if frozen_backbone else net.train()
        if a.frozen_bn:
            # BatchNorm on running (AudioSet) statistics: in train mode it would normalise by each
            # batch of 16 crops instead, and a head fitted on the frozen network (LP-FT) would see
            # different features the moment fine-tuning starts (measured: loss 1.63 -> 2.22).
            for m in net.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        losses = []
        for step in range(a.steps):
            k = (epoch - first_epoch) * a.steps + step
            scale = (k + 1) / warm if k < warm else 0.5 * (1 + math.cos(math.pi * (k - warm) / max(1, total - warm)))
            for g, b in zip(opt.param_groups, base):
                g['lr'] = b * scale
            drawn = tr[rng.choice(len(tr), size=2 * a.batch, p=w)]
            drawn = drawn[np.argsort(data.frames[drawn], kind='stable')]
            opt.zero_grad()
            for group in (drawn[:a.batch], drawn[a.batch:]):
                x = spec_augment(crops(data, group, rng), rng)
                loss = F.cross_entropy(net(x)[0], torch.from_numpy(data.y[group])) / 2
                loss.backward()
                losses.append(float(loss) * 2)
            opt.step()
        v = float(uar(data.y[va], score(net, data, va).argmax(1)))
        best['curve'].append(round(v, 4))
        if 'val_uar' not in best or v > best['val_uar']:
            best.update(epoch=epoch, val_uar=v, state={k: t.clone() for k, t in net.state_dict().items()})
        log(f"{rows['name']:<28} {'probe' if frozen_backbone else 'epoch'} {epoch}: loss {np.mean(losses):.3f}, validation UAR {v:.3f}"
            f"{' (best)' if best['epoch'] == epoch else ''}, {time.time() - rows['t0']:.0f} s, load {os.getloadavg()[0]:.2f}")


def finetune_fold(fold, a, data, log):
    torch.manual_seed(a.seed)
    tr, va, te = data.rows(fold['train']), data.rows(fold['validation']), data.rows(fold['test'])
    assert not set(fold['test']) & (set(fold['train']) | set(fold['validation'])), fold['name']
    rows = {'name': fold['name'], 'train': tr, 'validation': va, 't0': time.time(), 'rng': np.random.default_rng(a.seed),
            'weights': balance_weights(list(data.corpus[tr]), data.y[tr], 'corpus-class')}
    net = build_net()
    new = list(net.classifier[-1].parameters())
    new_ids = {id(p) for p in new}
    pretrained = [p for p in net.parameters() if id(p) not in new_ids]
    best = {'curve': []}
    t0 = rows['t0']
    if a.probe_epochs:
        # LP-FT (Kumar et al., 2022, "Fine-tuning can distort pretrained features and underperform
        # out-of-distribution"): fit the new layer on the frozen network first, so that fine-tuning
        # starts from a head that already fits and the gradients of a random head do not reshape
        # the pretrained features; then everything at one learning rate.
        for p in pretrained:
            p.requires_grad_(False)
        train_stage(net, [{'params': new, 'lr': a.probe_lr}], a.probe_epochs, 1, a, data, rows, log, best, frozen_backbone=True)
        for p in pretrained:
            p.requires_grad_(True)
        groups = [{'params': pretrained, 'lr': a.lr}, {'params': new, 'lr': a.lr}]
    else:
        groups = [{'params': pretrained, 'lr': a.lr}, {'params': new, 'lr': a.lr * 10}]
    train_stage(net, groups, a.epochs, a.probe_epochs + 1, a, data, rows, log, best)
    curve = best['curve']
    net.load_state_dict(best['state'])
    test_uar = float(uar(data.y[te], score(net, data, te).argmax(1)))
    kept = np.concatenate([tr, va])
    logits = score(net, data, kept)
    doc = {
        'labels': LABELS,
        'sources': [data.sources[r] for r in kept],
        'logits': [[round(float(v), 4) for v in row] for row in logits],
        'parts': ['train'] * len(tr) + ['validation'] * len(va),
        'head': f"mn04 fine-tuned end to end (finetune.py, {'BatchNorm statistics frozen, ' if a.frozen_bn else ''}{f'linear probe {a.probe_epochs} epochs at {a.probe_lr}, then ' if a.probe_epochs else ''}"
                f"lr {a.lr}, {a.epochs} x {a.steps} steps of {2 * a.batch} clips), "
                f"epoch {best['epoch']} chosen on validation speakers; training logits NOT cross-fitted",
        'val_uar': best['val_uar'],
    }
    path = os.path.join(a.out, f"{fold['name']}.json")
    with open(path + '.tmp', 'w') as f:
        json.dump(doc, f)
    os.replace(path + '.tmp', path)
    result = {'group': fold['group'], 'n': [len(tr), len(va), len(te)], 'epoch': best['epoch'], 'val_uar': best['val_uar'],
              'test_uar': test_uar, 'curve': curve, 'minutes': round((time.time() - t0) / 60, 1)}
    log(f"{fold['name']:<28} chose epoch {best['epoch']} (validation UAR {best['val_uar']:.3f}); test UAR {test_uar:.3f}; "
        f"{result['minutes']} min")
    return fold['name'], result


_fold_ctx = {}


def _run_fold(fold):
    torch.set_num_threads(_fold_ctx['a'].threads)
    return finetune_fold(fold, _fold_ctx['a'], _fold_ctx['data'], lambda s: print(s, flush=True))


def print_table(results):
    print('\n| fold | epochs (chosen) | validation speakers UAR % | test UAR % | minutes |')
    print('|---|---:|---:|---:|---:|')
    for name, r in results.items():
        print(f"| {name} | {len(r['curve'])} ({r['epoch']}) | {100 * r['val_uar']:.1f} | {100 * r['test_uar']:.1f} | {r['minutes']} |")
    for group, label in (('nested', 'validation corpora (nested) mean'), ('loco', 'LOCO mean'), ('ravdess', 'RAVDESS folds mean')):
        rs = {n: r for n, r in results.items() if r['group'] == group}
        if not rs:
            continue
        print(f"| **{label}** | | {100 * np.mean([r['val_uar'] for r in rs.values()]):.2f} | "
              f"{100 * np.mean([r['test_uar'] for r in rs.values()]):.2f} | |")
        if group == 'nested':
            without = [r['test_uar'] for n, r in rs.items() if not n.startswith('nested-tess-')]
            print(f'| **validation corpora without TESS** | | | {100 * np.mean(without):.2f} | |')


def main():
    keep_freed_memory()
    ap = argparse.ArgumentParser()
    ap.add_argument('--plan', required=True, help='a CV bundle plan.json (the folds and their speakers)')
    ap.add_argument('--dir', default=TEACHER_DIR)
    ap.add_argument('--group', default='nested', help='fold groups to run (comma-separated)')
    ap.add_argument('--only', default='', help='comma-separated fold names')
    ap.add_argument('--tag', default='ft')
    ap.add_argument('--epochs', type=int, default=6)
    ap.add_argument('--steps', type=int, default=200, help='optimizer steps per epoch (each 2 x --batch clips)')
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--lr', type=float, default=1e-4, help='backbone learning rate (the new output layer: 10x)')
    ap.add_argument('--weight-decay', type=float, default=1e-3)
    ap.add_argument('--probe-epochs', type=int, default=0, help='LP-FT: epochs fitting the new layer alone on the frozen network first')
    ap.add_argument('--probe-lr', type=float, default=1e-3, help='learning rate of that linear probe')
    ap.add_argument('--frozen-bn', action='store_true', help='BatchNorm keeps its AudioSet running statistics while fine-tuning')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--jobs', type=int, default=1, help='folds fitted side by side')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--table', action='store_true', help='print the table of an earlier run and exit')
    a = ap.parse_args()
    a.out = os.path.join(a.dir, 'finetune', a.tag)
    os.makedirs(a.out, exist_ok=True)
    results_path = os.path.join(a.out, 'results.json')
    results = json.load(open(results_path))['folds'] if os.path.exists(results_path) else {}
    if a.table:
        return print_table(results)
    t0 = time.time()
    groups = set(a.group.split(','))
    folds = [f for f in json.load(open(a.plan))['folds'] if f['group'] in groups and (not a.only or f['name'] in a.only.split(','))]
    data = Data(a.dir, max(a.jobs, 1))
    print(f'finetune: {len(folds)} folds, ' + (f'linear probe {a.probe_epochs} epochs at {a.probe_lr}, then ' if a.probe_epochs else '')
          + f'{a.epochs} epochs x {a.steps} steps x {2 * a.batch} clips, lr {a.lr}, '
          f'{a.jobs} jobs x {a.threads} threads; log-mel ready after {time.time() - t0:.0f} s', flush=True)
    _fold_ctx.update(a=a, data=data)
    with mp.get_context('fork').Pool(a.jobs) as pool:
        for name, r in pool.imap_unordered(_run_fold, folds):
            results[name] = r
            json.dump({'plan': a.plan, 'args': {k: v for k, v in vars(a).items() if k != 'table'}, 'folds': results},
                      open(results_path, 'w'), indent=1)
    print_table(results)
    print(f'finetune: {(time.time() - t0) / 60:.1f} min; results in {results_path}; '
          f'load {" ".join(f"{v:.2f}" for v in os.getloadavg())}')


if __name__ == '__main__':
    main()
