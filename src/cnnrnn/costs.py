"""What each task is expected to cost: seconds of one torch thread on the project's reference CPU.

    >>> round(fashion_train_cost("vgg3_bn_erase", epochs=20, train_images=55_000))
    1251
    >>> round(fashion_train_cost("simple_cnn", epochs=5, train_images=55_000))
    33

The studies put these numbers into `Task.cost`; the runner hands the most expensive tasks out first
(so no core waits for one long task at the end) and the progress line turns the costs of the tasks
still to run into a time left (`cnnrnn.utils.progress.GridProgress`), calibrated as tasks finish, so
the absolute scale only matters before the first task ends. On another machine or under load every
rate is off by about the same factor, which that calibration absorbs.

The rates are the measured task times of earlier runs divided by what the tasks do (epochs x
examples), on the 2-core AMD EPYC of the project (AVX-512 BF16), one thread per task, a quiet
machine: README ("Status and limits", the `full` preset's tables) and bench/profile_tasks.py for the
split between training, evaluation and data preparation.
"""

from __future__ import annotations

# ---------------------------------------------------------------- Fashion-MNIST

# seconds per training image and epoch, validation pass included (the `full` preset: 20 epochs x
# 55,000 images, one thread; SimpleCNN: 5 epochs)
FASHION_RATE = {
    "simple_cnn": 0.109e-3,
    "cnn2_relu": 0.558e-3,
    "cnn3_bn": 0.600e-3,
    "cnn3_bn_dropout_aug": 0.615e-3,
    "cnn3_bn_fast": 0.618e-3,
    "resnet_small": 0.802e-3,
    "vgg3_bn_erase": 1.135e-3,
}
FASHION_RATE_OTHER = 1.0e-3  # a recipe not measured yet
FASHION_FIXED = 3.0  # data from the process's cache, test pass, confusion matrix, figure


FASHION_TRAIN = 60_000  # official training images, validation split included


def fashion_train_cost(recipe: str, *, epochs: int, train_images: int) -> float:
    """Expected seconds of one Fashion-MNIST training task."""
    return FASHION_FIXED + epochs * train_images * FASHION_RATE.get(recipe, FASHION_RATE_OTHER)


def fashion_cfg_cost(cfg, recipe: str, epochs: int) -> float:
    """fashion_train_cost for the training images a FashionConfig leaves (validation split, limit)."""
    n = FASHION_TRAIN - cfg.val_size
    return fashion_train_cost(recipe, epochs=epochs, train_images=min(n, cfg.train_limit or n))


# ---------------------------------------------------------------- IMDB

# seconds per training review and epoch of SimpleLSTM (2 layers of 100, max_seq_len 200) in float32:
# the 15 runs of 2b-2d took 102 s each for 10 epochs over 3,600 reviews, validation on 400 and three
# test passes over 5,000 included; a forward-only pass costs about 0.155 of a training step
LSTM_TRAIN_RATE = 2.62e-3
EVAL_FRACTION = 0.155
BF16_SPEEDUP = 1.9  # SimpleLSTM under bfloat16 autocast: 1.8x (CPU seconds) to 2.3x (wall) in bench/profile_tasks.py
# relative to SimpleLSTM: a GRU has no oneDNN kernel here (the 2e variant: 1.76x); a bidirectional net
# runs both directions (the bidirectional LSTM variant: 2.5x; for a GRU, whose directions run together
# in models/gru.py, 1.45x at batch 64); cost grows with layers and width, and with the tokens a review
# keeps (mean about 170 at max_seq_len 200, about 215 when nothing is cut). Check: the best recipe
# (1-layer bidirectional GRU, 400 tokens, batch 64) comes out at 4.2 ms per review-epoch; it took 3.9
# (bench/profile_tasks.py), plus its naive-Bayes inputs' cross-fitting.
CELL_FACTOR = {"lstm": 1.0, "gru": 1.76}
BIDIRECTIONAL_FACTOR = {"lstm": 2.5, "gru": 1.45}
IMDB_FIXED = 3.0  # data preparation (memoised per process), GloVe, model set-up


def _rnn_factor(model_kwargs: dict, max_seq_len: int) -> float:
    cell = model_kwargs.get("cell", "lstm")
    f = CELL_FACTOR.get(cell, 2.0)
    if model_kwargs.get("bidirectional"):
        f *= BIDIRECTIONAL_FACTOR.get(cell, 2.5)
    f *= model_kwargs.get("hidden_dim", 100) / 100 * model_kwargs.get("num_layers", 2) / 2
    return f * min(0.85 * max_seq_len, 215) / 170


IMDB_SPLIT = 25_000  # reviews in each official split: larger sizes are capped to it


def imdb_sizes(spec) -> tuple[int, int, int]:
    """(training, validation, test) reviews of a DataSpec."""
    n = min(spec.train_size, IMDB_SPLIT)
    val = round(n * spec.val_fraction)
    return n - val, val, min(spec.test_size, IMDB_SPLIT)


def imdb_train_cost(spec, settings, model_kwargs: dict) -> float:
    """Expected seconds of one IMDB training task on the data of `spec` (a DataSpec) with `settings`
    (a TrainSettings): its epochs over the training reviews with a validation pass each, and one or two
    passes over the test reviews (the kept weights, and the answer epoch's when that is another)."""
    train, val, test = imdb_sizes(spec)
    rate = LSTM_TRAIN_RATE * _rnn_factor(model_kwargs, spec.max_seq_len)
    # epochs under bf16 autocast (all, or those after the float32 ones) cost 1 / BF16_SPEEDUP of a float32 epoch
    epochs = settings.epochs
    if getattr(settings, "bf16", False):
        fp32 = min(getattr(settings, "fp32_epochs", 0), epochs)
        epochs = fp32 + (epochs - fp32) / BF16_SPEEDUP
    tests = 1 + (settings.answer_epoch not in (None, settings.epochs))
    evals = epochs * val + tests * test
    return IMDB_FIXED + rate * (epochs * train + EVAL_FRACTION * evals)


# TF-IDF and NBSVM: seconds per review fitted or scored (the 14 baseline tasks of default: 221 s)
BASELINE_RATE = 0.88e-3


IMDB_DATA_COST = 3.0  # the data task: subset, vocabulary, encoding
IMDB_GLOVE_COST = 10.0  # the GloVe task: coverage, neighbours, t-SNE of a few hundred words


def baseline_cost(spec) -> float:
    """Expected seconds of one TF-IDF or NBSVM task on the data of `spec`."""
    train, val, test = imdb_sizes(spec)
    return 1.0 + BASELINE_RATE * (train + val + test)
