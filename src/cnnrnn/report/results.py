"""Strict/optional access to results.json by dotted key, with errors that name the key.

res = Results(data, source=Path("runs/x/results.json"))
res.req("fashion.simple_cnn.test_accuracy")   # missing -> CnnrnnError
    # "runs/x/results.json: missing fashion.simple_cnn.test_accuracy"
res.opt("fashion.explore")                     # missing -> None (the report says "not run")
"""

from __future__ import annotations

import math
from pathlib import Path

from cnnrnn.errors import CnnrnnError

_MISSING = object()

SUMMARY_KEYS = ("mean", "std", "n", "ci95", "per_seed")


class Results:
    prefix = ""  # the dotted key of this view's root, with a trailing dot ("" for the whole file)

    def __init__(self, data: dict, source: Path | str = "results.json"):
        self.data = data
        self.source = str(source)

    def _get(self, key: str):
        node = self.data
        for part in key.split("."):
            if isinstance(node, dict) and part in node and node[part] is not None:
                node = node[part]
            else:
                return _MISSING
        return node

    def error(self, key: str, problem: str = "missing") -> CnnrnnError:
        return CnnrnnError(f"{self.source}: {problem} {self.prefix}{key}")

    def req(self, key: str, kind: type | tuple | None = None):
        value = self._get(key)
        if value is _MISSING:
            raise self.error(key)
        if kind is not None and not isinstance(value, kind):
            raise self.error(key, f"wrong type ({type(value).__name__}) for")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(key, "non-finite value for")
        return value

    def opt(self, key: str, default=None):
        value = self._get(key)
        return default if value is _MISSING else value

    def num(self, key: str) -> float:
        value = self.req(key, (int, float))
        return float(value)

    def summary(self, key: str) -> dict:
        """A summary {mean, std, n, ci95, per_seed} with finite numbers."""
        value = self.req(key, dict)
        for part in SUMMARY_KEYS:
            self.req(f"{key}.{part}")
        for part in ("mean", "std"):
            self.num(f"{key}.{part}")
        return value

    def sub(self, key: str) -> Results:
        """A view of the dict at `key` whose error messages still use the full dotted key."""
        return _Sub(self, key)


class _Sub(Results):
    def __init__(self, parent: Results, key: str):
        super().__init__(parent.req(key, dict), parent.source)
        self.prefix = f"{parent.prefix}{key}."
