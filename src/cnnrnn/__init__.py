"""cnnrnn: Fashion-MNIST CNNs and IMDB LSTMs with GloVe, end to end.

cnnrnn run --out runs/main            # every experiment, then runs/main/report.pdf
cnnrnn fashion --out runs/fashion     # tasks 1a-1f only
cnnrnn imdb --out runs/imdb           # tasks 2a-2e only
cnnrnn report runs/main               # rebuild the PDF from a run directory
"""

__version__ = "0.1.0"
