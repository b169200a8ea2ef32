"""Task 1e's error analysis: confusion matrices, the most frequent confusions, and whether the
mistakes are "reasonable" (within groups of look-alike classes). Verdicts are computed here and
written into results.json; the report only phrases them."""

from __future__ import annotations

import numpy as np
import torch

from cnnrnn.data.fashion_mnist import CLASSES
from cnnrnn.findings import Finding1a, Finding1b, Finding1e, Finding1f

# Visually similar groups: an error inside a group is a "reasonable" mistake at 28x28 pixels.
TORSO = ("T-shirt/top", "Pullover", "Coat", "Shirt", "Dress")  # garments with a torso silhouette
FOOTWEAR = ("Sandal", "Sneaker", "Ankle boot")
NEAR_PERFECT = 0.95  # a per-class accuracy called "almost perfect"
MOSTLY_REASONABLE = 0.75  # share of within-group errors above which the mistakes are "mostly reasonable"
HALF_REASONABLE = 0.5


def confusion_matrix(pred: torch.Tensor, target: torch.Tensor, k: int = 10) -> np.ndarray:
    return torch.bincount(target * k + pred, minlength=k * k).reshape(k, k).numpy()


def top_confusions(cm: np.ndarray, n: int = 10) -> list[dict]:
    """Off-diagonal cells, most frequent first; rate = count / images of the true class (over all seeds)."""
    per_class = cm.sum(axis=1)
    pairs = [(int(cm[i, j]), i, j) for i in range(len(cm)) for j in range(len(cm)) if i != j and cm[i, j] > 0]
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    return [
        {"true": CLASSES[i], "pred": CLASSES[j], "count": c, "rate": c / max(int(per_class[i]), 1)}
        for c, i, j in pairs[:n]
    ]


def _group_of(name: str) -> str | None:
    if name in TORSO:
        return "torso"
    if name in FOOTWEAR:
        return "footwear"
    return None


def error_groups(cm: np.ndarray) -> dict:
    """How many errors stay within a group of look-alike classes, and the verdict on them."""
    total = within = 0
    for t in range(len(cm)):
        for p in range(len(cm)):
            if t == p:
                continue
            total += int(cm[t, p])
            g = _group_of(CLASSES[t])
            if g is not None and g == _group_of(CLASSES[p]):
                within += int(cm[t, p])
    share = within / total if total else 0.0
    verdict = (
        "mostly reasonable"
        if share >= MOSTLY_REASONABLE
        else "half reasonable"
        if share >= HALF_REASONABLE
        else "mostly across groups"
    )
    return {
        "groups": {"torso": list(TORSO), "footwear": list(FOOTWEAR)},
        "errors": total,
        "within_group": within,
        "within_share": share,
        "verdict": verdict,
    }


def class_verdicts(per_class: np.ndarray) -> dict:
    """Hardest and easiest classes, and those recognised almost perfectly."""
    order = [int(i) for i in np.argsort(per_class, kind="stable")]
    return {
        "hardest": [CLASSES[i] for i in order[:3]],
        "easiest": [CLASSES[i] for i in order[::-1][:3]],
        "near_perfect": [CLASSES[i] for i in order[::-1] if per_class[i] >= NEAR_PERFECT],
        "near_perfect_threshold": NEAR_PERFECT,
        "hardest_torso": [CLASSES[i] for i in order[:3] if CLASSES[i] in TORSO],
    }


def frontier(points: dict[str, tuple[float, float]]) -> list[str]:
    """The accuracy-vs-time frontier: the recipes no other recipe beats in both training time and
    (mean) test accuracy, fastest first. Each extra minute along it buys the accuracy shown."""
    names = sorted(points, key=lambda n: (points[n][0], -points[n][1]))
    out, best = [], -1.0
    for n in names:
        if points[n][1] > best:
            out.append(n)
            best = points[n][1]
    return out


def class_gains(base: np.ndarray, other: np.ndarray) -> dict:
    """Per-class accuracy gained by `other` over `base` (SimpleCNN), largest first, and the classes
    that stay hardest."""
    gain = np.asarray(other) - np.asarray(base)
    order = [int(i) for i in np.argsort(-gain, kind="stable")]
    return {
        "gain": {CLASSES[i]: float(gain[i]) for i in order},
        "largest": [CLASSES[i] for i in order[:3]],
        "still_hardest": [CLASSES[i] for i in np.argsort(other, kind="stable")[:3]],
    }


# ----------------------------------------------------------------------------- the findings of 1a-1f

FULL_TRAIN, FULL_TEST = 60000, 10000  # images in the official Fashion-MNIST splits


def finding_1a(summary: dict) -> Finding1a:
    """The largest component of the layer table and what the last one makes of the output."""
    layers, total = summary["layers"], int(summary["total_params"])
    biggest = max(layers, key=lambda lay: lay["params"])
    last = str(layers[-1]["type"]) if layers else ""
    return Finding1a(
        total_params=total,
        largest={
            "name": biggest["name"],
            "type": biggest["type"],
            "params": int(biggest["params"]),
            "share": biggest["params"] / total if total else 0.0,
        },
        largest_is_linear="linear" in str(biggest["type"]).lower(),
        last_type=last,
        log_probabilities="logsoftmax" in last.lower().replace("_", ""),
        exp_sum_max_abs_error=summary.get("output", {}).get("exp_sum_max_abs_error"),
    )


