"""Fits one split (train / validation / test clip ids of a bundle): the shared core of fit.py
(the shipped model) and cv.py (every fold of a plan). Early stopping and the temperature are
chosen on the validation speakers only; the test clips are scored once, with the chosen weights."""
import argparse
import io
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn

from loop import Adversary, WeightAverage, clip_mean_probs, ece, evaluate, fit_temperature, label_set_loss, score_clips, softmax, train_epoch
from nets import ARCHS, CorpusAdversary, EmotionCNN, Ensemble, build
from normalise import Normaliser
from sampler import Sampler
from teacher import teacher_targets


def log(obj):
    """One JSON line per event on stdout: the progress training/python.ts relays."""
    print(json.dumps(obj), flush=True)


def recipe_parser():
    """The flags every fitting script takes: the bundle, the output folder and the recipe."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--out", required=True)
    add_recipe_args(ap)
    return ap


def add_recipe_args(ap):
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--patience", type=int, default=6)
    ap.add_argument("--steps", type=int, default=150, help="batches per epoch")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-3)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--arch", default="cnn1d", choices=list(ARCHS), help="cnn1d: 1-D CNN over frames; cnn2d: 2-D CNN over the log-mel plane; stem2d: a 2-D stem over the log-mel plane, then the 1-D CNN; crnn: stem2d, then a bidirectional GRU")
    ap.add_argument("--pooling", default="stats", choices=["stats", "attentive"], help="1-D CNN: statistics pooling with equal or learnt frame weights (nets.AttentiveStatsPool)")
    ap.add_argument("--channels", default="", help="comma-separated; default per arch")
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--jitter", type=int, default=50, help="random crop: +- frames around a label point")
    ap.add_argument("--specaugment", type=int, default=1)
    ap.add_argument("--mixup", type=float, default=0.0)
    ap.add_argument("--balance", default="corpus-class", choices=["corpus-class", "class", "none"])
    ap.add_argument("--norm", default="global", choices=["global", "session", "both"])
    ap.add_argument("--prior-frames", type=float, default=300)
    ap.add_argument("--history-prob", type=float, default=0.7, help="share of training windows given a session history")
    ap.add_argument("--history-max", type=int, default=30, help="most earlier clips of the speaker in that history")
    ap.add_argument("--augmented", type=int, default=1, help="use the bundle's augmented copies of training clips")
    ap.add_argument("--control", default="", choices=["", "length"])
    ap.add_argument("--teacher", default="", help="teacher logits to distil (training/teacher/: a JSON file, or a folder of <fold>.json for cv.py)")
    ap.add_argument("--kd-alpha", type=float, default=0.5, help="weight of the distillation term (the rest on the labels)")
    ap.add_argument("--kd-temperature", type=float, default=2.0, help="softening of teacher and student scores in the distillation term")
    ap.add_argument("--adversary", type=float, default=0.0, help="weight of the reversed gradient of a training-corpus adversary (DANN; 0 = off)")
    ap.add_argument("--label-sets", default="all", choices=["all", "corpus"],
                    help="corpus: each training window's loss covers only the classes its corpus has (label_set_loss)")
    ap.add_argument("--lr-schedule", default="one-cycle", choices=["one-cycle", "constant"], help="one-cycle (warm-up, then annealed to ~0) or constant (the same warm-up, then flat at --lr; for weight averaging over a wide basin, SWAD)")
    ap.add_argument("--ema", type=float, default=0.0, help="decay of an exponential moving average of the weights, validated and exported instead of the last step's (0 = off; loop.WeightAverage)")
    ap.add_argument("--val-max", type=int, default=800, help="validation clips scored per epoch (evenly spaced subset)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--net-seed", type=int, default=None, help="the nets' seed (default --seed); --seed still orders the evaluation's sessions, so runs differing in --net-seed score the same windows")
    ap.add_argument("--members", type=int, default=1, help="seed ensemble: nets fitted with seeds net-seed (else seed) .. +K-1, calibrated probabilities averaged")
    ap.add_argument("--teacher-out", default="", help="with --members K > 1: write the ensemble's per-clip scores of the training clips here, a teacher file for --teacher (cv.py: a folder of <fold>.json)")
    ap.add_argument("--threads", type=int, default=1)


def fit_split(bundle, train_ids, val_ids, test_ids, normalization, args, log):
    """Returns (net, normaliser, result dict); result holds the temperature and the validation and test outcomes.

    With --members K > 1 the net is a seed ensemble: K nets fitted alike with seeds net_seed .. net_seed+K-1
    (each early-stopped and calibrated on the validation speakers), whose calibrated probabilities
    are averaged (nets.Ensemble), then calibrated once more. Each member's own outcomes are kept
    in result["members"], so one run also shows how far single runs differ by seed alone."""
    t_start = time.time()
    members = max(1, args.members)
    net_seed = args.seed if args.net_seed is None else args.net_seed
    norm = Normaliser(bundle, normalization["mean"], normalization["std"], args.norm, args.prior_frames)
    if not args.augmented:
        train_ids = np.array([i for i in train_ids if bundle.is_orig[i]])
    fitted = []
    for k in range(members):
        member_log = log if members == 1 else (lambda obj, k=k: log({**obj, "member": k + 1, "members": members}))
        fitted.append(fit_member(bundle, norm, train_ids, val_ids, len(test_ids), args, net_seed + k, member_log))
    if members == 1:
        net, result = fitted[0]
    else:
        # Each member calibrated and scored alone on the same clips: the spread a single run carries.
        nets, temperatures, alone = [], [], []
        for k, (n, f) in enumerate(fitted):
            o = outcomes(n, norm, bundle, val_ids, test_ids, args)
            nets.append(n)
            temperatures.append(o["temperature"])
            alone.append({"seed": net_seed + k, "best_epoch": f["best_epoch"], "temperature": o["temperature"],
                          # Without the window scores: a combination is made of runs, not of members.
                          "validation": {key: value for key, value in o["validation"].items() if key != "windows"} if "validation" in o else None,
                          "test": {m: {"uar": v["uar"], "acc": v["acc"]} for m, v in o.get("test", {}).items()}})
        net = Ensemble(nets, temperatures).eval()
        if args.teacher_out:
            write_teacher(net, norm, bundle, train_ids, args.teacher_out)
        result = {"best_epoch": max(f["best_epoch"] for _, f in fitted), "best_val_score": float(np.mean([f["best_val_score"] for _, f in fitted])),
                  "epochs_run": max(f["epochs_run"] for _, f in fitted), "params": sum(f["params"] for _, f in fitted),
                  "history": fitted[0][1]["history"], "members": alone}
    result.update(outcomes(net, norm, bundle, val_ids, test_ids, args))
    result["seconds"] = round(time.time() - t_start, 1)
    return net, norm, result


def write_teacher(net, norm, bundle, train_ids, path):
    """The ensemble as a teacher of one student (teacher.py's format): per training original, the
    log of its windows' mean ensemble probability, each clip analysed as a file. These clips are
    the ensemble's own training clips (not cross-fitted): what a student learns beyond the labels
    is how the members' agreement spreads over the classes (Furlanello et al., 2018)."""
    originals = np.array([i for i in train_ids if bundle.is_orig[i]], dtype=np.int64)
    # Every clip has at least one label window (Bundle.label_points), so every original gets a row.
    items, logits = score_clips(net, norm, originals)
    mean = clip_mean_probs(items, softmax(logits), originals)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"labels": bundle.labels, "sources": [bundle.source[i] for i in originals],
                   "logits": np.log(np.maximum(mean, 1e-12)).round(5).tolist(),
                   "head": "seed ensemble of this recipe (train_split.py --teacher-out), scores of its own training clips"}, f)


