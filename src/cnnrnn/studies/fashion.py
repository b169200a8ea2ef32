"""The Fashion-MNIST study (tasks 1a-1f): SimpleCNN over several seeds, then other architectures.

    cnnrnn fashion summary                              # 1a: the layer table, from the model itself
    cnnrnn fashion --out runs/fashion                   # 1a-1f with the default preset
    cnnrnn fashion --out runs/f --model resnet_small    # one model from the registry
    cnnrnn fashion --out runs/q --preset quick          # every code path on a small subset

Experiments (each one resumable; see cnnrnn.experiment):
    fashion.summary            the 1a table and the output interpretation check
    fashion.simple_cnn         1e: the specified settings over `seeds` seeds, evaluation and figures
    fashion.explore.<model>    1f: one per explored architecture
    fashion.explore_summary    which explored model is best, comparison figure (cheap, always re-run)

Data: the 60,000 training images minus a fixed, stratified validation split of `val_size`
(the same for every seed) for learning curves; the 10,000 test images only for test numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from cnnrnn.data.fashion_mnist import CLASSES, FashionMNIST, batches, load_fashion_mnist
from cnnrnn.errors import CnnrnnError
from cnnrnn.experiment import (Experiment, RunContext, add_run_args, make_context, positive_float, positive_int,
                               run_experiments, write_history_csv)
from cnnrnn.models.cnn import (MODELS, FlipAverage, SimpleCNN, SmoothedNLLLoss, build_model, count_params,
                               cosine_lambda, one_cycle_lambda, random_crop_flip)
from cnnrnn.models.summary import format_table, layer_table
from cnnrnn.train import evaluate, fit
from cnnrnn.utils.io import atomic_path
from cnnrnn.utils.progress import log, progress
from cnnrnn.utils.seed import seed_everything
from cnnrnn.utils.stats import summarize

EXPLORE_MODELS = ("cnn2_relu", "cnn3_bn", "cnn3_bn_dropout_aug", "resnet_small", "cnn3_bn_fast")


@dataclass
class FashionConfig:
    epochs: int = 5                    # SimpleCNN (task 1e): the specified settings
    batch_size: int = 100
    lr: float = 1e-3
    seeds: int = 3                     # seeds seed, seed+1, ...
    seed: int = 0
    val_size: int = 5000
    train_limit: int | None = None     # cut the training set (quick runs, tests)
    test_limit: int | None = None
    explore: bool = True
    explore_models: tuple = EXPLORE_MODELS
    explore_epochs: dict = field(default_factory=lambda: {m: 5 for m in EXPLORE_MODELS})
    explore_seeds: int = 2
    explore_batch_size: int = 128
    explore_lr: float | None = None    # --lr with --model NAME; else the registry's rate for each model
    model: str | None = None           # --model NAME: train only this one
    misclassified: int = 24
    verify: bool = True                # check the official checksums
    eval_batch_size: int = 1000

    def seed_list(self, n: int | None = None) -> list[int]:
        return [self.seed + i for i in range(self.seeds if n is None else n)]


def preset_config(preset: str) -> FashionConfig:
    """quick: every code path on subsets; default: the specified SimpleCNN runs plus one seed of each
    explored model, the best one trained longest; full: more seeds and epochs (meant for a GPU)."""
    if preset == "quick":
        return FashionConfig(epochs=2, seeds=1, train_limit=2000, test_limit=1000, val_size=500,
                             explore_epochs={m: 1 for m in EXPLORE_MODELS}, explore_seeds=1)
    if preset == "default":
        # Budget on the 2-core CPU (s/epoch on 55,000 images, one torch thread beside the IMDB study, as
        # measured in the default run of the README): cnn2_relu ~49, cnn3_bn ~75, resnet_small ~110,
        # cnn3_bn_fast ~79 (~48 with both cores).
        # The short runs show what each ingredient does after 1-2 epochs; cnn3_bn_fast gets the 12
        # epochs its one-cycle schedule is made for (93.6 % in 9.6 min with 2 threads, README).
        # cnn3_bn_dropout_aug is left to `full`: cnn3_bn_fast covers augmentation.
        return FashionConfig(explore_seeds=1,
                             explore_models=("cnn2_relu", "cnn3_bn", "resnet_small", "cnn3_bn_fast"),
                             explore_epochs={"cnn2_relu": 2, "cnn3_bn": 2, "resnet_small": 1, "cnn3_bn_fast": 12})
    if preset == "full":
        return FashionConfig(seeds=5, explore_seeds=3,
                             explore_epochs={"cnn2_relu": 15, "cnn3_bn": 20, "cnn3_bn_dropout_aug": 30,
                                             "resnet_small": 30, "cnn3_bn_fast": 30})
    raise CnnrnnError(f"--preset {preset!r}: choose one of quick, default, full")


# ---------------------------------------------------------------- data

_DATA_CACHE: dict = {}


def get_data(ctx: RunContext, cfg: FashionConfig) -> FashionMNIST:
    """Load once per process and device (the experiments of one run share it)."""
    key = (str(ctx.data_root), str(ctx.device), cfg.verify)
    if key not in _DATA_CACHE:
        _DATA_CACHE.clear()
        _DATA_CACHE[key] = load_fashion_mnist(ctx.data_root, ctx.device, verify=cfg.verify)
    return _DATA_CACHE[key]


def _test_set(data: FashionMNIST, cfg: FashionConfig):
    n = cfg.test_limit or len(data.test_y)
    return data.test_x[:n], data.test_y[:n]


def data_info(data: FashionMNIST, cfg: FashionConfig) -> dict:
    split = data.split(cfg.val_size, train_limit=cfg.train_limit)
    return {"train": len(split.train_y), "val": len(split.val_y), "test": len(_test_set(data, cfg)[1]),
            "dir": str(data.folder), "files": data.files}


# ---------------------------------------------------------------- training one model, one seed

def train_once(name: str, data: FashionMNIST, cfg: FashionConfig, seed: int, device: torch.device, *,
               epochs: int, batch_size: int, lr: float, desc: str = "") -> dict:
    """Train `name` with one seed; return history, test metrics and outputs, time and the model."""
    spec = MODELS[name]
    split = data.split(cfg.val_size, train_limit=cfg.train_limit)  # the same split for every seed
    gen = seed_everything(seed)
    model = build_model(name)
    if isinstance(model, SimpleCNN):
        model.fast = True  # same function as the literal forward (tested), less memory traffic
    model.to(device)
    steps = -(-len(split.train_y) // batch_size)
    scheduler, interval = None, "epoch"
    if name == "simple_cnn":
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        # conv nets with BatchNorm run faster channels-last on CPUs (oneDNN's native layout); the same function
        model.to(memory_format=torch.channels_last)
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=spec.weight_decay or 5e-4)
        if spec.schedule == "cosine":
            scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_lambda(epochs))
        elif spec.schedule == "onecycle":
            scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, one_cycle_lambda(epochs * steps))
            interval = "step"
    aug_gen = torch.Generator().manual_seed(seed + 10_000)
    transform = (lambda x: random_crop_flip(x, generator=aug_gen)) if spec.augment else None

    def train_batches(epoch):
        it = batches(split.train_x, split.train_y, batch_size, generator=gen, transform=transform)
        return progress(it, desc=f"{desc} epoch {epoch}/{epochs}", total=steps)

    def val_batches():
        return batches(split.val_x, split.val_y, cfg.eval_batch_size)

    loss_fn = nn.NLLLoss()
    train_loss = SmoothedNLLLoss(spec.label_smoothing) if spec.label_smoothing else loss_fn
    t0 = time.perf_counter()
    history = fit(model, train_batches, val_batches, train_loss, optimizer, epochs=epochs, scheduler=scheduler,
                  scheduler_interval=interval, eval_loss_fn=loss_fn,
                  on_epoch=lambda r: log(f"  {desc} epoch {r['epoch']}: train loss {r['train_loss']:.4f} "
                                         f"acc {r['train_accuracy']:.4f}, val acc {r['val_accuracy']:.4f} "
                                         f"({r['seconds']:.1f} s)"))
    train_seconds = time.perf_counter() - t0
    tx, ty = _test_set(data, cfg)
    tested = FlipAverage(model) if spec.test_flip else model
    test = evaluate(tested, batches(tx, ty, cfg.eval_batch_size), loss_fn, keep_outputs=True)
    model.eval()
    return {"history": history, "test_accuracy": test["accuracy"], "test_loss": test["loss"],
            "outputs": test["outputs"], "targets": test["targets"], "train_seconds": train_seconds,
            "model": model}


def save_weights(model: nn.Module, path: Path) -> Path:
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(state, str(tmp))
    return path


def load_weights(name: str, path: str | Path, device: torch.device | str = "cpu") -> nn.Module:
    """A registry model with weights from a .safetensors file (no pickle, so no code runs on load)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    model = build_model(name)
    try:
        state = load_file(str(path), device=str(device))
    except (OSError, SafetensorError) as e:
        raise CnnrnnError(f"{path}: cannot read safetensors weights ({e})") from None
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise CnnrnnError(f"{path}: weights do not fit model {name!r} ({str(e).splitlines()[0]})") from None
    return model.to(device).eval()


