"""Feature normalisation, the same formulas as core/model/window.ts and core/model/session-stats.ts.

Global: z = (x - mean) / std with the training originals' per-dimension statistics, computed by
training/dataset.ts (normalizationOf) and handed over in the bundle.
Session (running, causal): statistics of z over the voiced frames heard so far in the session,
shrunk towards the global prior (mean 0, variance 1) by `prior_frames` pseudo-frames:
    m = sum(z) / (n0 + n),  v = (n0 + sum(z^2)) / (n0 + n) - m^2,  s = sqrt(max(v, VAR_FLOOR))
and the session part of the input is (z - m) / s. Layout "both" feeds [z, (z - m) / s] per frame.
"""
import numpy as np

VAR_FLOOR = 1e-4


class Normaliser:
    def __init__(self, bundle, mean, std, layout="global", prior_frames=300):
        self.bundle = bundle
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        self.layout = layout
        self.prior_frames = float(prior_frames)
        # Same formula as core: (x - mean) / std, float32.
        self.z = (bundle.raw - self.mean) / self.std
        D = bundle.dim
        self.in_dim = D * (2 if layout == "both" else 1)
        # Per clip: voiced-frame sums of z and z^2 over the whole clip (a session's earlier clips).
        self.clip_sum = np.zeros((bundle.n, D))
        self.clip_sq = np.zeros((bundle.n, D))
        self.clip_n = np.zeros(bundle.n)
        if layout != "global":
            for i in range(bundle.n):
                o, f = bundle.offset[i], bundle.frames[i]
                v = bundle.voiced_frame[o:o + f]
                zz = self.z[o:o + f][v].astype(np.float64)
                self.clip_sum[i] = zz.sum(0)
                self.clip_sq[i] = (zz * zz).sum(0)
                self.clip_n[i] = len(zz)

    def session_state(self, i, end, history=()):
        """Sums over the voiced frames of clips `history` and of clip i's frames [0, end)."""
        o = self.bundle.offset[i]
        v = self.bundle.voiced_frame[o:o + end]
        zz = self.z[o:o + end][v].astype(np.float64)
        s = zz.sum(0)
        sq = (zz * zz).sum(0)
        n = float(len(zz))
        for h in history:
            s = s + self.clip_sum[h]
            sq = sq + self.clip_sq[h]
            n += self.clip_n[h]
        return s, sq, n

    def session_mean_std(self, s, sq, n):
        n0 = self.prior_frames
        m = s / (n0 + n)
        var = (n0 + sq) / (n0 + n) - m * m
        return m, np.sqrt(np.maximum(var, VAR_FLOOR))

    def window(self, i, end, out, mask, history=()):
        """Writes clip i's window ending at frame `end` into out [T, in_dim] and mask [T]."""
        b = self.bundle
        T, D = b.T, b.dim
        start = end - T
        src_from = max(start, 0)
        k = end - src_from
        out[:] = 0
        mask[:] = 0
        if k <= 0:
            return
        o = b.offset[i]
        z = self.z[o + src_from:o + end]
        if self.layout == "global":
            out[T - k:] = z
        else:
            m, sd = self.session_mean_std(*self.session_state(i, end, history))
            sess = ((z - m) / sd).astype(np.float32)
            if self.layout == "both":
                out[T - k:, :D] = z
                out[T - k:, D:] = sess
            else:
                out[T - k:] = sess
        mask[T - k:] = 1
