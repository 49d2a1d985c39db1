#!/usr/bin/python3
"""Fits every fold of a bundle's plan.json (training/cv-bundle.ts) and writes one JSON per fold
with the test speakers' per-file outcomes in file and session mode, for the TypeScript report.
Progress: one JSON line per event on stdout. Run with Debian's /usr/bin/python3 (python3-torch)."""
import argparse
import json
import os
import sys
import time

import torch

from bundle import Bundle
from heap import keep_freed_memory
from teacher import teacher_path
from train_split import fit_split, log, recipe_parser


def main():
    keep_freed_memory()
    ap = recipe_parser()
    ap.add_argument("--group", default="", help="only folds of these groups (comma-separated), e.g. ravdess,loco")
    ap.add_argument("--folds", default="", help="only these fold names (comma-separated)")
    ap.add_argument("--resume", type=int, default=0, help="keep a fold's result already in --out when the same recipe on the same bundle wrote it (a run cut off and started again)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    bundle = Bundle(args.bundle)
    if not bundle.plan:
        sys.exit(f"cv.py: {args.bundle} has no plan.json")
    groups = set(filter(None, args.group.split(",")))
    names = set(filter(None, args.folds.split(",")))
    folds = [f for f in bundle.plan if (not groups or f["group"] in groups) and (not names or f["name"] in names)]
    log({"event": "plan", "folds": [f["name"] for f in folds], "labels": bundle.labels, "clips": bundle.n})
    for k, fold in enumerate(folds):
        t0 = time.time()
        path = os.path.join(args.out, f"{fold['name']}.json")
        kept, why = earlier_result(path, args) if args.resume else (None, "")
        if kept is not None:
            t = kept["test"]
            log({"event": "fold_kept", "fold": fold["name"], "index": k + 1, "of": len(folds), "uar_file": t["file"]["uar"], "uar_session": t["session"]["uar"]})
            continue
        if why:
            log({"event": "fold_refit", "fold": fold["name"], "reason": why})
        for a, b in (("train", "validation"), ("train", "test"), ("validation", "test")):
            both = set(fold[a]) & set(fold[b])
            if both:
                sys.exit(f"cv.py: fold {fold['name']}: speakers {sorted(both)} are in {a} and {b}")
        train_ids = bundle.select(fold["train"], originals_only=False)
        val_ids = bundle.select(fold["validation"], originals_only=True)
        test_ids = bundle.select(fold["test"], originals_only=True)
        fold_log = lambda obj, name=fold["name"]: log({**obj, "fold": name})
        fold_log({"event": "fold", "index": k + 1, "of": len(folds)})
        fold_args = argparse.Namespace(**{**vars(args), "teacher": teacher_path(args.teacher, fold["name"]) if args.teacher else "",
                                          "teacher_out": os.path.join(args.teacher_out, f"{fold['name']}.json") if args.teacher_out else "",
                                          "keep_windows": True})
        _, _, result = fit_split(bundle, train_ids, val_ids, test_ids, fold["normalization"], fold_args, fold_log)
        result.update({
            "fold": fold["name"], "group": fold["group"], "labels": bundle.labels, "args": vars(args),
            "test_clips": clip_list(bundle, test_ids),
            "validation_clips": clip_list(bundle, val_ids),
        })
        # Window outcomes as clip positions within test_clips / validation_clips (smaller than bundle
        # ids, and self-contained).
        pos = {int(i): p for p, i in enumerate(test_ids)}
        for mode in result["test"].values():
            mode["window_clip"] = [pos[i] for i in mode["window_clip"]]
        val_pos = {int(i): p for p, i in enumerate(val_ids)}
        for mode in result.get("validation", {}).get("windows", {}).values():
            mode["window_clip"] = [val_pos[i] for i in mode["window_clip"]]
        with open(path, "w") as f:
            json.dump(result, f, allow_nan=False)
        t = result["test"]
        fold_log({"event": "fold_done", "uar_file": t["file"]["uar"], "uar_session": t["session"]["uar"],
                  "best_epoch": result["best_epoch"], "seconds": round(time.time() - t0, 1)})


# Arguments that say where and how fast a run goes, not what it fits: a fold written under other
# values of these is the same fold.
RUN_ONLY = {"out", "folds", "group", "threads", "resume"}


def earlier_result(path, args):
    """(the fold result at `path`, "") when the same recipe on the same bundle wrote it, else
    (None, why it is refitted; "" when there is none). The recipe is every argument but RUN_ONLY;
    a flag added since is absent from the old args, which matches only a value of None now."""
    if not os.path.exists(path):
        return None, ""
    try:
        with open(path) as f:
            prev = json.load(f)
    except (OSError, ValueError) as e:
        return None, f"{path} unreadable ({e})"
    recipe = lambda a: {k: v for k, v in a.items() if k not in RUN_ONLY}
    was, now = recipe(prev.get("args", {})), recipe(vars(args))
    changed = sorted(k for k in set(was) | set(now) if was.get(k) != now.get(k))
    if changed:
        return None, "recipe differs in " + ", ".join(f"{k} ({was.get(k)!r} then, {now.get(k)!r} now)" for k in changed[:4])
    if "validation_clips" not in prev:
        return None, "written before validation windows were kept"
    return prev, ""


def clip_list(bundle, ids):
    return [{"source": bundle.source[i], "corpus": bundle.corpus[i], "speaker": bundle.speaker[i], "truth": int(bundle.label[i])} for i in ids]


if __name__ == "__main__":
    main()