# ---------------------------------------------------------------- analysis and figures

def confusion_matrix(pred: torch.Tensor, target: torch.Tensor, k: int = 10) -> np.ndarray:
    return torch.bincount(target * k + pred, minlength=k * k).reshape(k, k).numpy()


def top_confusions(cm: np.ndarray, n: int = 10) -> list[dict]:
    """Off-diagonal cells, most frequent first; rate = count / images of the true class (over all seeds)."""
    per_class = cm.sum(axis=1)
    pairs = [(int(cm[i, j]), i, j) for i in range(len(cm)) for j in range(len(cm)) if i != j and cm[i, j] > 0]
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    return [{"true": CLASSES[i], "pred": CLASSES[j], "count": c, "rate": c / max(int(per_class[i]), 1)}
            for c, i, j in pairs[:n]]


def _fig_learning_curves(histories: dict, figdir: Path, stem: str, title: str) -> str:
    import matplotlib.pyplot as plt

    from cnnrnn.utils.figures import save_figure

    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        for split, color in (("train", "C0"), ("val", "C1")):
            rows = np.array([[r[f"{split}_{metric}"] for r in h] for h in histories.values()])
            ep = np.arange(1, rows.shape[1] + 1)
            ax.plot(ep, rows.mean(0), color=color, marker="o", ms=3,
                    label=f"{'training' if split == 'train' else 'validation'}")
            if len(rows) > 1:
                ax.fill_between(ep, rows.min(0), rows.max(0), color=color, alpha=0.2)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend()
    fig.suptitle(f"{title} (mean, band = min-max over {len(histories)} seed(s))")
    return save_figure(fig, figdir, stem)


