"""One training epoch, and scoring of clips (file or session mode) with the metrics of the report."""
import copy
import random

import numpy as np
import torch
import torch.nn.functional as F


def spec_augment(x, py, mfcc_groups, n_mfcc=40):
    """SpecAugment-style masks on normalised features: one time span, one MFCC band per group."""
    T = x.shape[0]
    t = py.randint(0, 20)
    t0 = py.randint(0, T - t)
    x[t0:t0 + t] = 0
    f = py.randint(0, 6)
    f0 = py.randint(0, n_mfcc - f)
    for g in mfcc_groups:
        x[:, g + f0:g + f0 + f] = 0


def label_set_loss(out, target, allowed, smoothing):
    """Cross-entropy over the classes the clip's corpus has (allowed: [B, n_labels], 1 = the
    corpus labels some clip with it), label smoothing spread over those classes only. Absent
    classes get no gradient: a corpus without `calm` does not teach the net that voices like its
    speakers' are never calm, so the net has no reason to recognise the corpus to suppress the
    classes it lacks (a shortcut that fails on a corpus it never heard)."""
    log_p = F.log_softmax(out.masked_fill(allowed == 0, -1e4), dim=1)
    nll = -log_p.gather(1, target.unsqueeze(1)).squeeze(1)
    smooth = -(log_p * allowed).sum(1) / allowed.sum(1)
    return ((1 - smoothing) * nll + smoothing * smooth).mean()


def distillation_loss(out, target_probs, temperature):
    """KL(teacher || student) at a temperature, scaled by T^2 so its gradients keep their size (Hinton et al., 2015)."""
    log_student = F.log_softmax(out / temperature, dim=1)
    return F.kl_div(log_student, target_probs, reduction="batchmean") * temperature * temperature


class WeightAverage:
    """An exponential moving average of a net's weights and BatchNorm statistics, updated after
    every optimiser step (Polyak averaging, as in SWAD: Cha et al., 2021, and timm's ModelEmaV2).
    Why: a running average of the weights along the late trajectory lies in a flatter region of
    the loss than any single step's weights, which in domain-generalisation benchmarks carries to
    unseen domains (here: unheard corpora and voices); it costs nothing at serving, the exported
    net is the averaged one. The decay ramps from 0.1 towards `decay` over the first steps, so the
    random initial weights are forgotten quickly: d_n = min(decay, (1 + n) / (10 + n))."""

    def __init__(self, net, decay):
        self.model = copy.deepcopy(net).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.decay = decay
        self.updates = 0

    @torch.no_grad()
    def update(self, net):
        self.updates += 1
        d = min(self.decay, (1.0 + self.updates) / (10.0 + self.updates))
        # state_dict() tensors share storage with the model, so the in-place updates land in it.
        for avg, cur in zip(self.model.state_dict().values(), net.state_dict().values()):
            if avg.dtype.is_floating_point:
                avg.mul_(d).add_(cur.detach(), alpha=1.0 - d)
            else:
                avg.copy_(cur)  # BatchNorm's batch counter


class Adversary:
    """A corpus adversary over one fit: its head (nets.CorpusAdversary), the training corpus of each
    bundle clip, and the gradient-reversal weight, ramped over the fit's `total_steps` batches by
    DANN's schedule, weight x (2 / (1 + exp(-10 p)) - 1), so its pull grows only once the emotion
    head has something to hold on to (Ganin et al., 2016). After each epoch `corpus_acc` is the
    share of that epoch's windows whose corpus the head named."""

    def __init__(self, head, corpus_of, weight, total_steps):
        self.head = head
        self.corpus_of = corpus_of
        self.weight = weight
        self.total_steps = total_steps
        self.steps_done = 0
        self.corpus_acc = None

    def scale(self):
        progress = self.steps_done / self.total_steps
        return self.weight * (2.0 / (1.0 + np.exp(-10.0 * progress)) - 1.0)


