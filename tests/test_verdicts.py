"""cnnrnn.verdicts at its edges: ties, zero spread, one seed, too few seeds, NaN.

The rule for NaN (documented in cnnrnn.verdicts): every verdict refuses a non-finite input with a
CnnrnnError naming the quantity; near_chance calls a non-finite loss "at chance"."""

from __future__ import annotations

import doctest
import math

import pytest

from cnnrnn import verdicts
from cnnrnn.errors import CnnrnnError
from cnnrnn.utils.stats import summarize
from cnnrnn.verdicts import against_reference, compare, curve_facts, near_chance, rank

NAN = float("nan")


def test_docstring_examples_hold():
    assert doctest.testmod(verdicts).failed == 0


# ----------------------------------------------------------------------------- compare


@pytest.mark.parametrize("paired", [True, False])
def test_compare_clear_difference_names_the_winner(paired):
    c = compare([0.90, 0.905, 0.91], [0.80, 0.805, 0.81], paired=paired, name_a="A", name_b="B")
    assert (c["verdict"], c["winner"], c["higher"]) == ("A", "a", "a")
    c = compare([0.80, 0.805, 0.81], [0.90, 0.905, 0.91], paired=paired, name_a="A", name_b="B")
    assert (c["verdict"], c["winner"], c["higher"]) == ("B", "b", "b")


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("paired", [True, False])
def test_compare_too_few_seeds_has_no_winner(n, paired):
    c = compare([0.9 + i / 1000 for i in range(n)], [0.5 + i / 1000 for i in range(n)], paired=paired)
    assert (c["verdict"], c["winner"], c["ci95"], c["p"]) == ("too few seeds", None, None, None)
    assert c["higher"] == "a"  # the means are still stated, never as a verdict


def test_compare_too_few_on_one_side():
    c = compare([0.9, 0.91, 0.92], [0.5], paired=False)
    assert c["verdict"] == "too few seeds" and c["n_b"] == 1


@pytest.mark.parametrize("paired", [True, False])
def test_compare_exact_tie_is_no_difference(paired):
    c = compare([0.9, 0.9, 0.9], [0.9, 0.9, 0.9], paired=paired)
    assert (c["verdict"], c["winner"], c["higher"], c["diff"]) == ("no difference", None, None, 0.0)


def test_compare_tie_of_means_with_spread_is_no_difference():
    c = compare([0.89, 0.90, 0.91], [0.91, 0.90, 0.89], paired=True)
    assert c["verdict"] == "no difference" and c["higher"] is None


def test_compare_zero_spread_paired_difference_is_real():
    # every seed gains exactly one point: the interval of the differences is the point itself
    c = compare([0.91, 0.92, 0.93], [0.90, 0.91, 0.92], paired=True, name_a="A", name_b="B")
    assert c["verdict"] == "A" and c["p"] == 0.0 and c["ci95"][0] == pytest.approx(c["ci95"][1])


def test_compare_zero_spread_unpaired():
    c = compare([0.9, 0.9, 0.9], [0.8, 0.8, 0.8], paired=False, name_a="A", name_b="B")
    assert c["verdict"] == "A"


def test_compare_overlapping_intervals_unpaired():
    c = compare([0.85, 0.90, 0.95], [0.80, 0.85, 0.90], paired=False)
    assert c["verdict"] == "no difference" and c["higher"] == "a" and c["winner"] is None


def test_compare_paired_needs_the_same_seeds():
    with pytest.raises(ValueError):
        compare([0.9, 0.91, 0.92], [0.8, 0.81, 0.82, 0.83], paired=True)


def test_compare_means_closer_than_same_mean_have_no_higher():
    c = compare([0.9, 0.9001, 0.9002], [0.9, 0.9, 0.9], paired=False)
    assert c["higher"] is None and abs(c["diff"]) < verdicts.SAME_MEAN


@pytest.mark.parametrize("paired", [True, False])
def test_compare_refuses_nan(paired):
    with pytest.raises(CnnrnnError, match="non-finite"):
        compare([0.9, NAN, 0.92], [0.8, 0.81, 0.82], paired=paired, name_a="A")


# ----------------------------------------------------------------------------- rank


def test_rank_separates_only_where_intervals_do():
    s = {
        "a": summarize([0.90, 0.91, 0.92]),
        "b": summarize([0.895, 0.905, 0.915]),  # overlaps a
        "c": summarize([0.50, 0.51, 0.52]),
    }
    assert rank(s) == [["a", "b"], ["c"]]


