"""Text to tensors: tokenizer, vocabulary, and encoding to padded id tensors with lengths.

    >>> tokenize("I didn't like it.<br /><br />Boring!")
    ['i', 'did', "n't", 'like', 'it', '.', 'boring', '!']
    >>> vocab = Vocab.build([tokenize(t) for t in train_texts], min_freq=1, max_size=None)
    >>> tokens, lengths = encode(token_lists, vocab, max_seq_len=200)   # (N, L) int64, (N,) int64

The tokenizer (in the spirit of torchtext's deprecated `basic_english`, but with one
compiled regex and no torchtext dependency):

1. the HTML line breaks IMDB keeps in its texts (`<br />`, `<br/>`, `<br>`) become spaces, and the
   Windows-1252 punctuation that some reviews carry as C1 control characters (U+0085, U+0091-U+0097)
   or as an acute accent used as apostrophe becomes its ASCII form ("...", "'", '"', "-");
2. everything is lowercased;
3. tokens are runs of letters/digits (any script) or single punctuation characters;
4. English clitics are split the way GloVe 6B's tokenizer (Stanford PTB-style) split them,
   so they find their GloVe vectors: "don't" -> "do" "n't", "it's" -> "it" "'s",
   "we'll" -> "we" "'ll" ("can't" -> "ca" "n't", which is also what GloVe has).

Vocabulary: built from the *training* reviews only; `<pad>` = 0, `<unk>` = 1, then words by
decreasing frequency (ties broken alphabetically, so the ids are deterministic), keeping words
seen at least `min_freq` times, at most `max_size` entries in total (including the two specials).
A review that has no token at all after tokenising (e.g. only `<br />` tags) is encoded as a
single `<unk>` so that every length is >= 1 (packing and the last-token readout need that).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

from cnnrnn.errors import CnnrnnError

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1

_BREAK_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
# order matters: the word before a "n't" first, then the clitics, then plain words, then punctuation
_TOKEN_RE = re.compile(r"[^\W_]+(?=n't\b)|n't\b|'(?:s|re|ve|ll|d|m)\b|[^\W_]+|[^\w\s]|_")


_CP1252 = str.maketrans(
    {
        "\x85": "...",
        "\x91": "'",
        "\x92": "'",
        "\x93": '"',
        "\x94": '"',
        "\x95": "-",
        "\x96": "-",
        "\x97": "-",
        "\u00b4": "'",
    }
)


def clean(text: str) -> str:
    """Remove the `<br />` tags (as spaces), repair Windows-1252 punctuation, lowercase."""
    return _BREAK_RE.sub(" ", text).translate(_CP1252).lower()


def tokenize(text: str) -> list[str]:
    """Lowercased word and punctuation tokens of one review (see the module docstring)."""
    return _TOKEN_RE.findall(clean(text))


@dataclass
class Vocab:
    """Word <-> id mapping with `<pad>` = 0 and `<unk>` = 1."""

    itos: list[str]
    counts: dict[str, int]

    def __post_init__(self) -> None:
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]], *, min_freq: int = 1, max_size: int | None = None) -> Vocab:
        if min_freq < 1:
            raise ValueError("min_freq must be >= 1")
        if max_size is not None and max_size < 3:
            raise ValueError("max_size must leave room for <pad>, <unk> and one word")
        counter: Counter = Counter()
        for toks in token_lists:
            counter.update(toks)
        counter.pop(PAD, None)
        counter.pop(UNK, None)
        words = sorted((w for w, c in counter.items() if c >= min_freq), key=lambda w: (-counter[w], w))
        if max_size is not None:
            words = words[: max_size - 2]
        return cls([PAD, UNK] + words, dict(counter))

    def lookup(self, tokens: Sequence[str]) -> list[int]:
        get = self.stoi.get
        return [get(t, UNK_ID) for t in tokens]


def truncate(tokens: Sequence[str], max_seq_len: int, how: str = "head") -> Sequence[str]:
    """At most `max_seq_len` tokens: the first ones ("head"), or the first and the last half
    ("headtail": reviews often state their verdict at the end)."""
    if len(tokens) <= max_seq_len:
        return tokens
    if how == "head":
        return tokens[:max_seq_len]
    if how == "headtail":
        first = max_seq_len // 2
        return list(tokens[:first]) + list(tokens[len(tokens) - (max_seq_len - first) :])
    raise ValueError(f"truncation must be 'head' or 'headtail', not {how!r}")


def encode(
    token_lists: Sequence[Sequence[str]], vocab: Vocab, max_seq_len: int, truncation: str = "head"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Ids of at most `max_seq_len` tokens of each review (see `truncate`), post-padded with `<pad>`,
    and the true lengths.

    Done once up front, so the training loop only slices tensors.
    """
    if max_seq_len < 1:
        raise ValueError("max_seq_len must be >= 1")
    n = len(token_lists)
    ids = [vocab.lookup(truncate(toks, max_seq_len, truncation)) or [UNK_ID] for toks in token_lists]
    lengths = torch.tensor([len(x) for x in ids], dtype=torch.long)
    width = int(lengths.max()) if n else 1
    tokens = torch.full((n, width), PAD_ID, dtype=torch.long)
    for i, row in enumerate(ids):  # once per dataset, not per batch
        tokens[i, : len(row)] = torch.tensor(row, dtype=torch.long)
    return tokens, lengths


def decode_utf8(data: bytes, where: str) -> str:
    """Decode `data` as UTF-8; invalid bytes are a CnnrnnError naming `where` (a file or file:line)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CnnrnnError(f"{where}: invalid UTF-8 ({e.reason} at byte {e.start})") from None
