"""One finding per task of the assignment: what the studies concluded, typed.

Each study's combine step fills one record per task it answers and writes it into results.json
under `findings.<task>` (e.g. `findings.2d`, via `record()`). A record holds the finished verdicts
(decided by cnnrnn.verdicts or the study's analysis.py, never by the reader) and the numbers the
text quotes beside them. The report (cnnrnn.report) and the terminal summary (cnnrnn.summary)
phrase these records: grammar and layout only, no thresholds, no comparisons, no arithmetic.
docs/results.md documents every field.

    from cnnrnn.findings import Finding2d, record
    fragment = {"findings": {"2d": record(Finding2d(...))}}

A "summary" is cnnrnn.utils.stats.summarize's {mean, std, n, ci95, per_seed}; a "comparison" is
cnnrnn.verdicts.compare's output. Fractions are in [0, 1].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


def record(finding) -> dict:
    """The record as plain JSON-able data for results.json."""
    return asdict(finding)


# ----------------------------------------------------------------------------- Fashion-MNIST


@dataclass
class Finding1a:
    """The SimpleCNN layer table and what its output means."""

    total_params: int
    largest: dict  # {name, type, params, share}: the component with most parameters
    largest_is_linear: bool  # the fully connected layer, not the convolutions, dominates
    last_type: str
    log_probabilities: bool  # the last component is a LogSoftmax: outputs are log-probabilities
    exp_sum_max_abs_error: float | None


@dataclass
class Finding1b:
    """The data pipeline: how many images go where."""

    train: int
    val: int
    test: int
    files: int  # IDX files whose checksums are recorded
    train_limit: int | None  # this preset's cut of the training set, None when unused
    train_cut: bool  # fewer than the 60,000 training images were used (train + val)
    test_full: bool  # all 10,000 test images


@dataclass
class Finding1c:
    """The test function's output on SimpleCNN."""

    test_accuracy: dict  # summary
    test_loss: dict  # summary


@dataclass
class Finding1d:
    """The training function: what one run recorded."""

    epochs: int
    seeds: int
    history_columns: list[str]


@dataclass
class Finding1e:
    """SimpleCNN with the specified settings: accuracy, per-class results, mistakes, curves."""

    seeds: list[int]
    as_specified: bool
    config: dict  # {epochs, batch_size, lr, optimizer, loss}
    test_accuracy: dict  # summary
    test_loss: dict  # summary
    train_seconds: float  # mean per seed
    test_images: int
    per_class: list[dict]  # [{name, accuracy, std | None, confused_with | None, confused_rate}] class order
    hardest: list[dict]  # [{name, accuracy}] three, hardest first
    easiest: list[dict]  # [{name, accuracy}] three, easiest first
    hardest_torso: list[str]  # hardest classes that are torso-shaped garments
    torso_explains_hardest: bool  # at least two of the three hardest are torso-shaped
    near_perfect: list[str]  # classes at or above near_perfect_threshold, best first
    near_perfect_min: float | None  # the lowest accuracy among them
    near_perfect_threshold: float
    near_perfect_distinct: bool  # none of them is torso-shaped (outlines unlike the others)
    confusion_seeds: int
    errors: int
    top_confusions: list[dict]  # [{true, pred, count, rate}] the three most frequent
    groups: dict  # {torso: [...], footwear: [...]}
    within_share: float  # share of the errors inside a group of look-alike classes
    across_share: float  # 1 - within_share: errors that mix up items of different kinds
    errors_verdict: str  # "mostly reasonable" | "half reasonable" | "mostly across groups"
    misclassified: dict  # {shown, total_errors}
    curve_state: str  # "still improving" | "close to converged" | "overfitting"
    curves: dict  # {epochs, final_train_accuracy, final_val_accuracy, last_gain, best_epoch, gap, gap_large}


@dataclass
class Finding1f:
    """The recipes explored, the best one by validation accuracy, and what it gains."""

    recipes: list[str]
    seeds: int  # of the best recipe
    best: str
    chosen_by: str
    best_description: str
    best_accuracy: dict  # summary
    best_params: int
    best_seconds: float
    vs_simple_cnn: dict | None  # comparison (a = best)
    runner_up: str | None
    vs_runner_up: dict | None  # comparison (a = best)
    budgets_differ: bool  # best and runner-up trained for different numbers of epochs
    epochs: dict  # {best, runner_up}
    frontier: list[str]
    frontier_beaten: list[str]
    ranking: list[list[str]]  # verdicts.rank groups on test accuracy
    gains: list[dict]  # [{name, gain}] the classes the best gains most on, largest first
    still_hardest: list[str]
    best_confusions: list[dict]  # [{true, pred, rate}]
    best_misclassified: bool  # a figure of its misclassified images exists


# ----------------------------------------------------------------------------- IMDB


