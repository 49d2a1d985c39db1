"""The networks. Input: features [B, T, D] (normalised by core/TypeScript), mask [B, T] (1 = real frame)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def masked_stats(x, m):
    count = m.sum(dim=2).clamp(min=1.0)
    mean = (x * m).sum(dim=2) / count
    var = ((x - mean.unsqueeze(2)) ** 2 * m).sum(dim=2) / count
    return torch.cat([mean, torch.sqrt(var + 1e-5)], dim=1)


class StatsPool(nn.Module):
    """Mean and std over the real frames (masked_stats): every frame weighs the same."""

    def forward(self, x, m):
        return masked_stats(x, m)


class AttentiveStatsPool(nn.Module):
    """Attentive statistics pooling (Okabe et al., 2018): a small scorer (1x1 convolution, tanh,
    1x1 convolution) weighs each real frame, softmax over the real frames only, then the weighted
    mean and std. Emotion shows in some stretches of a window more than others (a stressed
    syllable, a laugh); equal weights dilute them with the neutral frames between."""

    def __init__(self, channels, hidden=64):
        super().__init__()
        self.score = nn.Sequential(nn.Conv1d(channels, hidden, 1), nn.Tanh(), nn.Conv1d(hidden, 1, 1))

    def forward(self, x, m):
        w = torch.softmax(self.score(x).masked_fill(m == 0, -1e4), dim=2) * m
        w = w / w.sum(dim=2, keepdim=True).clamp(min=1e-6)
        mean = (x * w).sum(dim=2)
        var = ((x - mean.unsqueeze(2)) ** 2 * w).sum(dim=2)
        return torch.cat([mean, torch.sqrt(var + 1e-5)], dim=1)


def conv_trunk(blocks, pool_after, features, mask):
    """The convolutions of an EmotionCNN (or of its fused ensemble) over [B, T, D] features:
    returns the last feature map [B, C, T'] and its mask [B, 1, T'] (the first block has stride 2,
    blocks in `pool_after` halve the time axis; padded frames are zeroed after every block)."""
    x = features.transpose(1, 2)
    m = mask.unsqueeze(1)
    for i, block in enumerate(blocks):
        x = block(x)
        if i == 0:
            m = F.max_pool1d(m, 2)
        x = x * m
        if i in pool_after:
            x = F.max_pool1d(x, 2)
            m = F.max_pool1d(m, 2)
    return x, m


class EmotionCNN(nn.Module):
    """1-D CNN over the frame sequence with masked statistics pooling (mean and std over real
    frames: the number of padded frames does not enter the pooled vector). The first convolution
    has stride 2 (20 ms steps) and the time axis halves after each of the first three blocks: most of
    the cost of a 10 ms-hop input sits in its first layers, and emotion cues are slower than that."""

    def __init__(self, dim, n_labels, channels=(48, 96, 128, 128), dropout=0.3, pool_after=(0, 1, 2), pooling="stats"):
        super().__init__()
        self.blocks = nn.ModuleList()
        c_in = dim
        for i, c in enumerate(channels):
            k = 5 if i < 2 else 3
            stride = 2 if i == 0 else 1
            self.blocks.append(nn.Sequential(nn.Conv1d(c_in, c, kernel_size=k, stride=stride, padding=k // 2), nn.BatchNorm1d(c), nn.ReLU()))
            c_in = c
        self.pool_after = set(pool_after)
        self.pool = AttentiveStatsPool(c_in) if pooling == "attentive" else StatsPool()
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * c_in, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, n_labels))

    def embed(self, features, mask):
        """The pooled vector the head reads (what a corpus adversary is trained against)."""
        return self.pool(*conv_trunk(self.blocks, self.pool_after, features, mask))

    def forward(self, features, mask):
        return self.head(self.embed(features, mask))


class _ReverseGradient(torch.autograd.Function):
    """Identity forward; the gradient times -scale backward (Ganin & Lempitsky, 2015)."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.scale * grad, None


class CorpusAdversary(nn.Module):
    """Domain-adversarial training (DANN; Ganin et al., 2016; for emotion across corpora,
    Abdelwahab & Busso, 2018): a small head learns to tell the training corpus from the pooled
    vector, while the gradient it sends back into the CNN is reversed and scaled, so the CNN learns
    features from which the corpus (language, room, microphone, acting style) cannot be read.
    Training only: the exported graph is the EmotionCNN alone."""

    def __init__(self, in_dim, n_corpora, hidden=128, dropout=0.3):
        super().__init__()
        self.head = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, n_corpora))

    def forward(self, pooled, scale):
        return self.head(_ReverseGradient.apply(pooled, scale))


