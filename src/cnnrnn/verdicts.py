"""Every verdict the studies draw from numbers, defined once. The studies call these and write the
answers into results.json; the report and the terminal summaries only phrase what they find there,
so the PDF and the CLI can never disagree.

    compare(a_per_seed, b_per_seed, paired=True)   # is a better than b? -> {diff, ci95, p, verdict, ...}
    curve_facts(histories)                         # best epoch, overfitting, still improving, gap
    near_chance(loss)                              # a binary classifier's loss at the chance plateau

The rule for differences (the one place it is written):
- paired (both measured on the same seeds, i.e. the same data order and initial weights): the 95 %
  Student-t interval of the per-seed differences; a difference is real only if it excludes 0
  (equivalently: paired t-test p < 0.05);
- unpaired: a difference is real only if the two 95 % intervals do not overlap (stricter than
  Welch's test, which is reported beside it);
- fewer than MIN_SEEDS seeds on either side: no verdict ("too few seeds"): with two seeds an interval
  is either huge or, when both differences happen to be equal, degenerate. The same holds for a
  ranking (`rank`) and for a published number (`against_reference`).

Edges, decided here once:
- zero spread (every seed gives the same number, or the same paired difference): the interval is the
  point itself, so a non-zero difference counts as real and an exact tie as "no difference";
- ties of means: "no difference" (the winner is never chosen by order or by name);
- NaN or infinite inputs: refused with a CnnrnnError naming the quantity (accuracies are finite by
  construction, so a non-finite one is a corrupt result; a verdict on it would be noise); the only
  exception is `near_chance`, for which a non-finite loss has not left chance (it learned nothing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from cnnrnn.errors import CnnrnnError
from cnnrnn.utils.stats import summarize, welch_t_test

CHANCE_BCE = math.log(2)  # binary cross-entropy of always predicting 0.5
CHANCE_TOLERANCE = 0.05  # "at chance": within 5 % of ln 2
OVERFIT_TOLERANCE = 0.01  # overfitting: final validation loss > 1 % above its minimum
STILL_IMPROVING = 0.002  # the last epoch raised validation accuracy by more than this
GAP_LARGE = 0.03  # training accuracy above validation accuracy by more than 3 points: worth a sentence
MIN_SEEDS = 3  # fewer seeds on either side: no verdict on a difference
SAME_MEAN = 5e-4  # means closer than 0.05 points: "the same mean" (the report prints 0.1-point steps)

RULE = (
    "paired over seeds: the 95 % interval of the per-seed differences excludes 0; unpaired: the two 95 % "
    f"intervals do not overlap; fewer than {MIN_SEEDS} seeds: no verdict"
)


def near_chance(loss: float) -> bool:
    """A binary classifier whose loss is within 5 % of ln 2 has not left the chance plateau.

    >>> near_chance(0.69), near_chance(0.5), near_chance(float("nan"))
    (True, False, True)
    """
    loss = float(loss)
    return not math.isfinite(loss) or loss > (1 - CHANCE_TOLERANCE) * CHANCE_BCE


def _finite(values: Sequence[float], what: str) -> list[float]:
    out = [float(x) for x in values]
    bad = [x for x in out if not math.isfinite(x)]
    if bad:
        raise CnnrnnError(f"verdicts: non-finite value ({bad[0]}) in {what}: no verdict on a corrupt result")
    return out


def _paired(a: Sequence[float], b: Sequence[float]) -> dict:
    diffs = [x - y for x, y in zip(a, b)]
    s = summarize(diffs)
    n = len(diffs)
    if s["std"] == 0:
        p = 1.0 if s["mean"] == 0 else 0.0
    else:
        t = s["mean"] / (s["std"] / math.sqrt(n))
        try:
            from scipy import stats

            p = float(2 * stats.t.sf(abs(t), n - 1))
        except ImportError:  # pragma: no cover
            p = float("nan")
    return {
        "diff": s["mean"],
        "ci95": s["ci95"],
        "p": p,
        "test": "paired t-test",
        "real": not (s["ci95"][0] <= 0 <= s["ci95"][1]),
    }


def compare(a: Sequence[float], b: Sequence[float], *, paired: bool, name_a: str = "a", name_b: str = "b") -> dict:
    """Is `a` better than `b`? Per-seed accuracies in; the verdict and the numbers behind it out.

    verdict: the better one's name, "no difference", or "too few seeds". `diff` = mean(a) - mean(b);
    `higher`: "a" or "b", whose mean is higher, None when they differ by less than SAME_MEAN (a
    statement about the means only; `winner` is the verdict).

    >>> compare([0.9, 0.91, 0.92], [0.8, 0.81, 0.82], paired=True, name_a="A", name_b="B")["verdict"]
    'A'
    >>> compare([0.9, 0.91], [0.8, 0.81], paired=True)["verdict"]
    'too few seeds'
    """
    a, b = _finite(a, f"the accuracies of {name_a}"), _finite(b, f"the accuracies of {name_b}")
    sa, sb = summarize(a), summarize(b)
    out = {
        "a": name_a,
        "b": name_b,
        "a_mean": sa["mean"],
        "b_mean": sb["mean"],
        "diff": sa["mean"] - sb["mean"],
        "higher": None if abs(sa["mean"] - sb["mean"]) < SAME_MEAN else "a" if sa["mean"] > sb["mean"] else "b",
        "n_a": len(a),
        "n_b": len(b),
        "paired": bool(paired),
        "ci95": None,
        "p": None,
        "test": None,
    }
    if len(a) < MIN_SEEDS or len(b) < MIN_SEEDS:
        out["verdict"], out["winner"] = "too few seeds", None
        return out
    if paired:
        if len(a) != len(b):
            raise ValueError("a paired comparison needs the same seeds on both sides")
        res = _paired(a, b)
        out.update(ci95=res["ci95"], p=res["p"], test=res["test"])
        real = res["real"]
    else:
        w = welch_t_test(a, b)
        half_a = sa["ci95"][1] - sa["mean"]
        half_b = sb["ci95"][1] - sb["mean"]
        out.update(
            p=w["p"],
            test="Welch's t-test (reported); rule: 95 % intervals do not overlap",
            ci95=[out["diff"] - half_a - half_b, out["diff"] + half_a + half_b],
        )
        real = sa["ci95"][1] < sb["ci95"][0] or sb["ci95"][1] < sa["ci95"][0]
    real = real and out["diff"] != 0  # an exact tie is never a winner, whatever the interval
    out["verdict"] = (name_a if out["diff"] > 0 else name_b) if real else "no difference"
    out["winner"] = ("a" if out["diff"] > 0 else "b") if real else None
    return out


def against_reference(summary: dict, value: float) -> str:
    """Our mean over seeds beside a published point value: "above" or "below" when the 95 % interval
    excludes it, else "no difference"; fewer than MIN_SEEDS seeds: "too few seeds".

    >>> against_reference(summarize([0.90, 0.91, 0.92]), 0.85), against_reference(summarize([0.9]), 0.85)
    ('above', 'too few seeds')
    """
    _finite([summary["mean"], value], "a comparison with a published number")
    if summary["n"] < MIN_SEEDS:
        return "too few seeds"
    lo, hi = _finite(summary["ci95"], "a comparison with a published number")
    return "above" if lo > value else "below" if hi < value else "no difference"


def rank(summaries: dict[str, dict]) -> list[list[str]]:
    """Groups of names, best first, that the data can tell apart: a name joins the group above it
    when its 95 % interval overlaps that of the group's best, or when either has fewer than MIN_SEEDS
    seeds (no interval to tell them apart). (A ranking, not a sorting by means.)

    >>> rank({"x": summarize([0.9, 0.91, 0.92]), "y": summarize([0.5, 0.51, 0.52])})
    [['x'], ['y']]
    >>> rank({"x": summarize([0.9, 0.91]), "y": summarize([0.5, 0.51])})  # two seeds: no ranking
    [['x', 'y']]
    """
    for name, s in summaries.items():
        _finite([s["mean"], *s["ci95"]], f"the ranking ({name})")
    order = sorted(summaries, key=lambda k: summaries[k]["mean"], reverse=True)
    groups: list[list[str]] = []
    for name in order:
        s = summaries[name]
        if groups:
            lead = summaries[groups[-1][0]]
            if s["n"] < MIN_SEEDS or lead["n"] < MIN_SEEDS or s["ci95"][1] >= lead["ci95"][0]:
                groups[-1].append(name)
                continue
        groups.append([name])
    return groups


def overfits(val_loss: Sequence[float]) -> bool:
    """Overfitting, the one definition: the final validation loss is more than OVERFIT_TOLERANCE
    (1 %) above its minimum, reached at an earlier epoch.

    >>> overfits([0.5, 0.4, 0.41]), overfits([0.5, 0.4, 0.403]), overfits([0.5])
    (True, False, False)
    """
    best = min(range(len(val_loss)), key=lambda e: val_loss[e])
    return best + 1 < len(val_loss) and val_loss[-1] > (1 + OVERFIT_TOLERANCE) * val_loss[best]


def curve_facts(histories: list[list[dict]]) -> dict:
    """Seed-averaged facts about learning curves (histories of `train.fit`, one per seed).

    best_epoch: lowest mean validation loss; overfit: `overfits` on the mean validation loss;
    still_improving: the best epoch is the last and validation accuracy rose by more than 0.2 points
    in it; gap: final training minus validation accuracy; gap_large: the gap is more than GAP_LARGE
    (worth stating in the text).
    """
    epochs = min(len(h) for h in histories)
    for h in histories:
        _finite([h[e][k] for e in range(epochs) for k in ("val_loss", "val_accuracy")], "a learning curve")

    def mean_at(key: str, e: int) -> float:
        return sum(h[e][key] for h in histories) / len(histories)

    val_loss = [mean_at("val_loss", e) for e in range(epochs)]
    val_acc = [mean_at("val_accuracy", e) for e in range(epochs)]
    tr_acc = [mean_at("train_accuracy", e) for e in range(epochs)]
    tr_loss = [mean_at("train_loss", e) for e in range(epochs)]
    best = min(range(epochs), key=lambda e: val_loss[e])
    last_gain = val_acc[-1] - val_acc[-2] if epochs > 1 else 0.0
    overfit = overfits(val_loss)
    return {
        "epochs": epochs,
        "val_loss": val_loss,
        "val_accuracy": val_acc,
        "train_accuracy": tr_acc,
        "train_loss": tr_loss,
        "best_epoch": best + 1,
        "last_gain": last_gain,
        "overfit": overfit,
        "still_improving": best + 1 == epochs and last_gain > STILL_IMPROVING,
        "gap": tr_acc[-1] - val_acc[-1],
        "gap_large": tr_acc[-1] - val_acc[-1] > GAP_LARGE,
    }
