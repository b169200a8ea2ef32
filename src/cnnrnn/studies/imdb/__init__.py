"""IMDB sentiment with an LSTM and GloVe (tasks 2a-2e). Where each part lives:

    config.py     settings, presets, the embedding regimes, the 2e variants, published numbers
    training.py   one model, one seed: build (SimpleLSTM by default, GloVe or not), train, test
    tasks.py      the experiments: 2a data, 2b/2d regimes, 2c GloVe, 2d comparison, 2e explorations
    analysis.py   2b's convergence verdict
    baselines.py  the classical bars of 2e (TF-IDF + logistic regression)
    glove.py      2c: what a GloVe file holds; `cnnrnn glove describe|subset`
    figures.py    the study's figures
    cli.py        `cnnrnn imdb`

Tensors and batches live in data/imdb_tensors.py; the models in models/rnn.py.
"""
