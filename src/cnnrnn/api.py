"""Use a trained model: load it from a run directory or a weights file, and predict on new inputs.

    >>> from cnnrnn import load_model
    >>> model = load_model("runs/main", "fashion.simple_cnn")        # doctest: +SKIP
    >>> model.predict("my_shirt.png")                                # doctest: +SKIP
    Prediction(label='Shirt', probability=0.81, ...)
    >>> sentiment = load_model("runs/main/weights/imdb.best_rnn.seed0.safetensors")   # doctest: +SKIP
    >>> [p.label for p in sentiment.predict(["A wonderful film.", "Dull and far too long."])]   # doctest: +SKIP
    ['positive', 'negative']

A model is named by its experiment (`list_models(run_dir)` lists them): fashion.simple_cnn,
fashion.explore.<recipe>, imdb.<regime>, imdb.best_rnn; the last part alone (`vgg3_bn_erase`,
`finetune`) is enough when it is unique. Everything the model needs (architecture, preprocessing,
class names, vocabulary) comes from its checkpoint (cnnrnn.checkpoint), so no data is needed.

Fashion inputs, each converted as Fashion-MNIST images are (a light item on a black background,
values in [0, 1]):
  * an image file (str or Path; any format Pillow reads): converted to grayscale, padded to a
    square with its background colour, resized to 28x28, and inverted when its background is
    light (photos and drawings usually have a white background; Fashion-MNIST is light on black);
  * a 28x28 array or tensor (one image), or a batch (N, 28, 28) / (N, 1, 28, 28): uint8 values
    are divided by 255, floats must already lie in [0, 1]; arrays are taken as they are (no
    inversion: they are assumed to be in the dataset's convention);
  * a list of any of these.
IMDB inputs: a review text, or a list of them; tokenized, lowercased and truncated as in training.

`predict` returns one `Prediction` for one input and a list for a list or a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from cnnrnn.checkpoint import read_checkpoint, read_description, read_vocab
from cnnrnn.errors import CnnrnnError

IMAGE_SIZE = 28


@dataclass
class Prediction:
    """The predicted label, its probability, and the probability of every class."""

    label: str
    probability: float
    probabilities: dict[str, float] = field(repr=False)
    index: int = field(repr=False, default=0)

    def __repr__(self) -> str:
        return f"Prediction(label={self.label!r}, probability={self.probability:.2f}, ...)"


# ---------------------------------------------------------------- finding models in a run directory


def list_models(run_dir: str | Path) -> list[dict]:
    """The saved models of a run directory: [{"name", "path", "study", "test_accuracy", ...}], by name.

    Weights files from an older version (bare weights, no description) are listed with an "error"."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise CnnrnnError(f"{run_dir}: no such run directory")
    models = []
    for path in sorted((run_dir / "weights").glob("*.safetensors")):
        try:
            d = read_description(path)
        except CnnrnnError as e:
            models.append({"name": path.stem, "path": path, "error": str(e)})
            continue
        models.append(
            {
                "name": d["name"],
                "path": path,
                "study": d["study"],
                "test_accuracy": d["test_accuracy"],
                "test_size": d["test_size"],
                "description": d["training"].get("description") or d["training"].get("regime"),
            }
        )
    return sorted(models, key=lambda m: m["name"])


def find_model(run_dir: str | Path, name: str) -> Path:
    """The weights file of model `name` in `run_dir` (the full experiment name or its unique last part)."""
    models = list_models(run_dir)
    if not models:
        raise CnnrnnError(f"{Path(run_dir) / 'weights'}: no saved models (is this a finished run directory?)")
    described = [m for m in models if "error" not in m]
    hits = [m for m in described if m["name"] == name or m["path"].stem == name]
    hits = hits or [m for m in described if m["name"].endswith("." + name)]
    if len(hits) == 1:
        return hits[0]["path"]
    if len(hits) > 1:
        raise CnnrnnError(f"--model {name!r}: ambiguous in {run_dir}: {', '.join(m['name'] for m in hits)}")
    for m in models:  # weights of an older version: say what is missing rather than "no such model"
        if "error" in m and name in m["path"].stem:
            raise CnnrnnError(m["error"])
    if not described:
        raise CnnrnnError(models[0]["error"])
    names = ", ".join(m["name"] for m in described)
    raise CnnrnnError(f"--model {name!r}: no such model in {run_dir}; saved models: {names}")


# ---------------------------------------------------------------- the model


