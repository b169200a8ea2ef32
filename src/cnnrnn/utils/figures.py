"""Save matplotlib figures as PDF (for the report) and PNG (for looking), atomically."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display on servers or CI
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cnnrnn.utils.io import atomic_path  # noqa: E402

plt.rcParams.update(
    {
        "figure.dpi": 100,
        "savefig.bbox": "tight",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "pdf.fonttype": 42,
    }
)  # embed TrueType fonts in PDFs


def save_figure(fig: Figure, out_dir: str | os.PathLike, stem: str) -> str:
    """Write `<out_dir>/<stem>.pdf` and `.png`; return the path stem relative to nothing (as given).

    Experiments store the returned stem in results.json under `figures`, relative to the run dir.
    """
    out_dir = Path(out_dir)
    for ext, kw in (("pdf", {}), ("png", {"dpi": 150})):
        with atomic_path(out_dir / f"{stem}.{ext}") as tmp:
            fig.savefig(tmp, format=ext, **kw)
    plt.close(fig)
    return stem


def figure_bytes(fig: Figure) -> dict[str, bytes]:
    """{"pdf": ..., "png": ...} of a figure, for tasks that run away from the run directory."""
    import io

    out = {}
    for ext, kw in (("pdf", {}), ("png", {"dpi": 150})):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, **kw)
        out[ext] = buf.getvalue()
    plt.close(fig)
    return out


def curves_figure(groups: dict, title: str, mark_epoch: int | None = None) -> Figure:
    """Learning curves of one or more models: loss and accuracy per epoch, training dashed and
    validation solid, the mean over seeds with a min-max band. `groups`: label -> {seed: history}.
    `mark_epoch` draws a dotted vertical line (e.g. the specified number of epochs)."""
    import numpy as np

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for k, (label, per_seed) in enumerate(groups.items()):
        color = f"C{k}"
        for metric, ax in (("loss", axes[0]), ("accuracy", axes[1])):
            for part, style, name in (("train", "--", "training"), ("val", "-", "validation")):
                n = min(len(h) for h in per_seed.values())
                curves = np.array([[r[f"{part}_{metric}"] for r in h[:n]] for h in per_seed.values()])
                epochs = np.arange(1, n + 1)
                ax.plot(
                    epochs,
                    curves.mean(0),
                    style,
                    color=color,
                    marker="o",
                    ms=2.5,
                    label=f"{label} {name}" if len(groups) > 1 else name,
                )
                if len(curves) > 1:
                    ax.fill_between(epochs, curves.min(0), curves.max(0), color=color, alpha=0.12)
            ax.set_xlabel("epoch")
            ax.set_ylabel(metric)
    if mark_epoch is not None:
        for ax in axes:
            ax.axvline(mark_epoch, color="grey", lw=0.8, ls=":")
    axes[1].legend(fontsize=7, ncol=2 if len(groups) > 1 else 1)
    n_seeds = max(len(s) for s in groups.values())
    fig.suptitle(
        f"{title}: training (dashed) and validation (solid), mean over "
        f"{n_seeds} seed{'s' if n_seeds > 1 else ''}" + (", band = min..max" if n_seeds > 1 else "")
    )
    return fig