def finding_1b(data: dict, train_limit: int | None) -> Finding1b:
    return Finding1b(
        train=int(data["train"]),
        val=int(data["val"]),
        test=int(data["test"]),
        files=len(data.get("files") or {}),
        train_limit=train_limit,
        train_cut=data["train"] + data["val"] < FULL_TRAIN,
        test_full=data["test"] >= FULL_TEST,
    )


def most_confused_with(cm: np.ndarray) -> list[tuple[str | None, float]]:
    """Per true class: the most frequent wrong prediction and its share of the class's images
    (None, 0.0 when the class has no errors); ties go to the lower class index."""
    out = []
    for i in range(len(cm)):
        j = max((k for k in range(len(cm)) if k != i), key=lambda k: (cm[i][k], -k))
        total = int(cm[i].sum())
        out.append((CLASSES[j], cm[i][j] / total) if cm[i][j] > 0 and total else (None, 0.0))
    return out


def curve_state(curves: dict) -> str:
    """The learning curves in one phrase, from verdicts.curve_facts."""
    if curves["still_improving"]:
        return "still improving"
    return "overfitting" if curves["overfit"] else "close to converged"


def curve_numbers(curves: dict) -> dict:
    keys = ("epochs", "last_gain", "best_epoch", "gap", "gap_large")
    return {
        **{k: curves[k] for k in keys},
        "final_train_accuracy": curves["train_accuracy"][-1],
        "final_val_accuracy": curves["val_accuracy"][-1],
    }


def finding_1e(sc: dict, test_images: int) -> Finding1e:
    """SimpleCNN's results as the report states them (`sc` is results.json fashion.simple_cnn)."""
    per_class = [float(x) for x in sc["per_class_accuracy"]]
    std = [float(x) for x in sc["per_class_accuracy_std"]] if sc["confusion_seeds"] > 1 else [None] * len(per_class)
    cv, groups = sc["per_class_verdicts"], sc["error_groups"]
    confused = most_confused_with(np.asarray(sc["confusion_matrix"]))
    acc = {c: per_class[CLASSES.index(c)] for c in CLASSES}
    near = list(cv["near_perfect"])
    cfg = sc["config"]
    return Finding1e(
        seeds=list(cfg["seeds"]),
        as_specified=bool(cfg["as_specified"]),
        config={k: cfg[k] for k in ("epochs", "batch_size", "lr", "optimizer", "loss")},
        test_accuracy=sc["test_accuracy"],
        test_loss=sc["test_loss"],
        train_seconds=sc["train_seconds"]["mean"],
        test_images=int(test_images),
        per_class=[
            {
                "name": c,
                "accuracy": per_class[i],
                "std": std[i],
                "confused_with": confused[i][0],
                "confused_rate": confused[i][1],
            }
            for i, c in enumerate(CLASSES)
        ],
        hardest=[{"name": c, "accuracy": acc[c]} for c in cv["hardest"]],
        easiest=[{"name": c, "accuracy": acc[c]} for c in cv["easiest"]],
        hardest_torso=list(cv["hardest_torso"]),
        torso_explains_hardest=len(cv["hardest_torso"]) >= 2,
        near_perfect=near,
        near_perfect_min=min(acc[c] for c in near) if near else None,
        near_perfect_threshold=float(cv["near_perfect_threshold"]),
        near_perfect_distinct=not any(c in TORSO for c in near),
        confusion_seeds=int(sc["confusion_seeds"]),
        errors=int(groups["errors"]),
        top_confusions=list(sc["top_confusions"][:3]),
        groups=groups["groups"],
        within_share=float(groups["within_share"]),
        across_share=1 - float(groups["within_share"]),
        errors_verdict=groups["verdict"],
        misclassified=sc["misclassified"],
        curve_state=curve_state(sc["curves"]),
        curves=curve_numbers(sc["curves"]),
    )


def finding_1f(explored: dict, best: str, runner_up: str | None, comparisons: dict, summary: dict) -> Finding1f:
    """The exploration's conclusions; `summary` holds the combine's frontier, beaten, ranking, gains."""
    b = explored[best]
    gains = summary.get("per_class_gain")
    return Finding1f(
        recipes=list(explored),
        seeds=int(b["test_accuracy"]["n"]),
        best=best,
        chosen_by="validation accuracy",
        best_description=b.get("description", ""),
        best_accuracy=b["test_accuracy"],
        best_params=int(b["params"]),
        best_seconds=b["train_seconds"]["mean"],
        vs_simple_cnn=comparisons.get("best_vs_simple_cnn"),
        runner_up=runner_up,
        vs_runner_up=comparisons.get("best_vs_runner_up"),
        budgets_differ=runner_up is not None and b["epochs"] != explored[runner_up]["epochs"],
        epochs={"best": b["epochs"], "runner_up": explored[runner_up]["epochs"] if runner_up else None},
        frontier=list(summary["frontier"]),
        frontier_beaten=list(summary["frontier_beaten"]),
        ranking=summary["ranking"],
        gains=[{"name": c, "gain": gains["gain"][c]} for c in gains["largest"]] if gains else [],
        still_hardest=list(gains["still_hardest"]) if gains else [],
        best_confusions=[{k: c[k] for k in ("true", "pred", "rate")} for c in b.get("top_confusions", [])[:3]],
        best_misclassified=bool(b.get("figures", {}).get("misclassified")),
    )
