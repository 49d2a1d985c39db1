#!/usr/bin/python3
"""Fits the Undertone emotion CNN on features computed by the TypeScript core, exports ONNX.

This is the only Python in the project: it never touches audio. It reads a bundle written by
training/dataset.ts (features.f32 + index.json: raw per-frame features, per-clip label points and
voicing, normalisation statistics), trains with early stopping on the validation speakers'
utterance-level UAR, and writes model.onnx, fit.json (per-epoch history, best epoch) and
parity.json (PyTorch scores of validation windows, which a test compares with onnxruntime on
TypeScript features). Progress: one JSON line per epoch on stdout.

Run by training/fit-runner.ts with Debian's /usr/bin/python3 (python3-torch).
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def log(obj):
    print(json.dumps(obj), flush=True)


class Bundle:
    def __init__(self, path):
        with open(os.path.join(path, "index.json")) as f:
            self.index = json.load(f)
        self.dim = self.index["dim"]
        self.T = self.index["windowFrames"]
        self.labels = self.index["labels"]
        feats = np.fromfile(os.path.join(path, "features.f32"), dtype=np.float32).reshape(-1, self.dim)
        mean = np.asarray(self.index["normalization"]["mean"], dtype=np.float32)
        std = np.asarray(self.index["normalization"]["std"], dtype=np.float32)
        # Same formula as core/model/window.ts writeWindow: (x - mean) / std, float32.
        self.feats = (feats - mean) / std
        self.clips = self.index["clips"]

    def window(self, clip, end, out, mask):
        """Frames [end - T, end) of a clip, left-padded with zeros (mask 0)."""
        T = self.T
        start = end - T
        src_from = max(start, 0)
        n = end - src_from
        out[:] = 0
        mask[:] = 0
        if n > 0:
            o = clip["offset"]
            out[T - n:] = self.feats[o + src_from:o + end]
            mask[T - n:] = 1


class EmotionCNN(nn.Module):
    """1-D CNN over the frame sequence with masked statistics pooling (mean and std over real frames)."""

    def __init__(self, dim, n_labels, channels=(64, 128, 128, 128), dropout=0.3, pool_after=(0, 1, 2), cmn=False):
        super().__init__()
        # Cepstral mean normalisation over the window's real frames: removes the speaker's and
        # channel's average spectrum, which a speaker-independent model should not rely on.
        self.cmn = cmn
        self.blocks = nn.ModuleList()
        c_in = dim
        for i, c in enumerate(channels):
            k = 5 if i < 2 else 3
            self.blocks.append(nn.Sequential(
                nn.Conv1d(c_in, c, kernel_size=k, padding=k // 2), nn.BatchNorm1d(c), nn.ReLU()))
            c_in = c
        # Halve the time axis after these blocks (cheaper deeper layers, wider receptive field).
        self.pool_after = set(pool_after)
        self.head = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(2 * c_in, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, n_labels)
        )

    def forward(self, features, mask):
        # features [B, T, F], mask [B, T] -> logits [B, L]
        x = features.transpose(1, 2)
        m = mask.unsqueeze(1)
        if self.cmn:
            mean = (x * m).sum(dim=2, keepdim=True) / m.sum(dim=2, keepdim=True).clamp(min=1.0)
            x = (x - mean) * m
        for i, block in enumerate(self.blocks):
            x = block(x) * m
            if i in self.pool_after:
                x = F.max_pool1d(x, 2)
                m = F.max_pool1d(m, 2)
        count = m.sum(dim=2).clamp(min=1.0)
        mean = (x * m).sum(dim=2) / count
        var = ((x - mean.unsqueeze(2)) ** 2 * m).sum(dim=2) / count
        std = torch.sqrt(var + 1e-5)
        return self.head(torch.cat([mean, std], dim=1))


class EmotionCNN2D(nn.Module):
    """2-D CNN over the (mel band x time) plane. The 40 MFCCs are an orthonormal DCT of 40 log-mel
    bands, so a linear layer initialised with the inverse DCT recovers (normalised) log-mel; 2-D
    convolutions then see formant and pitch-harmonic shapes wherever they sit in frequency. ZCR and
    RMS join after the frequency axis is folded into channels. Masked statistics pooling as in 1-D."""

    def __init__(self, dim, n_labels, channels=(16, 32, 64), dropout=0.3, n_mfcc=40):
        super().__init__()
        self.n_mfcc = n_mfcc
        self.to_mel = nn.Linear(n_mfcc, n_mfcc)
        k = torch.arange(n_mfcc, dtype=torch.float32).unsqueeze(1)
        n = torch.arange(n_mfcc, dtype=torch.float32).unsqueeze(0)
        dct = torch.cos(math.pi * k * (n + 0.5) / n_mfcc) * math.sqrt(2.0 / n_mfcc)
        dct[0] *= math.sqrt(0.5)
        with torch.no_grad():
            self.to_mel.weight.copy_(dct.t())  # inverse of the orthonormal DCT-II
            self.to_mel.bias.zero_()
        self.blocks = nn.ModuleList()
        c_in = 1
        for c in channels:
            self.blocks.append(nn.Sequential(nn.Conv2d(c_in, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU()))
            c_in = c
        freq = n_mfcc
        for _ in channels:
            freq //= 2
        c_flat = c_in * freq + (dim - n_mfcc)
        self.mix = nn.Sequential(nn.Conv1d(c_flat, 128, 3, padding=1), nn.BatchNorm1d(128), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(256, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, n_labels))

    def forward(self, features, mask):
        mel = self.to_mel(features[:, :, :self.n_mfcc])  # [B, T, 40]
        x = mel.transpose(1, 2).unsqueeze(1)  # [B, 1, 40, T]
        m = mask.unsqueeze(1)  # [B, 1, T]
        extras = features[:, :, self.n_mfcc:].transpose(1, 2)  # [B, 2, T]
        for block in self.blocks:
            x = block(x) * m.unsqueeze(2)
            x = F.max_pool2d(x, 2)
            m = F.max_pool1d(m, 2)
            extras = F.avg_pool1d(extras, 2)
        B, C, Fq, T = x.shape
        x = torch.cat([x.reshape(B, C * Fq, T), extras], dim=1)
        x = self.mix(x) * m
        count = m.sum(dim=2).clamp(min=1.0)
        mean = (x * m).sum(dim=2) / count
        var = ((x - mean.unsqueeze(2)) ** 2 * m).sum(dim=2) / count
        return self.head(torch.cat([mean, torch.sqrt(var + 1e-5)], dim=1))


class Scored(nn.Module):
    """The exported graph: probabilities, not logits."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, features, mask):
        return torch.softmax(self.net(features, mask), dim=1)