def fit_member(bundle, norm, train_ids, val_ids, n_test, args, seed, log):
    """One net fitted with `seed`, early-stopped on the validation speakers' mean of file and
    session UAR. Returns (net, fit record); its temperature is fitted by `outcomes`."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    orig_train = np.array([i for i in train_ids if bundle.is_orig[i]])
    sampler = Sampler(bundle, train_ids, args.balance, args.jitter, args.history_prob if args.norm != "global" else 0,
                      args.history_max, seed)
    channels = [int(c) for c in args.channels.split(",")] if args.channels else None
    groups = 2 if args.norm == "both" else 1
    net = build(args.arch, norm.in_dim, len(bundle.labels), channels, args.dropout, groups, args.pooling)
    params = sum(p.numel() for p in net.parameters())
    adversary = None
    if args.adversary > 0:
        if not isinstance(net, EmotionCNN) or args.mixup > 0:
            raise SystemExit("--adversary needs the 1-D CNN (--arch cnn1d) and no mixup")
        corpora = sorted({bundle.corpus[i] for i in train_ids})
        if len(corpora) < 2:
            raise SystemExit(f"--adversary needs at least two training corpora, got {corpora}")
        index = {c: k for k, c in enumerate(corpora)}
        corpus_of = np.array([index.get(c, 0) for c in bundle.corpus], dtype=np.int64)
        adversary = Adversary(CorpusAdversary(net.head[1].in_features, len(corpora)), corpus_of, args.adversary, args.epochs * args.steps)
    trained = list(net.parameters()) + (list(adversary.head.parameters()) if adversary is not None else [])
    opt = torch.optim.AdamW(trained, lr=args.lr, weight_decay=args.weight_decay)
    total_steps = args.epochs * args.steps
    if args.lr_schedule == "constant":
        # One-cycle's warm-up (15 % of the steps), then no annealing: the weights keep moving
        # around the basin, and --ema averages where they go (SWAD's setting) rather than where
        # an annealed run comes to rest.
        warm = max(1, int(0.15 * total_steps))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: min(1.0, (step + 1) / warm))
    else:
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=total_steps, pct_start=0.15)
    cross_entropy = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    allowed = corpus_label_sets(bundle, train_ids) if args.label_sets == "corpus" else None

    def loss_fn(out, target, allowed_batch):
        """The label loss of a batch: over every class, or over each window's corpus's classes."""
        if allowed_batch is None:
            return cross_entropy(out, target)
        return label_set_loss(out, target, allowed_batch, args.label_smoothing)
    # Distillation: every training window of a clip learns the teacher's scores for that clip.
    soft = teacher_targets(bundle, train_ids, args.teacher, args.kd_temperature) if args.teacher else None
    kd = (soft, args.kd_alpha, args.kd_temperature) if soft is not None else None
    # Early stopping scores an evenly spaced subset of the validation clips each epoch (cost); the
    # temperature is fitted on all of them at the end.
    val_epoch = val_ids[np.linspace(0, len(val_ids) - 1, min(args.val_max, len(val_ids))).astype(np.int64)] if len(val_ids) else val_ids
    log({"event": "start", "train_clips": int(len(train_ids)), "train_originals": int(len(orig_train)),
         "val_clips": int(len(val_ids)), "test_clips": int(n_test), "params": params, "in_dim": norm.in_dim,
         "teacher": args.teacher or None, "ema": args.ema or None, "seed": seed, "adversary_corpora": len(corpora) if adversary is not None else 0})
    best = {"score": -1.0, "epoch": 0, "state": None}
    history = []
    average = WeightAverage(net, args.ema) if args.ema > 0 else None
    # With --ema the averaged weights are what is validated, kept and exported; the training net only feeds them.
    scored = average.model if average is not None else net
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        loss = train_epoch(net, opt, sched, loss_fn, norm, sampler, args.steps, args.batch, args.specaugment, args.mixup, args.control or None, kd, adversary, allowed, average)
        rec = {"event": "epoch", "epoch": epoch, "loss": loss, "seconds": round(time.time() - t0, 1)}
        if adversary is not None:
            # How often the adversary still tells the training corpus: falls toward chance as the features stop carrying it.
            rec["corpus_acc"] = adversary.corpus_acc
        if len(val_ids):
            ev = evaluate(scored, norm, val_epoch, args.seed, control=args.control or None)
            rec["val_uar_file"] = ev["file"]["uar"]
            rec["val_uar_session"] = ev["session"]["uar"]
            # Live sessions and single files both matter: choose on the mean of the two modes.
            rec["val_score"] = (ev["file"]["uar"] + ev["session"]["uar"]) / 2
        else:
            rec["val_score"] = float(epoch)
        if rec["val_score"] > best["score"]:
            buf = io.BytesIO()
            torch.save(scored.state_dict(), buf)
            best = {"score": rec["val_score"], "epoch": epoch, "state": buf.getvalue()}
        rec["best_epoch"] = best["epoch"]
        rec["seconds_total"] = round(time.time() - t0, 1)
        history.append(rec)
        log(rec)
        if epoch - best["epoch"] >= args.patience:
            log({"event": "early_stop", "epoch": epoch, "best_epoch": best["epoch"]})
            break
    net.load_state_dict(torch.load(io.BytesIO(best["state"])))
    net.eval()
    return net, {"best_epoch": best["epoch"], "best_val_score": best["score"], "epochs_run": len(history), "params": params,
                 "history": history, "ema_updates": average.updates if average is not None else 0}


def corpus_label_sets(bundle, train_ids):
    """Per bundle clip (rows) the classes its corpus labels some training clip with (0/1 columns):
    the label set a training window of that corpus is scored over by label_set_loss."""
    n = len(bundle.labels)
    sets = {}
    for i in train_ids:
        sets.setdefault(bundle.corpus[i], np.zeros(n, dtype=np.float32))[bundle.label[i]] = 1.0
    allowed = np.ones((len(bundle.corpus), n), dtype=np.float32)
    for i, c in enumerate(bundle.corpus):
        if c in sets:
            allowed[i] = sets[c]
    return allowed


def validation_windows(net, norm, bundle, val_ids, args):
    """Logits and truth of every validation window, file and session mode pooled (one temperature serves both)."""
    ev = evaluate(net, norm, val_ids, args.seed, control=args.control or None)
    modes = ("file", "session") if args.norm != "global" else ("file",)
    logits = np.concatenate([ev[m]["logits"] for m in modes])
    truth = np.concatenate([bundle.label[[i for i, _ in ev[m]["items"]]] for m in modes])
    return logits, truth, ev


def stored_scores(logits, temperature):
    """Calibrated window scores as a fold result stores them: 4 decimals, rounded in float64
    (rounded float32 values print as 0.13379999995231628)."""
    return np.round(softmax(logits, temperature).astype(np.float64), 4).tolist()


def outcomes(net, norm, bundle, val_ids, test_ids, args):
    """The temperature (fitted on the validation windows) and the validation and test outcomes of
    a fitted net: UARs, window ECE before and after scaling, and per-window test predictions."""
    out = {"temperature": 1.0}
    if len(val_ids):
        logits, truth, ev = validation_windows(net, norm, bundle, val_ids, args)
        t = fit_temperature(logits, truth)
        out["temperature"] = t
        out["validation"] = {"uar_file": ev["file"]["uar"], "uar_session": ev["session"]["uar"],
                             "ece_window_raw": ece(softmax(logits), truth), "ece_window_calibrated": ece(softmax(logits, t), truth)}
        if getattr(args, "keep_windows", False):
            # Cross-validation folds keep the validation windows' calibrated scores too, so that a
            # combination of runs (training/cv-ensemble.ts) is judged on validation speakers as a run is.
            out["validation"]["windows"] = {m: {"window_clip": [i for i, _ in ev[m]["items"]],
                                                "window_prob": stored_scores(ev[m]["logits"], t)} for m in ("file", "session")}
    if len(test_ids):
        ev = evaluate(net, norm, test_ids, args.seed + 1, control=args.control or None)
        test = {}
        for mode in ("file", "session"):
            e = ev[mode]
            wtruth = bundle.label[[i for i, _ in e["items"]]]
            test[mode] = {
                "uar": e["uar"], "acc": e["acc"],
                "window_pred": e["logits"].argmax(1).tolist(),
                "window_clip": [i for i, _ in e["items"]],
                "utt_pred": e["utt"].tolist(),
                # Calibrated scores of every window, so that runs can be combined after the fact
                # (training/cv-ensemble.ts) without fitting an ensemble again.
                "window_prob": stored_scores(e["logits"], out["temperature"]),
                "ece_window_raw": ece(softmax(e["logits"]), wtruth),
                "ece_window_calibrated": ece(softmax(e["logits"], out["temperature"]), wtruth),
            }
        out["test"] = test
    return out
