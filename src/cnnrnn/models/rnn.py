"""Recurrent sentiment classifiers for IMDB (task 2a and the task 2e variants).

    >>> model = SimpleLSTM(vocab_size=20000)                 # the assignment's defaults below
    >>> probs = model(tokens, lengths)                       # (N, L) ids, (N,) true lengths -> (N,) P(positive)
    >>> SentimentRNN(20000, cell="gru", bidirectional=True, pooling="max")   # task 2e variants

SimpleLSTM: Embedding(vocab, 50, padding_idx=0) -> LSTM(50, 100, num_layers=2, dropout=0.2,
batch_first) -> thought vector = the last layer's hidden state at each review's *true* last token
-> Dropout(0.5) -> Linear(100, 1) -> Sigmoid. Trained with BCELoss and Adam (lr 0.001).

Why the readout matters: batches are post-padded, and an LSTM that keeps running over `<pad>`
tokens forgets the review; reading the state at the padded end collapses to chance.

Two exact ways to read the state at the true last token (`rnn_impl`):
- "packed": `pack_padded_sequence`, the textbook way; the RNN never sees padding;
- "gather" (default): run the RNN over the (post-padded) batch and gather the output at
  position length-1. For a one-directional RNN the output at t depends only on tokens 0..t, so
  this is the same number (tested against "packed"); on the CPU it is several times faster,
  because PyTorch's oneDNN LSTM kernel takes plain tensors but not packed sequences.
  Bidirectional models run layer by layer: the backward direction reads each review reversed
  *within its length* (so it starts at the true last token, as packing would), again exact.
Pooling over time ("mean", "max", or both concatenated, "meanmax") only looks at the first `length`
outputs. `embedding_dropout` zeroes whole embedding channels per review (spatial dropout).

Two optional inputs beside the word embedding, concatenated to it before the RNN (both off by
default, and then the model is exactly the one without them):
- `extra_embedding_dim`: a second, randomly initialised word embedding that is always trained,
  so a fine-tuned or frozen GloVe embedding keeps its meaning while the extra one learns the
  task's own word features;
- `bigram_buckets` x `bigram_dim`: an embedding of each token's word bigram (the previous token
  and this one; the first token pairs with a start marker), hashed from the two word ids into
  `bigram_buckets` rows, as fastText does. It gives the RNN the bag of bigrams' strongest
  features ("not good", "at all") at the cost of one lookup per token;
- `nb_buckets`: two fixed numbers per token, the naive-Bayes log-count ratios (Wang and Manning
  2012) of its word and of its hashed word bigram, r = log((p / |p|) / (q / |q|)) over the training
  reviews that contain it (`fit_nb_ratios`): the evidence NBSVM weighs, handed to the RNN as input,
  which it can then read in context (negation, contrast) instead of summing it. They are buffers,
  not parameters: saved with the weights, never trained.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from cnnrnn.models.gru import stacked_gru

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}
POOLING = ("last", "mean", "max", "meanmax")
RNN_IMPLS = ("gather", "packed")
_BIGRAM_PRIME = 1_000_003  # hash multiplier: distinct (previous, current) id pairs rarely collide

# "The provided hyperparameters": the model defaults of the whole IMDB study, written once. SentimentRNN's
# signature, the study's ImdbConfig and the `cnnrnn imdb` help texts all read them from here.
DEFAULTS = dict(embedding_dim=50, hidden_dim=100, num_layers=2, lstm_dropout_prob=0.2, dropout_prob=0.5)


def bigram_ids(tokens: torch.Tensor, buckets: int) -> torch.Tensor:
    """Hashed ids (1..buckets-1) of each position's (previous id, id) pair; 0 where `tokens` is `<pad>`.

    >>> bigram_ids(torch.tensor([[5, 7, 0]]), 100).tolist()    # (start, 5), (5, 7), padding
    [[6, 28, 0]]
    """
    prev = torch.nn.functional.pad(tokens[:, :-1], (1, 0))  # the first token's "previous" is 0
    ids = (prev * _BIGRAM_PRIME + tokens) % (buckets - 1) + 1
    return ids.masked_fill(tokens == 0, 0)


def reverse_within_length(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each row's first `length` steps, leave the padding where it is. Its own inverse."""
    t = torch.arange(x.shape[1], device=x.device).unsqueeze(0)
    ln = lengths.to(x.device).unsqueeze(1)
    idx = torch.where(t < ln, ln - 1 - t, t)
    return x.gather(1, idx.unsqueeze(2).expand(-1, -1, x.shape[2]))