def _fig_confusion(cm: np.ndarray, figdir: Path, stem: str) -> str:
    import matplotlib.pyplot as plt

    from cnnrnn.utils.figures import save_figure

    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(cm)):
        for j in range(len(cm)):
            if norm[i, j] >= 0.005:
                ax.text(j, i, f"{norm[i, j]:.2f}", ha="center", va="center", fontsize=6.5,
                        color="white" if norm[i, j] > 0.5 else "black")
    ax.set_xticks(range(10), CLASSES, rotation=45, ha="right")
    ax.set_yticks(range(10), CLASSES)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.colorbar(im, ax=ax, fraction=0.046, label="fraction of the true class")
    return save_figure(fig, figdir, stem)


def _fig_per_class(mean: np.ndarray, std: np.ndarray, figdir: Path, stem: str) -> str:
    import matplotlib.pyplot as plt

    from cnnrnn.utils.figures import save_figure

    fig, ax = plt.subplots(figsize=(7, 3))
    ax.bar(range(10), mean, yerr=std, color="C0", capsize=3)
    for i, v in enumerate(mean):
        ax.text(i, v + 0.01, f"{v:.3f}", ha="center", fontsize=7)
    ax.set_xticks(range(10), CLASSES, rotation=30, ha="right")
    ax.set_ylim(min(0.5, float(mean.min()) - 0.05), 1.05)
    ax.set_ylabel("test accuracy")
    return save_figure(fig, figdir, stem)