def train_epoch(net, opt, sched, loss_fn, norm, sampler, steps, batch, specaugment, mixup, control=None, kd=None, adversary=None, allowed=None, average=None):
    """One epoch of `steps` batches; average = a WeightAverage updated after each step, or None. kd = (teacher probabilities per bundle clip at the KD temperature, alpha, temperature) or None;
    adversary = an Adversary or None; allowed = None, or per bundle clip the classes its corpus has
    ([clips, n_labels] of 0/1). loss_fn(out, y, allowed_batch) gets the batch's rows of allowed, or None."""
    b = norm.bundle
    T, D = b.T, norm.in_dim
    groups = [0, b.dim] if norm.layout == "both" else [0]
    x = np.zeros((batch, T, D), dtype=np.float32)
    m = np.zeros((batch, T), dtype=np.float32)
    y = np.zeros(batch, dtype=np.int64)
    dom = np.zeros(batch, dtype=np.int64)
    soft, alpha, temp = kd if kd is not None else (None, 0.0, 1.0)
    t = np.zeros((batch, soft.shape[1]), dtype=np.float32) if soft is not None else None
    a = np.zeros((batch, allowed.shape[1]), dtype=np.float32) if allowed is not None else None
    net.train()
    total = 0.0
    named = 0
    picks = sampler.epoch(steps * batch)
    for s in range(steps):
        for k, i in enumerate(picks[s * batch:(s + 1) * batch]):
            e = sampler.window_end(i)
            norm.window(i, e, x[k], m[k], sampler.history(i))
            if control == "length":
                # Length-only control: every real frame is replaced by the same vector, so the
                # model sees nothing but where the window's real frames start (padding, length).
                x[k] = 0
            y[k] = b.label[i]
            if adversary is not None:
                dom[k] = adversary.corpus_of[i]
            if t is not None:
                t[k] = soft[i]
            if a is not None:
                a[k] = allowed[i]
            if specaugment:
                spec_augment(x[k], sampler.py, groups)
        xb, mb, yb = torch.from_numpy(x.copy()), torch.from_numpy(m.copy()), torch.from_numpy(y.copy())
        tb = torch.from_numpy(t.copy()) if t is not None else None
        ab = torch.from_numpy(a.copy()) if a is not None else None
        if mixup > 0:
            lam = float(np.random.beta(mixup, mixup))
            perm = torch.randperm(batch)
            out = net(lam * xb + (1 - lam) * xb[perm], torch.maximum(mb, mb[perm]))
            # A mixed window may hold either corpus's classes: both label sets are allowed.
            ab = torch.maximum(ab, ab[perm]) if ab is not None else None
            loss = lam * loss_fn(out, yb, ab) + (1 - lam) * loss_fn(out, yb[perm], ab)
            if tb is not None:
                tb = lam * tb + (1 - lam) * tb[perm]
        elif adversary is not None:
            pooled = net.embed(xb, mb)
            out = net.head(pooled)
            domains = torch.from_numpy(dom.copy())
            guess = adversary.head(pooled, adversary.scale())
            adversary.steps_done += 1
            # The adversary learns the corpus at full strength; only its gradient into the CNN is reversed and scaled.
            loss = loss_fn(out, yb, ab) + F.cross_entropy(guess, domains)
            named += int((guess.argmax(1) == domains).sum())
        else:
            out = net(xb, mb)
            loss = loss_fn(out, yb, ab)
        if tb is not None:
            loss = (1 - alpha) * loss + alpha * distillation_loss(out, tb, temp)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if average is not None:
            average.update(net)
        total += float(loss)
    if adversary is not None:
        adversary.corpus_acc = named / (steps * batch)
    return total / steps


def session_histories(bundle, clip_ids, seed):
    """Session mode: each speaker's clips streamed one after another in a seeded random order, the
    normaliser carrying over; clip -> the clips before it in its speaker's session."""
    rng = random.Random(seed)
    by_speaker = {}
    for i in clip_ids:
        by_speaker.setdefault(bundle.speaker[i], []).append(int(i))
    hist = {}
    for spk in sorted(by_speaker):
        order = sorted(by_speaker[spk])
        rng.shuffle(order)
        for j, i in enumerate(order):
            hist[i] = tuple(order[:j])
    return hist


