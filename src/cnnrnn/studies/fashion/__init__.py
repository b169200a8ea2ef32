"""Fashion-MNIST with CNNs (tasks 1a-1f). Where each part lives:

config.py     settings, presets, the specified 1e values, the training recipes of 1f
training.py   one recipe, one seed (`train_once`); data loaded once per process
tasks.py      the experiments: 1a summary, 1b-1e SimpleCNN, 1f explored recipes and the best one
analysis.py   1e's verdicts: confusions, hardest classes, reasonable mistakes
figures.py    the study's figures
cli.py        `cnnrnn fashion`
"""
