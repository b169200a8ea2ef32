"""`cnnrnn predict`: classify review texts or images with a model saved by a run.

    cnnrnn predict runs/main --list                                   the saved models
    cnnrnn predict runs/main --model imdb.best_rnn "A wonderful film." "Dull and far too long."
    cnnrnn predict runs/main --model imdb.best_rnn --file reviews.txt    one review per line ('-': stdin)
    cnnrnn predict runs/main --model fashion.simple_cnn shirt.png boot.jpg
    cnnrnn predict runs/main/weights/fashion_simple_cnn.safetensors shirt.png --json

One line per input: the label, its probability, the input; `--json` writes one JSON object per line
instead ({"input", "label", "probability", "probabilities"}). Everything the model needs comes from
its checkpoint (cnnrnn.checkpoint); the inputs are converted as `cnnrnn.api` describes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cnnrnn.api import Model, list_models, load_model
from cnnrnn.data.text import decode_utf8
from cnnrnn.errors import CnnrnnError
from cnnrnn.utils.device import DEVICE_CHOICES, resolve_device

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}


def _read_lines(source: str) -> list[tuple[str, str]]:
    """(where, line) for each line of a file or of standard input ('-'), blank lines refused."""
    if source == "-":
        raw, name = sys.stdin.buffer.read(), "<stdin>"
    else:
        path = Path(source)
        if path.is_dir():
            raise CnnrnnError(f"--file {source}: a directory, not a file")
        if not path.is_file():
            raise CnnrnnError(f"--file {source}: no such file")
        raw, name = path.read_bytes(), source
    text = decode_utf8(raw, name)
    lines = text.splitlines()
    if not lines:
        raise CnnrnnError(f"{name}: empty, nothing to classify")
    return [(f"{name}:{i}", line) for i, line in enumerate(lines, 1)]


def _check_inputs(model: Model, items: list[tuple[str, str]]) -> None:
    """Refuse inputs of the other study with a line that says so (before any work is done)."""

    def hint() -> str:
        try:
            models = list_models(model.path.parent.parent)  # the run directory, when given one
        except CnnrnnError:
            return ""
        others = ", ".join(m["name"] for m in models if m.get("study") not in (None, model.study))
        return f" (models of the other study here: {others})" if others else ""

    for where, item in items:
        looks_like_image = Path(item).suffix.lower() in IMAGE_SUFFIXES and not any(c.isspace() for c in item)
        if model.study == "imdb":
            if not item.strip():
                raise CnnrnnError(f"{where}: empty review")
            if looks_like_image:
                raise CnnrnnError(
                    f"{item}: an image file, but {model.name} is an IMDB sentiment model: it classifies review "
                    f"texts{hint()}"
                )
        else:
            if not item.strip():
                raise CnnrnnError(f"{where}: empty image path")
            if not Path(item).exists() and not looks_like_image:
                raise CnnrnnError(
                    f"{where}: {_short(item)!r} is not an image file; {model.name} is a Fashion-MNIST model: it "
                    f"classifies images{hint()}"
                )


def _short(text: str, n: int = 60) -> str:
    one = " ".join(text.split())
    return one if len(one) <= n else one[: n - 3] + "..."


def _cmd_predict(args: argparse.Namespace) -> int:
    target = Path(args.run_dir)
    if args.list:
        if not target.is_dir():
            raise CnnrnnError(f"{target}: no such run directory")
        models = list_models(target)
        if not models:
            raise CnnrnnError(f"{target / 'weights'}: no saved models")
        for m in models:
            if "error" in m:
                print(f"{m['name']}\tunusable: {m['error']}")
            else:
                print(f"{m['name']}\t{m['study']}\ttest accuracy {m['test_accuracy']:.4f} on {m['test_size']:,}")
        return 0
    if target.is_dir() and args.model is None:
        names = ", ".join(m["name"] for m in list_models(target) if "error" not in m) or "none"
        raise CnnrnnError(f"--model: required with a run directory; saved models in {target}: {names}")
    items = [(f"input {i}", text) for i, text in enumerate(args.inputs, 1)]
    if args.file is not None:
        items += _read_lines(args.file)
    if not items:
        raise CnnrnnError("no inputs: give review texts or image paths as arguments, or --file FILE ('-': stdin)")
    model = load_model(target, args.model, device=resolve_device(args.device))
    _check_inputs(model, items)
    inputs = [item for _, item in items]
    predictions = model.predict(inputs)
    for (_, item), p in zip(items, predictions):
        if args.json:
            row = {"input": item, "label": p.label, "probability": p.probability, "probabilities": p.probabilities}
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(f"{p.label}\t{p.probability:.3f}\t{_short(item)}")
    return 0


class _IntermixedParser(argparse.ArgumentParser):
    """Options and inputs in any order (`RUN_DIR --model NAME TEXT ...`): plain argparse takes the
    positionals of one stretch only, and would refuse the texts after --model."""

    _parsing = False

    def parse_known_args(self, args=None, namespace=None):
        if self._parsing:  # parse_known_intermixed_args calls back into this method (Python 3.11, 3.12)
            return super().parse_known_args(args, namespace)
        self._parsing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._parsing = False


def register_cli(subparsers) -> None:
    p = subparsers.add_parser(
        "predict",
        help="classify review texts or images with a saved model",
        description="Classify review texts (IMDB models) or image files (Fashion-MNIST models) with a model "
        "saved by a run: one line per input with the label and its probability.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.split("\n")[2:8]),
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory (with --model), or a .safetensors weights file")
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="review texts, or image files for a Fashion-MNIST model")
    p.add_argument(
        "--model", default=None, help="the experiment that trained it, e.g. fashion.simple_cnn, imdb.best_rnn"
    )
    p.add_argument("--file", default=None, help="read inputs from FILE, one per line ('-': standard input)")
    p.add_argument("--json", action="store_true", help="one JSON object per input instead of text")
    p.add_argument("--list", action="store_true", help="list the models saved in RUN_DIR and exit")
    p.add_argument("--device", default="cpu", choices=DEVICE_CHOICES, help="device for the model (default: cpu)")
    p.__class__ = _IntermixedParser  # add_parser builds the parser; this only changes how it parses
    p.set_defaults(func=_cmd_predict)
