"""cnnrnn: Fashion-MNIST CNNs and IMDB LSTMs with GloVe, end to end.

From the command line:

    cnnrnn run --out runs/main            # every experiment, then runs/main/report.pdf
    cnnrnn fashion --out runs/fashion     # tasks 1a-1f only
    cnnrnn imdb --out runs/imdb           # tasks 2a-2e only
    cnnrnn report runs/main               # rebuild the PDF from a run directory
    cnnrnn predict runs/main --model imdb.best_rnn "A wonderful film."

From Python, a model saved by a run, loaded by its experiment name (or from its weights file), predicts
on raw inputs: Fashion-MNIST images (files, 28x28 arrays or tensors, batches) or review texts.

>>> import numpy as np
>>> from cnnrnn import list_models, load_model
>>> run_dir = "runs/main"                    # doctest: +SKIP
>>> "fashion.simple_cnn" in [m["name"] for m in list_models(run_dir)]
True
>>> cnn = load_model(run_dir, "fashion.simple_cnn")
>>> cnn.classes[:3]
['T-shirt/top', 'Trouser', 'Pullover']
>>> p = cnn.predict(np.zeros((28, 28), dtype=np.uint8))      # one image -> one Prediction
>>> p.label in cnn.classes and 0 <= p.probability <= 1
True
>>> len(cnn.predict(np.zeros((5, 28, 28), dtype=np.uint8)))  # a batch -> a list
5
>>> rnn = load_model(run_dir, "imdb.finetune")
>>> [p.label for p in rnn.predict(["A wonderful, superb film.", "Awful. The worst, most boring film."])]
['positive', 'negative']
>>> sorted(rnn.predict("Loved it!").probabilities)
['negative', 'positive']
"""

__version__ = "0.1.0"

from cnnrnn.api import Model, Prediction, list_models, load_model  # noqa: E402  (after __version__: api imports it)

__all__ = ["Model", "Prediction", "__version__", "list_models", "load_model"]