@pytest.mark.parametrize("n", [1, 2])
def test_rank_with_too_few_seeds_is_one_group(n):
    s = {k: summarize([m + i / 1000 for i in range(n)]) for k, m in (("a", 0.9), ("b", 0.7), ("c", 0.5))}
    assert rank(s) == [["a", "b", "c"]]


def test_rank_ties_and_zero_spread():
    s = {"a": summarize([0.9, 0.9, 0.9]), "b": summarize([0.9, 0.9, 0.9]), "c": summarize([0.8, 0.8, 0.8])}
    assert rank(s) == [["a", "b"], ["c"]]  # equal points overlap; a distinct point is its own group


def test_rank_refuses_nan():
    with pytest.raises(CnnrnnError, match="non-finite"):
        rank({"a": summarize([0.9, NAN, 0.9]), "b": summarize([0.8, 0.8, 0.8])})


# ----------------------------------------------------------------------------- against_reference


def test_against_reference_edges():
    s = summarize([0.899, 0.9, 0.903])
    assert against_reference(s, 0.90) == "no difference"
    assert against_reference(s, 0.912) == "below" and against_reference(s, 0.8889) == "above"
    assert against_reference(s, s["ci95"][0]) == "no difference"  # on the interval's edge: inside
    assert against_reference(summarize([0.95]), 0.90) == "too few seeds"
    assert against_reference(summarize([0.95, 0.96]), 0.90) == "too few seeds"
    flat = summarize([0.9, 0.9, 0.9])  # zero spread: the interval is the point
    assert against_reference(flat, 0.9) == "no difference" and against_reference(flat, 0.89) == "above"


def test_against_reference_refuses_nan():
    with pytest.raises(CnnrnnError):
        against_reference(summarize([0.9, 0.91, 0.92]), NAN)
    with pytest.raises(CnnrnnError):
        against_reference(summarize([0.9, NAN, 0.92]), 0.9)


# ----------------------------------------------------------------------------- near_chance


def test_near_chance_edges():
    edge = (1 - verdicts.CHANCE_TOLERANCE) * verdicts.CHANCE_BCE
    assert near_chance(math.log(2)) and near_chance(0.7)  # at or above chance
    assert not near_chance(edge) and near_chance(edge + 1e-9)  # "within 5 %" is strict
    assert not near_chance(0.3)
    assert near_chance(NAN) and near_chance(float("inf"))


# ----------------------------------------------------------------------------- curve_facts


def _history(val_loss, val_acc=None, train_acc=None):
    val_acc = val_acc or [0.5 + 0.01 * e for e in range(len(val_loss))]
    train_acc = train_acc or val_acc
    return [
        {"val_loss": v, "val_accuracy": a, "train_accuracy": t, "train_loss": v}
        for v, a, t in zip(val_loss, val_acc, train_acc)
    ]


def test_curve_facts_one_epoch():
    f = curve_facts([_history([0.5])])
    assert (f["epochs"], f["best_epoch"], f["overfit"], f["last_gain"]) == (1, 1, False, 0.0)
    assert not f["still_improving"]


def test_curve_facts_overfit_needs_more_than_the_tolerance():
    assert curve_facts([_history([0.5, 0.4, 0.41])])["overfit"]  # 2.5 % above the minimum
    assert not curve_facts([_history([0.5, 0.4, 0.4039])])["overfit"]  # within 1 %


def test_curve_facts_tie_picks_the_first_best_epoch():
    f = curve_facts([_history([0.5, 0.4, 0.4])])
    assert f["best_epoch"] == 2 and not f["overfit"] and not f["still_improving"]


def test_curve_facts_still_improving_and_gap():
    f = curve_facts([_history([0.5, 0.4, 0.3], [0.80, 0.85, 0.86], [0.9, 0.95, 0.99])])
    assert f["still_improving"] and f["best_epoch"] == 3
    assert f["gap"] == pytest.approx(0.13) and f["gap_large"]
    flat = curve_facts([_history([0.5, 0.4, 0.3], [0.80, 0.85, 0.851])])
    assert not flat["still_improving"] and not flat["gap_large"]


def test_curve_facts_averages_seeds_and_uses_the_shortest():
    f = curve_facts([_history([0.5, 0.4, 0.3]), _history([0.7, 0.6])])
    assert f["epochs"] == 2 and f["val_loss"] == pytest.approx([0.6, 0.5])


def test_curve_facts_refuses_nan():
    with pytest.raises(CnnrnnError, match="learning curve"):
        curve_facts([_history([0.5, NAN, 0.3])])
