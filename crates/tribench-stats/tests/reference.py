"""Reference values for tribench-stats, computed with scipy and statsmodels.

Reads a JSON object of cases on stdin and writes the same keys with results on stdout.
"""
import itertools
import json
import math
import sys

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

cases = json.load(sys.stdin)
out = {}

out["wilson"] = [list(proportion_confint(s, n, alpha=0.05, method="wilson")) for s, n in cases.get("wilson", [])]

def t_interval(xs):
    xs = np.asarray(xs, dtype=float)
    m = xs.mean()
    se = stats.sem(xs)
    lo, hi = stats.t.interval(0.95, len(xs) - 1, loc=m, scale=se)
    return [m, lo, hi, se]

out["clustered"] = [t_interval(xs) for xs in cases.get("clustered", [])]

out["newcombe"] = [
    list(confint_proportions_2indep(s1, n1, s2, n2, method="newcomb", compare="diff", alpha=0.05))
    for s1, n1, s2, n2 in cases.get("newcombe", [])
]

out["mcnemar"] = [mcnemar([[5, a], [b, 5]], exact=True).pvalue for a, b in cases.get("mcnemar", [])]

def paired(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = a - b
    m, lo, hi, se = t_interval(d)
    r = stats.pearsonr(a, b)[0]
    return [m, lo, hi, se, r]

out["paired"] = [paired(a, b) for a, b in cases.get("paired", [])]

out["holm"] = [list(multipletests(ps, method="holm")[1]) for ps in cases.get("holm", [])]

def mde(n, p):
    es = NormalIndPower().solve_power(effect_size=None, nobs1=n, alpha=0.05, power=0.8, ratio=1.0)
    return es * math.sqrt(p * (1 - p))

out["mde_unpaired"] = [mde(n, p) for n, p in cases.get("mde_unpaired", [])]

def pass_at_k(n, c, k):
    return 1 - math.comb(n - c, k) / math.comb(n, k)

def pass_hat_k(n, c, k):
    return math.comb(c, k) / math.comb(n, k)

out["passk"] = [[pass_at_k(n, c, k), pass_hat_k(n, c, k)] for n, c, k in cases.get("passk", [])]

def sign_flip(d):
    d = [x for x in d if x != 0]
    obs = abs(sum(d))
    hits = sum(
        1 for signs in itertools.product([1, -1], repeat=len(d))
        if abs(sum(s * x for s, x in zip(signs, d))) >= obs - 1e-9 * (1 + obs)
    )
    return hits / 2 ** len(d)

out["permutation"] = [sign_flip(d) for d in cases.get("permutation", [])]

def clustered_wilson_floor(xs):
    """The t interval over task means, widened to the Wilson interval over the tasks at the
    same rate (a fractional count), clipped to [0, 1]."""
    xs = np.asarray(xs, dtype=float)
    n, m = len(xs), xs.mean()
    se = stats.sem(xs)
    if se > 0:
        lo, hi = stats.t.interval(0.95, n - 1, loc=m, scale=se)
    else:
        lo = hi = m
    wl, wh = proportion_confint(m * n, n, alpha=0.05, method="wilson")
    return [max(0.0, min(lo, wl)), min(1.0, max(hi, wh))]

if "clustered_floor" in cases:
    out["clustered_floor"] = [clustered_wilson_floor(xs) for xs in cases.get("clustered_floor", [])]

def planning(n, ra, rb, rho):
    """Paired MDE from the planning formula: an unpaired two-sample MDE (statsmodels) at the
    Agresti-Coull-adjusted pooled rate, scaled by sqrt(1 - rho)."""
    z = stats.norm.ppf(0.975)
    p = (n * (ra + rb) + z * z / 2) / (2 * n + z * z)
    rho = 0.0 if rho is None or math.isnan(rho) else min(max(rho, 0.0), 0.9)
    es = NormalIndPower().solve_power(effect_size=None, nobs1=n, alpha=0.05, power=0.8, ratio=1.0)
    return es * math.sqrt(p * (1 - p)) * math.sqrt(1 - rho)

if "planning_mde" in cases:
    out["planning_mde"] = [planning(*c) for c in cases.get("planning_mde", [])]

json.dump(out, sys.stdout)
