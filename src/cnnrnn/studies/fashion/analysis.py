"""Task 1e's error analysis: confusion matrices, the most frequent confusions, and whether the
mistakes are "reasonable" (within groups of look-alike classes). Verdicts are computed here and
written into results.json; the report only phrases them."""

from __future__ import annotations

import numpy as np
import torch

from cnnrnn.data.fashion_mnist import CLASSES

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
