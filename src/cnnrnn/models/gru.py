"""A GRU layer for the CPU that runs several directions at once, with a handwritten backward pass.

    >>> fwd, bwd = nn.GRU(52, 100, batch_first=True), nn.GRU(52, 100, batch_first=True)
    >>> out = stacked_gru(torch.stack([x, x_reversed]).transpose(1, 2), [fwd, bwd])   # (2, T, N, 100)

Why: PyTorch has a fused (oneDNN) recurrent kernel on the CPU for the LSTM only. `nn.GRU` runs as a
handful of small operations per time step, each one recorded by autograd, and its backward pass
multiplies a (batch x 3H)^T by (batch x H) matrix per step for the recurrent weight gradient. For the
best IMDB recipe, a bidirectional GRU over up to 400 tokens, that is most of the training time.

Here the directions of one layer (forward and reversed, each with its own weights) are stacked along
a leading dimension, so each time step is one batched matrix multiply and a few element-wise
operations for all directions together; the backward pass is written out (no autograd graph per
step), and the weight gradients, like the input projections, are one large matrix multiply per chunk
of time steps. The numbers are those of `nn.GRU` (PyTorch's gate order r, z, n and formulas,
n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h), up to float32 rounding (tested
against `nn.GRU`, values and gradients). On one CPU thread a training epoch of the best IMDB recipe
takes about a sixth less time, and a test pass a quarter less (bench/profile_tasks.py).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.autograd.function import once_differentiable

# Every buffer is cut into chunks of time steps of at most this many numbers (8 MB), so that even an
# untuned glibc (CNNRNN_ALLOCATOR_TUNING=0: blocks above its mmap threshold are mapped afresh each time)
# serves them from its heap, warm, instead of page-faulting them in for each batch (utils/perf.py)
CHUNK_NUMBERS = 2**21


def _tanh_(x: torch.Tensor) -> torch.Tensor:
    """tanh(x) = 2 sigmoid(2x) - 1 in place: the same number to float32 rounding of 1.0, in half the
    time of torch.tanh on the CPU."""
    return x.mul_(2.0).sigmoid_().mul_(2.0).sub_(1.0)


class _StackedGRU(torch.autograd.Function):
    """D independent single-layer GRUs over D input sequences of the same shape, time-major.

    x: (D, T, N, I); weights stacked per direction: w_ih (D, 3H, I), w_hh (D, 3H, H), b_ih and b_hh
    (D, 3H); the initial state is zero; `save`: keep what the backward pass needs. Returns the outputs
    (D, T, N, H)."""

    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, save):
        d, t_len, n, i = x.shape
        hid = w_hh.shape[2]
        k = max(1, CHUNK_NUMBERS // (d * n * 3 * hid))  # time steps per chunk
        w_ih_t, w_hh_t = w_ih.transpose(1, 2), w_hh.transpose(1, 2).contiguous()
        b_ih1, b_hh1 = b_ih.unsqueeze(1), b_hh.unsqueeze(1)
        out = x.new_empty(d, t_len, n, hid)
        h = x.new_zeros(d, n, hid)
        chunks = []  # per chunk: (W_hn h + b_hn, the r and z gates, the candidate n), kept for backward
        for t0 in range(0, t_len, k):
            m = min(k, t_len - t0)
            # the input projections of the chunk's time steps in one matrix multiply per direction
            gi = torch.baddbmm(b_ih1, x[:, t0 : t0 + m].reshape(d, m * n, i), w_ih_t).view(d, m, n, 3 * hid)
            gh = x.new_empty(d, m, n, 3 * hid)
            rz = x.new_empty(d, m, n, 2 * hid)
            cand = x.new_empty(d, m, n, hid)
            for s in range(m):
                g = gh[:, s]
                torch.baddbmm(b_hh1, h, w_hh_t, out=g)
                r_z = rz[:, s]
                torch.add(gi[:, s, :, : 2 * hid], g[..., : 2 * hid], out=r_z).sigmoid_()
                c = cand[:, s]
                _tanh_(torch.addcmul(gi[:, s, :, 2 * hid :], r_z[..., :hid], g[..., 2 * hid :], out=c))
                h = torch.lerp(c, h, r_z[..., hid:], out=out[:, t0 + s])  # n + z (h - n) = (1 - z) n + z h
            if save:
                chunks.append((gh[..., 2 * hid :].contiguous(), rz, cand))
        if save:
            ctx.chunks = chunks
            ctx.k = k
            ctx.save_for_backward(x, w_ih, w_hh, out)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out):
        x, w_ih, w_hh, out = ctx.saved_tensors
        chunks, k = ctx.chunks, ctx.k
        del ctx.chunks
        d, t_len, n, i = x.shape
        hid = w_hh.shape[2]
        d_out = d_out.contiguous()
        dx = torch.empty_like(x) if ctx.needs_input_grad[0] else None
        dw_ih, dw_hh = torch.zeros_like(w_ih), torch.zeros_like(w_hh)
        db_ih, db_hh = x.new_zeros(d, 3 * hid), x.new_zeros(d, 3 * hid)
        dh = x.new_zeros(d, n, hid)
        for ci in range(len(chunks) - 1, -1, -1):
            hn, rz, cand = chunks[ci]
            chunks[ci] = None  # free as we go
            t0 = ci * k
            m = rz.shape[1]
            # what each step needs, computed for the whole chunk at once (large element-wise operations)
            first = out[:, t0 - 1 : t0] if t0 > 0 else torch.zeros_like(out[:, :1])
            h_prev = torch.cat([first, out[:, t0 : t0 + m - 1]], 1)
            sig = rz * (1.0 - rz)  # sigmoid' of both gates
            one_minus_c2 = 1.0 - cand * cand  # tanh'
            hn_sig = hn * sig[..., :hid]  # d r-gate pre-activation per unit of d(pre-activation of n)
            hmc_sig = (h_prev - cand) * sig[..., hid:]  # d z-gate pre-activation per unit of dh
            r, z = rz[..., :hid], rz[..., hid:]
            d_gh = x.new_empty(d, m, n, 3 * hid)  # gradient of W_h h + b_h
            d_in = x.new_empty(d, m, n, hid)  # gradient of W_in x + b_in
            for s in range(m - 1, -1, -1):
                dh = dh + d_out[:, t0 + s]
                dhz = dh * z[:, s]  # through h' = (1 - z) n + z h
                dpre_n = torch.mul(dh - dhz, one_minus_c2[:, s], out=d_in[:, s])
                g = d_gh[:, s]
                torch.mul(dpre_n, r[:, s], out=g[..., 2 * hid :])
                torch.mul(dpre_n, hn_sig[:, s], out=g[..., :hid])
                torch.mul(dh, hmc_sig[:, s], out=g[..., hid : 2 * hid])
                dh = torch.baddbmm(dhz, g, w_hh)
            # the weight gradients of the chunk's time steps at once
            mn = m * n
            d_gh2 = d_gh.view(d, mn, 3 * hid)
            d_gi = torch.cat([d_gh[..., : 2 * hid], d_in], dim=3).view(d, mn, 3 * hid)
            if dx is not None:
                torch.bmm(d_gi, w_ih, out=dx[:, t0 : t0 + m].view(d, mn, i))
            dw_ih.baddbmm_(d_gi.transpose(1, 2), x[:, t0 : t0 + m].reshape(d, mn, i))
            dw_hh.baddbmm_(d_gh2.transpose(1, 2), h_prev.reshape(d, mn, hid))
            db_ih += d_gi.sum(1)
            db_hh += d_gh2.sum(1)
        return dx, dw_ih, dw_hh, db_ih, db_hh, None


def stacked_gru(x: torch.Tensor, grus: list[nn.GRU]) -> torch.Tensor:
    """Run single-layer `grus` (one per leading index of `x`, (D, T, N, I), time-major) from a zero
    state; their parameters receive the gradients. Returns (D, T, N, H)."""
    for g in grus:
        if g.num_layers != 1 or g.bidirectional or not g.bias:
            raise ValueError("stacked_gru takes single-layer, one-directional GRUs with biases")
    w_ih = torch.stack([g.weight_ih_l0 for g in grus])
    w_hh = torch.stack([g.weight_hh_l0 for g in grus])
    b_ih = torch.stack([g.bias_ih_l0 for g in grus])
    b_hh = torch.stack([g.bias_hh_l0 for g in grus])
    save = torch.is_grad_enabled() and any(t.requires_grad for t in (x, w_ih, w_hh, b_ih, b_hh))
    return _StackedGRU.apply(x.contiguous(), w_ih, w_hh, b_ih, b_hh, save)
