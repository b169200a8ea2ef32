"""The best RNN and NBSVM combined (task 2e, the ensemble row, reported apart from the single models).

    >>> e = rnn_nbsvm_ensemble(rnn_probs, nbsvm_scores, labels)    # {"val": ..., "test": ...} each
    >>> e["weight"], e["val_accuracy"], e["test_accuracy"]

The RNN gives P(positive); NBSVM gives a margin (the SVM's decision value), not a probability. The
margin is turned into one by Platt scaling (a one-feature logistic regression) fitted on the
validation reviews, then the two probabilities are averaged with the RNN's weight `w`:

    p = w * p_rnn + (1 - w) * sigmoid(a * margin + b)

`w` is chosen on validation from 0, 0.05, ..., 1 (w = 1 is the RNN alone, w = 0 NBSVM alone), ties
going to the weight nearest 0.5 (the plain average); the test split is only scored with the chosen
weight. This answers "how far do the two families complement each other?": the gain of the
ensemble over the better of the two on validation, and its test accuracy beside theirs.
"""

from __future__ import annotations

import numpy as np

WEIGHTS = tuple(round(0.05 * k, 2) for k in range(21))


def platt_scaling(scores: np.ndarray, labels: np.ndarray, iters: int = 100) -> tuple[float, float]:
    """(a, b) of P(positive) = sigmoid(a * score + b), fitted by Newton's method on the log loss.

    >>> a, b = platt_scaling(np.array([-2.0, -1.0, 1.0, 2.0]), np.array([0, 1, 0, 1]))
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    x = np.stack([s, np.ones_like(s)], axis=1)
    theta = np.zeros(2)
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(x @ theta)))
        grad = x.T @ (p - y)
        # a small ridge keeps the step finite when the scores separate the labels perfectly
        hess = (x * (p * (1 - p))[:, None]).T @ x + 1e-6 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.abs(step).max() < 1e-10:
            break
    return float(theta[0]), float(theta[1])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def _accuracy(p: np.ndarray, y: np.ndarray) -> float:
    return float(((p >= 0.5).astype(int) == y).mean())


def choose_weight(p_a: np.ndarray, p_b: np.ndarray, labels: np.ndarray, weights=WEIGHTS) -> tuple[float, dict]:
    """The weight w of `p_a` in w * p_a + (1 - w) * p_b with the best accuracy on these (validation)
    labels, ties to the weight nearest 0.5; also the accuracy of every weight.

    >>> choose_weight(np.array([0.9, 0.4]), np.array([0.6, 0.1]), np.array([1, 0]))[0]
    0.5
    """
    y = np.asarray(labels).astype(int)
    acc = {w: _accuracy(w * p_a + (1 - w) * p_b, y) for w in weights}
    best = max(weights, key=lambda w: (acc[w], -abs(w - 0.5)))
    return best, acc


def rnn_nbsvm_ensemble(rnn_probs: dict, nbsvm_scores: dict, labels: dict) -> dict:
    """Average the RNN's probabilities with NBSVM's Platt-scaled margins, the weight chosen on validation.

    `rnn_probs`, `nbsvm_scores` and `labels` each hold "val" and "test" arrays over the same reviews
    in the same order. Returns the chosen weight, the Platt parameters, validation accuracy of every
    weight, and validation and test accuracy of the ensemble and of each member alone.
    """
    y = {k: np.asarray(labels[k]).astype(int) for k in ("val", "test")}
    p_rnn = {k: np.asarray(rnn_probs[k], dtype=np.float64) for k in ("val", "test")}
    for k in ("val", "test"):
        if not (len(p_rnn[k]) == len(nbsvm_scores[k]) == len(y[k])):
            raise ValueError(f"{k}: the RNN, NBSVM and label arrays differ in length")
    a, b = platt_scaling(nbsvm_scores["val"], y["val"])
    p_nb = {k: _sigmoid(a * np.asarray(nbsvm_scores[k], dtype=np.float64) + b) for k in ("val", "test")}
    w, by_weight = choose_weight(p_rnn["val"], p_nb["val"], y["val"])
    p_ens = {k: w * p_rnn[k] + (1 - w) * p_nb[k] for k in ("val", "test")}
    return {
        "weight_rnn": w,
        "platt": {"a": a, "b": b},
        "val_accuracy_by_weight": {str(k): v for k, v in by_weight.items()},
        "val_accuracy": _accuracy(p_ens["val"], y["val"]),
        "test_accuracy": _accuracy(p_ens["test"], y["test"]),
        "rnn": {k + "_accuracy": _accuracy(p_rnn[k], y[k]) for k in ("val", "test")},
        # NBSVM's own decision rule is margin > 0; Platt scaling can move that threshold a little
        "nbsvm": {k + "_accuracy": _accuracy((np.asarray(nbsvm_scores[k]) > 0).astype(float), y[k]) for k in y},
        # ... and NBSVM alone after Platt scaling (w = 0): the threshold moved on validation, no RNN
        "nbsvm_platt": {k + "_accuracy": _accuracy(p_nb[k], y[k]) for k in y},
        "val_size": int(len(y["val"])),
        "test_size": int(len(y["test"])),
    }
