#!/usr/bin/python3
"""Fits the shipped model on one split of a bundle (training/dataset.ts: features.f32 + index.json
with each clip's part) and exports it: model.onnx (calibrated probabilities), parity.json,
fit.json (per-epoch history, best epoch, temperature). Python only fits: it never touches audio.
Progress: one JSON line per event on stdout. Run by training/fit-runner.ts with /usr/bin/python3."""
import json
import os
import sys

import numpy as np
import torch

from bundle import Bundle
from export import export_onnx, write_parity
from heap import keep_freed_memory
from train_split import fit_split, log, recipe_parser


def main():
    keep_freed_memory()
    ap = recipe_parser()
    ap.add_argument("--parity-clips", type=int, default=4)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    bundle = Bundle(args.bundle)
    ids = np.arange(bundle.n)
    train_ids = np.array([i for i in ids if bundle.part[i] == "train"])
    val_ids = np.array([i for i in ids if bundle.part[i] == "validation" and bundle.is_orig[i]], dtype=np.int64)
    if len(train_ids) == 0:
        sys.exit("fit.py: no training clips in the bundle")
    net, norm, result = fit_split(bundle, train_ids, val_ids, np.array([], dtype=np.int64), bundle.normalization, args, log)
    export_onnx(net, result["temperature"], bundle.T, norm.in_dim, os.path.join(args.out, "model.onnx"))
    # The fitted weights beside the graph, so a model can be exported again (another graph form,
    # another opset) without fitting it again.
    torch.save(net.state_dict(), os.path.join(args.out, "weights.pt"))
    parity_src = val_ids if len(val_ids) else np.array([i for i in train_ids if bundle.is_orig[i]])
    write_parity(net, norm, result["temperature"], parity_src[:args.parity_clips], os.path.join(args.out, "parity.json"))
    result["args"] = vars(args)
    result["input_dim"] = norm.in_dim
    with open(os.path.join(args.out, "fit.json"), "w") as f:
        json.dump(result, f, indent=1, allow_nan=False)
    log({"event": "done", "best_epoch": result["best_epoch"], "best_val_score": result["best_val_score"],
         "temperature": result["temperature"]})


if __name__ == "__main__":
    main()
