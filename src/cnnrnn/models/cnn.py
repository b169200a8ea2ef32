"""CNNs for Fashion-MNIST: the specified `SimpleCNN` (tasks 1a-1e) and the explored ones (task 1f).

    model = build_cnn("simple_cnn")            # any name in ARCHITECTURES
    log_probs = model(x)                      # x: (B, 1, 28, 28) in [0, 1]; log class probabilities (B, 10)

Every model ends in LogSoftmax, so all of them train with NLLLoss and `exp(output)` is the
posterior. `ARCHITECTURES` is the registry the training recipes of studies/fashion/config.py name
(`cnnrnn fashion --model RECIPE` picks a recipe, and through it an architecture).

Why SimpleCNN has a second forward path: on a CPU the step time of this model is dominated not
by arithmetic but by memory-bound passes over the (B, 32, 28, 28) activation: the sigmoid, the
max-pool that records argmax indices, and their backward passes. `forward_fast` computes the same
function with less of that traffic (`_ConvMaxPoolSigmoid`, a custom autograd Function):
  * max-pool before sigmoid: sigmoid is increasing, so max(sigmoid(a)) = sigmoid(max(a)), and the
    sigmoid (and its backward) runs on the pooled (B, 32, 14, 14) only: 4x fewer elements. The bias
    is added after the max for the same reason (it is the same for the 4 positions of a window);
  * the 4 conv outputs of each 2x2 pooling window are read from ONE 4x4 input patch (stride 2):
    a 4x4 stride-2 "conv" with 4*32 channels, channel k*32+c holding the 3x3 kernel of channel c
    shifted to window position k. `unfold` + one matmul give them as (B, 4, 32, 196), so the pool
    is 3 `torch.maximum`s of whole slices, with no argmax indices written;
  * backward routes each gradient to the FIRST maximal position in row-major window order, as
    max_pool2d does on ties (ties are common: the black background gives 4 equal values), from
    comparisons of the pairs (0, 1), (2, 3) and of their maxima; dW is one batched matmul with the
    saved patches, folded from 4x4 back to 3x3; the input gradient is skipped unless asked for.
Parameters (names, shapes, meaning) are those of the literal model, so weights are interchangeable.
tests/test_fashion_models.py checks outputs and gradients against the literal `forward`, including
inputs with ties. bench/bench_fashion.py measures what it buys.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import FunctionCtx, once_differentiable


class SimpleCNN(nn.Module):
    """Conv2d(1, 32, 3, 1, 1) -> Sigmoid -> MaxPool2d(2, 2) -> Linear(32*14*14, 10) -> LogSoftmax.

    `fast=True` makes `forward` use `forward_fast` (same function, see the module docstring).
    """

    description = "the specified model: conv(32) -> sigmoid -> max-pool -> linear"

    def __init__(self, fast: bool = False) -> None:
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
        a = _ConvMaxPoolSigmoid.apply(x, self.conv.weight, self.conv.bias)  # (B, 32*14*14), flatten order
        return F.log_softmax(self.fc(a), dim=1)


def _window_kernels(weight: torch.Tensor) -> torch.Tensor:
    """(C, 1, 3, 3) conv weight -> (4*C, 16): row k*C + c is kernel c placed at offset (di, dj) of a
    4x4 patch, k = 2*di + dj the position in the 2x2 pooling window (the order max_pool2d scans)."""
    w = weight.reshape(-1, 3, 3)
    # F.pad order is (left, right, top, bottom): offset (di, dj) = dj columns left, di rows on top
    shifted = [F.pad(w, (dj, 1 - dj, di, 1 - di)) for di in (0, 1) for dj in (0, 1)]
    return torch.stack(shifted).reshape(4 * w.shape[0], 16)


def _fold_window_kernels(g16: torch.Tensor) -> torch.Tensor:
    """Gradient w.r.t. `_window_kernels` output (4*C, 16) -> gradient w.r.t. the (C, 1, 3, 3) weight."""
    g = g16.view(4, -1, 4, 4)
    w = g[0, :, :3, :3] + g[1, :, :3, 1:] + g[2, :, 1:, :3] + g[3, :, 1:, 1:]
    return w.unsqueeze(1)


def _window_patches(x: torch.Tensor) -> torch.Tensor:
    """(B, 1, 28, 28) -> (16, B*196): the 4x4 input patch (padding 1, stride 2) under each 2x2 pooling
    window, one column per (image, pooled row, pooled col)."""
    b = x.shape[0]
    xp = F.pad(x.reshape(b, 28, 28), (1, 1, 1, 1))  # (B, 30, 30)
    return xp.unfold(1, 4, 2).unfold(2, 4, 2).permute(3, 4, 0, 1, 2).reshape(16, b * 196)


class _ConvMaxPoolSigmoid(torch.autograd.Function):
    """sigmoid(max_pool2d(conv2d(x, weight, bias, padding=1), 2)) for SimpleCNN's shapes, returned
    flattened as (B, C*14*14) in (C, H, W) order. Device-generic (standard tensor ops on the inputs'
    device and dtype); its speed is measured on the CPU (bench/bench_fashion.py).

    Internally everything is "window-major": (4, C, N) with N = B*196 windows, so each of the 4
    window positions is one contiguous block and every pass is a plain contiguous loop.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, c = x.shape[0], weight.shape[0]
        cols = _window_patches(x)  # (16, N)
        y = (_window_kernels(weight) @ cols).view(4, c, -1)  # conv at the 4 window positions
        m01 = torch.maximum(y[0], y[1])
        m23 = torch.maximum(y[2], y[3])
        s = torch.sigmoid(torch.maximum(m01, m23).add_(bias.view(c, 1)))  # (C, N)
        ctx.save_for_backward(cols, y, m01, m23, s, weight)
        return s.view(c, b, 196).transpose(0, 1).reshape(b, c * 196)

    @staticmethod
    @once_differentiable
    def backward(ctx: FunctionCtx, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        cols, y, m01, m23, s, weight = ctx.saved_tensors
        c, n = s.shape
        b = n // 196
        # h holds 4 gradients (C, N) whose products with the patches give dW:
        #   h0 = gm (at the window maxima)   h1 = gm where the max is at position 0 or 1
        #   h2 = h1 where it is at 0         h3 = (gm - h1) where it is at 2
        # position 0 gets h2, 1 gets h1 - h2, 2 gets h3, 3 gets h0 - h1 - h3: the FIRST maximum in
        # window order, as max_pool2d routes ties (common: the black background gives 4 equal values).
        # Masks are 0./1. floats (comparisons with a float `out`): x * mask is exact (x or 0) and, on a
        # CPU, several times faster than bool masks, torch.where or masked_fill.
        h = torch.empty_like(y)  # (4, C, N)
        grad_t = grad_out.view(b, c, 196).transpose(0, 1)  # (C, B, 196) view
        torch.ops.aten.sigmoid_backward.grad_input(grad_t, s.view(c, b, 196), grad_input=h[0].view(c, b, 196))
        mask = torch.empty_like(s)
        torch.mul(h[0], torch.ge(m01, m23, out=mask), out=h[1])
        torch.mul(h[1], torch.ge(y[0], y[1], out=mask), out=h[2])
        torch.mul(torch.sub(h[0], h[1], out=h[3]), torch.ge(y[2], y[3], out=mask), out=h[3])
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:  # not used in training; for correctness
            g = torch.stack([h[2], h[1] - h[2], h[3], h[0] - h[1] - h[3]]).view(4 * c, n)
            dcols = (_window_kernels(weight).t() @ g).view(16, b, 196).transpose(0, 1)
            grad_x = F.fold(dcols, (28, 28), 4, padding=1, stride=2)
        if ctx.needs_input_grad[1]:
            p = (h.view(4 * c, n) @ cols.t()).view(4, c, 16)
            grad_w = _fold_window_kernels(torch.cat([p[2], p[1] - p[2], p[3], p[0] - p[1] - p[3]]))
        if ctx.needs_input_grad[2]:
            grad_b = h[0].sum(1)
        return grad_x, grad_w, grad_b


# ---------------------------------------------------------------- task 1f: explored architectures


def _conv_block(cin: int, cout: int, *, bn: bool, act: Callable[[], nn.Module] = nn.ReLU) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=not bn), *([nn.BatchNorm2d(cout)] if bn else []), act()]


