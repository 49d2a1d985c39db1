"""EfficientAT MobileNetV3 "mn04" (AudioSet, mAP 43.2) and its log-mel front end, in our own code.

    /usr/bin/python3 training/teacher/mn04.py --check [WAV ...]   # load strictly, print top AudioSet classes

Why our own copy: the reference (github nikih94/swch-audio-classification @2b362d9,
src/models/mn/{model,block_types,utils}.py and src/models/preprocess.py, itself from
fschmid56/EfficientAT) depends on torchvision and torchaudio, which Debian's torch 1.13 here does
not have. This file keeps only what mn04 as trained uses (head "mlp", channel-only
squeeze-excitation aggregated by max, strides 2,2,2,2, no dilation) with the reference's module
names, so the checkpoint loads with strict=True: a missing or renamed weight is an error, not a
silently random layer.

Weights: ../shared/pretrained/efficientat-mn04/mn04_as_mAP_432.pt beside the project root (or
$UNDERTONE_PRETRAINED/efficientat-mn04/...), MIT License,
Copyright (c) 2022 Florian Schmid; the notice is in LICENSE-efficientat next to this file.
"""
import argparse
import math
import os
import sys

import torch
from torch import nn
import torch.nn.functional as F

# ../shared beside the project root, as the corpora (CI has it there too); an env var for elsewhere.
PRETRAINED = os.environ.get('UNDERTONE_PRETRAINED', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'shared', 'pretrained'))
CHECKPOINT = os.path.normpath(os.path.join(PRETRAINED, 'efficientat-mn04', 'mn04_as_mAP_432.pt'))
SAMPLE_RATE = 32000
WIDTH = 0.4


def make_divisible(v, divisor=8):
    """Channel count rounded to a multiple of 8, never more than 10% down (the TF MobileNet rule)."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class ConvBN(nn.Sequential):
    """torchvision's ConvNormActivation: conv (no bias) -> BN(eps 1e-3) -> activation; indices 0/1/2."""

    def __init__(self, cin, cout, kernel, stride=1, groups=1, act=None):
        layers = [nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
                  nn.BatchNorm2d(cout, eps=0.001, momentum=0.01)]
        if act is not None:
            layers.append(act())
        super().__init__(*layers)


