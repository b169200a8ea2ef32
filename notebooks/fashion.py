# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Fashion-MNIST with CNNs (tasks 1a-1f)
#
# This notebook walks through the Fashion-MNIST study of `cnnrnn` step by step: the specified
# `SimpleCNN` (1a), its training (1b-1d), its evaluation overall, per class and by its mistakes
# (1e), and one better recipe (1f). Every step calls the package; nothing is re-implemented here.
# The last part loads a finished run directory (made by `make run`) for the full results and uses
# the prediction API on images of its own.
#
# The parameter cell below decides how much is trained: `SIZE = "small"` (the default: 10,000
# training images, SimpleCNN for 2 epochs, the better recipe for 1) takes a couple of minutes on a
# laptop CPU; `"preset"` uses the settings of the default preset (the assignment's 5 epochs on all
# 55,000 images, several minutes more); `"tiny"` is for automatic tests (seconds, meaningless numbers).

# %% tags=["parameters"]
SIZE = "small"  # "small": a couple of minutes on a CPU; "preset": the default preset's settings; "tiny": tests
RUN_DIR = "../runs/main"  # a finished run directory (`make run`), for the full results at the end
DATA = None  # data root holding fashion-mnist/; None: $CNNRNN_DATA, else the download cache
DEVICE = "cpu"

# %%
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm's notebook bars; the log lines suffice

import io
import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Image, display

import cnnrnn
from cnnrnn.checkpoint import fashion_checkpoint
from cnnrnn.data.fashion_mnist import CLASSES, load_fashion_mnist
from cnnrnn.data.paths import data_root
from cnnrnn.models.cnn import SimpleCNN
from cnnrnn.models.summary import count_params, layer_table
from cnnrnn.studies.fashion import analysis, figures
from cnnrnn.studies.fashion.config import FashionConfig, preset_config
from cnnrnn.studies.fashion.training import test_set, train_once
from cnnrnn.utils.figures import curves_figure


