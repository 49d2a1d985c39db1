"""Teacher logits for distillation, per CV fold and for the shipped split, with no leak.

    flock /work/notes/heavy.lock /usr/bin/python3 training/teacher/soft_labels.py [--features emb] [--head chosen|linear|mlp] [--out DIR]

Reads the head choices of probe.py (DIR/probe-<features>.json; made on validation speakers) and
writes DIR/soft/<fold>.json = {labels, sources, logits, parts, head, val_uar, oof_uar}:
- training-speaker clips: CROSS-FITTED logits. The fold's training speakers are dealt into 5
  speaker-disjoint groups; a head fitted on 4 (standardised with their statistics, cell-weighted)
  labels the 5th. Why: a head that saw a clip (or its speaker) gives it a confident, correct soft
  label the student could not earn on a new voice; distilling that would teach memorisation.
- validation-speaker clips: logits of the head fitted on all training speakers (the student uses
  them for early stopping / temperature, never for gradient steps on test data).
- test speakers: nothing, ever.
`logits` are raw (temperature 1) pre-softmax scores in `labels` order; `oof_uar` is the UAR of
the cross-fitted logits on the training clips, i.e. how good the soft labels the student sees are.
"""
import argparse
import json
import os
import time

import numpy as np
import torch

from heads import LABELS, TEACHER_DIR, Clips, cell_weights, fit_head, speaker_groups, standardiser, uar
from probe import PLAN, load_folds

K = 5


def fitted(kind, params, clips, rows, seed=0):
    std = standardiser(clips.x[rows])
    head = fit_head(kind, params, std(clips.x[rows]), clips.y[rows], cell_weights(clips.corpus[rows], clips.y[rows]), seed)
    return lambda r: head(std(clips.x[r]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--plan', default=PLAN)
    ap.add_argument('--dir', default=TEACHER_DIR)
    ap.add_argument('--features', default='emb', choices=['emb', 'emb+audioset', 'layers'])
    ap.add_argument('--head', default='chosen', choices=['chosen', 'linear', 'mlp'])
    ap.add_argument('--only', default='', help='comma-separated fold names (default: all)')
    ap.add_argument('--out', default='', help='output folder (default DIR/soft); a refit goes elsewhere while a run reads soft/')
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.time()
    clips = Clips(a.dir, a.features)
    corpus_of = dict(zip(clips.speaker, clips.corpus))
    choices = json.load(open(os.path.join(a.dir, f'probe-{a.features}.json')))['folds']
    out_dir = a.out or os.path.join(a.dir, 'soft')
    os.makedirs(out_dir, exist_ok=True)
    for fold in load_folds(a.plan, a.dir):
        if a.only and fold['name'] not in a.only.split(','):
            continue
        c = choices[fold['name']]
        kind = c['chosen'] if a.head == 'chosen' else a.head
        params = c[kind]['params']
        assert not set(fold['test']) & (set(fold['train']) | set(fold['validation'])), fold['name']
        tr, va = clips.rows(fold['train']), clips.rows(fold['validation'])
        logits = np.zeros((len(clips.y), len(LABELS)), np.float32)
        for i, held in enumerate(speaker_groups(fold['train'], corpus_of, K)):
            out_rows, in_rows = clips.rows(held), np.setdiff1d(tr, clips.rows(held))
            logits[out_rows] = fitted(kind, params, clips, in_rows, seed=i + 1)(out_rows)
        logits[va] = fitted(kind, params, clips, tr)(va)
        rows = np.concatenate([tr, va])
        oof_uar, val_uar = uar(clips.y[tr], logits[tr].argmax(1)), uar(clips.y[va], logits[va].argmax(1))
        doc = {
            'labels': LABELS,
            'sources': [clips.sources[r] for r in rows],
            'logits': [[round(float(v), 4) for v in logits[r]] for r in rows],
            'parts': ['train'] * len(tr) + ['validation'] * len(va),
            'head': f"mn04 frozen ({a.features}) + {kind} {json.dumps(params, sort_keys=True)}, chosen on validation speakers; "
                    f"train logits cross-fitted over {K} speaker-disjoint groups, validation from the all-train head",
            'val_uar': val_uar,
            'oof_uar': oof_uar,
        }
        path = os.path.join(out_dir, f"{fold['name']}.json")
        with open(path + '.tmp', 'w') as f:
            json.dump(doc, f)
        os.replace(path + '.tmp', path)
        print(f"{fold['name']:<15} {kind:<6} train {len(tr)} (cross-fitted UAR {oof_uar:.3f}), validation {len(va)} "
              f"(UAR {val_uar:.3f}) -> {path}  ({time.time() - t0:.0f} s)", flush=True)
    print(f'soft_labels: {time.time() - t0:.0f} s; load {" ".join(f"{v:.2f}" for v in os.getloadavg())}')


if __name__ == '__main__':
    main()