class ChannelSE(nn.Module):
    """Squeeze-excitation over channels (mean over freq and time), as the reference's
    ConcurrentSEBlock with se_dims=[channel]: with one branch the max aggregation is the identity."""

    def __init__(self, channels, r=4):
        super().__init__()
        squeeze = make_divisible(channels // r)
        # Nested under conc_se_layers.0 so the checkpoint's names match.
        self.conc_se_layers = nn.ModuleList([nn.Module()])
        self.conc_se_layers[0].fc1 = nn.Linear(channels, squeeze)
        self.conc_se_layers[0].fc2 = nn.Linear(squeeze, channels)

    def forward(self, x):
        se = self.conc_se_layers[0]
        s = x.mean(dim=(2, 3))
        s = torch.sigmoid(se.fc2(F.relu(se.fc1(s))))
        return x * s[:, :, None, None]


class InvertedResidual(nn.Module):
    def __init__(self, cin, kernel, expanded, cout, use_se, hs, stride):
        super().__init__()
        act = nn.Hardswish if hs else nn.ReLU
        layers = []
        if expanded != cin:
            layers.append(ConvBN(cin, expanded, 1, act=act))
        layers.append(ConvBN(expanded, expanded, kernel, stride, groups=expanded, act=act))
        if use_se:
            layers.append(ChannelSE(expanded))
        layers.append(ConvBN(expanded, cout, 1))
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return y + x if self.residual else y


# MobileNetV3-Large: input, kernel, expanded, output, squeeze-excitation, hard-swish, stride.
BLOCKS = [
    (16, 3, 16, 16, False, False, 1), (16, 3, 64, 24, False, False, 2), (24, 3, 72, 24, False, False, 1),
    (24, 5, 72, 40, True, False, 2), (40, 5, 120, 40, True, False, 1), (40, 5, 120, 40, True, False, 1),
    (40, 3, 240, 80, False, True, 2), (80, 3, 200, 80, False, True, 1), (80, 3, 184, 80, False, True, 1),
    (80, 3, 184, 80, False, True, 1), (80, 3, 480, 112, True, True, 1), (112, 3, 672, 112, True, True, 1),
    (112, 5, 672, 160, True, True, 2), (160, 5, 960, 160, True, True, 1), (160, 5, 960, 160, True, True, 1),
]


# Indices in MN.features (0 = stem, 1..15 = BLOCKS, 16 = the 1x1 conv to 384) of the last block of
# each stage after the first: 24, 40, 80, 112 and 160 channels at width 1, 16-64 in mn04.
LAYER_TAPS = (3, 6, 10, 12, 15)
# Mean and SD per channel of each tap and of the last map (6 x the last stage's 160 channels).
LAYER_STATS_DIM = 2 * (sum(make_divisible(BLOCKS[i - 1][3] * WIDTH) for i in LAYER_TAPS) + 6 * make_divisible(160 * WIDTH))


class MN(nn.Module):
    """mn04: 15 inverted residual blocks, a 1x1 conv to 384 channels, then the AudioSet MLP head."""

    def __init__(self, width=WIDTH, num_classes=527):
        super().__init__()
        ch = lambda c: make_divisible(c * width)  # noqa: E731
        layers = [ConvBN(1, ch(16), 3, 2, act=nn.Hardswish)]
        for cin, k, exp, cout, se, hs, s in BLOCKS:
            layers.append(InvertedResidual(ch(cin), k, ch(exp), ch(cout), se, hs, s))
        last_in = ch(160)
        self.embedding_dim = 6 * last_in  # 384 for mn04
        layers.append(ConvBN(last_in, self.embedding_dim, 1, act=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(self.embedding_dim, ch(1280)),
            nn.Hardswish(), nn.Dropout(0.2), nn.Linear(ch(1280), num_classes))

    def feature_map(self, mel):
        """(batch, 128 mels, frames) -> last feature map (batch, 384, 4, ~frames/32)."""
        return self.features(mel.unsqueeze(1))

    def forward(self, mel):
        """AudioSet logits and the embedding (the last feature map averaged over frequency and time)."""
        fmap = self.feature_map(mel)
        return self.classifier(fmap), fmap.mean(dim=(2, 3))

    def layer_stats(self, mel):
        """AudioSet logits and (batch, LAYER_STATS_DIM) statistics of several depths:
        for the outputs of the last block of each stage (LAYER_TAPS) and the final 384-channel map,
        each channel averaged over frequency, then its mean and standard deviation over time.
        Why: the last map is shaped by AudioSet's classes; earlier maps keep more of how a voice
        sounds, and the SD over time keeps how it moves (prosody), which the mean removes."""
        x, stats = mel.unsqueeze(1), []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in LAYER_TAPS or i == len(self.features) - 1:
                per_frame = x.mean(dim=2)  # (batch, channels, frames)
                stats += [per_frame.mean(dim=2), per_frame.std(dim=2, unbiased=False)]
        return self.classifier(x), torch.cat(stats, dim=1)


def load_mn04(path=CHECKPOINT):
    model = MN()
    model.load_state_dict(torch.load(path, map_location='cpu'), strict=True)
    return model.eval()


def kaldi_mel_banks(n_mels, n_fft, sr, fmin, fmax):
    """torchaudio.compliance.kaldi.get_mel_banks (no VTLN), padded with a zero Nyquist column:
    triangles on Kaldi's mel scale 1127 ln(1 + f/700), shape (n_mels, n_fft // 2 + 1)."""
    mel = lambda f: 1127.0 * torch.log(1.0 + torch.as_tensor(f, dtype=torch.float64) / 700.0)  # noqa: E731
    lo, hi = mel(fmin), mel(fmax)
    delta = (hi - lo) / (n_mels + 1)
    b = torch.arange(n_mels, dtype=torch.float64).unsqueeze(1)
    left, center, right = lo + b * delta, lo + (b + 1) * delta, lo + (b + 2) * delta
    m = mel(sr / n_fft * torch.arange(n_fft // 2, dtype=torch.float64)).unsqueeze(0)
    banks = torch.clamp(torch.minimum((m - left) / (center - left), (right - m) / (right - center)), min=0)
    return F.pad(banks, (0, 1)).float()


class LogMel(nn.Module):
    """EfficientAT's eval-mode front end (AugmentMelSTFT, no masking): pre-emphasis 0.97, STFT
    n_fft 1024 / Hann window 800 (symmetric) / hop 320 at 32 kHz, centred, power, 128 Kaldi mel
    bands 0..15 kHz (the reference's default fmax = sr/2 - 1000), log(x + 1e-5), then (x + 4.5) / 5."""

    def __init__(self, n_mels=128, sr=SAMPLE_RATE, n_fft=1024, win=800, hop=320, fmin=0.0, fmax=None):
        super().__init__()
        self.n_fft, self.win, self.hop = n_fft, win, hop
        fmax = sr // 2 - 1000 if fmax is None else fmax
        self.register_buffer('window', torch.hann_window(win, periodic=False), persistent=False)
        self.register_buffer('banks', kaldi_mel_banks(n_mels, n_fft, sr, fmin, fmax), persistent=False)

    def forward(self, x):
        """(batch, samples) at 32 kHz -> (batch, 128, samples // 320 + 1)."""
        x = x[:, 1:] - 0.97 * x[:, :-1]
        spec = torch.stft(x, self.n_fft, hop_length=self.hop, win_length=self.win, window=self.window,
                          center=True, return_complex=True)
        power = spec.real ** 2 + spec.imag ** 2
        # One 2-D matmul per clip on a contiguous spectrogram: the broadcast batched form on the
        # strided STFT output measured 2-7x slower here (torch 1.13, one thread).
        mel = torch.stack([self.banks @ p.contiguous() for p in power])
        return (torch.log(mel + 1e-5) + 4.5) / 5.0


def upsample_2x(x):
    """16 kHz -> 32 kHz by zero-padding the spectrum (exact band-limited interpolation of the
    clip; our corpora hold nothing above 8 kHz, so the new octave stays empty either way).
    x: (samples,) float tensor."""
    n = x.shape[-1]
    spec = torch.fft.rfft(x.double())
    out = torch.fft.irfft(spec, n=2 * n) * 2.0
    return out.float()


def length_weighted_chunks(length, chunk, min_tail, run):
    """Runs `run(start, stop)` (a tuple of tensors) over consecutive pieces of at most `chunk`
    (samples or frames) of a clip `length` long and returns each output averaged by piece length.
    A last piece shorter than `min_tail` is dropped (a sliver's mean over time is noise) unless it
    is the clip's only piece. One clip's chunks, so no piece is ever padded. Shared by the
    embeddings (embed.py) and the fine-tuned net's scores (finetune.py)."""
    outputs, weights = [], []
    for start in range(0, length, chunk):
        stop = min(start + chunk, length)
        if stop - start < min_tail and start > 0:
            break
        outputs.append(run(start, stop))
        weights.append(stop - start)
    w = torch.tensor(weights, dtype=torch.float32) / sum(weights)
    return tuple((torch.stack(parts) * w[:, None]).sum(0) for parts in zip(*outputs))


def audioset_labels(path):
    import csv
    with open(path) as f:
        return [row[2] for row in list(csv.reader(f))[1:]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--check', action='store_true', help='load strictly and print top AudioSet classes of WAVs')
    ap.add_argument('--labels', default='/tmp/ref/labels.csv', help='AudioSet class_labels_indices.csv')
    ap.add_argument('wavs', nargs='*')
    a = ap.parse_args()
    model = load_mn04()
    print(f'mn04 loaded strictly: {sum(p.numel() for p in model.parameters())} parameters, embedding {model.embedding_dim}')
    if not a.check:
        return
    import subprocess
    import numpy as np
    labels = audioset_labels(a.labels)
    front = LogMel()
    for wav in a.wavs:
        # ffmpeg: any file to 32 kHz mono float, the rate mn04 was trained at.
        raw = subprocess.run(['ffmpeg', '-v', 'error', '-i', wav, '-ac', '1', '-ar', str(SAMPLE_RATE), '-f', 'f32le', '-'],
                             check=True, capture_output=True).stdout
        x = torch.from_numpy(np.frombuffer(raw, dtype=np.float32).copy())
        with torch.no_grad():
            logits, emb = model(front(x[None]))
        p = torch.sigmoid(logits[0])
        top = torch.argsort(p, descending=True)[:5]
        print(f'{wav}: ' + ', '.join(f'{labels[i]} {p[i]:.2f}' for i in top.tolist()))


if __name__ == '__main__':
    sys.exit(main())
