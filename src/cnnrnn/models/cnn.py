"""CNNs for Fashion-MNIST: the specified `SimpleCNN` (tasks 1a-1e) and the explored ones (task 1f).

    model = build_model("simple_cnn")          # any name in MODELS
    log_probs = model(x)                      # x: (B, 1, 28, 28) in [0, 1]; log class probabilities (B, 10)

Every model ends in LogSoftmax, so all of them train with NLLLoss and `exp(output)` is the
posterior. `MODELS` is the registry behind `cnnrnn fashion --model NAME`.

Why SimpleCNN has a second forward path: on a CPU the step time of this model is dominated not
by arithmetic but by memory-bound passes over the (B, 32, 28, 28) activation: the sigmoid, the
max-pool that records argmax indices, and their backward passes. `forward_fast` computes the same
function with less of that traffic (`_ConvMaxPoolSigmoid`, a custom autograd Function):
  * max-pool before sigmoid: sigmoid is strictly increasing, so max(sigmoid(a)) = sigmoid(max(a)),
    and the sigmoid (and its backward) runs on the pooled (B, 14, 14, 32) only: 4x fewer elements;
  * the 3x3 conv is unfold + one matmul whose rows are ordered so that the 4 positions of each 2x2
    pooling window are the leading dimension, (4, B*196, 32): the pool is then 3 `torch.maximum`s of
    contiguous slices, with no argmax indices written; the bias is added after the max (it is the
    same for the 4 positions, so max(a + b) = max(a) + b) on 4x fewer elements;
  * backward recomputes the window max from the saved conv output and routes each gradient to the
    FIRST maximal position in window order, as max_pool2d does on ties (ties are common: constant
    regions such as the black background give 4 equal values); dW is then one matmul;
  * the pooled activation comes out channels-last, (B, 14, 14, 32); instead of permuting it to the
    (B, 32, 14, 14) flatten order, `fc` uses its weight permuted to match (62,720 floats, not B*6272).
Parameters (names, shapes, meaning) are those of the literal model, so weights are interchangeable.
tests/test_fashion_models.py checks outputs and gradients against the literal `forward`, including
inputs with ties.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable


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
        """Same function as `forward`, with fewer passes over the conv output (module docstring)."""
        a = _ConvMaxPoolSigmoid.apply(x, self.conv.weight, self.conv.bias)   # (B, 14*14*32), channels last
        # fc.weight is laid out for the (C, H, W) flatten order; permute the weight, not the activation
        c = self.conv.out_channels
        w = self.fc.weight.view(self.fc.out_features, c, 196).transpose(1, 2).reshape(self.fc.out_features, -1)
        return F.log_softmax(F.linear(a, w, self.fc.bias), dim=1)


def _window_major_cols(x: torch.Tensor) -> torch.Tensor:
    """3x3/pad-1 patches of x (B, 1, 28, 28) as (4, B*196, 9): dim 0 = position in the 2x2 pool window
    (row-major, the order max_pool2d scans), dim 1 = (image, pooled row, pooled col)."""
    b = x.shape[0]
    cols = F.unfold(x, 3, padding=1)                                    # (B, 9, 784)
    return cols.view(b, 9, 14, 2, 14, 2).permute(3, 5, 0, 2, 4, 1).reshape(4, b * 196, 9)


def _window_max(y: torch.Tensor) -> torch.Tensor:
    return torch.maximum(torch.maximum(y[0], y[1]), torch.maximum(y[2], y[3]))


class _ConvMaxPoolSigmoid(torch.autograd.Function):
    """sigmoid(max_pool2d(conv2d(x, weight, bias, padding=1), 2)) for SimpleCNN's shapes, returned
    flattened channels-last as (B, 14*14*C). Device-generic (only standard tensor ops, on the inputs'
    device and dtype); measured on the CPU only."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        c = weight.shape[0]
        cols = _window_major_cols(x)                                    # (4, N, 9), N = B*196
        y = torch.matmul(cols, weight.reshape(c, 9).t())                # (4, N, C): conv without bias
        s = torch.sigmoid(_window_max(y).add_(bias))                    # (N, C): bias after the max
        ctx.save_for_backward(cols, y, s, weight)
        return s.view(x.shape[0], -1)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_s):
        cols, y, s, weight = ctx.saved_tensors
        n, c = s.shape
        gm = torch.ops.aten.sigmoid_backward(grad_s.reshape(n, c), s)   # gradient at the pooled maxima
        m = _window_max(y)                                              # recompute: cheaper than indices
        g = torch.empty_like(y)                                         # gradient of the conv output
        taken = None
        for k in range(4):                                              # first maximal position wins ties
            hit = y[k] == m
            if taken is None:
                taken = hit
            else:
                hit &= ~taken
                taken |= hit
            torch.mul(gm, hit, out=g[k])
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:                                     # not used in training; for correctness
            dcols = torch.matmul(g, weight.reshape(c, 9))               # (4, N, 9)
            b = n // 196
            dcols = dcols.view(2, 2, b, 14, 14, 9).permute(2, 5, 3, 0, 4, 1).reshape(b, 9, 784)
            grad_x = F.fold(dcols, (28, 28), 3, padding=1)
        if ctx.needs_input_grad[1]:
            grad_w = (cols.reshape(-1, 9).t() @ g.reshape(-1, c)).t().reshape(weight.shape)
        if ctx.needs_input_grad[2]:
            grad_b = gm.sum(0)
        return grad_x, grad_w, grad_b


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