def _fig_misclassified(images: torch.Tensor, true: list, pred: list, conf: list, figdir: Path, stem: str) -> str:
    import matplotlib.pyplot as plt

    from cnnrnn.utils.figures import save_figure

    n = len(true)
    cols = 6
    rows = max(1, -(-n // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.6, rows * 1.9))
    for k, ax in enumerate(np.atleast_1d(axes).ravel()):
        ax.axis("off")
        if k < n:
            ax.imshow(images[k].numpy(), cmap="gray_r", vmin=0, vmax=255)
            ax.set_title(f"{CLASSES[true[k]]} ->\n{CLASSES[pred[k]]} (p={conf[k]:.2f})", fontsize=7)
    return save_figure(fig, figdir, stem)


def _fig_comparison(rows: list[tuple[str, dict]], figdir: Path, stem: str) -> str:
    import matplotlib.pyplot as plt

    from cnnrnn.utils.figures import save_figure

    fig, ax = plt.subplots(figsize=(7, 3))
    names = [n for n, _ in rows]
    means = [r["mean"] for _, r in rows]
    ax.barh(range(len(rows)), means, xerr=[r["std"] for _, r in rows], color="C2", capsize=3)
    for i, m in enumerate(means):
        ax.text(m + 0.002, i, f"{m:.4f}", va="center", fontsize=7)
    ax.set_yticks(range(len(rows)), names)
    ax.set_xlim(min(means) - 0.03, 1.0)
    ax.set_xlabel("test accuracy (mean +- std over seeds)")
    return save_figure(fig, figdir, stem)


# ---------------------------------------------------------------- experiments

def run_summary(ctx: RunContext) -> dict:
    model = SimpleCNN()
    rows = layer_table(model, (1, 28, 28))
    total = count_params(model)
    with torch.no_grad():
        out = model(torch.rand(64, 1, 28, 28))
        err = float((out.exp().sum(dim=1) - 1).abs().max())
    meaning = ("log class probabilities (LogSoftmax): exp(output) is the posterior over the 10 classes and sums "
               "to 1; argmax(output) is the predicted class; NLLLoss of it is the cross-entropy")
    return {"fashion": {"classes": CLASSES, "summary": {"layers": rows, "total_params": total,
                                                       "output": {"meaning": meaning, "exp_sum_max_abs_error": err}}}}


def _train_seeds(ctx: RunContext, cfg: FashionConfig, name: str, seeds: list[int], *, epochs: int,
                 batch_size: int, lr: float):
    data = get_data(ctx, cfg)
    runs = []
    for i, seed in enumerate(seeds):
        log(f"{name}: seed {seed} ({i + 1}/{len(seeds)}), {epochs} epochs on {ctx.device}")
        r = train_once(name, data, cfg, seed, ctx.device, epochs=epochs, batch_size=batch_size, lr=lr,
                       desc=f"{name} s{seed}")
        log(f"{name}: seed {seed}: test accuracy {r['test_accuracy']:.4f} ({r['train_seconds']:.1f} s)")
        write_history_csv(ctx.path("history", f"fashion_{name}_seed{seed}.csv"), r["history"])
        if i == 0:  # weights of the first seed; later seeds' models are dropped to free memory
            save_weights(r["model"], ctx.path("weights", f"fashion_{name}.safetensors"))
        else:
            del r["model"]
        runs.append(r)
    return data, runs


def run_simple_cnn(ctx: RunContext, cfg: FashionConfig) -> dict:
    seeds = cfg.seed_list()
    data, runs = _train_seeds(ctx, cfg, "simple_cnn", seeds, epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr)
    figdir = ctx.figures_dir
    preds = [r["outputs"].argmax(1) for r in runs]
    targets = runs[0]["targets"]
    cms = [confusion_matrix(p, targets) for p in preds]
    per_class = np.array([np.diag(cm) / np.maximum(cm.sum(1), 1) for cm in cms])
    per_class_mean = per_class.mean(0)
    per_class_std = per_class.std(0, ddof=1) if len(seeds) > 1 else np.zeros(len(CLASSES))
    cm = np.sum(cms, axis=0)
    histories = {str(s): r["history"] for s, r in zip(seeds, runs)}

    first = runs[0]
    wrong = (preds[0] != targets).nonzero().flatten()
    shown = wrong[:cfg.misclassified]
    probs = first["outputs"].exp()
    tx, _ = _test_set(data, cfg)
    figures = {
        "learning_curves": "figures/" + _fig_learning_curves(histories, figdir, "fashion_learning_curves",
                                                             "SimpleCNN"),
        "confusion_matrix": "figures/" + _fig_confusion(cm, figdir, "fashion_confusion"),
        "per_class": "figures/" + _fig_per_class(per_class_mean, per_class_std, figdir, "fashion_per_class"),
        "misclassified": "figures/" + _fig_misclassified(
            tx[shown.to(tx.device)].cpu(), targets[shown].tolist(), preds[0][shown].tolist(),
            probs[shown, preds[0][shown]].tolist(), figdir, "fashion_misclassified"),
    }
    return {"fashion": {
        "classes": CLASSES,
        "data": data_info(data, cfg),
        "simple_cnn": {
            "params": count_params(first["model"]),
            "config": {"epochs": cfg.epochs, "batch_size": cfg.batch_size, "lr": cfg.lr, "seeds": seeds,
                       "val_size": cfg.val_size, "train_limit": cfg.train_limit, "optimizer": "Adam",
                       "loss": "NLLLoss"},
            "test_accuracy": summarize([r["test_accuracy"] for r in runs]),
            "test_loss": summarize([r["test_loss"] for r in runs]),
            "train_seconds": summarize([r["train_seconds"] for r in runs]),
            "per_class_accuracy": per_class_mean,
            "per_class_accuracy_std": per_class_std,
            "confusion_matrix": cm,
            "confusion_seeds": len(seeds),
            "top_confusions": top_confusions(cm),
            "history": histories,
            "misclassified": {"shown": len(shown), "total_errors": len(wrong)},
            "weights": "weights/fashion_simple_cnn.safetensors",
            "figures": figures,
        }}}


def run_explore(ctx: RunContext, cfg: FashionConfig, name: str) -> dict:
    spec = MODELS[name]
    epochs = cfg.explore_epochs.get(name, 5)
    seeds = cfg.seed_list(cfg.explore_seeds)
    lr = cfg.explore_lr or spec.lr
    _, runs = _train_seeds(ctx, cfg, name, seeds, epochs=epochs, batch_size=cfg.explore_batch_size, lr=lr)
    return {"fashion": {"explore": {name: {
        "description": spec.description,
        "params": count_params(runs[0]["model"]),
        "epochs": epochs,
        "batch_size": cfg.explore_batch_size,
        "lr": lr,
        "schedule": spec.schedule,
        "augment": spec.augment,
        "label_smoothing": spec.label_smoothing,
        "test_flip": spec.test_flip,
        "seeds": seeds,
        "test_accuracy": summarize([r["test_accuracy"] for r in runs]),
        "test_loss": summarize([r["test_loss"] for r in runs]),
        "train_seconds": summarize([r["train_seconds"] for r in runs]),
        "history": {str(s): r["history"] for s, r in zip(seeds, runs)},
        "weights": f"weights/fashion_{name}.safetensors",
    }}}}


def run_explore_summary(ctx: RunContext) -> dict:
    explored = ctx.results.get("fashion", {}).get("explore", {})
    if not explored:
        return {}
    rows = sorted(explored.items(), key=lambda kv: kv[1]["test_accuracy"]["mean"])
    sc = ctx.results.get("fashion", {}).get("simple_cnn")
    plot_rows = [(n, e["test_accuracy"]) for n, e in rows]
    if sc:
        plot_rows = [("simple_cnn (spec)", sc["test_accuracy"])] + plot_rows
    best = rows[-1][0]
    fig = _fig_comparison(plot_rows, ctx.figures_dir, "fashion_explore_comparison")
    return {"fashion": {"explore_best": best, "explore_figures": {"comparison": "figures/" + fig}}}


def experiments(cfg: FashionConfig) -> list[Experiment]:
    base = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in ("explore", "explore_models", "model",
                                                                           "explore_epochs", "misclassified")}
    exps = [Experiment("fashion.summary", lambda ctx: run_summary(ctx), {}, "task 1a: layer table", cache=False)]
    only = cfg.model
    if only is None or only == "simple_cnn":
        exps.append(Experiment("fashion.simple_cnn", lambda ctx: run_simple_cnn(ctx, cfg),
                               {**base, "misclassified": cfg.misclassified},
                               f"task 1e: SimpleCNN, {cfg.seeds} seed(s) x {cfg.epochs} epochs"))
    names = [only] if only not in (None, "simple_cnn") else (list(cfg.explore_models) if cfg.explore and only is None
                                                               else [])
    for name in names:
        exps.append(Experiment(f"fashion.explore.{name}", lambda ctx, n=name: run_explore(ctx, cfg, n),
                               {**base, "epochs": cfg.explore_epochs.get(name, 5),
                                "lr": cfg.explore_lr or MODELS[name].lr, "batch_size": cfg.explore_batch_size},
                               f"task 1f: {MODELS[name].description}"))
    if names:
        exps.append(Experiment("fashion.explore_summary", run_explore_summary, {}, "best explored model",
                               cache=False))
    return exps


# ---------------------------------------------------------------- CLI

def cmd_summary(args: argparse.Namespace) -> int:
    frag = run_summary(None)["fashion"]["summary"]  # type: ignore[arg-type]
    print("SimpleCNN (task 1a), shapes without the batch dimension:")
    print(format_table(frag["layers"], frag["total_params"]))
    print(f"\noutput: {frag['output']['meaning']}")
    print(f"check: max |sum(exp(output)) - 1| over a random batch = {frag['output']['exp_sum_max_abs_error']:.2e}")
    return 0


def config_from_args(args: argparse.Namespace) -> FashionConfig:
    cfg = preset_config(args.preset)
    if args.model is not None and args.model not in MODELS:
        raise CnnrnnError(f"--model {args.model!r}: unknown model; choose one of {', '.join(MODELS)}")
    cfg.model = args.model
    for opt, attr in (("seeds", "seeds"), ("seed", "seed"), ("train_limit", "train_limit"),
                      ("val_size", "val_size")):
        if getattr(args, opt) is not None:
            setattr(cfg, attr, getattr(args, opt))
    if args.explore is not None:
        cfg.explore = args.explore
    if args.no_verify:
        cfg.verify = False
    if args.explore_epochs:
        cfg.explore_epochs = {m: args.explore_epochs for m in cfg.explore_epochs}
    model = args.model or "simple_cnn"
    if model == "simple_cnn":
        cfg.epochs = args.epochs or cfg.epochs
        cfg.batch_size = args.batch_size or cfg.batch_size
        cfg.lr = args.lr or cfg.lr
    else:
        if args.epochs:
            cfg.explore_epochs = {**cfg.explore_epochs, model: args.epochs}
        if args.batch_size:
            cfg.explore_batch_size = args.batch_size
        cfg.explore_lr = args.lr
        if args.seeds is not None:
            cfg.explore_seeds = args.seeds
    return cfg


def cmd_fashion(args: argparse.Namespace) -> int:
    if getattr(args, "action", None) == "summary":
        return cmd_summary(args)
    cfg = config_from_args(args)
    ctx = make_context(args)
    log(f"fashion: preset {args.preset}, device {ctx.device}, data {ctx.data_root}, out {ctx.out}")
    results = run_experiments(experiments(cfg), ctx, config={"fashion": dataclasses.asdict(cfg),
                                                             "preset": args.preset}, force=args.force)
    f = results.get("fashion", {})
    lines = []
    if "simple_cnn" in f:
        a = f["simple_cnn"]["test_accuracy"]
        lines.append(f"simple_cnn: test accuracy {a['mean']:.4f} +- {a['std']:.4f} over {a['n']} seed(s)")
    for name, e in f.get("explore", {}).items():
        a = e["test_accuracy"]
        lines.append(f"{name}: test accuracy {a['mean']:.4f} +- {a['std']:.4f} over {a['n']} seed(s), "
                     f"{e['epochs']} epochs, {e['params']:,} params")
    for line in lines:
        log(line)
    log(f"results: {ctx.out / 'results.json'}")
    return 0


def register_cli(subparsers) -> None:
    p = subparsers.add_parser("fashion", help="Fashion-MNIST CNN study (tasks 1a-1f)",
                              description=__doc__.split("\n\n")[0],
                              epilog="models: " + "; ".join(f"{n}: {s.description}" for n, s in MODELS.items()))
    add_run_args(p, "runs/fashion")
    p.add_argument("--model", default=None, metavar="NAME",
                   help=f"train only this model, one of: {', '.join(MODELS)} (default: SimpleCNN, then the "
                        f"explored models)")
    p.add_argument("--epochs", type=positive_int, default=None,
                   help="epochs for SimpleCNN, or for --model NAME (default: 5, the specified setting)")
    p.add_argument("--batch-size", type=positive_int, default=None, help="batch size (default: 100 for SimpleCNN)")
    p.add_argument("--lr", type=positive_float, default=None, help="learning rate (default: 0.001 for SimpleCNN)")
    p.add_argument("--seeds", type=positive_int, default=None, help="number of seeds (default: 3; quick: 1)")
    p.add_argument("--seed", type=int, default=None, help="first seed (default: 0)")
    p.add_argument("--explore", action=argparse.BooleanOptionalAction, default=None,
                   help="also train the explored architectures of task 1f (default: yes)")
    p.add_argument("--explore-epochs", type=positive_int, default=None,
                   help="epochs for every explored model (default: per model, see the preset)")
    p.add_argument("--train-limit", type=positive_int, default=None,
                   help="use only this many training images (default: all 55,000)")
    p.add_argument("--val-size", type=positive_int, default=None, help="validation images (default: 5000)")
    p.add_argument("--no-verify", action="store_true",
                   help="skip the official checksums (for your own or subset files; the IDX header is still checked)")
    p.set_defaults(func=cmd_fashion, action=None)
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    s = sub.add_parser("summary", help="task 1a: print the SimpleCNN layer table (no data, no training)")
    s.set_defaults(func=cmd_summary)
