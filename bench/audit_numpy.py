#!/usr/bin/python3
"""audit_numpy.py - the baseline of bench/run-audit: the statistics of an
audit computed the way one would in vectorised NumPy (one bincount over
all instances, per-bin z-scores, chi-square statistics, acceptance
z-scores; normal approximations, no exact binomial tails), on the same
files specdec audit reads.

Usage: audit_numpy.py DIR TOKENS ACCEPTED REPS -> best wall seconds of REPS
(tab) number of bins with |z| > 5 (a sanity figure)."""
import os
import sys
import time

import numpy as np


def audit(d, tokens, accepted):
    p = np.load(os.path.join(d, "p.npy"))
    q = np.load(os.path.join(d, "q.npy"))
    t = np.load(tokens)
    a = np.load(accepted)
    I, V = q.shape
    R = t.shape[1]
    bad = (t < 0) | (t >= V)
    flat = (np.arange(I)[:, None] * V + np.where(bad, 0, t)).ravel()
    counts = np.bincount(flat[~bad.ravel()], minlength=I * V).reshape(I, V)
    e = R * q
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (counts - e) / np.sqrt(e * (1 - q))
        chi2 = np.where(e > 0, (counts - e) ** 2 / e, 0).sum(axis=1)
    acc = 1 - np.maximum(q - p, 0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        za = (a.sum(axis=1) - R * acc) / np.sqrt(R * acc * (1 - acc))
    return int((np.abs(np.nan_to_num(z)) > 5).sum()), chi2, za


def main():
    d, tokens, accepted, reps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        big, _, _ = audit(d, tokens, accepted)
        best = min(best, time.perf_counter() - t0)
    print("%.4f\t%d" % (best, big))


if __name__ == "__main__":
    main()