class SentimentRNN(nn.Module):
    """Embedding -> LSTM/GRU -> thought vector (last state or pooled) -> Dropout -> Linear -> Sigmoid."""

    use_stacked_gru = True  # False: run a bidirectional GRU as nn.GRU does (the reference in the tests)

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int = DEFAULTS["embedding_dim"],
        hidden_dim: int = DEFAULTS["hidden_dim"],
        num_layers: int = DEFAULTS["num_layers"],
        lstm_dropout_prob: float = DEFAULTS["lstm_dropout_prob"],
        dropout_prob: float = DEFAULTS["dropout_prob"],
        *,
        cell: str = "lstm",
        bidirectional: bool = False,
        pooling: str = "last",
        rnn_impl: str = "gather",
        embedding_dropout: float = 0.0,
        extra_embedding_dim: int = 0,
        bigram_buckets: int = 0,
        bigram_dim: int = 0,
        nb_buckets: int = 0,
    ) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}")
        if pooling not in POOLING:
            raise ValueError(f"pooling must be one of {POOLING}")
        if rnn_impl not in RNN_IMPLS:
            raise ValueError(f"rnn_impl must be one of {RNN_IMPLS}")
        if extra_embedding_dim < 0 or bigram_dim < 0 or (bigram_dim > 0) != (bigram_buckets > 1):
            raise ValueError("extra_embedding_dim and bigram_dim must be >= 0, bigram_buckets > 1 with bigram_dim")
        self.pooling, self.bidirectional, self.packed = pooling, bidirectional, rnn_impl == "packed"
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        # "spatial" dropout on the embeddings: whole embedding channels are zeroed per review, so the
        # model cannot lean on a few dimensions (a regulariser for fine-tuned word vectors)
        self.embedding_dropout = nn.Dropout1d(embedding_dropout) if embedding_dropout > 0 else nn.Identity()
        inter_dropout = lstm_dropout_prob if num_layers > 1 else 0.0  # it only acts between layers
        if nb_buckets < 0 or nb_buckets == 1:
            raise ValueError("nb_buckets must be 0 (off) or > 1")
        input_dim = embedding_dim + extra_embedding_dim + bigram_dim + (2 if nb_buckets else 0)
        if bidirectional and not self.packed:
            # one single-layer RNN per layer and direction (same parameters as nn.LSTM(bidirectional=True))
            self.layers = nn.ModuleList(
                nn.ModuleList(
                    CELLS[cell](input_dim if k == 0 else 2 * hidden_dim, hidden_dim, batch_first=True) for _ in range(2)
                )
                for k in range(num_layers)
            )
            self.inter_dropout = nn.Dropout(inter_dropout)
        else:
            self.rnn = CELLS[cell](
                input_dim,
                hidden_dim,
                num_layers,
                batch_first=True,
                dropout=inter_dropout,
                bidirectional=bidirectional,
            )
        self.dropout = nn.Dropout(dropout_prob)
        self.fc = nn.Linear(hidden_dim * (2 if bidirectional else 1) * (2 if pooling == "meanmax" else 1), 1)
        # created last, so that the parameters above draw the same random numbers with or without them;
        # small initial values: the model starts close to the word-embedding model and learns what helps
        self.extra_embedding = self.bigram_embedding = None
        if extra_embedding_dim > 0:
            self.extra_embedding = nn.Embedding(vocab_size, extra_embedding_dim, padding_idx=0)
            nn.init.normal_(self.extra_embedding.weight, std=0.1)
        if bigram_dim > 0:
            self.bigram_buckets = bigram_buckets
            self.bigram_embedding = nn.Embedding(bigram_buckets, bigram_dim, padding_idx=0)
            nn.init.normal_(self.bigram_embedding.weight, std=0.1)
        for emb in (self.extra_embedding, self.bigram_embedding):
            if emb is not None:
                with torch.no_grad():
                    emb.weight[0].zero_()  # padding row
        self.nb_buckets = nb_buckets
        if nb_buckets:
            # zeros until fit_nb_ratios sets them from the training reviews; row 0 (padding) stays 0
            self.register_buffer("nb_word", torch.zeros(vocab_size))
            self.register_buffer("nb_bigram", torch.zeros(nb_buckets))

    def _bidirectional_gather(self, emb: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = emb
        for k, (fwd, bwd) in enumerate(self.layers):
            if k > 0:
                x = self.inter_dropout(x)
            if self._stacked_gru(x):
                # both directions in one loop (models/gru.py): the same function, faster on a CPU
                both = torch.stack([x, reverse_within_length(x, lengths)]).transpose(1, 2)  # (2, T, N, I)
                out = stacked_gru(both, [fwd, bwd])
                out_f, out_b = out[0].transpose(0, 1), out[1].transpose(0, 1)
            else:
                out_f, _ = fwd(x)
                out_b, _ = bwd(reverse_within_length(x, lengths))
            x = torch.cat([out_f, reverse_within_length(out_b, lengths)], dim=2)
        return x

    def _stacked_gru(self, x: torch.Tensor) -> bool:
        """Whether the bidirectional GRU runs as models/gru.py's stacked_gru: on the CPU in float32 or
        float64 (on a GPU cuDNN's fused kernel is faster; under autocast nn.GRU's own casts apply)."""
        return (
            self.use_stacked_gru
            and isinstance(self.layers[0][0], nn.GRU)
            and x.device.type == "cpu"
            and x.dtype in (torch.float32, torch.float64)
            and not torch.is_autocast_enabled("cpu")
        )

    def thought_vector(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The review representation fed to the classifier, (N, hidden_dim x directions)."""
        emb = self.embedding(tokens)
        if self.extra_embedding is not None or self.bigram_embedding is not None or self.nb_buckets:
            parts = [emb]
            if self.extra_embedding is not None:
                parts.append(self.extra_embedding(tokens))
            if self.bigram_embedding is not None:
                parts.append(self.bigram_embedding(bigram_ids(tokens, self.bigram_buckets)))
            if self.nb_buckets:
                nb = [self.nb_word[tokens], self.nb_bigram[bigram_ids(tokens, self.nb_buckets)]]
                parts.append(torch.stack(nb, dim=2).to(emb.dtype))
            emb = torch.cat(parts, dim=2)
        if not isinstance(self.embedding_dropout, nn.Identity):
            emb = self.embedding_dropout(emb.transpose(1, 2)).transpose(1, 2)  # (N, C, L): per channel
        if self.packed:
            # lengths must be on the CPU for packing; enforce_sorted=False sorts internally
            packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, h = self.rnn(packed)
            if self.pooling == "last":
                h = h[0] if isinstance(h, tuple) else h  # LSTM returns (h_n, c_n)
                # last layer: forward state at the true last token (+ backward state at the first token)
                return torch.cat([h[-2], h[-1]], dim=1) if self.bidirectional else h[-1]
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=tokens.shape[1])
        else:
            out = self._bidirectional_gather(emb, lengths) if self.bidirectional else self.rnn(emb)[0]
            if self.pooling == "last":
                idx = (lengths - 1).to(out.device).view(-1, 1, 1).expand(-1, 1, out.shape[2])
                last = out.gather(1, idx).squeeze(1)
                if self.bidirectional:  # backward direction: its final state sits at position 0
                    h = out.shape[2] // 2
                    return torch.cat([last[:, :h], out[:, 0, h:]], dim=1)
                return last
        mask = (
            torch.arange(out.shape[1], device=out.device).unsqueeze(0) < lengths.to(out.device).unsqueeze(1)
        ).unsqueeze(2)
        pooled = []
        if self.pooling in ("mean", "meanmax"):
            pooled.append((out * mask).sum(1) / mask.sum(1).clamp(min=1))
        if self.pooling in ("max", "meanmax"):
            pooled.append(out.masked_fill(~mask, float("-inf")).amax(1))
        return pooled[0] if len(pooled) == 1 else torch.cat(pooled, dim=1)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        logits = self.fc(self.dropout(self.thought_vector(tokens, lengths)))
        # the sigmoid in float32 also under bf16 autocast: in bfloat16 every logit above ~5.5 rounds to
        # P = 1.0 exactly, and BCELoss then passes no gradient for a confidently wrong review
        return torch.sigmoid(logits.float()).squeeze(1)


def log_count_ratios(ids: torch.Tensor, labels: torch.Tensor, size: int, alpha: float = 1.0) -> torch.Tensor:
    """r[i] = log((p_i / |p|_1) / (q_i / |q|_1)) with p_i = alpha + the positive reviews that contain id i
    (each review counted once, binarised as NBSVM does) and q_i the same over the negative ones; id 0
    (padding) gets 0. `ids`: (N, L) per review, `labels`: (N,) 0/1.

    >>> [round(x, 3) for x in log_count_ratios(torch.tensor([[1, 2], [1, 0]]), torch.tensor([1.0, 0.0]), 3).tolist()]
    [0.0, -0.288, 0.405]
    """
    n, length = ids.shape
    rows = torch.arange(n).unsqueeze(1).expand(n, length)
    pairs = torch.unique((rows * size + ids).flatten())  # (review, id) once each
    review, idx = pairs // size, pairs % size
    pos = labels[review].double()
    p = alpha + torch.bincount(idx, weights=pos, minlength=size)
    q = alpha + torch.bincount(idx, weights=1 - pos, minlength=size)
    p[0] = q[0] = 1.0  # padding is no feature: out of the sums, r = 0
    p_sum, q_sum = p[1:].sum(), q[1:].sum()
    r = torch.log((p / p_sum) / (q / q_sum)).float()
    r[0] = 0.0
    return r


@torch.no_grad()
def nb_ratios(model: SentimentRNN, tokens: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The log-count ratios of every word and of every hashed bigram of `model`'s naive-Bayes inputs,
    from reviews (token ids (N, L) and 0/1 labels), on the device of its buffers."""
    tokens, labels = tokens.cpu(), labels.cpu()
    word = log_count_ratios(tokens, labels, model.nb_word.numel())
    bigram = log_count_ratios(bigram_ids(tokens, model.nb_buckets), labels, model.nb_buckets)
    return word.to(model.nb_word.device), bigram.to(model.nb_bigram.device)


@torch.no_grad()
def set_nb_ratios(model: SentimentRNN, ratios: tuple[torch.Tensor, torch.Tensor]) -> None:
    model.nb_word.copy_(ratios[0]), model.nb_bigram.copy_(ratios[1])


def fit_nb_ratios(model: SentimentRNN, tokens: torch.Tensor, labels: torch.Tensor) -> None:
    """Set a model's naive-Bayes inputs (`nb_buckets`) from training reviews (token ids (N, L) and
    0/1 labels): the log-count ratio of every word and of every hashed bigram. Training reviews only."""
    if model.nb_buckets:
        set_nb_ratios(model, nb_ratios(model, tokens, labels))


class SimpleLSTM(SentimentRNN):
    """Task 2a's model: SentimentRNN with its defaults (DEFAULTS: a one-directional LSTM, last state)."""
