"""Task 1a: a layer table computed from the model itself (forward hooks), not typed in.

    rows = layer_table(SimpleCNN(), (1, 28, 28))
    print(format_table(rows))
    count_params(model), count_params(model, trainable_only=True)

Each row is {name, type, input_shape, output_shape, params}, shapes without the batch
dimension. Only leaf modules (those without children) get a row, in the order they run, so a
module used twice would appear twice; parameters are counted once per module.
"""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def layer_table(model: nn.Module, input_shape: tuple[int, ...], batch: int = 2) -> list[dict]:
    rows: list[dict] = []
    hooks = []
    seen: set[int] = set()

    def hook(name: str):
        def fn(module: nn.Module, inputs: tuple, output: object) -> None:
            params = 0 if id(module) in seen else sum(p.numel() for p in module.parameters(recurse=False))
            seen.add(id(module))
            rows.append(
                {
                    "name": name,
                    "type": type(module).__name__,
                    "input_shape": list(inputs[0].shape[1:]),
                    "output_shape": list(output.shape[1:]),
                    "params": params,
                }
            )

        return fn

    for name, module in model.named_modules():
        if name and not list(module.children()):
            hooks.append(module.register_forward_hook(hook(name)))
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        model(torch.zeros(batch, *input_shape, device=device))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return rows


def format_table(rows: list[dict], total: int | None = None) -> str:
    """Plain-text table with a total line (total defaults to the sum of the rows' parameters)."""
    total = sum(r["params"] for r in rows) if total is None else total
    head = ("layer", "type", "input shape", "output shape", "params")
    body = [
        (
            r["name"],
            r["type"],
            "x".join(map(str, r["input_shape"])),
            "x".join(map(str, r["output_shape"])),
            f"{r['params']:,}",
        )
        for r in rows
    ]
    body.append(("total", "", "", "", f"{total:,}"))
    widths = [max(len(str(row[i])) for row in [head, *body]) for i in range(5)]

    def line(row: tuple) -> str:
        return "  ".join(str(c).rjust(w) if i == 4 else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths)))

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(head), sep, *map(line, body[:-1]), sep, line(body[-1])])


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
