#!/usr/bin/python3
"""Recursive rejection sampling with K i.i.d. drafts (batch speculative
decoding: Yin et al. 2024; SpecInfer's multi-step speculative sampling),
vectorised over the R runs of an instance: r_0 = q; draft m = 1..K is
x ~ p, accepted with probability min(1, r_{m-1}(x)/p(x)); after a rejection
r_m = [r_{m-1} - p]_+ normalised; if all K are rejected, emit from r_K.
"""
import numpy as np

from samplerio import draw, main


def residuals(p, q, K):
    """r_0 .. r_K.  When r_m = p (only r_0 = q = p) a draft is never rejected
    and the later residuals are left as r_m."""
    rs = [q]
    for _ in range(K):
        res = np.maximum(rs[-1] - p, 0.0)
        tv = res.sum()
        rs.append(res / tv if tv > 0 else rs[-1])
    return rs


def step(p, q, K, R, rng, tau):
    if tau != 1.0:
        raise SystemExit("rrs_sampler.py: --temperature is not supported")
    rs = residuals(p, q, K)
    y = np.empty(R, dtype=np.int64)
    acc = np.zeros(R, dtype=bool)
    alive = np.arange(R)
    for m in range(K):
        x = draw(p, rng.random(alive.size))
        with np.errstate(divide="ignore", invalid="ignore"):
            ok = rng.random(alive.size) < rs[m][x] / p[x]
        y[alive[ok]] = x[ok]
        acc[alive[ok]] = True
        alive = alive[~ok]
    y[alive] = draw(rs[K], rng.random(alive.size))
    return y, acc


if __name__ == "__main__":
    main(__doc__.splitlines()[0], step)
