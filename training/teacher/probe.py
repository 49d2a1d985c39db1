"""Frozen mn04 + a head, on our CV folds: choose the head on validation speakers, report test UAR.

    flock /work/notes/heavy.lock /usr/bin/python3 training/teacher/probe.py \
        [--plan DIR/plan-nested-ravdess.json] [--features emb|emb+audioset|speech] [--heads linear,mlp]

The plan is a CV run's folds: cv-bundle-KEY/plan.json of that run, or, before the run has built its
bundle, `node dist/training/teacher/cv-plan.js --cv nested,ravdess` (same folds and speakers).

Folds: the CV plan's 13 (7 leave-one-corpus-out, 6 RAVDESS actor groups; speaker ids per part),
plus the shipped model's split (ship-split.json from dist/training/teacher/ship-split.js).
Per fold: embeddings standardised with training-speaker statistics; each (corpus, class) cell of
the training speakers weighs the same in the loss; L2 (linear) or weight decay and epoch count
(MLP) chosen by UAR on the fold's validation speakers, and so is linear vs MLP. Test UAR is
file-mode UAR as training/fit/loop.py's uar(): recall averaged over the classes present in the
test truth, prediction the argmax over all 8 classes. Test speakers are never used to choose.
Writes DIR/probe-<features>.json (the choices, read by soft_labels.py) and prints the table.
"""
import argparse
import json
import os
import time

import numpy as np
import torch

from heads import TEACHER_DIR, Clips, cell_weights, fit_linear, fit_mlp, standardiser, uar

PLAN = os.path.join(TEACHER_DIR, 'plan-nested-ravdess.json')  # written by dist/training/teacher/cv-plan.js
L2_GRID = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
MLP_GRID = [{'hidden': 128, 'wd': 1e-1}]  # wd 0.1 won over 0.01 on loco-ased validation; one setting keeps a fold under 40 s
MLP_EPOCHS = 25


def load_folds(plan_path, teacher_dir):
    folds = json.load(open(plan_path))['folds']
    ship = os.path.join(teacher_dir, 'ship-split.json')
    if os.path.exists(ship):
        folds.append(json.load(open(ship)))
    return folds


def choose_linear(xtr, ytr, w, xva, yva):
    best, prev = None, None
    for l2 in sorted(L2_GRID, reverse=True):  # strong to weak L2, each fit warm-started from the last
        prev = fit_linear(xtr, ytr, w, l2, init=prev)
        v = uar(yva, prev(xva).argmax(1))
        if best is None or v > best['val_uar']:
            best = {'l2': l2, 'val_uar': v}
    return best


def choose_mlp(xtr, ytr, w, xva, yva):
    best = None
    for cfg in MLP_GRID:
        def score(ep, predict, cfg=cfg):
            nonlocal best
            v = uar(yva, predict(xva).argmax(1))
            if best is None or v > best['val_uar']:
                best = {**cfg, 'epochs': ep, 'val_uar': v}
        fit_mlp(xtr, ytr, w, cfg['wd'], MLP_EPOCHS, hidden=cfg['hidden'], on_epoch=score)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--plan', default=PLAN)
    ap.add_argument('--dir', default=TEACHER_DIR)
    ap.add_argument('--features', default='emb', choices=['emb', 'emb+audioset', 'layers', 'speech'])
    ap.add_argument('--heads', default='linear,mlp')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--table', action='store_true', help='print the table of DIR/probe-<features>.json and exit')
    a = ap.parse_args()
    if a.table:
        results = json.load(open(os.path.join(a.dir, f'probe-{a.features}.json')))['folds']
        return print_table(results, [k for k in ('linear', 'mlp') if all(k in r for r in results.values())])
    torch.set_num_threads(a.threads)
    t0 = time.time()
    clips = Clips(a.dir, a.features)
    kinds = a.heads.split(',')
    out = os.path.join(a.dir, f'probe-{a.features}.json')
    # Heads measured by an earlier run (e.g. linear first, to deliver soft labels early) are kept,
    # and the choice between kinds is remade on validation UAR over all of them.
    results = json.load(open(out))['folds'] if os.path.exists(out) else {}
    for fold in load_folds(a.plan, a.dir):
        tr, va, te = clips.rows(fold['train']), clips.rows(fold['validation']), clips.rows(fold['test'])
        std = standardiser(clips.x[tr])
        xtr, xva, xte = std(clips.x[tr]), std(clips.x[va]), std(clips.x[te])
        ytr, yva, yte = clips.y[tr], clips.y[va], clips.y[te]
        w = cell_weights(clips.corpus[tr], ytr)
        r = results.get(fold['name'], {'group': fold['group'], 'n': [len(tr), len(va), len(te)]})
        for kind in kinds:
            choice = (choose_linear if kind == 'linear' else choose_mlp)(xtr, ytr, w, xva, yva)
            params = {k: v for k, v in choice.items() if k != 'val_uar'}
            head = fit_linear(xtr, ytr, w, params['l2']) if kind == 'linear' else \
                fit_mlp(xtr, ytr, w, params['wd'], params['epochs'], hidden=params['hidden'])
            r[kind] = {'params': params, 'val_uar': choice['val_uar'], 'test_uar': uar(yte, head(xte).argmax(1))}
        r['chosen'] = max((k for k in ('linear', 'mlp') if k in r), key=lambda k: r[k]['val_uar'])
        results[fold['name']] = r
        print(f"{fold['name']:<15} " + '  '.join(f"{k} val {r[k]['val_uar']:.3f} test {r[k]['test_uar']:.3f} {r[k]['params']}" for k in kinds)
              + f"  -> {r['chosen']}  ({time.time() - t0:.0f} s)", flush=True)
    json.dump({'features': a.features, 'plan': a.plan, 'folds': results}, open(out, 'w'), indent=1)
    print_table(results, [k for k in ('linear', 'mlp') if all(k in r for r in results.values())])
    print(f'probe: {time.time() - t0:.0f} s; choices in {out}; load {" ".join(f"{v:.2f}" for v in os.getloadavg())}')


def print_table(results, kinds):
    cols = [f'{k} val' for k in kinds] + [f'{k} test' for k in kinds] + ['chosen', 'chosen test']
    print('\n| fold | ' + ' | '.join(cols) + ' |')
    print('|' + '---|' * (len(cols) + 1))
    pct = lambda v: f'{100 * v:.1f}'  # noqa: E731
    for name, r in results.items():
        row = [pct(r[k]['val_uar']) for k in kinds] + [pct(r[k]['test_uar']) for k in kinds]
        row += [r['chosen'], pct(r[r['chosen']]['test_uar'])]
        print(f'| {name} | ' + ' | '.join(row) + ' |')
    for group, label in (('nested', 'validation corpus (nested) mean'), ('loco', 'LOCO mean'), ('ravdess', 'RAVDESS folds mean')):
        rs = [r for r in results.values() if r['group'] == group]
        if not rs:
            continue
        mean = lambda f: pct(np.mean([f(r) for r in rs]))  # noqa: E731
        row = [mean(lambda r, k=k: r[k]['val_uar']) for k in kinds] + [mean(lambda r, k=k: r[k]['test_uar']) for k in kinds]
        row += ['', mean(lambda r: r[r['chosen']]['test_uar'])]
        print(f'| **{label}** | ' + ' | '.join(row) + ' |')


if __name__ == '__main__':
    main()