class ConvNet(nn.Module):
    """VGG-style blocks: [conv3x3 (-> BN) -> ReLU] x convs_per_block -> max-pool, then a small head."""

    def __init__(
        self,
        widths: tuple[int, ...] = (32, 64),
        *,
        bn: bool = False,
        dropout: float = 0.0,
        convs_per_block: int = 1,
        hidden: int = 128,
    ) -> None:
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
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(cin * side * side, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, 10),
            nn.LogSoftmax(dim=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 convs with BN; a 1x1 projection when the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
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

    def __init__(self, widths: tuple[int, ...] = (32, 64, 128)) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(), nn.MaxPool2d(2)
        )
        blocks, cin = [], widths[0]
        for i, w in enumerate(widths):
            blocks.append(BasicBlock(cin, w, stride=1 if i == 0 else 2))
            cin = w
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 10), nn.LogSoftmax(dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))


# ---------------------------------------------------------------- the architectures, by name

# name -> (builder, description). How each is trained (optimizer, schedule, augmentation, ...) is a
# *recipe*, in studies/fashion/config.py; this module only knows architectures.
ARCHITECTURES: dict[str, tuple[Callable[[], nn.Module], str]] = {
    "simple_cnn": (SimpleCNN, SimpleCNN.description),
    "cnn2": (lambda: ConvNet((32, 64)), "2 conv blocks (32, 64) with ReLU and max-pool, FC 128"),
    "cnn3_bn": (lambda: ConvNet((32, 64, 128), bn=True), "3 conv blocks (32, 64, 128) with BatchNorm, FC 128"),
    "cnn3_bn_dropout": (
        lambda: ConvNet((32, 64, 128), bn=True, dropout=0.3),
        "3 conv blocks (32, 64, 128) with BatchNorm, dropout 0.3, FC 128",
    ),
    "cnn3_bn_wide_head": (
        lambda: ConvNet((32, 64, 128), bn=True, hidden=256),
        "3 conv blocks (32, 64, 128) with BatchNorm, FC 256",
    ),
    "resnet_small": (SmallResNet, "residual: stem + pool, 3 basic blocks (32, 64, 128), global pool"),
    "vgg3_bn": (
        lambda: ConvNet((32, 64, 128), bn=True, convs_per_block=2, hidden=256),
        "VGG-style: 2 x (conv3x3-BN-ReLU) per block (32, 64, 128), max-pool, FC 256",
    ),
}


def build_cnn(arch: str) -> nn.Module:
    """A freshly initialised network of architecture `arch` (a key of ARCHITECTURES)."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; one of {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[arch][0]()
