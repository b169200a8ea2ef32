"""Save matplotlib figures as PDF (for the report) and PNG (for looking), atomically."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display on servers or CI
import matplotlib.pyplot as plt  # noqa: E402

from cnnrnn.utils.io import atomic_path  # noqa: E402

plt.rcParams.update({"figure.dpi": 100, "savefig.bbox": "tight", "font.size": 9,
                     "axes.spines.top": False, "axes.spines.right": False,
                     "pdf.fonttype": 42})  # embed TrueType fonts in PDFs


def save_figure(fig, out_dir: str | os.PathLike, stem: str) -> str:
    """Write `<out_dir>/<stem>.pdf` and `.png`; return the path stem relative to nothing (as given).

    Experiments store the returned stem in results.json under `figures`, relative to the run dir.
    """
    out_dir = Path(out_dir)
    for ext, kw in (("pdf", {}), ("png", {"dpi": 150})):
        with atomic_path(out_dir / f"{stem}.{ext}") as tmp:
            fig.savefig(tmp, format=ext, **kw)
    plt.close(fig)
    return stem