def show(fig):
    """Display a figure made by the package (it draws off-screen, for files) as a PNG image."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    display(Image(data=buf.getvalue()))


cfg = {
    "tiny": preset_config("quick"),
    "small": FashionConfig(epochs=2, seeds=[0], train_limit=10_000, val_size=5000, explore_seeds=[0]),
    "preset": preset_config("default"),
}[SIZE]
device = torch.device(DEVICE)
torch.set_num_threads(max(1, torch.get_num_threads()))
print(f"cnnrnn {cnnrnn.__version__}, settings {SIZE!r}: SimpleCNN {cfg.epochs} epochs, seed {cfg.seeds[0]}")

# %% [markdown]
# ## 1a: the model
#
# `SimpleCNN`: a 3x3 convolution from 1 to 32 channels (stride 1, padding 1), Sigmoid, 2x2
# max-pooling, a linear layer from 32*14*14 to 10 outputs, LogSoftmax. The table is computed from
# the model itself (forward hooks), so it cannot disagree with the code.

# %%
model = SimpleCNN()
print(f"{'layer':<12} {'type':<11} {'input':<14} {'output':<14} {'parameters':>10}")
for row in layer_table(model, (1, 28, 28)):
    print(
        f"{row['name']:<12} {row['type']:<11} {str(tuple(row['input_shape'])):<14} "
        f"{str(tuple(row['output_shape'])):<14} {row['params']:>10,}"
    )
print(f"total: {count_params(model):,} parameters")

# %% [markdown]
# The output is a vector of 10 *log* class probabilities: `exp(output)` sums to 1, its argmax is
# the predicted class, and NLLLoss of it is the cross-entropy.

# %%
with torch.no_grad():
    out = model(torch.rand(4, 1, 28, 28))
print("exp(output) sums to", out.exp().sum(1).tolist())

# %% [markdown]
# ## 1b-1d: data and training
#
# The 60,000 training images lose a fixed, stratified validation split (used for the learning
# curves and every choice); the 10,000 test images are only used for test numbers. Training uses
# the specified settings: NLLLoss, Adam, learning rate 0.001, batch size 100.

# %%
data = load_fashion_mnist(data_root(DATA), device, verify=SIZE != "tiny")
split = data.split(cfg.val_size, train_limit=cfg.train_limit)
print(f"{len(split.train_y):,} training, {len(split.val_y):,} validation, {len(data.test_y):,} test images")
fig, axes = plt.subplots(1, 10, figsize=(12, 1.6))
for k, ax in enumerate(axes):
    ax.imshow(data.test_x[(data.test_y == k).nonzero()[0, 0]].cpu(), cmap="gray")
    ax.set_title(CLASSES[k], fontsize=7)
    ax.axis("off")
show(fig)

# %%
run = train_once(
    "simple_cnn",
    data,
    cfg,
    cfg.seeds[0],
    device,
    epochs=cfg.epochs,
    batch_size=cfg.batch_size,
    lr=cfg.lr,
    desc="SimpleCNN",
)
print(f"test accuracy {run['test_accuracy']:.4f} after {run['train_seconds']:.0f} s of training")

# %% [markdown]
# The learning curves: loss and accuracy per epoch on the training data (dashed) and on the
# validation split (solid).

# %%
show(curves_figure({"SimpleCNN": {str(cfg.seeds[0]): run["history"]}}, "SimpleCNN"))

# %% [markdown]
# ## 1e: evaluation per class, the confusion matrix, the mistakes

# %%
preds, targets = run["outputs"].argmax(1), run["targets"]
cm = analysis.confusion_matrix(preds, targets)
per_class = np.diag(cm) / np.maximum(cm.sum(1), 1)
show(figures.per_class(per_class, None))
show(figures.confusion(cm))
for c in analysis.top_confusions(cm, n=3):
    print(c)

# %%
wrong = (preds != targets).nonzero().flatten()[:12]
tx, _ = test_set(data, cfg)
probs = run["outputs"].exp()
show(
    figures.misclassified(
        tx[wrong.to(tx.device)].cpu(),
        targets[wrong].tolist(),
        preds[wrong].tolist(),
        probs[wrong, preds[wrong]].tolist(),
    )
)

# %% [markdown]
# ## 1f: one better recipe
#
# `cnn3_bn_fast`: three convolution blocks with BatchNorm, a 256-unit head, random shifts and
# flips, one-cycle AdamW, label smoothing and flip averaging at test time (see
# `cnnrnn.studies.fashion.config.RECIPES`). The study chooses among recipes on validation
# accuracy, never on test.

# %%
better_epochs = {"tiny": 1, "small": 1, "preset": 5}[SIZE]
better = train_once(
    "cnn3_bn_fast", data, cfg, 0, device, epochs=better_epochs, batch_size=128, lr=3e-3, desc="cnn3_bn_fast"
)
for name, r in (("SimpleCNN", run), ("cnn3_bn_fast", better)):
    print(
        f"{name:<13} validation {r['history'][-1]['val_accuracy']:.4f}  test {r['test_accuracy']:.4f}  "
        f"({r['train_seconds']:.0f} s)"
    )

# %% [markdown]
# ## The full results of a finished run
#
# `make run` (or `cnnrnn run --out runs/main`) runs the whole study with more seeds and epochs;
# its numbers, verdicts and figures are in `RUN_DIR/results.json` and `RUN_DIR/figures/`.

# %%
run_dir = Path(RUN_DIR)
results = json.loads((run_dir / "results.json").read_text()) if (run_dir / "results.json").is_file() else None
if results is None:
    print(f"{run_dir}: no finished run here yet; `make run` makes one (the cells below then show it)")
else:
    fashion = results["fashion"]
    sc = fashion["simple_cnn"]
    acc = sc["test_accuracy"]
    print(f"SimpleCNN: test accuracy {acc['mean']:.4f} +- {acc['std']:.4f} over {acc['n']} seed(s)")
    for name, e in fashion.get("explore", {}).items():
        print(f"{name:<22} test accuracy {e['test_accuracy']['mean']:.4f} ({e['epochs']} epochs)")
    print("best recipe by validation accuracy:", fashion.get("explore_best"))
    for stem in (sc["figures"]["learning_curves"], sc["figures"]["confusion_matrix"], sc["figures"]["misclassified"]):
        display(Image(filename=str(run_dir / f"{stem}.png")))

# %% [markdown]
# ## Using a trained model
#
# A saved model carries its architecture, preprocessing and class names, so `cnnrnn.load_model`
# needs nothing else; `predict` takes image files, 28x28 arrays or batches. Here: a few test
# images saved as PNG files, as a user would have them. Without a finished run, the model trained
# above is saved the same way and used instead.

# %%
tmp = Path(tempfile.mkdtemp())
paths = []
for i in range(6):
    paths.append(tmp / f"test{i}.png")
    plt.imsave(paths[-1], data.test_x[i].cpu().numpy(), cmap="gray", vmin=0, vmax=255)
if (run_dir / "weights" / "fashion_simple_cnn.safetensors").is_file():
    cnn = cnnrnn.load_model(run_dir, "fashion.simple_cnn")
else:
    weights = tmp / "simple_cnn.safetensors"
    acc = run["test_accuracy"]
    files = fashion_checkpoint(
        str(weights), run["model"], recipe="simple_cnn", test_accuracy=acc, test_size=len(tx), seed=0, epochs=cfg.epochs
    )
    weights.write_bytes(files[str(weights)])
    cnn = cnnrnn.load_model(weights)
print(cnn)
for path, p, y in zip(paths, cnn.predict(paths), data.test_y[:6].tolist()):
    print(f"{path.name}: {p.label:<12} p={p.probability:.2f}   (true: {CLASSES[y]})")
