"""The study notebooks: execute them, and render the executed notebooks as one PDF.

    python -m cnnrnn.notebooks --run-dir runs/main          # `make notebooks`
    python -m cnnrnn.notebooks --size tiny --data DIR --run-dir RUN --out DIR   # what the tests run

The reviewed sources are `notebooks/*.py` in jupytext's percent format; the `.ipynb` files are
generated from them (`notebooks/*.ipynb` for opening in Jupyter, git-ignored). Each notebook has a
cell tagged `parameters` (SIZE, RUN_DIR, DATA, DEVICE); values given here go into a cell right after
it, as papermill does. Execution uses nbclient with the Python kernel of this environment, and
stops at the first failing cell with one line naming the notebook and the cell.

The PDF: pandoc (from the pypandoc-binary wheel: no LaTeX, no browser) reads the executed
notebooks, writes Typst with the figures extracted as PNG files, and the `typst` package that
builds the report compiles it. Output: OUT/fashion.ipynb, OUT/imdb.ipynb (executed) and
OUT/notebooks.pdf, by default in RUN_DIR/notebooks/ (where `cnnrnn bundle` finds the PDF).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnnrnn.errors import CnnrnnError, os_error_message
from cnnrnn.utils.device import DEVICE_CHOICES, resolve_device
from cnnrnn.utils.io import atomic_dir, atomic_path, atomic_write_text, ensure_dir

NOTEBOOKS = ("fashion", "imdb")  # task order
SIZES = ("tiny", "small", "preset")
PDF_NAME = "notebooks.pdf"


def source_dir() -> Path:
    """notebooks/ of the source checkout the package is imported from."""
    from cnnrnn.bundle import find_source_root

    folder = find_source_root() / "notebooks"
    if not folder.is_dir():
        raise CnnrnnError(f"{folder}: the notebook sources are missing from this checkout")
    return folder


def _require(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise CnnrnnError(
            f"{module}: not installed; the notebooks need the `notebooks` extra: "
            "`EXTRAS=dev,notebooks bash scripts/setup.sh` (or `pip install -e '.[notebooks]'`)"
        ) from None


def to_notebook(source: Path, parameters: dict | None = None):
    """The notebook of a percent-format source, with `parameters` set in a cell after the tagged one."""
    jupytext = _require("jupytext")
    nbformat = _require("nbformat")
    try:
        nb = jupytext.read(source)
    except FileNotFoundError:
        raise CnnrnnError(f"{source}: no such notebook source") from None
    if parameters:
        at = next((i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), None)
        if at is None:
            raise CnnrnnError(f"{source}: no cell tagged 'parameters'")
        code = "# injected parameters\n" + "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
        cell = nbformat.v4.new_code_cell(code, metadata={"tags": ["injected-parameters"]})
        nb.cells.insert(at + 1, cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def execute(nb, where: Path, cwd: Path, timeout: int = 1800):
    """Run every cell in a fresh kernel of this Python; the first failing cell is one CnnrnnError."""
    nbclient = _require("nbclient")
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    _require("ipykernel")
    client = nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    try:
        client.execute()
    except CellExecutionError as e:
        cell = _failed_cell(nb)
        ename = getattr(e, "ename", "error")
        evalue = " ".join(str(getattr(e, "evalue", "")).split())[:300]
        raise CnnrnnError(f"{where}: cell {cell} failed: {ename}: {evalue}") from None
    except (CellTimeoutError, DeadKernelError) as e:
        raise CnnrnnError(f"{where}: {type(e).__name__}: {' '.join(str(e).split())[:200]}") from None
    return nb


def _failed_cell(nb) -> int | str:
    for i, c in enumerate(nb.cells, 1):
        if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.get("outputs", [])):
            return i
    return "?"


def write_notebook(nb, path: Path) -> Path:
    nbformat = _require("nbformat")
    return atomic_write_text(path, nbformat.writes(nb))


# ---------------------------------------------------------------- the PDF


def render_pdf(notebooks: list[Path], out_pdf: Path) -> Path:
    """One PDF of executed notebooks: pandoc (ipynb -> Typst, figures as files), then typst."""
    pypandoc = _require("pypandoc")
    import typst

    ensure_dir(out_pdf.parent)
    with atomic_dir(out_pdf) as build:
        parts = []
        for k, nb_path in enumerate(notebooks):
            media = build / f"media{k}"
            try:
                body = pypandoc.convert_file(
                    str(nb_path),
                    "typst",
                    format="ipynb",
                    extra_args=[f"--extract-media={media}", "--wrap=preserve"],
                    cworkdir=str(build),
                )
            except (RuntimeError, OSError) as e:
                raise CnnrnnError(
                    f"{nb_path}: pandoc could not convert it ({' '.join(str(e).split())[:200]})"
                ) from None
            parts.append(body.replace(str(build) + "/", ""))
        main = build / "notebooks.typ"
        main.write_text(_PREAMBLE + "\n#pagebreak()\n".join(parts), encoding="utf-8")
        with atomic_path(out_pdf) as tmp:
            try:
                typst.compile(str(main), output=str(tmp), root=str(build))
            except Exception as e:  # typst raises its own error type with the source position
                raise CnnrnnError(
                    f"{out_pdf}: typst could not compile the notebooks ({' '.join(str(e).split())[:300]})"
                ) from None
    return out_pdf


# pandoc's Typst output uses a few helpers only its own template defines; this is that part, kept small
_PREAMBLE = """#set page(paper: "a4", margin: 2cm, numbering: "1")
#set text(size: 9.5pt)
#show raw.where(block: true): set text(size: 7.5pt)
#show raw.where(block: true): block.with(fill: luma(245), inset: 5pt, radius: 2pt, width: 100%)
#let horizontalrule = line(start: (25%, 0%), end: (75%, 0%))
#set table(inset: 4pt, stroke: 0.5pt + luma(180))
"""


# ---------------------------------------------------------------- building both


def build(
    run_dir: str | Path,
    out: str | Path | None = None,
    *,
    size: str = "small",
    data: str | None = None,
    device: str = "cpu",
    pdf: bool = True,
    names: tuple[str, ...] = NOTEBOOKS,
) -> dict[str, Path]:
    """Execute the notebooks (in task order) and render their PDF; returns what was written."""
    if size not in SIZES:
        raise CnnrnnError(f"--size {size!r}: choose one of {', '.join(SIZES)}")
    src = source_dir()
    run_dir = Path(run_dir).resolve()
    out = Path(out) if out is not None else run_dir / "notebooks"
    ensure_dir(out)
    params = {"SIZE": size, "RUN_DIR": str(run_dir), "DEVICE": str(resolve_device(device))}
    if data is not None:
        params["DATA"] = str(Path(data).resolve())
    written: dict[str, Path] = {}
    for name in names:
        source = src / f"{name}.py"
        nb = to_notebook(source, params)
        print(f"notebooks: executing {source.name} (SIZE={size!r})", file=sys.stderr, flush=True)
        execute(nb, source, cwd=src)
        written[name] = write_notebook(nb, out / f"{name}.ipynb")
    if pdf:
        written["pdf"] = render_pdf([written[n] for n in names], out / PDF_NAME)
    return written


def generate_ipynb(folder: Path | None = None) -> list[Path]:
    """notebooks/*.ipynb from the sources, unexecuted (what to open in Jupyter)."""
    src = source_dir()
    folder = folder or src
    return [write_notebook(to_notebook(src / f"{n}.py"), folder / f"{n}.ipynb") for n in NOTEBOOKS]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cnnrnn.notebooks", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--run-dir", default="runs/main", help="finished run directory the notebooks show (default: runs/main)"
    )
    p.add_argument(
        "--out", default=None, help="folder for the executed notebooks and the PDF (default: RUN_DIR/notebooks)"
    )
    p.add_argument("--size", default="small", choices=SIZES, help="what the parameter cell chooses (default: small)")
    p.add_argument("--data", default=None, help="data root (default: $CNNRNN_DATA, else the download cache)")
    p.add_argument("--device", default="cpu", choices=DEVICE_CHOICES, help="device for their training (default: cpu)")
    p.add_argument("--only", choices=NOTEBOOKS, default=None, help="one notebook only (default: both)")
    p.add_argument("--no-pdf", action="store_true", help="execute only")
    p.add_argument("--ipynb-only", action="store_true", help="only write notebooks/*.ipynb from the sources")
    args = p.parse_args(argv)
    try:
        if args.ipynb_only:
            for path in generate_ipynb():
                print(path)
            return 0
        names = (args.only,) if args.only else NOTEBOOKS
        written = build(
            args.run_dir, args.out, size=args.size, data=args.data, device=args.device, pdf=not args.no_pdf, names=names
        )
    except CnnrnnError as e:
        print(f"cnnrnn: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"cnnrnn: error: {os_error_message(e)}", file=sys.stderr)
        return 2
    for path in written.values():
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