class Model:
    """A trained classifier with its preprocessing. `predict` takes raw inputs; `module` is the network."""

    def __init__(self, module: nn.Module, description: dict, path: Path, device: torch.device, vocab=None):
        self.module = module.to(device).eval()
        self.description = description
        self.path = path
        self.device = device
        self.vocab = vocab
        self.name: str = description["name"]
        self.study: str = description["study"]
        self.classes: list[str] = list(description["output"]["classes"])
        self.test_accuracy: float = description["test_accuracy"]

    def __repr__(self) -> str:
        return (
            f"Model({self.name!r}, {self.study}, classes={len(self.classes)}, "
            f"test accuracy {self.test_accuracy:.4f} on {self.description['test_size']:,})"
        )

    # -- Fashion-MNIST

    def _network(self) -> nn.Module:
        if self.description["inference"].get("test_flip"):
            from cnnrnn.train import FlipAverage

            return FlipAverage(self.module)
        return self.module

    @torch.no_grad()
    def predict_images(self, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """Class probabilities (N, 10) of a float batch (N, 1, 28, 28) in [0, 1]."""
        net = self._network()
        return torch.cat([net(b.to(self.device)).exp().cpu() for b in x.split(batch_size)])

    # -- IMDB

    def encode(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids (N, L) and lengths (N,) of review texts, as in training."""
        from cnnrnn.data.text import encode, tokenize

        inf = self.description["inference"]
        return encode([tokenize(t) for t in texts], self.vocab, inf["max_seq_len"], inf["truncation"])

    @torch.no_grad()
    def predict_texts(self, texts: Sequence[str], batch_size: int = 256) -> torch.Tensor:
        """P(positive) (N,) of review texts (in batches: the padded width is that of each batch's longest)."""
        out = []
        for start in range(0, len(texts), batch_size):
            tokens, lengths = self.encode(texts[start : start + batch_size])
            out.append(self.module(tokens.to(self.device), lengths.to(self.device)).cpu())
        return torch.cat(out)

    # -- both

    def probabilities(self, inputs: Any) -> tuple[torch.Tensor, bool]:
        """(class probabilities (N, C), whether `inputs` was a single item)."""
        if self.study == "imdb":
            single = isinstance(inputs, str)
            texts = [inputs] if single else _texts(inputs)
            p = self.predict_texts(texts)
            return torch.stack([1 - p, p], dim=1), single
        x, single = images_to_tensor(inputs)
        return self.predict_images(x), single

    def predict(self, inputs: Any) -> Prediction | list[Prediction]:
        """Labels and probabilities: one Prediction for one input, a list for a list or a batch."""
        probs, single = self.probabilities(inputs)
        preds = []
        for row in probs.tolist():
            k = int(np.argmax(row))
            preds.append(Prediction(self.classes[k], row[k], dict(zip(self.classes, row)), k))
        return preds[0] if single else preds


def load_model(path: str | Path, name: str | None = None, *, device: str | torch.device = "cpu") -> Model:
    """The model saved as `path` (a .safetensors checkpoint), or the one named `name` in run directory `path`.

    >>> load_model("runs/main", "simple_cnn").predict(torch.zeros(28, 28)).label in CLASSES   # doctest: +SKIP
    True
    """
    path = Path(path)
    if path.is_dir():
        if name is None:
            names = ", ".join(m["name"] for m in list_models(path) if "error" not in m) or "none"
            raise CnnrnnError(f"{path}: a run directory; name the model (--model NAME), one of: {names}")
        path = find_model(path, name)
    elif not path.exists():
        raise CnnrnnError(f"{path}: no such run directory or weights file")
    device = torch.device(device)
    description, state = read_checkpoint(path, device="cpu")
    arch = description["architecture"]
    vocab = None
    if description["study"] == "fashion":
        from cnnrnn.models.cnn import ARCHITECTURES, build_cnn

        if arch["name"] not in ARCHITECTURES:
            raise CnnrnnError(f"{path}: architecture {arch['name']!r} is not known to this version of cnnrnn")
        module = build_cnn(arch["name"])
    elif description["study"] == "imdb":
        from cnnrnn.data.text import Vocab
        from cnnrnn.models.rnn import SentimentRNN

        kwargs = dict(arch["kwargs"])
        vocab = Vocab(read_vocab(path, description["inference"]), {})
        module = SentimentRNN(kwargs.pop("vocab_size"), **kwargs)
    else:
        raise CnnrnnError(f"{path}: unknown study {description['study']!r}")
    try:
        module.load_state_dict(state)
    except RuntimeError as e:
        raise CnnrnnError(f"{path}: weights do not fit the described model ({str(e).splitlines()[0]})") from None
    return Model(module, description, path, device, vocab)


# ---------------------------------------------------------------- inputs


def _texts(inputs: Any) -> list[str]:
    if isinstance(inputs, (Path, np.ndarray, torch.Tensor)) or not isinstance(inputs, Sequence):
        raise CnnrnnError(f"an IMDB sentiment model classifies review texts (str), not {type(inputs).__name__}")
    texts = list(inputs)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise CnnrnnError(f"review {i + 1}: an IMDB sentiment model classifies texts (str), not {type(t).__name__}")
        if not t.strip():
            raise CnnrnnError(f"review {i + 1}: empty review")
    if not texts:
        raise CnnrnnError("no reviews to classify")
    return texts


def read_image(path: str | Path) -> torch.Tensor:
    """An image file as a (28, 28) float tensor in [0, 1], a light item on a dark background.

    Grayscale; padded to a square with the border's colour (no distortion); resized to 28x28;
    inverted when the border is light (Fashion-MNIST items are light on black)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                # transparent parts count as background: put the image on white
                rgba = im.convert("RGBA")
                white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                im = Image.alpha_composite(white, rgba)
            gray = im.convert("L")
    except FileNotFoundError:
        raise CnnrnnError(f"{path}: no such image file") from None
    except IsADirectoryError:
        raise CnnrnnError(f"{path}: a directory, not an image file") from None
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        reason = "not an image Pillow can read" if isinstance(e, UnidentifiedImageError) else " ".join(str(e).split())
        raise CnnrnnError(f"{path}: cannot read the image ({reason})") from None
    a = np.asarray(gray, dtype=np.float32) / 255.0
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    background = float(np.median(border))
    if background > 0.5:  # light background: invert to Fashion-MNIST's light-on-black
        a, background = 1.0 - a, 1.0 - background
    h, w = a.shape
    side = max(h, w)
    square = np.full((side, side), background, dtype=np.float32)
    square[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = a
    small = Image.fromarray(np.round(square * 255).astype(np.uint8)).resize((IMAGE_SIZE, IMAGE_SIZE), Image.LANCZOS)
    return torch.from_numpy(np.asarray(small, dtype=np.float32) / 255.0)


def _array_images(x: Any, where: str) -> torch.Tensor:
    """(N, 1, 28, 28) float in [0, 1] from an array or tensor of one image or a batch."""
    t = torch.from_numpy(np.array(x)) if not isinstance(x, torch.Tensor) else x.detach().cpu()
    if t.dtype == torch.uint8:
        t = t.float() / 255.0
    elif t.dtype.is_floating_point:
        t = t.float()
        if t.numel() and (not bool(torch.isfinite(t).all()) or float(t.min()) < 0 or float(t.max()) > 1):
            raise CnnrnnError(f"{where}: float pixel values must lie in [0, 1] (uint8 values are divided by 255)")
    else:
        raise CnnrnnError(f"{where}: pixels must be uint8 or float, not {t.dtype}")
    shape = tuple(t.shape)
    if shape == (IMAGE_SIZE, IMAGE_SIZE):
        return t.reshape(1, 1, IMAGE_SIZE, IMAGE_SIZE)
    if t.ndim == 3 and shape[1:] == (IMAGE_SIZE, IMAGE_SIZE):
        return t.unsqueeze(1)
    if t.ndim == 4 and shape[1:] == (1, IMAGE_SIZE, IMAGE_SIZE):
        return t
    raise CnnrnnError(
        f"{where}: shape {shape}; a Fashion-MNIST model takes 28x28 images: (28, 28), (N, 28, 28) or (N, 1, 28, 28) "
        "(image files are resized)"
    )


def images_to_tensor(inputs: Any) -> tuple[torch.Tensor, bool]:
    """(N, 1, 28, 28) float batch and whether `inputs` was a single image (see the module docstring)."""
    if isinstance(inputs, (str, Path)):
        return read_image(inputs).reshape(1, 1, IMAGE_SIZE, IMAGE_SIZE), True
    if isinstance(inputs, (np.ndarray, torch.Tensor)):
        x = _array_images(inputs, "image")
        return x, tuple(inputs.shape) == (IMAGE_SIZE, IMAGE_SIZE)
    if isinstance(inputs, Sequence) and not isinstance(inputs, (bytes, bytearray)):
        if not inputs:
            raise CnnrnnError("no images to classify")
        parts = []
        for i, item in enumerate(inputs):
            if isinstance(item, (str, Path)):
                parts.append(read_image(item).reshape(1, 1, IMAGE_SIZE, IMAGE_SIZE))
            else:
                parts.append(_array_images(item, f"image {i + 1}"))
        return torch.cat(parts), False
    raise CnnrnnError(f"a Fashion-MNIST model classifies images (files, arrays, tensors), not {type(inputs).__name__}")


def accuracy(model: Model, inputs: Any, labels: Sequence[int], batch_size: int = 1000) -> float:
    """Fraction of `inputs` (images as a tensor batch, or review texts) whose predicted class is `labels`."""
    labels = torch.as_tensor(np.asarray(labels)).long()
    if len(labels) == 0:
        raise CnnrnnError("no labels to compare with")
    correct = 0
    for start in range(0, len(labels), batch_size):
        probs, _ = model.probabilities(inputs[start : start + batch_size])
        correct += int((probs.argmax(1) == labels[start : start + batch_size]).sum())
    return correct / len(labels)
