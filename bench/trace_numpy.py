#!/usr/bin/env python3
"""bench/trace_numpy.py - the per-position statistics of `specdec trace`
in vectorised NumPy, the baseline of bench/run-trace.

Usage: trace_numpy.py DRAFT.npy TARGET.npy TOKENS.npy TEMPERATURE TOP_P K REPS

Per position, batched over chunks of rows: softmax with temperature and
argsort-based top-p of both rows; TV, r_t, q(x), p(x), the entropy of q and
the variance of the surprisal, the PIT's lower mass; for k = 1..K the RRS
acceptance (residual recursion), K-SEQ (rho* by a vectorised bisection of
the validity margin to double precision) and alpha*_k (argsort of p/q and
the minimum over prefixes); then along the sequence the slot DP of the
draft lengths 1,2,3,4,5,6,8 and batch SD.  Loading is not timed (the rows
are read into memory first).  Prints the best seconds per position over REPS
and a checksum (sum of TV, sum of the alpha*_K) to compare with specdec.
"""
import sys
import time

import numpy as np

CHUNK = 64
GAMMAS = (1, 2, 3, 4, 5, 6, 8)


def transform(logits, tau, top_p):
    z = logits.astype(np.float64) / tau
    z -= z.max(axis=1, keepdims=True)
    w = np.exp(z)
    w /= w.sum(axis=1, keepdims=True)
    if top_p < 1.0:
        order = np.argsort(-w, axis=1, kind="stable")  # descending, ties by index
        cs = np.cumsum(np.take_along_axis(w, order, axis=1), axis=1)
        keep = (cs < top_p).sum(axis=1) + 1  # shortest prefix with mass >= top_p
        mask_sorted = np.arange(w.shape[1])[None, :] < keep[:, None]
        mask = np.zeros_like(mask_sorted)
        np.put_along_axis(mask, order, mask_sorted, axis=1)
        w = np.where(mask, w, 0.0)
        w /= w.sum(axis=1, keepdims=True)
    return w


def kseq(p, q, k):
    """K-SEQ acceptance with rho* found by bisection on [1, k]."""
    def margin(rho):
        beta = np.minimum(p, q / rho[:, None]).sum(axis=1)
        return rho * beta - 1.0 + (1.0 - beta) ** k, beta
    lo = np.ones(p.shape[0])
    hi = np.full(p.shape[0], float(k))
    m_lo, _ = margin(lo)
    done = m_lo >= 0
    hi[done] = 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        m, _ = margin(mid)
        ok = m >= 0
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    _, beta = margin(hi)
    return 1.0 - (1.0 - beta) ** k


def alpha_star(p, q, K):
    ratio = np.where(q > 0, p / np.where(q > 0, q, 1.0), np.where(p > 0, np.inf, -1.0))
    order = np.argsort(-ratio, axis=1, kind="stable")
    P = np.cumsum(np.take_along_axis(p, order, axis=1), axis=1)
    Q = np.cumsum(np.take_along_axis(q, order, axis=1), axis=1)
    return np.stack([np.minimum(1.0, (Q + 1.0 - np.minimum(P, 1.0) ** k).min(axis=1))
                     for k in range(1, K + 1)], axis=1)


def positions(dl, tl, x, tau, top_p, K):
    p = transform(dl, tau, top_p)
    q = transform(tl, tau, top_p)
    n = p.shape[0]
    rows = np.arange(n)
    d = q - p
    tv = np.maximum(d, 0).sum(axis=1)
    qx, px = q[rows, x], p[rows, x]
    r = np.where(qx > 0, np.maximum(qx - px, 0) / np.where(qx > 0, qx, 1), 0.0)
    lq = np.where(q > 0, -np.log(np.where(q > 0, q, 1.0)), 0.0)
    H = (q * lq).sum(axis=1)
    svar = (q * (lq - H[:, None]) ** 2).sum(axis=1)
    below = np.where(np.arange(q.shape[1])[None, :] < x[:, None], q, 0.0).sum(axis=1)
    rrs = np.empty((n, K))
    batch = np.empty((n, K))
    res = q.copy()
    rho = np.ones(n)
    for k in range(K):
        pos = np.maximum(res - p, 0)
        t = pos.sum(axis=1)
        res = np.where(t[:, None] > 0, pos / np.where(t > 0, t, 1)[:, None], res)
        rho = rho * t
        rrs[:, k] = 1 - rho
        batch[:, k] = np.where(qx > 0, rho * res[rows, x] / np.where(qx > 0, qx, 1), 0)
    ks = np.stack([kseq(p, q, k) for k in range(1, K + 1)], axis=1)
    al = alpha_star(p, q, K)
    return tv, r, qx, px, H, svar, below, rrs, ks, al, batch


def sequence(r, batch):
    """Slot DP for each gamma and batch SD along the path (sequential)."""
    calls = []
    for g in GAMMAS:
        sl = np.zeros(g + 1)
        sl[0] = 1.0
        c = 0.0
        for rt in r:
            c += sl[0]
            rej = sl[:g].sum() * rt + sl[g]
            sl[1:] = sl[:-1] * (1 - rt)
            sl[0] = rej
        calls.append(c)
    out = []
    for k in range(batch.shape[1]):
        s, e = 1.0, 0.0
        for rt, a in zip(r, batch[:, k]):
            rej = s * a + (1 - s) * rt
            e += rej
            s = rej
        out.append(e)
    return calls, out


def main():
    dpath, tpath, kpath = sys.argv[1:4]
    tau, top_p, K, reps = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    dl = np.array(np.load(dpath, mmap_mode="r"))  # loading is not timed
    tl = np.array(np.load(tpath, mmap_mode="r"))
    x = np.load(kpath).astype(np.int64)
    N = dl.shape[0]
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        tvs, als, rs, bs = [], [], [], []
        rng = np.random.default_rng(1)
        for a in range(0, N, CHUNK):
            b = min(N, a + CHUNK)
            tv, r, qx, px, H, svar, below, rrs, ks, al, batch = positions(
                dl[a:b], tl[a:b], x[a:b], tau, top_p, K)
            u = below + rng.random(b - a) * qx  # randomised PIT
            tvs.append(tv)
            als.append(al[:, -1])
            rs.append(r)
            bs.append(batch)
        sequence(np.concatenate(rs), np.concatenate(bs))
        best = min(best, time.perf_counter() - t0)
    print(f"{best / N:.9g}\t{np.concatenate(tvs).sum():.12g}\t{np.concatenate(als).sum():.12g}")


if __name__ == "__main__":
    main()
