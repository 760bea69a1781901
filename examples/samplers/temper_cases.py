#!/usr/bin/python3
"""temper_cases.py DIR TAU OUT - the case set DIR at temperature TAU: OUT/p.npy
and OUT/q.npy hold the laws of DIR proportional to w ** (1 / TAU) (the
function the samplers' --temperature uses), OUT/cases.json is DIR's with
"temperature" and "tempered_from" added.  A sampler run on DIR with
--temperature TAU must emit OUT's target laws; audit it against OUT."""
import json
import os
import sys

import numpy as np

from samplerio import temper

if len(sys.argv) != 4:
    sys.exit(__doc__)
src, tau, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
os.makedirs(out, exist_ok=True)
for name in ("p.npy", "q.npy"):
    w = np.load(os.path.join(src, name))
    np.save(os.path.join(out, name), np.array([temper(row, tau) for row in w]))
with open(os.path.join(src, "cases.json")) as f:
    meta = json.load(f)
meta["temperature"] = tau
meta["tempered_from"] = src
with open(os.path.join(out, "cases.json"), "w") as f:
    json.dump(meta, f, separators=(",", ":"))
