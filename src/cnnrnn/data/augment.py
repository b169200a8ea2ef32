"""Data augmentation on whole batches, as tensor ops on the device (no per-image Python).

x = random_crop_flip(x, pad=2, generator=g)     # shifts of up to 2 pixels and mirror flips
x = random_erase(x, p=0.5, generator=g)         # zero a random rectangle in half of the images
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


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
    rows = dy[:, None] + ar_h[None, :]  # (B, H)
    cols = dx[:, None] + torch.where(flip[:, None], ar_w.flip(0)[None, :], ar_w[None, :])  # (B, W)
    bidx = torch.arange(b, device=dev)[:, None, None]
    return padded[:, 0][bidx, rows[:, :, None], cols[:, None, :]].unsqueeze(1)


def random_erase(
    x: torch.Tensor,
    p: float = 0.5,
    smin: float = 0.02,
    smax: float = 0.25,
    rmin: float = 0.3,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Random erasing (Zhong et al. 2020; zero fill, as cutout) on a batch (B, 1, H, W): with probability
    `p` per image, a rectangle whose area is a fraction U[smin, smax] of the image and whose aspect
    ratio is log-uniform in [rmin, 1/rmin] is set to 0. Random numbers come from `generator` on the
    CPU, so the same seed erases the same rectangles on every device."""
    b, _, h, w = x.shape
    area = torch.empty(b).uniform_(smin, smax, generator=generator) * h * w
    ratio = torch.exp(torch.empty(b).uniform_(math.log(rmin), -math.log(rmin), generator=generator))
    eh = torch.sqrt(area * ratio).round().clamp(1, h).long()
    ew = torch.sqrt(area / ratio).round().clamp(1, w).long()
    y0 = (torch.rand(b, generator=generator) * (h - eh + 1).float()).long()
    x0 = (torch.rand(b, generator=generator) * (w - ew + 1).float()).long()
    on = torch.rand(b, generator=generator) < p
    ar_h, ar_w = torch.arange(h), torch.arange(w)
    rows = (ar_h[None] >= y0[:, None]) & (ar_h[None] < (y0 + eh)[:, None])
    cols = (ar_w[None] >= x0[:, None]) & (ar_w[None] < (x0 + ew)[:, None])
    mask = (rows[:, :, None] & cols[:, None, :] & on[:, None, None]).to(x.device)
    return x.masked_fill(mask[:, None], 0.0)