def score_clips(net, norm, clip_ids, histories=None, batch=256, control=None):
    """Logits of every voiced label window of the clips: returns (items [(clip, end)], logits)."""
    b = norm.bundle
    items = [(int(i), e) for i in clip_ids for e in b.label_points(int(i))]
    T, D = b.T, norm.in_dim
    logits = np.zeros((len(items), len(b.labels)), dtype=np.float32)
    net.eval()
    with torch.no_grad():
        for s in range(0, len(items), batch):
            chunk = items[s:s + batch]
            x = np.zeros((len(chunk), T, D), dtype=np.float32)
            m = np.zeros((len(chunk), T), dtype=np.float32)
            for k, (i, e) in enumerate(chunk):
                norm.window(i, e, x[k], m[k], histories.get(i, ()) if histories else ())
                if control == "length":
                    x[k] = 0
            logits[s:s + len(chunk)] = net(torch.from_numpy(x), torch.from_numpy(m)).numpy()
    return items, logits


def softmax(logits, temperature=1.0):
    z = logits / temperature
    z = z - z.max(1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(1, keepdims=True)


def clip_mean_probs(items, probs, clip_ids):
    """Per clip (rows in clip_ids order): the mean of its windows' probabilities."""
    pos = {int(i): k for k, i in enumerate(clip_ids)}
    acc = np.zeros((len(clip_ids), probs.shape[1]))
    cnt = np.zeros(len(clip_ids))
    for (i, _), p in zip(items, probs):
        acc[pos[i]] += p
        cnt[pos[i]] += 1
    return acc / np.maximum(cnt, 1)[:, None]


def utterance_predictions(items, probs, clip_ids):
    """Per clip: argmax of the mean window probabilities (the utterance-level decision of predict)."""
    return clip_mean_probs(items, probs, clip_ids).argmax(1)


def uar(truth, pred):
    """Unweighted average recall over the classes present in `truth` (prediction over all classes)."""
    recalls = [float((pred[truth == k] == k).mean()) for k in np.unique(truth)]
    return float(np.mean(recalls)) if recalls else 0.0


def ece(probs, truth, bins=15):
    """Expected calibration error of the top-class probability."""
    conf = probs.max(1)
    correct = probs.argmax(1) == truth
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            total += sel.mean() * abs(conf[sel].mean() - correct[sel].mean())
    return float(total)


def nll(logits, truth, temperature):
    p = softmax(logits, temperature)
    return float(-np.log(np.maximum(p[np.arange(len(truth)), truth], 1e-12)).mean())


def fit_temperature(logits, truth):
    """Temperature minimising the negative log-likelihood: a grid over log T in [1/8, 8], then a
    finer grid around the best point (one parameter: a search is robust and exact enough)."""
    grid = np.exp(np.linspace(np.log(0.125), np.log(8.0), 61))
    best = min(grid, key=lambda t: nll(logits, truth, t))
    fine = best * np.exp(np.linspace(-0.07, 0.07, 15))
    return float(min(fine, key=lambda t: nll(logits, truth, t)))


def evaluate(net, norm, clip_ids, seed, modes=("file", "session"), control=None):
    """Window logits and utterance predictions per mode (session = file for global normalisation)."""
    b = norm.bundle
    out = {}
    for mode in modes:
        if mode == "session" and norm.layout == "global":
            out[mode] = out["file"]
            continue
        hist = session_histories(b, clip_ids, seed) if mode == "session" else None
        items, logits = score_clips(net, norm, clip_ids, hist, control=control)
        probs = softmax(logits)
        utt = utterance_predictions(items, probs, clip_ids)
        truth = b.label[clip_ids]
        out[mode] = {"items": items, "logits": logits, "utt": utt, "uar": uar(truth, utt), "acc": float((utt == truth).mean())}
    return out
