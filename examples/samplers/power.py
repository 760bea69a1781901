#!/usr/bin/python3
"""power.py DIR MODULE R [TAU] - the probability that specdec audit (default
--z 4.5, with --accepted) lets an SD-form sampler pass, from its exact law.

MODULE is sd_sampler or one of its bug_* variants: they share the functions
laws(), ratio() and resample_law(), and their step() draws a draft from pd,
accepts it iff u < ratio (u uniform in [0, 1)) and otherwise emits
draw(resample_law(pv, qv), u').  So instance i emits token x with exact
probability O_i(x) = pd(x) min(1, ratio(x)) + (1 - a_i) L_i(x), where a_i is
the acceptance probability and L_i the exact law of draw() on the resample
weights (draw() is a binary search: constant between consecutive cumulative
weights, so L_i is a sum of interval lengths; mass past the last token is
an id outside [0, V)).  The target is DIR's q; for a DIR written by temper_cases.py the sampler
ran on the untempered laws with --temperature TAU.

The audit passes only if every test passes, so P(pass) <= min over tests of
P(that test passes); this prints that bound over: no invalid id in any
instance (exact: prod_i (1 - v_i)^R), the acceptance test of each instance
and the token tests of the 40 tokens with the largest standardized bias
(exact binomial probabilities of the test's acceptance region, the region
computed as specdec audit does).  For the correct sampler it checks O_i = Q_i
instead and prints 0 (the audit's false-failure bound is stated apart).
"""
import importlib
import json
import math
import os
import sys

import numpy as np

Z_DEFAULT = 4.5


def law_of_draw(w):
    """Exact law of draw(w, u), u ~ U[0, 1): V + 1 entries, the last one the
    mass of ids >= V."""
    from samplerio import draw
    V = len(w)
    with np.errstate(invalid="ignore"):
        c = np.cumsum(w)
    b = np.unique(np.concatenate(([0.0, 1.0], c[np.isfinite(c) & (c > 0) & (c < 1)])))
    mid = (b[:-1] + b[1:]) / 2
    idx = np.minimum(draw(w, mid), V)
    L = np.zeros(V + 1)
    np.add.at(L, idx, np.diff(b))
    return L


def exact_law(mod, p, q, tau):
    pd, pv, qv = mod.laws(p, q, tau)
    with np.errstate(invalid="ignore"):
        a_x = pd * np.nan_to_num(np.clip(mod.ratio(pv, qv), 0.0, 1.0), nan=0.0)
    a = a_x.sum()
    L = law_of_draw(mod.resample_law(pv, qv))
    return a_x + (1 - a) * L[:-1], (1 - a) * L[-1], a


class Binom:
    """Exact binomial probabilities for n trials (log-factorial table)."""

    def __init__(self, n):
        self.n = n
        self.lf = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, n + 1)))))

    def pmf(self, q):
        k = np.arange(self.n + 1)
        if q <= 0.0 or q >= 1.0:
            return (k == (self.n if q >= 1.0 else 0)).astype(float)
        lp = self.lf[-1] - self.lf - self.lf[::-1] + k * math.log(q) + (self.n - k) * math.log1p(-q)
        return np.exp(lp)

    def region(self, q, alpha):
        """Counts the audit accepts for probability q at level alpha: twice
        the tail on the count's side of the mean must be >= alpha."""
        f = self.pmf(q)
        upper = np.cumsum(f[::-1])[::-1]    # P(X >= k)
        lower = np.cumsum(f)                # P(X <= k)
        k = np.arange(self.n + 1)
        e = self.n * q
        ok = np.where(k > e, 2 * upper >= alpha, 2 * lower >= alpha)
        ok |= k == e                        # n q itself is the median
        return ok

    def p_pass(self, q_true, q_null, alpha):
        if q_null <= 0.0 or q_null >= 1.0:
            return float(q_true == q_null)
        return float(self.pmf(q_true)[self.region(q_null, alpha)].sum())


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    d, modname, R = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tau = float(sys.argv[4]) if len(sys.argv) == 5 else 1.0
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    mod = importlib.import_module(modname)
    P = np.load(os.path.join(d, "p.npy"))
    Q = np.load(os.path.join(d, "q.npy"))
    with open(os.path.join(d, "cases.json")) as f:
        meta = json.load(f)
    src = meta.get("tempered_from")
    Ps, Qs = P, Q
    if src is not None:   # the sampler ran on the untempered laws
        Ps = np.load(os.path.join(src, "p.npy"))
        Qs = np.load(os.path.join(src, "q.npy"))
    I, V = Q.shape
    alpha = math.erfc(Z_DEFAULT / math.sqrt(2))
    a_test = alpha / (3 * I + 1)
    laws = [exact_law(mod, Ps[i], Qs[i], tau) for i in range(I)]
    worst = max(float(np.abs(O - Q[i]).max()) for i, (O, v, a) in enumerate(laws))
    if modname.endswith("_sampler"):
        inval = max(v for O, v, a in laws)
        print("exact law = target: max |O - Q| = %.3g, invalid mass %.3g" % (worst, inval))
        print("miss_bound 0" if worst < 1e-12 and inval < 1e-12 else "miss_bound 1")
        return
    B = Binom(R)
    bounds = [0.0 if max(v for O, v, a in laws) >= 1 else
              math.exp(R * sum(math.log1p(-v) for O, v, a in laws))]
    cand = []
    for i, (O, v, a) in enumerate(laws):
        q = Q[i]
        a0 = min(1.0, max(0.0, 1.0 - np.maximum(q - P[i], 0).sum()))
        bounds.append(B.p_pass(min(1.0, max(0.0, a)), a0, a_test))
        bins = int(((q > 0) & (q < 1)).sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            zs = np.abs(O - q) / np.sqrt(q * (1 - q) / R)
        zs[~((q > 0) & (q < 1))] = 0.0
        for x in np.argsort(zs)[-3:]:
            cand.append((zs[x], i, x, a_test / max(bins, 1)))
        if np.any((q == 0) & (O > 0)):   # a zero-probability token emitted
            bounds.append(float((1 - O[q == 0].sum()) ** R))
    for z, i, x, ab in sorted(cand)[-40:]:
        bounds.append(B.p_pass(float(laws[i][0][x]), float(Q[i][x]), ab))
    print("largest |O - Q| = %.3g" % worst)
    print("miss_bound %.3g" % max(min(bounds), 1e-300))


if __name__ == "__main__":
    main()
