"""Figures of the IMDB study (figure objects; the caller saves them)."""

from __future__ import annotations

from cnnrnn.utils.figures import plt

LABELS = {
    "scratch": "SimpleLSTM, scratch",
    "frozen": "SimpleLSTM, frozen GloVe",
    "finetune": "SimpleLSTM, fine-tuned GloVe",
    "best_rnn": "best recipe (biGRU)",
    "tfidf": "TF-IDF + logistic regression",
    "nbsvm": "NBSVM",
}


def learning_curve(curves: dict, references: dict):
    """Test accuracy against training-set size: one line per model (mean +- std over seeds), the
    classical baselines dashed, published full-data numbers as dotted horizontal lines."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for k, (name, c) in enumerate(curves.items()):
        style = "s--" if name in ("tfidf", "nbsvm") else "o-"
        ax.errorbar(
            c["sizes"],
            [v["mean"] for v in c["accuracy"]],
            yerr=[v["std"] for v in c["accuracy"]],
            fmt=style,
            color="k" if name == "tfidf" else f"C{k}",
            label=LABELS.get(name, name),
            capsize=3,
            ms=4,
        )
    for i, (label, acc) in enumerate(references.items()):
        ax.axhline(acc, color="grey", lw=0.8, ls=[":", "-."][i % 2], label=label)
    ax.set_xscale("log")
    ax.set_xlabel("training reviews")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=6.5, loc="lower right")
    return fig


def tsne(words: list[str], xy, sentiment: set[str], dim: int):
    fig, ax = plt.subplots(figsize=(7, 5.5))
    colors = ["C3" if w in sentiment else "C0" for w in words]
    ax.scatter([p[0] for p in xy], [p[1] for p in xy], c=colors, s=8)
    for w, (x, y) in zip(words, xy):
        ax.annotate(w, (x, y), fontsize=6, color="C3" if w in sentiment else "C0")
    ax.set_title(f"t-SNE of {len(words)} GloVe vectors ({dim}-d): sentiment (red) vs other words")
    ax.set_xticks([])
    ax.set_yticks([])
    return fig
