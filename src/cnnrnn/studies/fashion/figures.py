"""Figures of the Fashion-MNIST study (figure objects; the caller saves them)."""

from __future__ import annotations

import numpy as np
import torch

from cnnrnn.data.fashion_mnist import CLASSES
from cnnrnn.utils.figures import plt


def confusion(cm: np.ndarray):
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(cm)):
        for j in range(len(cm)):
            if norm[i, j] >= 0.005:
                ax.text(
                    j,
                    i,
                    f"{norm[i, j]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color="white" if norm[i, j] > 0.5 else "black",
                )
    ax.set_xticks(range(10), CLASSES, rotation=45, ha="right")
    ax.set_yticks(range(10), CLASSES)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.colorbar(im, ax=ax, fraction=0.046, label="fraction of the true class")
    return fig


def per_class(mean: np.ndarray, std: np.ndarray | None, others: dict | None = None):
    """Per-class accuracy bars (mean +- std over seeds); `others`: label -> per-class means beside them."""
    fig, ax = plt.subplots(figsize=(7, 3))
    groups = {"SimpleCNN": (mean, std), **{k: (np.asarray(v), None) for k, v in (others or {}).items()}}
    width = 0.8 / len(groups)
    for g, (label, (m, s)) in enumerate(groups.items()):
        x = np.arange(10) + (g - (len(groups) - 1) / 2) * width
        ax.bar(x, m, width=width, yerr=s, color=f"C{g}", capsize=2, label=label)
        if len(groups) == 1:
            for i, v in enumerate(m):
                ax.text(i, v + 0.01, f"{v:.3f}", ha="center", fontsize=7)
    ax.set_xticks(range(10), CLASSES, rotation=30, ha="right")
    ax.set_ylim(min(0.5, float(min(np.min(m) for m, _ in groups.values())) - 0.05), 1.05)
    ax.set_ylabel("test accuracy")
    if len(groups) > 1:
        ax.legend(fontsize=7, loc="lower left")
    return fig


def misclassified(images: torch.Tensor, true: list, pred: list, conf: list):
    n = len(true)
    cols = 6
    rows = max(1, -(-n // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.6, rows * 1.9))
    for k, ax in enumerate(np.atleast_1d(axes).ravel()):
        ax.axis("off")
        if k < n:
            ax.imshow(images[k].numpy(), cmap="gray_r", vmin=0, vmax=255)
            ax.set_title(f"{CLASSES[true[k]]} ->\n{CLASSES[pred[k]]} (p={conf[k]:.2f})", fontsize=7)
    return fig


def frontier(points: dict[str, tuple[dict, dict]], on_frontier: list[str]):
    """Test accuracy against training time, one point per recipe with its spread over seeds
    (error bars: std), the frontier of recipes nothing beats in both drawn as a line."""
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    for k, (name, (t, a)) in enumerate(points.items()):
        ax.errorbar(
            t["mean"] / 60,
            a["mean"],
            xerr=t["std"] / 60,
            yerr=a["std"],
            fmt="o",
            color=f"C{k}",
            capsize=3,
            ms=5,
            label=f"{name} ({a['n']} seed{'s' if a['n'] > 1 else ''})",
        )
    line = [(points[n][0]["mean"] / 60, points[n][1]["mean"]) for n in on_frontier]
    ax.plot([x for x, _ in line], [y for _, y in line], "--", color="grey", lw=0.8, label="frontier")
    ax.set_xscale("log")
    ax.set_xlabel("training time per seed (minutes, log scale)")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=6.5, loc="lower right")
    return fig
