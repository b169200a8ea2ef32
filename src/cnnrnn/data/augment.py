"""Data augmentation on whole batches, as tensor ops on the device (no per-image Python).

    x = random_crop_flip(x, pad=2, generator=g)     # shifts of up to 2 pixels and mirror flips
"""

from __future__ import annotations

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
    rows = (dy[:, None] + ar_h[None, :])                          # (B, H)
    cols = dx[:, None] + torch.where(flip[:, None], ar_w.flip(0)[None, :], ar_w[None, :])  # (B, W)
    bidx = torch.arange(b, device=dev)[:, None, None]
    return padded[:, 0][bidx, rows[:, :, None], cols[:, None, :]].unsqueeze(1)
