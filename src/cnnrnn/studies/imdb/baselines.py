"""The classical bars the RNNs are measured against (task 2e), on exactly the same splits.

    tfidf(texts, labels)   TF-IDF of word 1-2-grams + logistic regression (C = 4)
    nbsvm(texts, labels)   NBSVM (Wang and Manning 2012): binarised uni+bigram counts scaled by the
                           log-count ratio r, a linear SVM on them, weights interpolated towards their
                           mean (beta = 0.25); C chosen on the validation part

`texts`/`labels` are dicts with "train", "val" and "test" (data.imdb_tensors.Selected.texts/labels).
Both use the project's tokenizer. Returns {test_accuracy, val_accuracy, train_size, test_size,
C, train_seconds}. `extra_tests` ({name: (texts, labels)}) scores the same fitted model on further
test sets too ("extra_test_accuracy": {name: accuracy}): one fit on the full training split answers
both the full test split and the main test sample of the learning curve.
"""

from __future__ import annotations

import time

import numpy as np

from cnnrnn.data.text import tokenize

TFIDF_SETTINGS = {
    "features": "TF-IDF of word 1-2-grams (our tokenizer), min_df 2, at most 200,000, sublinear tf",
    "classifier": "logistic regression, C=4, L2",
    "trained_on": "training part",
}
NBSVM_SETTINGS = {
    "features": "binarised counts of word 1-2-grams (our tokenizer) times the log-count ratio (alpha 1)",
    "classifier": "linear SVM (squared hinge, L2), weights interpolated w' = (1 - beta) mean|w| + beta w, beta 0.25",
    "C": "chosen on the validation part from 0.01, 0.03, 0.1, 0.3",
}
NBSVM_C = (0.01, 0.03, 0.1, 0.3)
NBSVM_BETA = 0.25


def _result(clf_predict, transform, x_val, x_test, labels, t0: float, extra_tests: dict | None, **extra) -> dict:
    out = {
        "val_accuracy": float((clf_predict(x_val) == labels["val"]).mean()),
        "test_accuracy": float((clf_predict(x_test) == labels["test"]).mean()),
        "train_size": int(len(labels["train"])),
        "test_size": int(len(labels["test"])),
        "train_seconds": time.perf_counter() - t0,
        **extra,
    }
    if extra_tests:
        out["extra_test_accuracy"] = {
            name: float((clf_predict(transform(t)) == np.asarray(y).astype(int)).mean())
            for name, (t, y) in extra_tests.items()
        }
        out["extra_test_size"] = {name: len(y) for name, (_, y) in extra_tests.items()}
    return out


def tfidf(texts: dict, labels: dict, seed: int = 0, extra_tests: dict | None = None) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    labels = {k: np.asarray(v) for k, v in labels.items()}
    t0 = time.perf_counter()
    vec = TfidfVectorizer(
        tokenizer=tokenize,
        lowercase=False,
        token_pattern=None,
        ngram_range=(1, 2),
        min_df=2,
        max_features=200_000,
        sublinear_tf=True,
    )
    clf = LogisticRegression(C=4.0, max_iter=1000, random_state=seed).fit(
        vec.fit_transform(texts["train"]), labels["train"]
    )
    x_val, x_test = vec.transform(texts["val"]), vec.transform(texts["test"])
    return _result(clf.predict, vec.transform, x_val, x_test, labels, t0, extra_tests, C=4.0)


def log_count_ratio(x, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """r = log((p / |p|_1) / (q / |q|_1)), p and q the feature sums over positive and negative reviews."""
    p = alpha + np.asarray(x[y == 1].sum(0)).ravel()
    q = alpha + np.asarray(x[y == 0].sum(0)).ravel()
    return np.log((p / p.sum()) / (q / q.sum()))


def nbsvm(texts: dict, labels: dict, extra_tests: dict | None = None, keep_margins: bool = False) -> dict:
    """NBSVM; with keep_margins the result also holds "margins": {"val", "test"} (numpy arrays: the
    decision values w.x + b of the chosen C, in the splits' order), for the ensemble of 2e."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.svm import LinearSVC

    labels = {k: np.asarray(v).astype(int) for k, v in labels.items()}
    t0 = time.perf_counter()
    vec = CountVectorizer(
        tokenizer=tokenize, lowercase=False, token_pattern=None, ngram_range=(1, 2), binary=True, dtype=np.float64
    )
    x_train = vec.fit_transform(texts["train"])
    r = log_count_ratio(x_train, labels["train"])
    x_train = x_train.multiply(r).tocsr()
    x_val = vec.transform(texts["val"]).multiply(r).tocsr()

    def fit(c: float):
        svm = LinearSVC(C=c, max_iter=5000, dual=True, random_state=0).fit(x_train, labels["train"])
        w = svm.coef_.ravel()
        w = (1 - NBSVM_BETA) * np.abs(w).mean() + NBSVM_BETA * w

        def predict(x):
            return (predict.margin(x) > 0).astype(int)

        predict.margin = lambda x: np.asarray(x @ w + svm.intercept_[0], dtype=np.float64)
        return predict

    # the model scored on validation is the one tested (no refit: that costs a fit and, with liblinear's
    # random coordinate order, need not give the same weights)
    fitted = {c: fit(c) for c in NBSVM_C}
    scores = {c: float((p(x_val) == labels["val"]).mean()) for c, p in fitted.items()}
    best_c = max(NBSVM_C, key=lambda c: (scores[c], -c))  # ties: the stronger regularisation

    def transform(t: list[str]):
        return vec.transform(t).multiply(r).tocsr()

    val_by_c = {str(c): v for c, v in scores.items()}
    x_test = transform(texts["test"])
    predict = fitted[best_c]
    out = _result(predict, transform, x_val, x_test, labels, t0, extra_tests, C=best_c, val_by_C=val_by_c)
    if keep_margins:
        out["margins"] = {"val": predict.margin(x_val), "test": predict.margin(x_test)}
    return out
