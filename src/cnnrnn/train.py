"""The training loop, shared by both studies, in the style of pytorch/examples.

    history = fit(model, train_batches, val_batches, loss_fn, optimizer, epochs=5, predict=argmax)

`train_batches(epoch)` and `val_batches()` return iterables of `(inputs, targets)`, where
`inputs` is a tensor or a tuple of tensors passed as `model(*inputs)` (the LSTM takes
`(tokens, lengths)`). Batches are cut from tensors that already live on the device, so
the loop itself does no per-sample Python work. Running sums stay on the device and are
read once per epoch: a `.item()` per step would force a device sync every batch.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

import torch
from torch import nn

Batch = tuple[torch.Tensor | tuple[torch.Tensor, ...], torch.Tensor]


def argmax_predict(output: torch.Tensor) -> torch.Tensor:
    """Class prediction from (log-)probabilities of shape (N, C)."""
    return output.argmax(dim=1)


def threshold_predict(output: torch.Tensor) -> torch.Tensor:
    """Binary prediction from a sigmoid output of shape (N,), as a float to compare with BCE targets."""
    return (output >= 0.5).to(output.dtype)


def _forward(model: nn.Module, inputs) -> torch.Tensor:
    return model(*inputs) if isinstance(inputs, tuple) else model(inputs)


def train_one_epoch(model: nn.Module, batches: Iterable[Batch], loss_fn: Callable, optimizer: torch.optim.Optimizer,
                    *, predict: Callable = argmax_predict, grad_clip: float | None = None,
                    step_scheduler=None) -> dict:
    """One pass over `batches`: forward, loss, backward, optimizer step per batch
    (and `step_scheduler.step()` after each optimizer step, for per-step learning-rate schedules).

    Returns {"loss", "accuracy", "samples"} averaged over samples (the loss is the per-batch
    mean weighted by batch size, so a short last batch counts correctly).
    """
    model.train()
    loss_sum = correct = None
    n = 0
    for inputs, targets in batches:
        optimizer.zero_grad(set_to_none=True)
        output = _forward(model, inputs)
        loss = loss_fn(output, targets)
        loss.backward()
        if grad_clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        if step_scheduler is not None:
            step_scheduler.step()
        bs = targets.shape[0]
        batch_loss = loss.detach() * bs
        batch_correct = (predict(output.detach()) == targets).sum()
        loss_sum = batch_loss if loss_sum is None else loss_sum + batch_loss
        correct = batch_correct if correct is None else correct + batch_correct
        n += bs
    if n == 0:
        raise ValueError("train_one_epoch got no batches")
    return {"loss": float(loss_sum) / n, "accuracy": float(correct) / n, "samples": n}


@torch.no_grad()
def evaluate(model: nn.Module, batches: Iterable[Batch], loss_fn: Callable, *, predict: Callable = argmax_predict,
             keep_outputs: bool = False) -> dict:
    """Loss and accuracy over `batches` in eval mode (dropout off).

    With keep_outputs=True the result also holds "outputs" and "targets" (concatenated, on the
    CPU) for confusion matrices and error analysis.
    """
    model.eval()
    loss_sum = correct = None
    n = 0
    outs, tgts = [], []
    for inputs, targets in batches:
        output = _forward(model, inputs)
        bs = targets.shape[0]
        batch_loss = loss_fn(output, targets) * bs
        batch_correct = (predict(output) == targets).sum()
        loss_sum = batch_loss if loss_sum is None else loss_sum + batch_loss
        correct = batch_correct if correct is None else correct + batch_correct
        n += bs
        if keep_outputs:
            outs.append(output.cpu())
            tgts.append(targets.cpu())
    if n == 0:
        raise ValueError("evaluate got no batches")
    result = {"loss": float(loss_sum) / n, "accuracy": float(correct) / n, "samples": n}
    if keep_outputs:
        result["outputs"] = torch.cat(outs)
        result["targets"] = torch.cat(tgts)
    return result


def fit(model: nn.Module, train_batches: Callable[[int], Iterable[Batch]], val_batches: Callable[[], Iterable[Batch]] | None,
        loss_fn: Callable, optimizer: torch.optim.Optimizer, *, epochs: int, predict: Callable = argmax_predict,
        scheduler=None, scheduler_interval: str = "epoch", grad_clip: float | None = None,
        eval_loss_fn: Callable | None = None, on_epoch: Callable[[dict], None] | None = None) -> list[dict]:
    """Train for `epochs`; return one history row per epoch.

    Row: {epoch, train_loss, train_accuracy, val_loss, val_accuracy, seconds, lr}. The validation
    numbers come from a separate evaluation pass after the epoch (in eval mode), so train and
    validation curves are comparable. `scheduler.step()` is called once per epoch, or after every
    optimizer step with scheduler_interval="step". `eval_loss_fn` (default: `loss_fn`) is the loss
    reported for validation, e.g. plain NLL when training uses label smoothing.
    """
    if scheduler_interval not in ("epoch", "step"):
        raise ValueError(f"scheduler_interval must be 'epoch' or 'step', not {scheduler_interval!r}")
    per_step = scheduler if scheduler_interval == "step" else None
    history = []
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        tr = train_one_epoch(model, train_batches(epoch), loss_fn, optimizer, predict=predict, grad_clip=grad_clip,
                             step_scheduler=per_step)
        row = {"epoch": epoch, "train_loss": tr["loss"], "train_accuracy": tr["accuracy"]}
        if val_batches is not None:
            va = evaluate(model, val_batches(), eval_loss_fn or loss_fn, predict=predict)
            row.update(val_loss=va["loss"], val_accuracy=va["accuracy"])
        if scheduler is not None and per_step is None:
            scheduler.step()
        row["seconds"] = time.perf_counter() - t0
        row["lr"] = lr
        history.append(row)
        if on_epoch is not None:
            on_epoch(row)
    return history
