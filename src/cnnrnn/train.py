"""The training loop, shared by both studies, in the style of pytorch/examples.

    history = fit(model, train_batches, val_batches, loss_fn, optimizer, epochs=5, predict=argmax)

`train_batches(epoch)` and `val_batches()` return iterables of `(inputs, targets)`, where
`inputs` is a tensor or a tuple of tensors passed as `model(*inputs)` (the LSTM takes
`(tokens, lengths)`). Batches are cut from tensors that already live on the device, so
the loop itself does no per-sample Python work. Running sums stay on the device and are
read once per epoch: a `.item()` per step would force a device sync every batch.

Also here, because every recipe of both studies uses them: learning-rate schedules
(`one_cycle_lambda`, `cosine_lambda`), label smoothing for log-probability models
(`SmoothedNLLLoss`), test-time flip averaging (`FlipAverage`), a stop on non-finite losses, and
weight IO (safetensors only: loading runs no code).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from cnnrnn.errors import CnnrnnError

Batch = tuple[torch.Tensor | tuple[torch.Tensor, ...], torch.Tensor]


class NonFiniteLoss(CnnrnnError):
    """The training loss became inf or nan: the run stops and is not recorded as finished."""

    def __init__(self, step: int, value: float, where: str = "", epoch: int | None = None):
        self.step, self.value = step, value
        at = f"epoch {epoch}, step {step}" if epoch is not None else f"step {step}"
        super().__init__(
            f"{where + ': ' if where else ''}training loss became {value} at {at}; lower the "
            "learning rate (or, for IMDB, clip gradients with --grad-clip) and run again"
        )


def argmax_predict(output: torch.Tensor) -> torch.Tensor:
    """Class prediction from (log-)probabilities of shape (N, C)."""
    return output.argmax(dim=1)


def threshold_predict(output: torch.Tensor) -> torch.Tensor:
    """Binary prediction from a sigmoid output of shape (N,), as a float to compare with BCE targets."""
    return (output >= 0.5).to(output.dtype)


def _forward(model: nn.Module, inputs, amp_dtype: torch.dtype | None = None, device_type: str = "cpu") -> torch.Tensor:
    """model(*inputs) (or model(inputs)); with `amp_dtype` under autocast, the output back in float32."""
    if amp_dtype is None:
        return model(*inputs) if isinstance(inputs, tuple) else model(inputs)
    with torch.autocast(device_type, dtype=amp_dtype):
        return _forward(model, inputs).float()


def train_one_epoch(
    model: nn.Module,
    batches: Iterable[Batch],
    loss_fn: Callable,
    optimizer: torch.optim.Optimizer,
    *,
    predict: Callable = argmax_predict,
    grad_clip: float | None = None,
    step_scheduler=None,
    track_grad_norm: bool = False,
    amp_dtype: torch.dtype | None = None,
) -> dict:
    """One pass over `batches`: forward, loss, backward, optimizer step per batch
    (and `step_scheduler.step()` after each optimizer step, for per-step learning-rate schedules).

    Returns {"loss", "accuracy", "samples"} averaged over samples (the loss is the per-batch
    mean weighted by batch size, so a short last batch counts correctly); with track_grad_norm also
    "grad_norm", the mean over steps of the global gradient norm before clipping. `amp_dtype` (e.g.
    torch.bfloat16) runs the forward pass under autocast; the loss is computed in float32.
    """
    model.train()
    loss_sum = correct = None
    n = 0
    step_losses = []  # 0-d tensors on the device: checked for non-finite values once, at the end
    norms = []
    params = [p for p in model.parameters() if p.requires_grad]
    for inputs, targets in batches:
        optimizer.zero_grad(set_to_none=True)
        output = _forward(model, inputs, amp_dtype, targets.device.type)
        loss = loss_fn(output, targets)
        loss.backward()
        if grad_clip is not None or track_grad_norm:
            norm = nn.utils.clip_grad_norm_(params, grad_clip if grad_clip is not None else float("inf"))
            if track_grad_norm:
                norms.append(norm.detach())
        optimizer.step()
        if step_scheduler is not None:
            step_scheduler.step()
        bs = targets.shape[0]
        step_losses.append(loss.detach())
        batch_loss = loss.detach() * bs
        batch_correct = (predict(output.detach()) == targets).sum()
        loss_sum = batch_loss if loss_sum is None else loss_sum + batch_loss
        correct = batch_correct if correct is None else correct + batch_correct
        n += bs
    if n == 0:
        raise ValueError("train_one_epoch got no batches")
    losses = torch.stack(step_losses)
    finite = torch.isfinite(losses)
    if not bool(finite.all()):
        step = int((~finite).nonzero()[0, 0])
        raise NonFiniteLoss(step + 1, float(losses[step]))
    out = {"loss": float(loss_sum) / n, "accuracy": float(correct) / n, "samples": n}
    if track_grad_norm:
        out["grad_norm"] = float(torch.stack(norms).mean())
    return out


@torch.no_grad()
def evaluate(
    model: nn.Module,
    batches: Iterable[Batch],
    loss_fn: Callable,
    *,
    predict: Callable = argmax_predict,
    keep_outputs: bool = False,
    amp_dtype: torch.dtype | None = None,
) -> dict:
    """Loss and accuracy over `batches` in eval mode (dropout off).

    With keep_outputs=True the result also holds "outputs" and "targets" (concatenated, on the
    CPU) for confusion matrices and error analysis. `amp_dtype` runs the forward pass under
    autocast, as in training (the outputs are returned in float32).
    """
    model.eval()
    loss_sum = correct = None
    n = 0
    outs, tgts = [], []
    for inputs, targets in batches:
        output = _forward(model, inputs, amp_dtype, targets.device.type)
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


def fit(
    model: nn.Module,
    train_batches: Callable[[int], Iterable[Batch]],
    val_batches: Callable[[], Iterable[Batch]] | None,
    loss_fn: Callable,
    optimizer: torch.optim.Optimizer,
    *,
    epochs: int,
    predict: Callable = argmax_predict,
    scheduler=None,
    scheduler_interval: str = "epoch",
    grad_clip: float | None = None,
    eval_loss_fn: Callable | None = None,
    on_epoch: Callable[[dict], None] | None = None,
    where: str = "",
    track_grad_norm: bool = False,
    amp_dtype: torch.dtype | None = None,
    eval_amp: bool = False,
    amp_after: int = 0,
) -> list[dict]:
    """Train for `epochs`; return one history row per epoch.

    Row: {epoch, train_loss, train_accuracy, val_loss, val_accuracy, seconds, lr}. The validation
    numbers come from a separate evaluation pass after the epoch (in eval mode), so train and
    validation curves are comparable. `scheduler.step()` is called once per epoch, or after every
    optimizer step with scheduler_interval="step". `eval_loss_fn` (default: `loss_fn`) is the loss
    reported for validation, e.g. plain NLL when training uses label smoothing. A non-finite
    training loss raises `NonFiniteLoss` naming `where`, the epoch and the step. `amp_dtype` runs
    the training forward passes under autocast, and with eval_amp=True the validation passes too;
    with `amp_after` only from epoch amp_after + 1 on: the first amp_after epochs, validation included,
    run in float32 exactly as without autocast (a continuation in bf16 of a float32 answer).
    """
    if scheduler_interval not in ("epoch", "step"):
        raise ValueError(f"scheduler_interval must be 'epoch' or 'step', not {scheduler_interval!r}")
    per_step = scheduler if scheduler_interval == "step" else None
    history = []
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        amp = amp_dtype if epoch > amp_after else None
        try:
            tr = train_one_epoch(
                model,
                train_batches(epoch),
                loss_fn,
                optimizer,
                predict=predict,
                grad_clip=grad_clip,
                step_scheduler=per_step,
                track_grad_norm=track_grad_norm,
                amp_dtype=amp,
            )
        except NonFiniteLoss as e:
            raise NonFiniteLoss(e.step, e.value, where, epoch) from None
        row = {"epoch": epoch, "train_loss": tr["loss"], "train_accuracy": tr["accuracy"]}
        if track_grad_norm:
            row["grad_norm"] = tr["grad_norm"]
        if val_batches is not None:
            va_amp = amp if eval_amp else None
            va = evaluate(model, val_batches(), eval_loss_fn or loss_fn, predict=predict, amp_dtype=va_amp)
            row.update(val_loss=va["loss"], val_accuracy=va["accuracy"])
        if scheduler is not None and per_step is None:
            scheduler.step()
        row["seconds"] = time.perf_counter() - t0
        row["lr"] = lr
        history.append(row)
        if on_epoch is not None:
            on_epoch(row)
    return history


# ---------------------------------------------------------------- schedules, losses, test-time averaging


def one_cycle_lambda(total_steps: int, warmup: float = 0.15) -> Callable[[int], float]:
    """Per-step factor: linear warm-up from 10% over the first `warmup` of the steps, then linear
    decay to 0 at the last step (short runs end at a small rate, which is where they gain most)."""
    w = max(1, int(warmup * total_steps))

    def f(step: int) -> float:
        if step < w:
            return 0.1 + 0.9 * step / w
        return max(0.0, (total_steps - step) / max(1, total_steps - w))

    return f


def linear_decay_lambda(total_steps: int, warmup: float = 0.05) -> Callable[[int], float]:
    """Per-step factor: linear warm-up from 0 over the first `warmup` of the steps, then linear decay to 0."""
    w = max(1, int(warmup * total_steps))
    return lambda step: step / w if step < w else max(0.0, (total_steps - step) / max(1, total_steps - w))


def cosine_lambda(epochs: int) -> Callable[[int], float]:
    """Per-epoch cosine decay to 10% of the initial rate."""
    return lambda e: 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(e, epochs) / max(epochs, 1)))


class SmoothedNLLLoss(nn.Module):
    """NLLLoss with label smoothing for models that output log-probabilities:
    (1 - eps) * NLL + eps * mean over classes of -log p (what CrossEntropyLoss(label_smoothing=eps) does)."""

    def __init__(self, eps: float):
        super().__init__()
        self.eps = eps

    def forward(self, log_probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        nll = F.nll_loss(log_probs, target)
        return (1 - self.eps) * nll - self.eps * log_probs.mean(dim=1).mean()


class FlipAverage(nn.Module):
    """Test-time augmentation: the average of the model's class probabilities on x and on x mirrored
    left-right, returned as log-probabilities like the model's own output."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        both = torch.stack([self.model(x), self.model(x.flip(-1))])
        return torch.logsumexp(both, dim=0) - math.log(2.0)


# ---------------------------------------------------------------- weights (safetensors only)


def weights_bytes(model: nn.Module) -> bytes:
    """The model's state as safetensors bytes (tasks return these; the driver writes the file)."""
    from safetensors.torch import save

    return save({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()})


def load_weights_into(model: nn.Module, path: str | Path, device: torch.device | str = "cpu") -> nn.Module:
    """Fill `model` from a .safetensors file (no pickle, so no code runs on load); one-line errors."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        state = load_file(str(path), device=str(device))
    except (OSError, SafetensorError) as e:
        raise CnnrnnError(f"{path}: cannot read safetensors weights ({e})") from None
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise CnnrnnError(f"{path}: weights do not fit the model ({str(e).splitlines()[0]})") from None
    return model.to(device).eval()
