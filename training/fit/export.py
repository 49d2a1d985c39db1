"""ONNX export of a fitted network (calibrated probabilities) and the parity file a test compares
with onnxruntime on TypeScript features."""
import json
import os

import numpy as np
import torch

from loop import score_clips, softmax
from nets import Ensemble, FusedEnsemble, Scored


def for_inference(net, T, in_dim):
    """The graph to export: a seed ensemble of 1-D CNNs fused into one wider net (same scores,
    checked here on random windows with random masks), any other net as it is. Stems stay apart:
    fused into grouped 2-D convolutions they ran 18 % slower in onnxruntime (docs/decisions.md)."""
    if not isinstance(net, Ensemble):
        return net
    try:
        fused = FusedEnsemble(net).eval()
    except TypeError:
        return net
    g = torch.Generator().manual_seed(0)
    x = torch.randn(8, T, in_dim, generator=g)
    mask = (torch.arange(T).unsqueeze(0) >= torch.randint(0, T - 1, (8, 1), generator=g)).float()
    with torch.no_grad():
        diff = (torch.softmax(fused(x, mask), 1) - torch.softmax(net.eval()(x, mask), 1)).abs().max().item()
    if diff > 1e-5:
        raise RuntimeError(f"fused ensemble differs from its members by {diff}")
    return fused


def export_onnx(net, temperature, T, in_dim, path):
    scored = Scored(for_inference(net, T, in_dim), temperature).eval()
    torch.onnx.export(
        scored, (torch.zeros(2, T, in_dim), torch.ones(2, T)), path, input_names=["features", "mask"], output_names=["scores"],
        dynamic_axes={"features": {0: "batch"}, "mask": {0: "batch"}, "scores": {0: "batch"}}, opset_version=13,
    )


def write_parity(net, norm, temperature, clip_ids, path):
    """PyTorch's calibrated scores of every voiced window of the given clips, each analysed as a
    file on its own (no session history): what `undertone predict` computes for that file."""
    items, logits = score_clips(net, norm, clip_ids)
    probs = softmax(logits, temperature)
    b = norm.bundle
    windows = [{"source": b.source[i], "frameEnd": int(e), "scores": p.tolist()} for (i, e), p in zip(items, probs)]
    with open(path, "w") as f:
        json.dump({"labels": b.labels, "prepare": b.prepare, "windows": windows}, f)
