"""Build the PDF report from a run directory alone: `cnnrnn report runs/main`.

    from cnnrnn.report.builder import build_report
    pdf = build_report("runs/main")        # reads runs/main/results.json, writes runs/main/report.pdf

The builder reads `results.json` (the contract is docs/results.md) and the figures it names,
turns them into a *context* of preformatted strings, table rows and sentences chosen by the
data (every verdict, such as which difference is real or which model is best, was decided by
the studies and is only phrased here), and hands that context to the Typst
template `template.typ` shipped in this package. The template holds the structure and the
wording that does not depend on the data, but no numbers.

Required keys missing from results.json are a one-line CnnrnnError naming the key; optional
parts (e.g. explorations a quick preset skips) are reported in the text as not run. The
finished PDF is checked before it is put in place: at most 10 pages, every task label 1a-2e
present, no placeholder text (TODO, nan, None, braces, ...). Typst fails on a dangling
@reference; that too becomes a CnnrnnError, and no report.pdf is written.
The context is also saved as `report_context.json` next to the PDF, for debugging.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from cnnrnn.errors import CnnrnnError
from cnnrnn.report import common, fashion, imdb
from cnnrnn.report.format import PLACEHOLDER
from cnnrnn.report.results import Results
from cnnrnn.utils.io import atomic_path, atomic_write_json, read_json

MAX_PAGES = 10
TASKS = ("1a", "1b", "1c", "1d", "1e", "1f", "2a", "2b", "2c", "2d", "2e")
TEMPLATE_FILES = ("template.typ", "references.bib")


def build_context(run_dir: Path, results: dict) -> dict:
    """Everything the template shows, as strings/rows/markup; figures as paths under the compile root."""
    res = Results(results, source=run_dir / "results.json")
    figures: dict[str, str] = {}
    ctx = {}
    parts = (
        ("run", lambda: common.run_info(res, run_dir)),
        ("fashion", lambda: fashion.fashion(res, figures)),
        ("imdb", lambda: imdb.imdb(res, figures)),
        ("limits", lambda: common.limitations(res)),
    )
    for part, make in parts:
        try:
            ctx[part] = make()
        except CnnrnnError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, ZeroDivisionError) as e:
            # a value of the wrong shape deep inside results.json: say where, in one line
            raise CnnrnnError(
                f"{res.source}: unexpected structure under {part!r} ({type(e).__name__}: {e}); see docs/results.md"
            ) from None
    ctx["figures"] = figures
    return ctx


def _figure_file(run_dir: Path, stem: str) -> Path:
    """The vector PDF of a figure when present (Typst >= 0.14 embeds PDFs), else its PNG."""
    for ext in ("pdf", "png"):
        path = run_dir / f"{stem}.{ext}"
        if path.is_file():
            return path
    raise CnnrnnError(f"{run_dir / stem}.pdf: figure named in results.json not found (nor .png)")


def compile_pdf(run_dir: Path, context: dict, output: Path) -> int:
    """Compile the template with `context` into `output`; return the page count. Raises CnnrnnError."""
    import typst

    with tempfile.TemporaryDirectory(prefix="cnnrnn-report-") as tmp:
        root = Path(tmp)
        for name in TEMPLATE_FILES:
            data = resources.files("cnnrnn.report").joinpath(name).read_bytes()
            (root / name).write_bytes(data)
        # Copy the figures into the compile root (Typst reads files only below its root).
        figs = {}
        for key, stem in context["figures"].items():
            src = _figure_file(run_dir, stem)
            dest = root / "figures" / f"{key}{src.suffix}"
            dest.parent.mkdir(exist_ok=True)
            shutil.copyfile(src, dest)
            figs[key] = dest.relative_to(root).as_posix()
        payload = dict(context, figures=figs)
        (root / "context.json").write_text(json.dumps(payload), encoding="utf-8")
        pdf = root / "report.pdf"
        try:
            # only the fonts bundled with Typst: the same PDF on every machine
            typst.compile(str(root / "template.typ"), output=str(pdf), root=str(root), ignore_system_fonts=True)
        except Exception as e:  # typst.TypstError: syntax, dangling reference, missing file, ...
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise CnnrnnError(f"report: Typst could not compile the report: {first}") from None
        pages = check_pdf(pdf)
        shutil.copyfile(pdf, output)
    return pages


def pdf_text(pdf: Path) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    return len(reader.pages), "\n".join(page.extract_text() or "" for page in reader.pages)


def check_pdf(pdf: Path) -> int:
    """The guard: page limit, every task present, no placeholder text. Returns the page count."""
    pages, text = pdf_text(pdf)
    if pages > MAX_PAGES:
        raise CnnrnnError(f"report: {pages} pages, more than the limit of {MAX_PAGES}")
    missing = [t for t in TASKS if not re.search(rf"\b{t}\b", text)]
    if missing:
        raise CnnrnnError(f"report: section(s) {', '.join(missing)} missing from the PDF text")
    found = PLACEHOLDER.search(text)
    if found:
        around = " ".join(text[max(0, found.start() - 40) : found.end() + 40].split())
        raise CnnrnnError(f"report: placeholder text {found.group()!r} in the PDF near: {around}")
    return pages


def build_report(run_dir, output=None) -> Path:
    """Read `run_dir/results.json`, write `run_dir/report.pdf` (or `output`) atomically; return its path."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise CnnrnnError(f"{run_dir}: run directory not found")
    results = read_json(run_dir / "results.json")
    if not isinstance(results, dict):
        raise CnnrnnError(f"{run_dir / 'results.json'}: expected a JSON object")
    context = build_context(run_dir, results)
    atomic_write_json(run_dir / "report_context.json", context)
    output = Path(output) if output is not None else run_dir / "report.pdf"
    with atomic_path(output) as tmp:
        compile_pdf(run_dir, context, tmp)
    return output


def _cmd_report(args: argparse.Namespace) -> int:
    pdf = build_report(args.run_dir, args.output)
    print(pdf)
    return 0


def register_cli(subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="rebuild report.pdf from a run directory (no training)",
        description="Build the PDF report from RUN_DIR/results.json and the figures it names, "
        "without training. Writes RUN_DIR/report.pdf (and report_context.json).",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory written by `cnnrnn run --out RUN_DIR`")
    p.add_argument("--output", "-o", default=None, help="PDF path (default: RUN_DIR/report.pdf)")
    p.set_defaults(func=_cmd_report)
