"""samplerio.py - the file side of the audit protocol for the example samplers.

specdec audit-cases wrote DIR/p.npy and DIR/q.npy, float64 arrays of shape
(I, V) (row i: the draft law P_i and target law Q_i of instance i), and
DIR/cases.json (among others "drafts" K and "runs" R).  A sampler runs R
times on each instance and writes the emitted tokens, and whether a draft
was accepted, as (I, R) int64 arrays for specdec audit.
"""
import argparse
import json
import os

import numpy as np


def draw(w, u):
    """The inverse-CDF draw of a law w (which must sum to 1) at uniforms u
    in [0, 1): the first token whose cumulative weight exceeds u, and the
    last token of positive weight for u beyond the (rounded) total.  A
    token of weight 0 is never returned.  A w without mass has no token:
    the result is then len(w), an id outside the vocabulary."""
    pos = np.flatnonzero(w > 0)
    if pos.size == 0:
        return np.full(np.shape(u), len(w))
    return np.minimum(np.searchsorted(np.cumsum(w), u, side="right"), pos[-1])


def temper(w, tau):
    """The law w at temperature tau: proportional to w ** (1 / tau)."""
    if tau == 1.0:
        return w
    with np.errstate(divide="ignore"):
        logw = np.log(w) / tau
    e = np.exp(logw - logw.max())
    return e / e.sum()


def main(description, step):
    """Parse the command line, run step(p, q, K, R, rng, tau) -> (tokens,
    accepted) on every instance and write the two arrays."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("cases", help="directory written by specdec audit-cases")
    ap.add_argument("tokens", help="output: emitted tokens, (I, R) int64 .npy")
    ap.add_argument("accepted", help="output: 1 if a draft was accepted, (I, R) int64 .npy")
    ap.add_argument("--runs", type=int, help="R (default: cases.json's runs)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the sampler (default 1)")
    ap.add_argument("--temperature", type=float, default=1.0,
                    help="sample from q at this temperature (default 1)")
    a = ap.parse_args()
    with open(os.path.join(a.cases, "cases.json")) as f:
        meta = json.load(f)
    p = np.load(os.path.join(a.cases, "p.npy"))
    q = np.load(os.path.join(a.cases, "q.npy"))
    R = a.runs if a.runs is not None else meta["runs"]
    K = meta["drafts"]
    rng = np.random.default_rng(a.seed)
    tokens = np.empty(p.shape[0:1] + (R,), dtype=np.int64)
    accepted = np.empty_like(tokens)
    for i in range(p.shape[0]):
        y, acc = step(p[i], q[i], K, R, rng, a.temperature)
        tokens[i] = y
        accepted[i] = acc
    for path, arr in ((a.tokens, tokens), (a.accepted, accepted)):
        tmp = path + ".tmp.npy"
        np.save(tmp, arr)
        os.replace(tmp, path)
