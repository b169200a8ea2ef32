"""Figures of the IMDB study (figure objects; the caller saves them)."""

from __future__ import annotations

from cnnrnn.utils.figures import plt


def learning_curve(sizes, regimes: dict, tfidf_sizes, tfidf, references: dict):
    """Test accuracy against training-set size, one line per regime (mean +- std), TF-IDF dashed,
    published full-data numbers as dotted horizontal lines."""
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    for k, (regime, summaries) in enumerate(regimes.items()):
        xs = [s for s, v in zip(sizes, summaries) if v]
        ys = [v["mean"] for v in summaries if v]
        err = [v["std"] for v in summaries if v]
        ax.errorbar(xs, ys, yerr=err, marker="o", color=f"C{k}", label=f"LSTM {regime}", capsize=3)
    ax.plot(tfidf_sizes, tfidf, "s--", color="k", label="TF-IDF + logistic regression")
    for label, acc in references.items():
        ax.axhline(acc, color="grey", lw=0.8, ls=":", label=f"{label} (full data)")
    ax.set_xscale("log")
    ax.set_xlabel("training reviews")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=7)
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