def eval_windows(bundle, clips):
    """Every voiced label point of the given clips (all points when none is voiced)."""
    items = []
    for ci, c in enumerate(clips):
        pts = [e for e, v in zip(c["ends"], c["voiced"]) if v] or c["ends"][-1:]
        for e in pts:
            items.append((ci, e))
    return items


def predict(net, bundle, clips, items, batch=256):
    T, D = bundle.T, bundle.dim
    probs = np.zeros((len(items), len(bundle.labels)), dtype=np.float32)
    net.eval()
    with torch.no_grad():
        for s in range(0, len(items), batch):
            chunk = items[s:s + batch]
            x = np.zeros((len(chunk), T, D), dtype=np.float32)
            m = np.zeros((len(chunk), T), dtype=np.float32)
            for b, (ci, e) in enumerate(chunk):
                bundle.window(clips[ci], e, x[b], m[b])
            probs[s:s + len(chunk)] = torch.softmax(net(torch.from_numpy(x), torch.from_numpy(m)), dim=1).numpy()
    return probs


def uar(truth, pred, n_labels):
    recalls = []
    for k in range(n_labels):
        sel = truth == k
        if sel.sum() > 0:
            recalls.append(float((pred[sel] == k).mean()))
    return float(np.mean(recalls)) if recalls else 0.0


