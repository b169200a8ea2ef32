"""The classical bars the RNNs are measured against (task 2e), on exactly the same splits."""

from __future__ import annotations

import numpy as np

from cnnrnn.data.text import tokenize

TFIDF_SETTINGS = {"features": "TF-IDF of word 1-2-grams (our tokenizer), min_df 2, at most 200,000, sublinear tf",
                  "classifier": "logistic regression, C=4, L2", "trained_on": "training part (validation unused)"}


def tfidf_accuracy(train_texts, train_labels, test_texts, test_labels, seed: int = 0) -> float:
    """TF-IDF (word 1-2-grams, same tokenizer) + logistic regression: the classical bar."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None, ngram_range=(1, 2),
                          min_df=2, max_features=200_000, sublinear_tf=True)
    x_train = vec.fit_transform(train_texts)
    clf = LogisticRegression(C=4.0, max_iter=1000, random_state=seed).fit(x_train, train_labels)
    return float((clf.predict(vec.transform(test_texts)) == np.asarray(test_labels)).mean())