@dataclass
class Finding2a:
    """The IMDB subset, the vocabulary and the model's settings."""

    config: dict
    train_size: int
    val_size: int
    test_size: int
    test_full: bool
    vocab_size: int
    vocab_rule: str  # "max_vocab" | "min_freq" | "all": how the vocabulary was cut
    max_vocab: int | None
    min_freq: int | None
    mean_tokens: float | None
    truncated_fraction: float | None
    positive_share: float | None  # share of positive training reviews


@dataclass
class Finding2b:
    """SimpleLSTM from scratch: convergence at the specified epochs and what happens after."""

    seeds: int
    answer_epoch: int
    long_epochs: int
    test_accuracy: dict  # summary after answer_epoch
    final_train_accuracy: float
    final_val_accuracy: float
    converged: bool
    criterion: str
    reason: str  # why (not) converged, one clause
    long_best_epoch: int  # lowest mean validation loss over the long runs
    long_overfit: bool  # verdicts.curve_facts on the long runs
    best_epoch_mean: float  # each run's best validation epoch, mean over seeds
    test_accuracy_at_best: dict  # summary
    stuck: dict  # {seeds, within_answer, within_long}: seeds still at chance after answer / long epochs
    chance_tolerance: float
    gradient: dict | None  # {first, at, epoch, peak: {value, epoch} | None}
    gate_saturation: dict | None  # {first, last, epochs}
    state_saturation: dict | None  # {last, epochs}
    truncation: dict | None  # {fraction, max_len}: stated only when it matters (> TRUNCATION_MATTERS)
    first_epoch_val_accuracy: float | None  # stated only when it shows random embeddings carry no meaning


@dataclass
class Finding2c:
    """What the GloVe vectors hold and how well they cover the vocabulary."""

    source: str | None  # without local paths
    format: str | None
    words: int
    dim: int
    specified_dim: bool  # the assignment's 100-dimensional vectors (else a stand-in; a limitation)
    stats: dict  # {mean, std, min, max}
    coverage_types: float
    coverage_tokens: float
    missing_examples: list[str]
    neighbours: dict  # word -> [[neighbour, cosine], ...]
    opposite: list | None  # [word, neighbour, cosine]: a nearest neighbour of opposite sentiment
    oov_init: str | None


@dataclass
class Finding2d:
    """The three embedding regimes compared seed by seed (paired)."""

    seeds: int
    answer_epoch: int
    regimes: list[dict]  # [{regime, trainable, test_accuracy, at_best, best_epoch, seconds, change | None}]
    pairs: list[dict]  # comparisons after answer_epoch, as [finetune-frozen, finetune-scratch, frozen-scratch]
    pairs_at_best: list[dict]  # the same at each run's best validation epoch
    ranking_at_best: list[list[str]]  # verdicts.rank groups
    ranking_claimed: bool  # the intervals separate at least two groups
    fine_tuning: str  # the frozen-vs-fine-tuned verdict at the best epoch: "finetune" | "frozen" |
    #                   "no difference" | "too few seeds"
    frozen_trainable: int
    embedding_params: int  # what fine-tuning trains in addition
    train_size: int | None
    opposite: list | None  # [word, neighbour, cosine] from 2c, when GloVe was described
    change_finetune: float | None
    change_frozen: float | None


@dataclass
class Finding2e:
    """The variants, the classical baselines, the best recipe against published numbers, the learning curve."""

    variants: list[dict]  # [{name, description, train_size, params, test_accuracy, best_epoch, verdict}]
    better: list[str]
    worse: list[str]
    undecided: list[str]
    undecided_reason: str | None  # "too few seeds" | "interval includes zero"
    variant_sizes: list[int]
    test_size: int
    tfidf: dict | None  # {train_size, accuracy, nbsvm, verdict, best_neural, best_neural_accuracy, chosen_by}
    best_rnn: dict | None  # {description, train_size, test_size, epochs, accuracy, seconds, full_data, ...}
    literature: dict | None  # {verdict: [what, ...]} ("above" | "no difference" | "below"), or None
    literature_too_few_seeds: bool
    literature_rows: list[dict] = field(default_factory=list)  # [{what, cite, accuracy}]
    learning_curve: dict | None = None  # {sizes, bits: [{curve, first, first_size, last, last_size}]}
    # {nbsvm, tfidf}: {accuracy, seconds, verdict} on the best recipe's split; verdict: the best recipe
    # against it, "above" | "below" | "no difference" | "too few seeds" (verdicts.against_reference)
    baselines_full: dict | None = None
    # the best recipe averaged with NBSVM (weight chosen on validation): {accuracy, weight_rnn, rnn_accuracy,
    # nbsvm_accuracy, nbsvm_platt_accuracy, vs_rnn, vs_nbsvm, seed_average, test_size} | None
    ensemble: dict | None = None