def utterance_scores(probs, items, n_clips):
    acc = np.zeros((n_clips, probs.shape[1]), dtype=np.float64)
    cnt = np.zeros(n_clips)
    for (ci, _), p in zip(items, probs):
        acc[ci] += p
        cnt[ci] += 1
    return acc / np.maximum(cnt, 1)[:, None]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--patience", type=int, default=12)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-3)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--channels", default="64,128,128,128")
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--windows-per-clip", type=int, default=2)
    ap.add_argument("--jitter", type=int, default=50, help="random crop: +- frames around a label point")
    ap.add_argument("--specaugment", type=int, default=1)
    ap.add_argument("--mixup", type=float, default=0.0)
    ap.add_argument("--balance", default="class", choices=["class", "none"])
    ap.add_argument("--cmn", type=int, default=0)
    ap.add_argument("--arch", default="cnn1d", choices=["cnn1d", "cnn2d"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--parity-clips", type=int, default=4)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    random.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    bundle = Bundle(args.bundle)
    L, T, D = len(bundle.labels), bundle.T, bundle.dim
    train = [c for c in bundle.clips if c["part"] == "train"]
    val = [c for c in bundle.clips if c["part"] == "validation" and c["augment"] is None]
    if not train:
        sys.exit("fit.py: no training clips in the bundle")
    # Training crops: around each voiced label point (the windows the server will see), jittered.
    train_points = []
    for ci, c in enumerate(train):
        pts = [e for e, v in zip(c["ends"], c["voiced"]) if v] or c["ends"][-1:]
        train_points.append(pts)
    labels_arr = np.array([c["label"] for c in train])
    counts = np.bincount(labels_arr, minlength=L).astype(np.float64)
    if args.balance == "class":
        # Each class drawn equally often: calm exists only in RAVDESS, TESS floods the rest.
        clip_w = 1.0 / counts[labels_arr]
    else:
        clip_w = np.ones(len(train))
    clip_w = clip_w / clip_w.sum()
    per_epoch = len(train) * args.windows_per_clip

    if args.arch == "cnn2d":
        ch = tuple(int(c) for c in args.channels.split(",")) if args.channels != "64,128,128,128" else (16, 32, 64)
        net = EmotionCNN2D(D, L, ch, args.dropout)
    else:
        net = EmotionCNN(D, L, tuple(int(c) for c in args.channels.split(",")), args.dropout, cmn=bool(args.cmn))
    params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = math.ceil(per_epoch / args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch, pct_start=0.15)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)

    val_items = eval_windows(bundle, val)
    val_truth = np.array([c["label"] for c in val])
    log({"event": "start", "train_clips": len(train), "val_clips": len(val), "labels": bundle.labels,
         "class_counts": counts.tolist(), "params": params, "window_frames": T})

    best = {"uar": -1.0, "epoch": 0}
    history = []
    x = np.zeros((args.batch, T, D), dtype=np.float32)
    m = np.zeros((args.batch, T), dtype=np.float32)
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        net.train()
        picks = np.random.choice(len(train), size=per_epoch, p=clip_w)
        total_loss = 0.0
        for s in range(0, per_epoch, args.batch):
            idx = picks[s:s + args.batch]
            B = len(idx)
            y = np.empty(B, dtype=np.int64)
            for b, ci in enumerate(idx):
                c = train[ci]
                e = random.choice(train_points[ci]) + random.randint(-args.jitter, args.jitter)
                e = min(max(e, 1), c["frames"])
                bundle.window(c, e, x[b], m[b])
                y[b] = c["label"]
                if args.specaugment:
                    # SpecAugment-style masks on the normalised features: one time span, one feature band.
                    t = random.randint(0, 20)
                    t0m = random.randint(0, T - t)
                    x[b, t0m:t0m + t] = 0
                    f = random.randint(0, 6)
                    f0 = random.randint(0, 40 - f)  # within the MFCCs
                    x[b, :, f0:f0 + f] = 0
            xb = torch.from_numpy(x[:B].copy())
            mb = torch.from_numpy(m[:B].copy())
            yb = torch.from_numpy(y)
            if args.mixup > 0:
                lam = float(np.random.beta(args.mixup, args.mixup))
                perm = torch.randperm(B)
                xb = lam * xb + (1 - lam) * xb[perm]
                mb = torch.maximum(mb, mb[perm])
                out = net(xb, mb)
                loss = lam * loss_fn(out, yb) + (1 - lam) * loss_fn(out, yb[perm])
            else:
                loss = loss_fn(net(xb, mb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total_loss += float(loss) * B
        rec = {"event": "epoch", "epoch": epoch, "loss": total_loss / per_epoch, "seconds": time.time() - t0}
        if val:
            probs = predict(net, bundle, val, val_items)
            utt = utterance_scores(probs, val_items, len(val)).argmax(1)
            rec["val_uar"] = uar(val_truth, utt, L)
            rec["val_acc"] = float((utt == val_truth).mean())
        history.append(rec)
        improved = val and rec["val_uar"] > best["uar"]
        if improved or not val:
            best = {"uar": rec.get("val_uar", -1.0), "epoch": epoch}
            torch.save(net.state_dict(), os.path.join(args.out, "best.pt"))
        rec["best_epoch"] = best["epoch"]
        log(rec)
        if val and epoch - best["epoch"] >= args.patience:
            log({"event": "early_stop", "epoch": epoch, "best_epoch": best["epoch"]})
            break

    net.load_state_dict(torch.load(os.path.join(args.out, "best.pt")))
    net.eval()
    scored = Scored(net).eval()
    dummy_x = torch.zeros(2, T, D)
    dummy_m = torch.ones(2, T)
    onnx_path = os.path.join(args.out, "model.onnx")
    torch.onnx.export(
        scored, (dummy_x, dummy_m), onnx_path, input_names=["features", "mask"], output_names=["scores"],
        dynamic_axes={"features": {0: "batch"}, "mask": {0: "batch"}, "scores": {0: "batch"}}, opset_version=13,
    )
    # Parity: PyTorch's scores for the windows of a few validation (else training) originals.
    parity_src = (val or [c for c in train if c["augment"] is None])[: args.parity_clips]
    items = [(ci, e) for ci, c in enumerate(parity_src) for e, v in zip(c["ends"], c["voiced"]) if v]
    probs = predict(net, bundle, parity_src, items)
    parity = [{"source": parity_src[ci]["source"], "frameEnd": e, "scores": p.tolist()} for (ci, e), p in zip(items, probs)]
    with open(os.path.join(args.out, "parity.json"), "w") as f:
        json.dump({"labels": bundle.labels, "windows": parity}, f)
    result = {"best_epoch": best["epoch"], "best_val_uar": best["uar"], "epochs_run": len(history), "params": params,
              "history": history, "args": vars(args)}
    with open(os.path.join(args.out, "fit.json"), "w") as f:
        json.dump(result, f, indent=1)
    os.remove(os.path.join(args.out, "best.pt"))
    log({"event": "done", "best_epoch": best["epoch"], "best_val_uar": best["uar"], "onnx": onnx_path})


if __name__ == "__main__":
    main()
