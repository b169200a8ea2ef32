"""Number and text formatting for the report: every number in the PDF is formatted here.

    pct(0.9123) -> "91.2 %"      pm(summary) -> "91.2 ± 0.3 %"     ci(summary) -> "[90.9, 91.5] %"
    num(63050) -> "63,050"       duration(192.4) -> "3 min 12 s"   shape([16, 28, 28]) -> "16×28×28"

`esc` makes arbitrary text (class names, words from GloVe, strings from results.json) safe to
splice into Typst markup that the template evaluates, so data can never inject markup.
"""

from __future__ import annotations

import math
import re

from cnnrnn.utils.env import hide_paths  # noqa: F401 (the report's formatters, in one place)

NBSP = "\u00a0"  # keeps "91.2 ± 0.3 %" on one line
# Text that must never reach a PDF: unfilled markers, Python/JS leftovers, raw markup braces.
# The builder refuses a PDF containing any of these; words from the data that match are not shown.
PLACEHOLDER = re.compile(r"TODO|TBD|XXX|FIXME|\?\?|\{|\}|\bnan\b|\bNaN\b|\bNone\b|\bnull\b|\bundefined\b|\binf\b")

_MARKUP = re.compile(r"([\\*_#$@<>\[\]`~/=+\-\"'^])")


def esc(text) -> str:
    """Escape Typst markup characters in `text` (a value from the data, not a sentence of ours)."""
    return _MARKUP.sub(r"\\\1", str(text))


def pct(x: float, digits: int = 1, unit: bool = True) -> str:
    return f"{100 * float(x):.{digits}f}" + (f"{NBSP}%" if unit else "")


def points(diff: float, digits: int = 1) -> str:
    """A difference of two accuracies in percentage points: 0.031 -> '3.1 points'."""
    value = abs(100 * float(diff))
    return f"{value:.{digits}f} point" + ("" if f"{value:.{digits}f}" == f"{1:.{digits}f}" else "s")


def pm(summary: dict, digits: int = 1, unit: bool = True) -> str:
    """Mean ± sample std of a summary of fractions, in percent; one seed has no ±.

    unit=False leaves out the % sign, for table columns whose header says (%).
    """
    if summary["n"] < 2:
        return pct(summary["mean"], digits, unit)
    if 0 < 100 * summary["std"] < 0.5 * 10**-digits:
        digits += 1  # a spread that would print as 0.0: one more decimal (94.45 ± 0.03, not 94.4 ± 0.0)
    return f"{100 * summary['mean']:.{digits}f}{NBSP}±{NBSP}{100 * summary['std']:.{digits}f}" + (
        f"{NBSP}%" if unit else ""
    )


def ci(summary: dict, digits: int = 1, unit: bool = True) -> str:
    """The 95 % interval in percent, '[lo, hi] %'; one seed has none."""
    if summary["n"] < 2:
        return "one seed" if not unit else "one seed, no interval"
    lo, hi = summary["ci95"]
    return f"[{100 * lo:.{digits}f}, {100 * hi:.{digits}f}]" + (f"{NBSP}%" if unit else "")


def num(n) -> str:
    """Integer with thousands separators."""
    return f"{int(round(float(n))):,}"


def dec(x: float, digits: int = 3) -> str:
    """Fixed decimals with a typographic minus: -0.004 -> '−0.004'."""
    return f"{float(x):.{digits}f}".replace("-", "−")


def sci(x: float) -> str:
    """Small magnitudes such as 2.4e-07 as '2.4 × 10#super[−7]' (Typst markup)."""
    x = float(x)
    if x == 0:
        return "0"
    exp = int(math.floor(math.log10(abs(x))))
    if -3 <= exp <= 3:
        return f"{x:.3g}"
    return f"{x / 10**exp:.1f} × 10#super[{exp}]".replace("[-", "[−")


def duration(seconds: float) -> str:
    s = int(round(float(seconds)))
    if s < 60:
        return f"{float(seconds):.1f} s" if seconds < 10 else f"{s} s"
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    if h:
        return f"{h} h {m} min"
    return f"{m} min {s} s"


def shape(dims) -> str:
    return "×".join(str(int(d)) for d in dims)


def plural(n: int, word: str) -> str:
    """'1 epoch', '8 epochs' (the number formatted by `num`)."""
    return f"{num(n)} {word}{'' if n == 1 else 's'}"


def join_words(items: list[str], last: str = "and") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]
