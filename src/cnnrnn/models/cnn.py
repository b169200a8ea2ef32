"""CNNs for Fashion-MNIST: the specified `SimpleCNN` (tasks 1a-1e) and the explored ones (task 1f).

    model = build_model("simple_cnn")          # any name in MODELS
    log_probs = model(x)                      # x: (B, 1, 28, 28) in [0, 1]; log class probabilities (B, 10)

Every model ends in LogSoftmax, so all of them train with NLLLoss and `exp(output)` is the
posterior. `MODELS` is the registry behind `cnnrnn fashion --model NAME`.

Why SimpleCNN has a second forward path: on a CPU the step time of this model is dominated not
by arithmetic but by memory-bound passes over the (B, 32, 28, 28) activation: the sigmoid, the
max-pool that records argmax indices, and their backward passes. `forward_fast` computes the same
function with less of that traffic:
  * max-pool before sigmoid: sigmoid is strictly increasing, so max(sigmoid(a)) = sigmoid(max(a)),
    and the sigmoid then runs on 4x fewer elements (its gradient flows to the same positions);
  * functional calls instead of module calls (no hooks, no extra dispatch).
tests/test_fashion_models.py checks outputs and gradients against the literal `forward`.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn


class SimpleCNN(nn.Module):
    """Conv2d(1, 32, 3, 1, 1) -> Sigmoid -> MaxPool2d(2, 2) -> Linear(32*14*14, 10) -> LogSoftmax.

    `fast=True` makes `forward` use `forward_fast` (same function, see the module docstring).
    """

    description = "the specified model: conv(32) -> sigmoid -> max-pool -> linear"

    def __init__(self, fast: bool = False):
        super().__init__()
        self.conv = nn.Conv2d(1, 32, kernel_size=3, stride=1, padding=1, bias=True)
        self.sigmoid = nn.Sigmoid()
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.fc = nn.Linear(32 * 14 * 14, 10)
        self.log_softmax = nn.LogSoftmax(dim=1)
        self.fast = fast

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fast:
            return self.forward_fast(x)
        x = self.conv(x)
        x = self.sigmoid(x)
        x = self.pool(x)
        x = torch.flatten(x, 1)
        x = self.fc(x)
        return self.log_softmax(x)

    def forward_fast(self, x: torch.Tensor) -> torch.Tensor:
        a = self.conv(x)                       # (B, 32, 28, 28)
        a = F.max_pool2d(a, 2, 2)              # pool first ...
        a = torch.sigmoid(a)                   # ... so the sigmoid runs on (B, 32, 14, 14): 4x fewer elements
        return F.log_softmax(self.fc(a.flatten(1)), dim=1)


# ---------------------------------------------------------------- task 1f: explored architectures

def _conv_block(cin: int, cout: int, *, bn: bool, act: Callable[[], nn.Module] = nn.ReLU) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=not bn), *( [nn.BatchNorm2d(cout)] if bn else []), act()]


class ConvNet(nn.Module):
    """VGG-style blocks: [conv3x3 (-> BN) -> ReLU] x convs_per_block -> max-pool, then a small head."""

    def __init__(self, widths=(32, 64), *, bn: bool = False, dropout: float = 0.0, convs_per_block: int = 1,
                 hidden: int = 128):
        super().__init__()
        layers: list[nn.Module] = []
        cin = 1
        for w in widths:
            for _ in range(convs_per_block):
                layers += _conv_block(cin, w, bn=bn)
                cin = w
            layers.append(nn.MaxPool2d(2))
            if dropout:
                layers.append(nn.Dropout2d(dropout / 2))
        self.features = nn.Sequential(*layers)
        side = 28
        for _ in widths:
            side //= 2
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(cin * side * side, hidden), nn.ReLU(),
                                  nn.Dropout(dropout), nn.Linear(hidden, 10), nn.LogSoftmax(dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 convs with BN; a 1x1 projection when the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class SmallResNet(nn.Module):
    """A small residual network: conv stem + max-pool to 14x14, one basic block per stage, global pool.

    Pooling right after the stem keeps it affordable on a CPU: the blocks run at 14, 7 and 4 pixels.
    """

    def __init__(self, widths=(32, 64, 128)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]),
                                  nn.ReLU(), nn.MaxPool2d(2))
        blocks, cin = [], widths[0]
        for i, w in enumerate(widths):
            blocks.append(BasicBlock(cin, w, stride=1 if i == 0 else 2))
            cin = w
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 10), nn.LogSoftmax(dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))


# ---------------------------------------------------------------- augmentation (on whole batches)

def random_crop_flip(x: torch.Tensor, pad: int = 2, generator: torch.Generator | None = None) -> torch.Tensor:
    """Random translation by up to `pad` pixels and horizontal flip, per image, as tensor ops.

    Fashion-MNIST items are left-right symmetric enough for flips to be label-preserving.
    """
    b = x.shape[0]
    dev = x.device
    padded = F.pad(x, (pad, pad, pad, pad))
    dx = torch.randint(0, 2 * pad + 1, (b,), generator=generator).to(dev)
    dy = torch.randint(0, 2 * pad + 1, (b,), generator=generator).to(dev)
    flip = (torch.rand(b, generator=generator) < 0.5).to(dev)
    h, w = x.shape[-2:]
    ar_h = torch.arange(h, device=dev)
    ar_w = torch.arange(w, device=dev)
    rows = (dy[:, None] + ar_h[None, :])                          # (B, H)
    cols = dx[:, None] + torch.where(flip[:, None], ar_w.flip(0)[None, :], ar_w[None, :])  # (B, W)
    bidx = torch.arange(b, device=dev)[:, None, None]
    return padded[:, 0][bidx, rows[:, :, None], cols[:, None, :]].unsqueeze(1)


# ---------------------------------------------------------------- the registry

class ModelSpec:
    def __init__(self, build: Callable[[], nn.Module], description: str, *, augment: bool = False,
                 lr: float = 1e-3, weight_decay: float = 0.0, schedule: str = "constant"):
        self.build, self.description, self.augment = build, description, augment
        self.lr, self.weight_decay, self.schedule = lr, weight_decay, schedule


MODELS: dict[str, ModelSpec] = {
    "simple_cnn": ModelSpec(SimpleCNN, SimpleCNN.description),
    "cnn2_relu": ModelSpec(lambda: ConvNet((32, 64)), "2 conv blocks (32, 64) with ReLU and max-pool, FC 128"),
    "cnn3_bn": ModelSpec(lambda: ConvNet((32, 64, 128), bn=True), "3 conv blocks (32, 64, 128) with BatchNorm",
                         schedule="cosine"),
    "cnn3_bn_dropout_aug": ModelSpec(lambda: ConvNet((32, 64, 128), bn=True, dropout=0.3),
                                     "3 conv blocks with BatchNorm, dropout 0.3, random crop/flip",
                                     augment=True, schedule="cosine", lr=2e-3),
    "resnet_small": ModelSpec(SmallResNet, "residual: stem + pool, 3 basic blocks (32, 64, 128), global pool",
                              schedule="cosine", lr=2e-3),
}


def model_names() -> list[str]:
    return list(MODELS)


def build_model(name: str) -> nn.Module:
    from cnnrnn.errors import CnnrnnError

    if name not in MODELS:
        raise CnnrnnError(f"--model {name!r}: unknown model; choose one of {', '.join(MODELS)}")
    return MODELS[name].build()


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def cosine_lambda(epochs: int) -> Callable[[int], float]:
    """Per-epoch cosine decay to 10% of the initial rate."""
    return lambda e: 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(e, epochs) / max(epochs, 1)))