class EmotionCNN2D(nn.Module):
    """2-D CNN over the (mel band x time) plane. The 40 MFCCs are an orthonormal DCT of 40 log-mel
    bands, so a linear layer initialised with the inverse DCT recovers (normalised) log-mel, per
    input group (global and/or session-normalised); 2-D convolutions then see formant and harmonic
    shapes wherever they sit in frequency. ZCR and RMS join after the frequency axis is folded."""

    def __init__(self, dim, n_labels, channels=(16, 32, 64), dropout=0.3, n_mfcc=40, groups=1):
        super().__init__()
        self.n_mfcc = n_mfcc
        self.groups = groups
        self.base = dim // groups
        self.to_mel = inverse_dct(n_mfcc)
        self.blocks = nn.ModuleList()
        c_in = groups
        for c in channels:
            self.blocks.append(nn.Sequential(nn.Conv2d(c_in, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU()))
            c_in = c
        freq = n_mfcc
        for _ in channels:
            freq //= 2
        extras = (self.base - n_mfcc) * groups
        self.mix = nn.Sequential(nn.Conv1d(c_in * freq + extras, 128, 3, padding=1), nn.BatchNorm1d(128), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(256, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, n_labels))

    def forward(self, features, mask):
        x, e = log_mel_planes(self.to_mel, features, self.groups, self.base, self.n_mfcc)
        m = mask.unsqueeze(1)
        for block in self.blocks:
            x = block(x) * m.unsqueeze(2)
            x = F.max_pool2d(x, 2)
            m = F.max_pool1d(m, 2)
            e = F.avg_pool1d(e, 2)
        B, C, Fq, T = x.shape
        x = self.mix(torch.cat([x.contiguous().reshape(B, C * Fq, T), e], dim=1)) * m
        return self.head(masked_stats(x, m))


def log_mel_planes(to_mel, features, groups, base, n_mfcc):
    """The (normalised) log-mel plane of each input group, [B, G, n_mfcc, T], channels-last in
    memory, and the per-frame extras of every group, [B, E, T]. The MFCCs of a group are turned
    back into log-mel bands by `to_mel` (initialised with the inverse DCT); the slice is made
    contiguous first, because a matrix product over a strided view is several times slower."""
    B, T, _ = features.shape
    g = features.reshape(B, T, groups, base)
    mel = to_mel(g[..., :n_mfcc].permute(0, 2, 1, 3).contiguous()).transpose(2, 3)
    extras = g[..., n_mfcc:].reshape(B, T, groups * (base - n_mfcc)).transpose(1, 2)
    # Channels-last: PyTorch's CPU convolutions (oneDNN) run the 2-D layers several times faster so.
    return mel.contiguous(memory_format=torch.channels_last), extras


class Stem2DCNN(nn.Module):
    """A 2-D convolutional stem over the log-mel plane in front of the 1-D CNN: two 3x3
    convolutions (stride 2 in frequency and time, then 2 in frequency) see formant and harmonic
    shapes wherever they sit in frequency, so a voice a few bands higher or lower (another
    speaker, another pitch) looks alike to them; the frequency axis (10 bands of `stem[1]`
    channels) is then folded into channels, projected to `proj`, and the 1-D trunk of EmotionCNN
    (without its own stride-2 first layer, which the stem replaces) models time. Padded frames are
    zeroed after every layer, as in EmotionCNN, so the pooled vector cannot read a clip's length."""

    def __init__(self, dim, n_labels, channels=(96, 128, 128), dropout=0.3, n_mfcc=40, groups=1, stem=(16, 16), proj=64):
        super().__init__()
        self.n_mfcc, self.groups, self.base = n_mfcc, groups, dim // groups
        self.to_mel = inverse_dct(n_mfcc)
        s1, s2 = stem
        self.stem = nn.ModuleList([
            nn.Sequential(nn.Conv2d(groups, s1, 3, stride=(2, 2), padding=1), nn.BatchNorm2d(s1), nn.ReLU()),
            nn.Sequential(nn.Conv2d(s1, s2, 3, stride=(2, 1), padding=1), nn.BatchNorm2d(s2), nn.ReLU()),
        ])
        folded = s2 * (n_mfcc // 4) + (self.base - n_mfcc) * groups
        self.proj = nn.Sequential(nn.Conv1d(folded, proj, 1), nn.BatchNorm1d(proj), nn.ReLU())
        self.blocks = nn.ModuleList()
        c_in = proj
        for i, c in enumerate(channels):
            k = 5 if i == 0 else 3
            self.blocks.append(nn.Sequential(nn.Conv1d(c_in, c, kernel_size=k, padding=k // 2), nn.BatchNorm1d(c), nn.ReLU()))
            c_in = c
        self.pool = StatsPool()
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * c_in, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, n_labels))

    def trunk(self, features, mask):
        """The stem and the 1-D blocks: the last feature map [B, C, T'] and its mask [B, 1, T']."""
        x, extras = log_mel_planes(self.to_mel, features, self.groups, self.base, self.n_mfcc)
        m = mask.unsqueeze(1)
        x = x * m.unsqueeze(2)
        extras = extras * m
        x = self.stem[0](x)
        m = F.max_pool1d(m, 2)
        x = self.stem[1](x * m.unsqueeze(2)) * m.unsqueeze(2)
        B, C, Fq, T = x.shape
        x = torch.cat([x.contiguous().reshape(B, C * Fq, T), F.avg_pool1d(extras, 2)], dim=1)
        x = self.proj(x) * m
        # The time axis halves before every 1-D block: with the default three, the same steps as
        # EmotionCNN's pools after its blocks 0, 1 and 2 (a 300-frame window ends at 18 steps).
        for block in self.blocks:
            x = F.max_pool1d(x, 2)
            m = F.max_pool1d(m, 2)
            x = block(x) * m
        return x, m

    def forward(self, features, mask):
        return self.head(self.pool(*self.trunk(features, mask)))


class MaskedGRU(nn.Module):
    """One direction of a GRU over a feature map [B, C, T] whose padded steps (mask 0) leave the
    state as it was: with padding on the left (core/model/window.ts) a plain nn.GRU would run
    through the zeros first, and how far its state drifted there would tell the clip's length.
    The gates are PyTorch's GRU (Cho et al., 2014); written out so the unrolled loop exports to
    ONNX as matrix products (the window has a fixed length, so the loop has a fixed count)."""

    def __init__(self, c_in, hidden, reverse=False):
        super().__init__()
        self.hidden, self.reverse = hidden, reverse
        self.inp = nn.Conv1d(c_in, 3 * hidden, 1)
        self.rec = nn.Linear(hidden, 3 * hidden)

    def forward(self, x, m):
        B, _, T = x.shape
        gates_in = self.inp(x)
        h = x.new_zeros(B, self.hidden)
        outs = [h] * T
        for t in (range(T - 1, -1, -1) if self.reverse else range(T)):
            ir, iz, i_n = gates_in[:, :, t].chunk(3, dim=1)
            hr, hz, h_n = self.rec(h).chunk(3, dim=1)
            r = torch.sigmoid(ir + hr)
            z = torch.sigmoid(iz + hz)
            n = torch.tanh(i_n + r * h_n)
            mt = m[:, :, t]
            h = mt * ((1 - z) * n + z * h) + (1 - mt) * h
            outs[t] = h
        return torch.stack(outs, dim=2) * m


class StemCRNN(Stem2DCNN):
    """A CRNN: the 2-D stem and 1-D blocks of Stem2DCNN, then a bidirectional GRU over their
    steps (18 for a 3 s window), so the pooled vector can carry how the voice moves through the
    window (a rise, a break, a pause) and not only the spread of its frames. Mean and std are
    pooled over the blocks' map and both directions' states side by side: the convolutional
    path stays open, so the GRU adds to the stem's features rather than replacing them."""

    def __init__(self, dim, n_labels, channels=(96, 128, 128), dropout=0.3, groups=1, hidden=64):
        super().__init__(dim, n_labels, channels, dropout, groups=groups)
        c = channels[-1]
        self.forward_gru = MaskedGRU(c, hidden)
        self.backward_gru = MaskedGRU(c, hidden, reverse=True)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * (c + 2 * hidden), 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, n_labels))

    def forward(self, features, mask):
        x, m = self.trunk(features, mask)
        seq = torch.cat([x, self.forward_gru(x, m), self.backward_gru(x, m)], dim=1)
        return self.head(self.pool(seq, m))


def inverse_dct(n):
    """A linear layer initialised to the inverse of the orthonormal DCT-II (MFCCs -> log-mel bands), left trainable."""
    layer = nn.Linear(n, n)
    k = torch.arange(n, dtype=torch.float32).unsqueeze(1)
    i = torch.arange(n, dtype=torch.float32).unsqueeze(0)
    dct = torch.cos(math.pi * k * (i + 0.5) / n) * math.sqrt(2.0 / n)
    dct[0] *= math.sqrt(0.5)
    with torch.no_grad():
        layer.weight.copy_(dct.t())
        layer.bias.zero_()
    return layer


ARCHS = ("cnn1d", "cnn2d", "stem2d", "crnn")


def build(arch, in_dim, n_labels, channels, dropout, groups, pooling="stats"):
    if arch not in ARCHS:
        raise SystemExit(f"--arch must be one of {', '.join(ARCHS)}")
    if arch != "cnn1d" and pooling != "stats":
        raise SystemExit("--pooling attentive needs the 1-D CNN (--arch cnn1d)")
    if arch == "cnn2d":
        return EmotionCNN2D(in_dim, n_labels, tuple(channels or (16, 32, 64)), dropout, groups=groups)
    if arch == "stem2d":
        return Stem2DCNN(in_dim, n_labels, tuple(channels or (96, 128, 128)), dropout, groups=groups)
    if arch == "crnn":
        return StemCRNN(in_dim, n_labels, tuple(channels or (96, 128, 128)), dropout, groups=groups)
    return EmotionCNN(in_dim, n_labels, tuple(channels or (48, 96, 128, 128)), dropout, pooling=pooling)


def mean_calibrated_log_probs(member_logits, inv_t):
    """log of the mean over members of softmax(logits_k / T_k): the one combination rule of a seed
    ensemble, whether its members run apart (Ensemble) or fused (FusedEnsemble)."""
    probs = torch.stack([torch.softmax(z * inv_t[k], dim=1) for k, z in enumerate(member_logits)]).mean(0)
    return torch.log(probs.clamp_min(1e-12))


class Ensemble(nn.Module):
    """A seed ensemble as one net: the mean of the members' calibrated probabilities
    softmax(logits_k / T_k), returned as log-probabilities so that it scores, calibrates
    (Scored) and exports like a single net. Averaging probabilities rather than logits keeps each
    member's calibration (Lakshminarayanan et al., 2017, "deep ensembles")."""

    def __init__(self, nets, temperatures):
        super().__init__()
        self.nets = nn.ModuleList(nets)
        self.register_buffer("inv_t", torch.tensor([1.0 / t for t in temperatures], dtype=torch.float32))

    def forward(self, features, mask):
        return mean_calibrated_log_probs([net(features, mask) for net in self.nets], self.inv_t)


class FusedEnsemble(nn.Module):
    """A seed ensemble of EmotionCNNs as one wider net for inference: the members' first
    convolutions (same input) become one convolution with their output channels side by side, each
    later convolution one grouped convolution (groups = members), so onnxruntime runs four
    convolutions of three times the width instead of twelve small ones. Same scores as Ensemble
    (checked at export, export.py)."""

    def __init__(self, ensemble):
        super().__init__()
        members = list(ensemble.nets)
        if not all(isinstance(m, EmotionCNN) for m in members):
            raise TypeError("only EmotionCNN members can be fused")
        self.k = len(members)
        self.pool_after = members[0].pool_after
        self.blocks = nn.ModuleList()
        for i, first in enumerate(members[0].blocks):
            conv0, bn0 = first[0], first[1]
            # The first convolution reads the shared input; each later one its member's channels only.
            groups = 1 if i == 0 else self.k
            conv = nn.Conv1d(conv0.in_channels * groups, conv0.out_channels * self.k, conv0.kernel_size[0],
                             stride=conv0.stride[0], padding=conv0.padding[0], groups=groups)
            bn = nn.BatchNorm1d(bn0.num_features * self.k, eps=bn0.eps)
            with torch.no_grad():
                conv.weight.copy_(torch.cat([m.blocks[i][0].weight for m in members]))
                conv.bias.copy_(torch.cat([m.blocks[i][0].bias for m in members]))
                for name in ("weight", "bias", "running_mean", "running_var"):
                    getattr(bn, name).copy_(torch.cat([getattr(m.blocks[i][1], name) for m in members]))
            self.blocks.append(nn.Sequential(conv, bn, nn.ReLU()))
        self.channels = members[0].blocks[-1][0].out_channels
        self.pools = nn.ModuleList([m.pool for m in members])
        self.heads = nn.ModuleList([m.head for m in members])
        self.register_buffer("inv_t", ensemble.inv_t.clone())

    def forward(self, features, mask):
        x, m = conv_trunk(self.blocks, self.pool_after, features, mask)
        c = self.channels
        return mean_calibrated_log_probs([head(pool(x[:, k * c:(k + 1) * c], m)) for k, (pool, head) in enumerate(zip(self.pools, self.heads))], self.inv_t)


class Scored(nn.Module):
    """The exported graph: calibrated probabilities softmax(logits / temperature)."""

    def __init__(self, net, temperature=1.0):
        super().__init__()
        self.net = net
        self.register_buffer("inv_t", torch.tensor(1.0 / temperature))

    def forward(self, features, mask):
        return torch.softmax(self.net(features, mask) * self.inv_t, dim=1)
