"""A feature bundle written by training/dataset.ts (features.f32 + index.json [+ plan.json]).

Features are kept raw (as core computed them); normalisation is applied per split by
normalise.py, from that split's training originals only, so no statistic of a test speaker
ever reaches the model.
"""
import json
import os

import numpy as np


class Bundle:
    def __init__(self, path):
        with open(os.path.join(path, "index.json")) as f:
            index = json.load(f)
        self.path = path
        self.dim = index["dim"]
        self.T = index["windowFrames"]
        self.labels = index["labels"]
        self.voicing = index["voicing"]
        # Global normalisation of the bundle's split (training originals), from training/dataset.ts.
        self.normalization = index.get("normalization")
        # How corpus audio was prepared before features (e.g. silence trimmed), for parity checks.
        self.prepare = index.get("prepare")
        # Index of the frame RMS (dBFS) within a frame: MFCCs, then ZCR, then RMS (core/features/config.ts).
        self.rms_index = self.dim - 1
        self.raw = np.fromfile(os.path.join(path, "features.f32"), dtype=np.float32).reshape(-1, self.dim)
        clips = index["clips"]
        self.clips = clips
        self.n = len(clips)
        self.offset = np.array([c["offset"] for c in clips], dtype=np.int64)
        self.frames = np.array([c["frames"] for c in clips], dtype=np.int64)
        self.label = np.array([c["label"] for c in clips], dtype=np.int64)
        self.is_orig = np.array([c["augment"] is None for c in clips])
        self.speaker = [c["speaker"] for c in clips]
        self.corpus = [c["corpus"] for c in clips]
        self.source = [c["source"] for c in clips]
        self.part = [c.get("part", "train") for c in clips]
        # Per frame: voiced by the same energy gate core uses (frame RMS above the threshold).
        self.voiced_frame = self.raw[:, self.rms_index] > float(self.voicing["thresholdDb"])
        self.plan = None
        plan_path = os.path.join(path, "plan.json")
        if os.path.exists(plan_path):
            with open(plan_path) as f:
                self.plan = json.load(f)["folds"]

    def label_points(self, i, voiced_only=True):
        """Frame ends of a clip's label points (voiced ones; the last point when none is)."""
        c = self.clips[i]
        pts = [e for e, v in zip(c["ends"], c["voiced"]) if v or not voiced_only]
        return pts or c["ends"][-1:]

    def select(self, speakers, originals_only):
        s = set(speakers)
        keep = [i for i in range(self.n) if self.speaker[i] in s and (self.is_orig[i] or not originals_only)]
        return np.array(keep, dtype=np.int64)
