"""Cache keys of tasks: derived from what a task receives, never written by hand.

    >>> from cnnrnn.data.imdb_tensors import DataSpec
    >>> key = task_key({"spec": DataSpec(train_size=300), "seed": 0})
    >>> key["spec"]["train_size"], key["seed"]
    (300, 0)

A task is a module-level function of its keyword arguments (runner.Task), so its result depends on
those arguments, on the data it reads (the runner checks the data's digest) and on the code. The key
is therefore *all* of the arguments: every field of every settings dataclass among them, recursively.
A field added to such a dataclass is in the key of every task that receives it, without anyone
remembering to add it, so a resumed run can never keep a result computed under another setting.
The other direction is the study's job: pass a task only what it uses (a narrow dataclass such as
FashionTaskSettings or DataSpec, not the whole study config), so that changing an unrelated setting
(more seeds, another recipe) does not re-run it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any


def task_key(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The cache key of a task with keyword arguments `kwargs`: the same arguments as plain JSON values.

    Dataclasses become dicts of all their fields, tuples become lists, paths strings. Anything else
    (a tensor, a function, an arbitrary object) raises TypeError: a value without a faithful plain
    form could change the result while the key stays the same.
    """
    return {str(name): _plain(value, str(name)) for name, value in kwargs.items()}


def _plain(value: Any, where: str) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), f"{where}.{f.name}") for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, PurePath):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(
        f"task argument {where} is a {type(value).__name__}, which has no plain form for the cache key; "
        "pass settings as dataclasses or JSON values"
    )
