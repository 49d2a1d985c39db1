"""What one training epoch draws: which clips (balanced), which window of each, which session history."""
import random

import numpy as np


def balance_weights(corpora, labels, balance):
    """Sampling (or loss) weight of each clip, summing to 1, from its corpus and class.

    class: every class equally often (calm exists in two corpora, nEMO floods the rest).
    corpus-class: a class uniformly, then a corpus holding it uniformly, then a clip of that
    (corpus, class): no corpus dominates a class because it recorded more of it. The student's
    sampler uses this.
    cell: every (corpus, class) cell present equally, so a class held by more corpora weighs more
    in total. The teacher heads (training/teacher/heads.py) were fitted with this.
    none: uniform over clips.
    """
    labels = np.asarray(labels)
    cell = {}
    for c, l in zip(corpora, labels):
        cell[(c, l)] = cell.get((c, l), 0) + 1
    if balance == "none":
        w = np.ones(len(labels))
    elif balance == "class":
        counts = np.bincount(labels).astype(np.float64)
        w = 1.0 / counts[labels]
    elif balance == "corpus-class":
        holders = {}
        for (c, l) in cell:
            holders[l] = holders.get(l, 0) + 1
        w = np.array([1.0 / (holders[l] * cell[(c, l)]) for c, l in zip(corpora, labels)])
    elif balance == "cell":
        w = np.array([1.0 / cell[(c, l)] for c, l in zip(corpora, labels)])
    else:
        raise ValueError(f"unknown balance {balance}")
    return w / w.sum()


class Sampler:
    def __init__(self, bundle, train_ids, balance, jitter, history_prob, history_max, seed):
        self.bundle = bundle
        self.train_ids = train_ids
        self.weights = balance_weights([bundle.corpus[i] for i in train_ids], bundle.label[train_ids], balance)
        self.jitter = jitter
        self.points = {int(i): bundle.label_points(int(i)) for i in train_ids}
        # Session history: originals of the same speaker among the training clips.
        self.by_speaker = {}
        for i in train_ids:
            if bundle.is_orig[i]:
                self.by_speaker.setdefault(bundle.speaker[i], []).append(int(i))
        self.history_prob = history_prob
        self.history_max = history_max
        self.rng = np.random.default_rng(seed)
        self.py = random.Random(seed)

    def epoch(self, count):
        return self.rng.choice(self.train_ids, size=count, p=self.weights)

    def window_end(self, i):
        e = self.py.choice(self.points[int(i)]) + self.py.randint(-self.jitter, self.jitter)
        return min(max(e, 1), int(self.bundle.frames[i]))

    def history(self, i):
        """Earlier clips of the same speaker heard in the same session (none with 1 - history_prob)."""
        if self.history_max <= 0 or self.py.random() >= self.history_prob:
            return ()
        own = self.by_speaker.get(self.bundle.speaker[i], [])
        src = self.bundle.source[i]
        pool = [h for h in own if self.bundle.source[h] != src]
        if not pool:
            return ()
        k = self.py.randint(1, min(self.history_max, len(pool)))
        return self.py.sample(pool, k)
