"""The ensemble row of task 2e measured from a finished `cnnrnn imdb --best-rnn` run: that run's saved
RNN (seed 0) averaged with NBSVM, the weight chosen on the 2,500 validation reviews
(studies/imdb/ensemble.py), both scored on all 25,000 test reviews. One JSON line is appended to
bench/results/imdb_explore_ensemble.jsonl.

    .venv/bin/python bench/explore_imdb_ensemble.py RUN_DIR

The RNN is rebuilt from the run's config.json (recipe, data) and its weights file. NBSVM is the
study's (baselines.nbsvm: binarised uni+bigram counts scaled by the log-count ratio, a linear SVM,
beta 0.25, C chosen on validation), repeated here because baselines.nbsvm returns accuracies only
and the ensemble needs its margins.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from cnnrnn.data.imdb_tensors import DataSpec, prepare  # noqa: E402
from cnnrnn.data.text import tokenize  # noqa: E402
from cnnrnn.models.rnn import SentimentRNN  # noqa: E402
from cnnrnn.studies.imdb import baselines  # noqa: E402
from cnnrnn.studies.imdb.ensemble import rnn_nbsvm_ensemble  # noqa: E402
from cnnrnn.studies.imdb.training import predict_probabilities  # noqa: E402
from cnnrnn.train import load_weights_into  # noqa: E402


def nbsvm_margins(texts: dict, labels: dict) -> dict:
    """NBSVM as in baselines.nbsvm, returning the chosen C and the margins on validation and test."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.svm import LinearSVC

    y = {k: np.asarray(v).astype(int) for k, v in labels.items()}
    vec = CountVectorizer(
        tokenizer=tokenize, lowercase=False, token_pattern=None, ngram_range=(1, 2), binary=True, dtype=np.float64
    )
    x_train = vec.fit_transform(texts["train"])
    r = baselines.log_count_ratio(x_train, y["train"])
    x_train = x_train.multiply(r).tocsr()
    x = {k: vec.transform(texts[k]).multiply(r).tocsr() for k in ("val", "test")}

    def margins(c: float) -> dict:
        svm = LinearSVC(C=c, max_iter=5000, dual=True).fit(x_train, y["train"])
        w = svm.coef_.ravel()
        w = (1 - baselines.NBSVM_BETA) * np.abs(w).mean() + baselines.NBSVM_BETA * w
        return {k: x[k] @ w + svm.intercept_[0] for k in x}

    fits = {c: margins(c) for c in baselines.NBSVM_C}
    val = {c: float(((m["val"] > 0).astype(int) == y["val"]).mean()) for c, m in fits.items()}
    best = max(baselines.NBSVM_C, key=lambda c: (val[c], -c))  # ties: the stronger regularisation
    return {"C": best, **fits[best]}


def main(argv: list[str]) -> int:
    run = Path(argv[0])
    torch.set_num_threads(1)
    imdb = json.loads((run / "config.json").read_text())["imdb"]
    recipe = imdb["best_rnn"]
    spec = DataSpec(
        train_size=imdb["best_rnn_train_size"],
        val_fraction=imdb["val_fraction"],
        test_size=imdb["best_rnn_test_size"],
        subset_seed=imdb["subset_seed"],
        min_freq=recipe["min_freq"],
        max_vocab=imdb["max_vocab"],
        max_seq_len=recipe["max_seq_len"],
        truncation=recipe["truncation"],
    )
    data = prepare(spec, os.environ.get("CNNRNN_DATA", str(REPO.parent / "shared" / "data")), "cpu")
    seed = imdb["best_rnn_seeds"][0]
    model = SentimentRNN(len(data.vocab), **{**recipe["model"], "embedding_dim": imdb["embedding_dim"]})
    load_weights_into(model, run / "weights" / f"imdb.best_rnn.seed{seed}.safetensors")
    t0 = time.perf_counter()
    probs = {k: np.array(predict_probabilities(model, getattr(data, k))) for k in ("val", "test")}
    rnn_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    nb = nbsvm_margins(data.texts, data.labels)
    nbsvm_seconds = time.perf_counter() - t0
    result = rnn_nbsvm_ensemble(probs, {k: nb[k] for k in ("val", "test")}, data.labels)
    record = {
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "rnn_run": run.name,
        "rnn_description": recipe["description"],
        "rnn_seed": seed,
        "nbsvm_C": nb["C"],
        **result,
        "rnn_predict_seconds": round(rnn_seconds, 1),
        "nbsvm_seconds": round(nbsvm_seconds, 1),
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps({k: v for k, v in record.items() if k != "val_accuracy_by_weight"}, indent=1))
    out = REPO / "bench" / "results" / "imdb_explore_ensemble.jsonl"
    with out.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
