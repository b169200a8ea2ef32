"""Summaries over seeds: mean, sample std, and a Student-t 95% confidence interval."""

from __future__ import annotations

import math
from collections.abc import Sequence

# two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom (no scipy needed)
_T975 = [
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
]


def t975(dof: int) -> float:
    if dof <= 0:
        return float("nan")
    return _T975[dof - 1] if dof <= len(_T975) else 1.960


def summarize(values: Sequence[float]) -> dict:
    """{mean, std, n, ci95: [lo, hi], per_seed} for one metric measured once per seed.

    std is the sample standard deviation (ddof=1); with one seed std is 0 and the interval
    collapses to the point, which the report states as "one seed, no interval".
    """
    vals = [float(v) for v in values]
    n = len(vals)
    if n == 0:
        raise ValueError("summarize() needs at least one value")
    mean = sum(vals) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1)) if n > 1 else 0.0
    half = t975(n - 1) * std / math.sqrt(n) if n > 1 else 0.0
    return {"mean": mean, "std": std, "n": n, "ci95": [mean - half, mean + half], "per_seed": vals}


def intervals_overlap(a: dict, b: dict) -> bool:
    """True if two summaries' 95% intervals overlap (then we do not call the difference significant)."""
    return not (a["ci95"][1] < b["ci95"][0] or b["ci95"][1] < a["ci95"][0])


def welch_t_test(a: Sequence[float], b: Sequence[float]) -> dict:
    """Welch's unequal-variance t statistic and degrees of freedom (p-value from scipy if present)."""
    na, nb = len(a), len(b)
    ma, mb = sum(a) / na, sum(b) / nb
    va = sum((x - ma) ** 2 for x in a) / (na - 1) if na > 1 else 0.0
    vb = sum((x - mb) ** 2 for x in b) / (nb - 1) if nb > 1 else 0.0
    se2 = va / na + vb / nb
    if se2 == 0:
        return {"t": float("inf") if ma != mb else 0.0, "dof": float(na + nb - 2), "p": 0.0 if ma != mb else 1.0}
    t = (ma - mb) / math.sqrt(se2)
    dof = se2**2 / ((va / na) ** 2 / max(na - 1, 1) + (vb / nb) ** 2 / max(nb - 1, 1))
    try:
        from scipy import stats  # scikit-learn depends on scipy, so this is normally present

        p = float(2 * stats.t.sf(abs(t), dof))
    except ImportError:  # pragma: no cover
        p = float("nan")
    return {"t": t, "dof": dof, "p": p}
