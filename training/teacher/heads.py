"""Heads on frozen mn04 embeddings: the data they see, how they are weighted, fitted and scored.

Shared by probe.py (choose and measure a head per fold) and soft_labels.py (cross-fitted teacher
logits). Nothing here chooses anything: choices are made on validation speakers by the callers.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fit'))
from loop import uar  # noqa: E402,F401  (one definition of UAR: the CV harness's)
from sampler import balance_weights  # noqa: E402  (one definition of class/corpus balance)

LABELS = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised']
TEACHER_DIR = os.environ.get('UNDERTONE_TEACHER', '/work/cache/teacher')


class ClipIndex:
    """Each clip's source, corpus, speaker and label, in the order of dump-pcm's index.json."""

    def __init__(self, teacher_dir=TEACHER_DIR):
        index = json.load(open(os.path.join(teacher_dir, 'index.json')))['clips']
        self.sources = [c['source'] for c in index]
        self.corpus = np.array([c['corpus'] for c in index])
        self.speaker = np.array([c['speaker'] for c in index])
        self.y = np.array([LABELS.index(c['emotion']) for c in index])
        # Where each clip's trimmed 16 kHz samples sit in pcm.i16: (offset, samples).
        self.pcm_spans = [(c['offset'], c['samples']) for c in index]

    def rows(self, speakers):
        return np.flatnonzero(np.isin(self.speaker, list(speakers)))


class Clips(ClipIndex):
    """Embeddings of the clips of index.json (one row per clip, in its order)."""

    def __init__(self, teacher_dir=TEACHER_DIR, features='emb'):
        super().__init__(teacher_dir)
        if features == 'speech':  # Google's speech embedding, pooled per clip (embed-speech.ts)
            meta = json.load(open(os.path.join(teacher_dir, 'speech-emb.json')))
            sources, dim = meta['sources'], meta['dim']
            parts = [np.fromfile(os.path.join(teacher_dir, 'speech-emb.f32'), dtype=np.float32).reshape(-1, dim)]
            rerun = 'node dist/training/teacher/embed-speech.js'
        elif features == 'layers':  # mn04, statistics of several depths (embed.py --layers)
            sources = json.load(open(os.path.join(teacher_dir, 'emb-layers-sources.json')))
            parts = [np.load(os.path.join(teacher_dir, 'emb-layers.npy'))]
            rerun = 'embed.py --layers'
        else:  # mn04 (embed.py)
            sources = json.load(open(os.path.join(teacher_dir, 'emb-sources.json')))
            parts = [np.load(os.path.join(teacher_dir, 'emb.npy'))]
            if features == 'emb+audioset':
                parts.append(np.load(os.path.join(teacher_dir, 'audioset.npy')))
            rerun = 'embed.py'
        if sources != self.sources:
            raise SystemExit(f'{teacher_dir}: the embeddings are not in index.json order; rerun {rerun}')
        self.x = np.concatenate(parts, 1).astype(np.float32)


def cell_weights(corpus, y):
    """Each (corpus, class) cell present gets the same total weight (the student's sampler
    balances a class first, then the corpora holding it: sampler.balance_weights says how they
    differ; the probe figures in docs/accuracy.md were measured with this one). Why: a corpus with
    4481 files (nEMO) must not outvote one with 190 (CREMA-D subset), nor a frequent class a rare
    one, in the head's loss."""
    return balance_weights(list(corpus), np.asarray(y), "cell").astype(np.float32)


def standardiser(x):
    """Mean and std of the training speakers' embeddings (applied to every other part)."""
    mu, sd = x.mean(0), x.std(0)
    return lambda z: (z - mu) / np.maximum(sd, 1e-6)


def fit_linear(x, y, w, l2, iters=200, init=None):
    """Multinomial logistic regression, weighted, L2 on the weights (not the bias), by L-BFGS.
    init: a previous fit's predict function (its .lin), to warm-start along an L2 path."""
    X, Y, W = torch.from_numpy(x), torch.from_numpy(y).long(), torch.from_numpy(w)
    lin = torch.nn.Linear(x.shape[1], len(LABELS))
    if init is not None:
        lin.load_state_dict(init.lin.state_dict())
    else:
        torch.nn.init.zeros_(lin.weight)
        torch.nn.init.zeros_(lin.bias)
    opt = torch.optim.LBFGS(lin.parameters(), lr=1, max_iter=iters, history_size=20, tolerance_grad=1e-6,
                            tolerance_change=1e-9, line_search_fn='strong_wolfe')

    def closure():
        opt.zero_grad()
        loss = (F.cross_entropy(lin(X), Y, reduction='none') * W).sum() + l2 * (lin.weight ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    lin.eval()

    def predict(z):
        with torch.no_grad():
            return lin(torch.from_numpy(z)).numpy()
    predict.lin = lin
    return predict


def fit_mlp(x, y, w, wd, epochs, hidden=256, dropout=0.3, seed=0, on_epoch=None, batch=512):
    """One hidden layer (ReLU, dropout), AdamW, minibatches drawn by the cell weights (so each
    batch is balanced), `epochs` passes of len(x) draws. on_epoch(epoch, predict) lets the caller
    score validation speakers after each epoch to choose the epoch count."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(),
                              torch.nn.Dropout(dropout), torch.nn.Linear(hidden, len(LABELS)))
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=wd)
    X, Y = torch.from_numpy(x), torch.from_numpy(y).long()
    probs = torch.from_numpy(w).double()

    def predict(z):
        net.eval()
        with torch.no_grad():
            out = net(torch.from_numpy(z)).numpy()
        net.train()
        return out

    for ep in range(1, epochs + 1):
        net.train()
        idx = torch.multinomial(probs, len(x), replacement=True, generator=g)
        for s in range(0, len(idx), batch):
            b = idx[s:s + batch]
            loss = F.cross_entropy(net(X[b]), Y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
        if on_epoch:
            on_epoch(ep, predict)
    return predict


def fit_head(kind, params, x, y, w, seed=0):
    """A fitted head (a function embeddings -> logits) from a choice recorded by probe.py."""
    if kind == 'linear':
        return fit_linear(x, y, w, params['l2'])
    return fit_mlp(x, y, w, params['wd'], params['epochs'], hidden=params['hidden'], seed=seed)


def speaker_groups(speakers, corpus_of, k=5, seed=0):
    """k speaker-disjoint groups for cross-fitting: each corpus's speakers shuffled, then dealt
    round-robin (one counter across corpora) so every group mixes corpora and sizes stay even."""
    rng = np.random.default_rng(seed)
    groups = [[] for _ in range(k)]
    turn = 0
    for c in sorted({corpus_of[s] for s in speakers}):
        own = sorted(s for s in speakers if corpus_of[s] == c)
        for s in rng.permutation(own):
            groups[turn % k].append(str(s))
            turn += 1
    return groups
