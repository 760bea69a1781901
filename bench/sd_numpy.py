#!/usr/bin/python3
"""sd_numpy.py - the baseline of bench/run: Algorithm SD (doc/theory.md §1) simulated
in vectorised NumPy, the way one would write it without a C toolkit.

All runs of a batch advance together, one position at a time:
  draft   x ~ P_t(s, .) by inverse CDF: one uniform per run, searchsorted
          on the concatenated, offset CDFs of the P rows (run i searches
          row s_i only, because row r's CDF is shifted into [r, r+1]);
  test    accept iff u < Q_t(s, x) / P_t(s, x);
  reject  x ~ [Q_t(s, .) - P_t(s, .)]_+ normalised, by the same inverse-CDF
          trick on the residual rows, for the rejected runs only.
Tables (CDFs, ratios) are built once, outside the timed loop, as the C
code builds its alias tables once.

usage: sd_numpy.py DRAFT.npy TARGET.npy RUNS [BATCH] [REPS]
prints: runs T V seconds tokens_per_second mean_N_rej  (tab-separated)
"""
import sys
import time

import numpy as np


def offset_cdfs(W):
    """Row-wise CDFs of the (K, V) nonnegative rows W (normalised), row r
    shifted by r and flattened, for a single searchsorted over all rows."""
    K, V = W.shape
    tot = W.sum(axis=1, keepdims=True)
    tot[tot == 0] = 1.0
    cdf = np.cumsum(W / tot, axis=1)
    cdf[:, -1] = 1.0
    return (cdf + np.arange(K)[:, None]).ravel()


def tables(P, Q):
    """Per position t: offset CDFs of draft rows and residual rows, and the
    acceptance ratios Q/P (inf where P = 0; such tokens are never drafted)."""
    T, V, _ = P.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(P > 0, Q / P, np.inf)
    R = np.clip(Q - P, 0.0, None)
    # A row with no residual mass never rejects (Q <= P nowhere strictly);
    # draw from Q there so the table is a law, as the C code does.
    empty = R.sum(axis=2) <= 0
    R[empty] = Q[empty]
    dcdf = [offset_cdfs(P[t]) for t in range(T)]
    rcdf = [offset_cdfs(R[t]) for t in range(T)]
    return dcdf, rcdf, ratio.reshape(T, V * V)


def draw(cdf_flat, s, u, V):
    """Inverse-CDF draw of one token per run from row s[i] of cdf_flat."""
    idx = np.searchsorted(cdf_flat, u + s, side="right")
    return np.minimum(idx - s * V, V - 1)


def simulate(P, Q, pi0, runs, batch, rng, tabs):
    T, V, _ = P.shape
    dcdf, rcdf, ratio = tabs
    start = np.cumsum(pi0)
    start[-1] = 1.0
    total = 0
    done = 0
    while done < runs:
        n = min(batch, runs - done)
        s = np.minimum(np.searchsorted(start, rng.random(n), side="right"), V - 1)
        nrej = np.zeros(n, dtype=np.int64)
        for t in range(T):
            x = draw(dcdf[t], s, rng.random(n), V)
            rej = rng.random(n) >= ratio[t][s * V + x]
            k = np.flatnonzero(rej)
            if k.size:
                x[k] = draw(rcdf[t], s[k], rng.random(k.size), V)
                nrej[k] += 1
            s = x
        total += int(nrej.sum())
        done += n
    return total / runs


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    P = np.load(sys.argv[1]).astype(np.float64)
    Q = np.load(sys.argv[2]).astype(np.float64)
    runs = int(sys.argv[3])
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 100000
    reps = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    if P.ndim != 3 or P.shape != Q.shape:
        sys.exit("sd_numpy.py: needs (T,V,V) draft and target of the same shape")
    T, V, _ = P.shape
    pi0 = np.full(V, 1.0 / V)
    tabs = tables(P, Q)
    rng = np.random.default_rng(20241101)
    best, mean = None, None
    for _ in range(reps):
        t0 = time.perf_counter()
        mean = simulate(P, Q, pi0, runs, batch, rng, tabs)
        dt = time.perf_counter() - t0
        best = dt if best is None or dt < best else best
    print("%d\t%d\t%d\t%.6f\t%.6g\t%.6f" % (runs, T, V, best, runs * T / best, mean))


if __name__ == "__main__":
    main()
