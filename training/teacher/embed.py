"""mn04 embeddings of every trimmed corpus clip (frozen teacher front end).

    flock /work/notes/heavy.lock /usr/bin/python3 training/teacher/embed.py [--dir /work/cache/teacher] [--workers 2]

Reads DIR/pcm.i16 + DIR/index.json (written by dist/training/teacher/dump-pcm.js: core's decoder,
then the feature cache's trim), upsamples each clip 16 -> 32 kHz (mn04's rate), runs the log-mel
front end and mn04, and writes
  DIR/emb.npy       (clips, 384) float32: the last feature map averaged over frequency and time
  DIR/audioset.npy  (clips, 527) float32: AudioSet logits (the checkpoint's own head)
  DIR/emb-sources.json  manifest paths, in the rows' order.
With --layers, instead: DIR/emb-layers.npy (clips, 1120): per depth (mn04.LAYER_TAPS and the last
map), each channel averaged over frequency, then its mean and SD over time; and
DIR/emb-layers-sources.json. The files above are left as they are (a run may be reading them).
Two worker processes of one torch thread each, rather than one process of two threads: on this
shared 2-core machine two intra-op threads slowed mn04 about 7x under load (190 vs 26 ms per 3 s
clip), independent processes do not wait on each other. Each clip runs alone: padding clips to a batch would change the mean over time. Clips longer
than CHUNK_S are cut into chunks whose embeddings and logits are averaged by length (a 30 s clip
in one piece is fine too, but chunks bound the memory of the STFT).
"""
import argparse
import json
import multiprocessing as mp
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from heads import ClipIndex  # noqa: E402  (index.json read in one place)
from heap import keep_freed_memory  # noqa: E402  (heads.py put training/fit on the path)
from mn04 import LAYER_STATS_DIM, LogMel, length_weighted_chunks, load_mn04, upsample_2x  # noqa: E402

CHUNK_S = 10.0


def embed_clip(model, front, pcm16k, layers=False):
    """(embedding 384, AudioSet logits 527) of one 16 kHz clip; with layers, (layer statistics
    LAYER_STATS_DIM, AudioSet logits). A long clip's chunks are averaged by length (for the SDs
    too: the mean within-chunk SD, which is what a 10 s chunk can measure)."""
    x = upsample_2x(torch.from_numpy(pcm16k))
    forward = model.layer_stats if layers else model

    def run(start, stop):
        lg, emb = forward(front(x[None, start:stop]))
        return emb[0], lg[0]

    # A sliver under 0.1 s after the last full chunk is dropped: its mean is noise.
    return length_weighted_chunks(len(x), int(CHUNK_S * 32000), 3200, run)


_worker = {}


def _init_worker(pcm_path, layers):
    torch.set_num_threads(1)
    _worker.update(model=load_mn04(), front=LogMel(), pcm=np.memmap(pcm_path, dtype=np.int16, mode='r'), layers=layers)


def _embed_span(span):
    """(offset, samples) -> (embedding, AudioSet logits) as numpy, in a worker."""
    offset, samples = span
    x = _worker['pcm'][offset:offset + samples].astype(np.float32) / 32768.0
    with torch.no_grad():
        e, lg = embed_clip(_worker['model'], _worker['front'], x, _worker['layers'])
    return e.numpy(), lg.numpy()


def main():
    keep_freed_memory()
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', default=os.environ.get('UNDERTONE_TEACHER', '/work/cache/teacher'))
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--limit', type=int, default=0, help='first N clips only (a quick check)')
    ap.add_argument('--layers', action='store_true', help='statistics of several depths (emb-layers.npy) instead of emb.npy')
    a = ap.parse_args()
    index = ClipIndex(a.dir)
    n = min(a.limit, len(index.sources)) if a.limit else len(index.sources)
    sources, spans = index.sources[:n], index.pcm_spans[:n]
    emb = np.zeros((n, LAYER_STATS_DIM if a.layers else 384), np.float32)
    aset = np.zeros((n, 527), np.float32)
    t0 = time.time()
    audio_s = 0.0
    with mp.get_context('fork').Pool(a.workers, _init_worker, (os.path.join(a.dir, 'pcm.i16'), a.layers)) as pool:
        for i, (e, lg) in enumerate(pool.imap(_embed_span, spans, chunksize=8)):
            emb[i], aset[i] = e, lg
            audio_s += spans[i][1] / 16000
            if (i + 1) % 500 == 0 or i + 1 == n:
                el = time.time() - t0
                print(f'embed: {i + 1}/{n} clips, {audio_s / 3600:.2f} h audio, {el:.0f} s, '
                      f'{audio_s / el:.0f}x real time, load {os.getloadavg()[0]:.2f}', flush=True)
    suffix = ('-layers' if a.layers else '') + (f'-first{a.limit}' if a.limit else '')
    np.save(os.path.join(a.dir, f'emb{suffix}.npy'), emb)
    if not a.layers:
        np.save(os.path.join(a.dir, f'audioset{suffix}.npy'), aset)
    with open(os.path.join(a.dir, f'emb{suffix}-sources.json'), 'w') as f:
        json.dump(sources, f)
    print(f'embed: wrote {n} x {emb.shape[1]} to {a.dir} in {time.time() - t0:.1f} s '
          f'({a.workers} workers x 1 thread, load {" ".join(f"{v:.2f}" for v in os.getloadavg())})')


if __name__ == '__main__':
    main()
