"""Benchmark: SimpleCNN training, the project's pipeline against a tutorial-style DataLoader pipeline.

    .venv/bin/python bench/bench_fashion.py                 # 5 epochs each, the specified settings
    .venv/bin/python bench/bench_fashion.py --quick         # 1 epoch on 5,000 images (smoke test)

Both pipelines train the same SimpleCNN (same seed, same initial weights, Adam lr 0.001, batch
100, NLLLoss) on the same 55,000 training images and are tested on the 10,000 test images, in
the same process, one after the other:

  tutorial  a `torch.utils.data.Dataset` whose `__getitem__` turns one uint8 image into a float
            tensor in [0, 1] through numpy (what torchvision's ToTensor does per sample), a
            `DataLoader(batch_size=100, shuffle=True)`, and the literal `SimpleCNN.forward`.
            (torchvision itself cannot be installed beside this torch build.)
  cnnrnn    uint8 tensors resident on the device, batches cut by index from a per-epoch
            permutation and scaled on the fly, `SimpleCNN(fast=True)`, the shared `cnnrnn.train`
            loop. The fast path computes the same function with fewer passes over the
            (100, 32, 28, 28) conv output: conv as unfold + matmul laid out so each 2x2 pooling
            window's 4 positions are contiguous slices, max over them without argmax indices,
            bias and sigmoid on the pooled values only (sigmoid is increasing, so pooling first
            is exact), a backward that recomputes the max and routes gradients to the first
            maximum as max_pool2d does, and the fc weight permuted to the channels-last
            activation (see src/cnnrnn/models/cnn.py; outputs and gradients are checked against
            the literal forward in tests/test_fashion_models.py).

Prints a markdown section and writes it to bench/results/fashion.md, raw numbers to
bench/results/fashion.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from cnnrnn.data.fashion_mnist import batches, load_fashion_mnist  # noqa: E402
from cnnrnn.data.paths import data_root  # noqa: E402
from cnnrnn.models.cnn import SimpleCNN  # noqa: E402
from cnnrnn.train import evaluate, train_one_epoch  # noqa: E402
from cnnrnn.utils.env import _cpu_name  # noqa: E402


class TutorialDataset(torch.utils.data.Dataset):
    """Per-sample conversion, as torchvision.datasets.FashionMNIST + transforms.ToTensor() do."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        img = self.images[i]                                     # uint8 (28, 28), like the PIL image
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).unsqueeze(0)  # ToTensor: (1, 28, 28)
        return x, int(self.labels[i])


def run_tutorial(split, test_x, test_y, init_state, epochs: int, seed: int) -> dict:
    torch.manual_seed(seed)
    model = SimpleCNN()
    model.load_state_dict(init_state)
    train_ds = TutorialDataset(split.train_x.numpy(), split.train_y.numpy())
    test_ds = TutorialDataset(test_x.numpy(), test_y.numpy())
    train_loader = torch.utils.data.DataLoader(train_ds, batch_size=100, shuffle=True)
    test_loader = torch.utils.data.DataLoader(test_ds, batch_size=100)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.NLLLoss()
    t0 = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for x, y in train_loader:       # the pytorch/examples loop
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
    train_s = time.perf_counter() - t0
    model.eval()
    correct = n = 0
    with torch.no_grad():
        for x, y in test_loader:
            correct += int((model(x).argmax(1) == y).sum())
            n += len(y)
    return {"train_seconds": train_s, "total_seconds": time.perf_counter() - t0, "test_accuracy": correct / n}


def run_cnnrnn(split, test_x, test_y, init_state, epochs: int, seed: int) -> dict:
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = SimpleCNN(fast=True)
    model.load_state_dict(init_state)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.NLLLoss()
    t0 = time.perf_counter()
    for _ in range(epochs):
        train_one_epoch(model, batches(split.train_x, split.train_y, 100, generator=gen), loss_fn, optimizer)
    train_s = time.perf_counter() - t0
    res = evaluate(model, batches(test_x, test_y, 1000), loss_fn)
    return {"train_seconds": train_s, "total_seconds": time.perf_counter() - t0, "test_accuracy": res["accuracy"]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=5, help="epochs per pipeline (default: 5)")
    ap.add_argument("--quick", action="store_true", help="1 epoch on 5,000 training images (smoke test)")
    ap.add_argument("--data", default=None, help="data root (default: $CNNRNN_DATA, ../shared/data, ~/.cache/cnnrnn)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(REPO / "bench" / "results"), help="where fashion.md/.json go")
    args = ap.parse_args(argv)
    root = args.data or os.environ.get("CNNRNN_DATA")
    if root is None and (REPO.parent / "shared" / "data" / "fashion-mnist").is_dir():
        root = REPO.parent / "shared" / "data"
    data = load_fashion_mnist(data_root(root), "cpu")
    epochs = 1 if args.quick else args.epochs
    split = data.split(5000, seed=0, train_limit=5000 if args.quick else None)
    torch.manual_seed(args.seed)
    init_state = {k: v.clone() for k, v in SimpleCNN().state_dict().items()}

    tut = run_tutorial(split, data.test_x, data.test_y, init_state, epochs, args.seed)
    print(f"tutorial: {tut}", flush=True)
    ours = run_cnnrnn(split, data.test_x, data.test_y, init_state, epochs, args.seed)
    print(f"cnnrnn:   {ours}", flush=True)
    ratio = tut["train_seconds"] / ours["train_seconds"]
    env = {"cpu": _cpu_name(), "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
           "torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version()}
    cmd = "python bench/bench_fashion.py" + (" --quick" if args.quick else f" --epochs {epochs}")
    md = "\n".join([
        "## Fashion-MNIST: SimpleCNN training speed",
        "",
        f"`{cmd}`: {epochs} epoch(s) of SimpleCNN (Adam, lr 0.001, batch 100, NLLLoss) on "
        f"{len(split.train_y):,} training images, same seed and initial weights, tested on {len(data.test_y):,} "
        f"images; both pipelines in the same process. CPU: {env['cpu']} ({env['cpu_count']} cores, "
        f"{env['torch_threads']} torch threads), torch {env['torch']}.",
        "",
        "| pipeline | training time (s) | test accuracy |",
        "| --- | ---: | ---: |",
        f"| tutorial (per-sample Dataset + DataLoader, literal forward) | {tut['train_seconds']:.1f} | "
        f"{tut['test_accuracy']:.4f} |",
        f"| cnnrnn (resident uint8 tensors, index batches, fused conv + pool + sigmoid) | {ours['train_seconds']:.1f} | "
        f"{ours['test_accuracy']:.4f} |",
        "",
        f"Speed-up: **{ratio:.2f}x** (training time ratio). Timings on a shared machine are noisy.",
        "",
    ])
    print(md)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fashion.md").write_text(md)
    (out / "fashion.json").write_text(json.dumps({"command": cmd, "epochs": epochs, "train_images": len(split.train_y),
                                                  "tutorial": tut, "cnnrnn": ours, "speedup": ratio, "env": env},
                                                 indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
