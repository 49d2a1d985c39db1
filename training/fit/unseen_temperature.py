"""A second temperature for corpora never heard, fitted on validation corpora.

The shipped scores are calibrated on validation speakers of the training corpora (train_split.py),
and on a corpus never heard they are over-confident (LOCO test ECE 17-24 %). This asks whether one
more temperature, fitted where the model meets a corpus it never heard but no test fold is used
(the held-out corpus windows of `--cv nested` runs: the validation corpora), makes the scores
honest on the test corpora of `--cv loco` runs. It reads the window scores CV folds store
(`test.MODE.window_prob`, already calibrated on the fold's validation speakers), applies
softmax(log p / T2) with T2 fitted by loop.fit_temperature on the pooled windows of the --fit
folds, and prints per fold the expected calibration error and log-loss before and after, as a
Markdown table.

  /usr/bin/python3 training/fit/unseen_temperature.py --fit WORK/cv-NESTED --apply WORK/cv-LOCO [--mode file|session]

Read-only: nothing is fitted but the one number, nothing is written.
"""
import argparse
import glob
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loop import ece, fit_temperature, nll, softmax  # noqa: E402


def read_folds(folder, mode):
    """(fold name, log scores, truth) of every fold result in a CV run's folder."""
    paths = sorted(glob.glob(os.path.join(folder, "*.json")))
    if not paths:
        sys.exit(f"unseen_temperature: {folder}: no fold results (a WORK/cv-TAG folder of undertone train --cv)")
    folds = []
    for path in paths:
        with open(path) as f:
            r = json.load(f)
        t = r.get("test", {}).get(mode, {})
        if "window_prob" not in t:
            sys.exit(f"unseen_temperature: {path}: no {mode}-mode window scores (runs from before 2026-12-04 21:00 lack them)")
        probs = np.asarray(t["window_prob"], dtype=np.float64)
        truth = np.asarray([r["test_clips"][c]["truth"] for c in t["window_clip"]], dtype=np.int64)
        folds.append((r["fold"], np.log(np.maximum(probs, 1e-12)), truth))
    return folds


def rows(folds, t2):
    """Per fold: ECE and log-loss of the stored scores (T2 = 1) and with T2."""
    out = []
    for name, logp, truth in folds:
        before = softmax(logp, 1.0)
        after = softmax(logp, t2)
        out.append((name, len(truth), ece(before, truth), ece(after, truth), nll(logp, truth, 1.0), nll(logp, truth, t2)))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--fit", required=True, help="folder of the CV run whose test windows fit T2 (a --cv nested run: validation corpora)")
    p.add_argument("--apply", required=True, action="append", help="folder of a CV run to report with T2 (repeatable)")
    p.add_argument("--mode", default="file", choices=("file", "session"))
    a = p.parse_args()
    fit = read_folds(a.fit, a.mode)
    logp = np.concatenate([f[1] for f in fit])
    truth = np.concatenate([f[2] for f in fit])
    t2 = fit_temperature(logp, truth)
    print(f"T2 = {t2:.3f}, fitted on {len(truth)} {a.mode}-mode windows of {len(fit)} folds of {a.fit}\n")
    print("| run | fold | windows | ECE % stored | ECE % with T2 | log-loss stored | log-loss with T2 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for folder in [a.fit] + a.apply:
        r = rows(read_folds(folder, a.mode) if folder != a.fit else fit, t2)
        run = os.path.basename(os.path.normpath(folder))
        for name, n, e0, e1, l0, l1 in r:
            print(f"| {run} | {name} | {n} | {100 * e0:.1f} | {100 * e1:.1f} | {l0:.3f} | {l1:.3f} |")
        m = np.mean(np.asarray([x[2:] for x in r]), axis=0)
        role = "(fitted here)" if folder == a.fit else "(not used to fit)"
        print(f"| {run} | **mean of {len(r)} folds** {role} | | **{100 * m[0]:.1f}** | **{100 * m[1]:.1f}** | {m[2]:.3f} | {m[3]:.3f} |")


if __name__ == "__main__":
    main()
