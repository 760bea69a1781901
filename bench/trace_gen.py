#!/usr/bin/env python3
"""bench/trace_gen.py - write a synthetic trace of a real-size vocabulary for
bench/run-trace: float32 draft and target logits of shape (N, V) and int64
tokens of shape (N,).

Usage: trace_gen.py DIR N V SEED TEMPERATURE TOP_P

Target logits: i.i.d. normal with standard deviation 3 (a peaked row: with
temperature 0.8 and top-p 0.95 a few hundred tokens are kept); draft logits:
the target's plus normal noise of standard deviation 1.  Each token is drawn
from the target row after the given temperature and top-p (so the trace
conforms).  Written in chunks, so N can exceed memory.
"""
import sys

import numpy as np


def transform(logits, tau, top_p):
    z = logits.astype(np.float64) / tau
    z -= z.max(axis=1, keepdims=True)
    w = np.exp(z)
    w /= w.sum(axis=1, keepdims=True)
    order = np.argsort(-w, axis=1, kind="stable")
    cs = np.cumsum(np.take_along_axis(w, order, axis=1), axis=1)
    keep = (cs < top_p).sum(axis=1) + 1
    mask_sorted = np.arange(w.shape[1])[None, :] < keep[:, None]
    mask = np.zeros_like(mask_sorted)
    np.put_along_axis(mask, order, mask_sorted, axis=1)
    w = np.where(mask, w, 0.0)
    return w / w.sum(axis=1, keepdims=True)


def main():
    d, N, V, seed, tau, top_p = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
    rng = np.random.default_rng(seed)
    tgt = np.lib.format.open_memmap(f"{d}/target.npy", mode="w+", dtype="<f4", shape=(N, V))
    drf = np.lib.format.open_memmap(f"{d}/draft.npy", mode="w+", dtype="<f4", shape=(N, V))
    tok = np.empty(N, dtype="<i8")
    for a in range(0, N, 256):
        b = min(N, a + 256)
        t = rng.standard_normal((b - a, V), dtype=np.float32) * 3.0
        tgt[a:b] = t
        drf[a:b] = t + rng.standard_normal((b - a, V), dtype=np.float32)
        q = transform(tgt[a:b], tau, top_p)
        u = rng.random(b - a)
        tok[a:b] = np.minimum((np.cumsum(q, axis=1) < u[:, None]).sum(axis=1), V - 1)
    tgt.flush()
    drf.flush()
    del tgt, drf
    np.save(f"{d}/tokens.npy", tok)


if __name__ == "__main__":
    main()
