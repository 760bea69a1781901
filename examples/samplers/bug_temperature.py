#!/usr/bin/python3
"""Speculative sampling (Leviathan et al. 2023; Chen et al. 2023), one draft,
vectorised over the R runs of an instance: draft x ~ p, accept it with
probability min(1, q(x)/p(x)), else emit a token of the residual law
[q - p]_+ / TV(p, q).  With --temperature tau both laws are taken at tau.

This file is the correct sampler; each bug_*.py beside it differs from it
in exactly one line (marked BUG), so the audit can be seen to catch it.
"""
import numpy as np

from samplerio import draw, main, temper


def laws(p, q, tau):
    """The draft law sampled from, and the draft and target laws the verifier uses."""
    pd = temper(p, tau)
    pv = p  # BUG: temperature applied to q but not to p in the verifier
    qv = temper(q, tau)
    return pd, pv, qv


def ratio(pv, qv):
    """The acceptance ratio per token (accept with probability min(1, ratio))."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return qv / pv


def resample_law(pv, qv):
    """The law of the token emitted after a rejection."""
    res = np.maximum(qv - pv, 0.0)
    tv = res.sum()
    return res / tv if tv > 0 else res


def step(p, q, K, R, rng, tau):
    pd, pv, qv = laws(p, q, tau)
    x = draw(pd, rng.random(R))
    acc = rng.random(R) < ratio(pv, qv)[x]
    y = draw(resample_law(pv, qv), rng.random(R))
    return np.where(acc, x, y), acc


if __name__ == "__main__":
    main(__doc__.splitlines()[0], step)
