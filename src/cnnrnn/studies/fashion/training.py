"""One Fashion-MNIST recipe, one seed: data once per process, then `train_once`."""

from __future__ import annotations

import time

import torch
from torch import nn

from cnnrnn.data.augment import random_crop_flip, random_erase
from cnnrnn.data.fashion_mnist import FashionMNIST, batches, load_fashion_mnist
from cnnrnn.models.cnn import build_cnn
from cnnrnn.studies.fashion.config import RECIPES, FashionTaskSettings, Recipe
from cnnrnn.train import FlipAverage, SmoothedNLLLoss, cosine_lambda, evaluate, fit, one_cycle_lambda
from cnnrnn.utils.progress import log, progress
from cnnrnn.utils.seed import seed_everything

_DATA: dict = {}


def get_data(data_root: str, device: str, verify: bool) -> FashionMNIST:
    """Load once per process and device (the tasks a process runs share it)."""
    key = (str(data_root), str(device), verify)
    if key not in _DATA:
        _DATA.clear()
        _DATA[key] = load_fashion_mnist(data_root, torch.device(device), verify=verify)
    return _DATA[key]


def test_set(data: FashionMNIST, cfg: FashionTaskSettings) -> tuple[torch.Tensor, torch.Tensor]:
    n = cfg.test_limit or len(data.test_y)
    return data.test_x[:n], data.test_y[:n]


def data_info(data: FashionMNIST, cfg: FashionTaskSettings) -> dict:
    split = data.split(cfg.val_size, train_limit=cfg.train_limit)
    return {
        "train": len(split.train_y),
        "val": len(split.val_y),
        "test": len(test_set(data, cfg)[1]),
        "dir": str(data.folder),
        "files": data.files,
    }


def _optimizer(recipe, model: nn.Module, lr: float) -> torch.optim.Optimizer:
    if recipe.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr)
    return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=recipe.weight_decay)


def train_once(
    recipe: Recipe | str,
    data: FashionMNIST,
    cfg: FashionTaskSettings,
    seed: int,
    device: torch.device,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    desc: str = "",
) -> dict:
    """Train `recipe` (or the recipe of that name in RECIPES) with one seed; return history, test metrics
    and outputs, time and the model."""
    recipe = RECIPES[recipe] if isinstance(recipe, str) else recipe
    split = data.split(cfg.val_size, train_limit=cfg.train_limit)  # the same split for every seed
    gen = seed_everything(seed)
    model = build_cnn(recipe.arch)
    if recipe.fused:
        model.fast = True  # SimpleCNN.forward_fast: the same function as the literal forward (tested)
    model.to(device)
    if recipe.channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = _optimizer(recipe, model, lr)
    steps = -(-len(split.train_y) // batch_size)
    scheduler, interval = None, "epoch"
    if recipe.schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_lambda(epochs))
    elif recipe.schedule == "onecycle":
        scheduler, interval = torch.optim.lr_scheduler.LambdaLR(optimizer, one_cycle_lambda(epochs * steps)), "step"
    aug_gen = torch.Generator().manual_seed(seed + 10_000)

    def transform(x):
        x = random_crop_flip(x, generator=aug_gen)
        return random_erase(x, p=recipe.erase, generator=aug_gen) if recipe.erase else x

    def train_batches(epoch):
        it = batches(
            split.train_x, split.train_y, batch_size, generator=gen, transform=transform if recipe.augment else None
        )
        return progress(it, desc=f"{desc} epoch {epoch}/{epochs}", total=steps)

    def val_batches():
        return batches(split.val_x, split.val_y, cfg.eval_batch_size)

    loss_fn = nn.NLLLoss()
    train_loss = SmoothedNLLLoss(recipe.label_smoothing) if recipe.label_smoothing else loss_fn
    t0 = time.perf_counter()
    history = fit(
        model,
        train_batches,
        val_batches,
        train_loss,
        optimizer,
        epochs=epochs,
        scheduler=scheduler,
        scheduler_interval=interval,
        eval_loss_fn=loss_fn,
        where=desc,
        amp_dtype=torch.bfloat16 if recipe.bf16 else None,
        on_epoch=lambda r: log(
            f"  {desc} epoch {r['epoch']}: train loss {r['train_loss']:.4f} "
            f"acc {r['train_accuracy']:.4f}, val acc {r['val_accuracy']:.4f} "
            f"({r['seconds']:.1f} s)"
        ),
    )
    train_seconds = time.perf_counter() - t0
    tx, ty = test_set(data, cfg)
    tested = FlipAverage(model) if recipe.test_flip else model
    test = evaluate(tested, batches(tx, ty, cfg.eval_batch_size), loss_fn, keep_outputs=True)
    model.eval()
    return {
        "history": history,
        "test_accuracy": test["accuracy"],
        "test_loss": test["loss"],
        "outputs": test["outputs"],
        "targets": test["targets"],
        "train_seconds": train_seconds,
        "model": model,
    }
