"""Teacher scores for distillation (training/teacher/ writes them): per bundle clip, the teacher's
probabilities at the distillation temperature.

A teacher file is JSON {"labels": [...], "sources": [...], "logits": [[...], ...]}: one row per
corpus clip (by its manifest path), so a clip's augmented copies share their original's scores.
The teacher's logits for a training clip must not come from a head that saw that clip (they are
cross-fitted over training speakers by training/teacher/), or the student would only learn the
labels back; and no file may hold a test speaker's clip. The exception is a seed ensemble of the
student's own kind (train_split.py --teacher-out): its scores are of its own training clips, not
cross-fitted ("born-again" distillation, Furlanello et al., 2018); docs/accuracy.md measures how
close to the labels they are."""
import json
import os

import numpy as np

from loop import softmax


def load_teacher(path):
    """sources -> logits of a teacher file."""
    with open(path) as f:
        t = json.load(f)
    return t["labels"], dict(zip(t["sources"], t["logits"]))


def teacher_targets(bundle, train_ids, path, temperature):
    """(bundle clips x labels) probabilities at `temperature`; every training clip must have a row."""
    labels, by_source = load_teacher(path)
    if list(labels) != list(bundle.labels):
        raise SystemExit(f"teacher {path}: labels {labels} differ from the bundle's {bundle.labels}")
    missing = sum(1 for i in train_ids if bundle.source[i] not in by_source)
    if missing:
        raise SystemExit(f"teacher {path}: {missing} training clips have no teacher scores")
    out = np.zeros((bundle.n, len(labels)), dtype=np.float32)
    logits = np.array([by_source[bundle.source[i]] for i in train_ids], dtype=np.float64)
    out[train_ids] = softmax(logits, temperature)
    return out

def teacher_path(spec, fold_name):
    """The teacher of a fold: `spec` itself when it is a file, else <spec>/<fold>.json."""
    return os.path.join(spec, f"{fold_name}.json") if os.path.isdir(spec) else spec
