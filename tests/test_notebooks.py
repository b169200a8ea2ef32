"""The study notebooks (notebooks/*.py, jupytext percent format) execute from top to bottom on the
tiny settings, against the synthetic quick run, and render to one PDF with their figures, which the
hand-in ZIP then holds; a failing cell fails the build with one line naming the cell."""

from __future__ import annotations

import shutil
import zipfile

import pytest
from pypdf import PdfReader

from cnnrnn import notebooks
from cnnrnn.bundle import make_bundle
from cnnrnn.errors import CnnrnnError


def test_sources_are_percent_scripts_with_a_parameter_cell():
    for name in notebooks.NOTEBOOKS:
        nb = notebooks.to_notebook(notebooks.source_dir() / f"{name}.py")
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert (
            len(tagged) == 1 and 'SIZE = "small"' in tagged[0].source and 'RUN_DIR = "../runs/main"' in tagged[0].source
        )
        assert nb.cells[0].cell_type == "markdown" and sum(c.cell_type == "markdown" for c in nb.cells) >= 8


def test_both_notebooks_execute_render_and_go_into_the_bundle(synthetic_run, tmp_path):
    run = tmp_path / "run"  # a copy of the run's report: the notebooks' outputs go beside it, not into the fixture
    run.mkdir()
    shutil.copy(synthetic_run / "report.pdf", run / "report.pdf")
    data = synthetic_run.parent / "data"
    written = notebooks.build(synthetic_run, run / "notebooks", size="tiny", data=data)
    assert set(written) == {"fashion", "imdb", "pdf"}
    pdf = PdfReader(written["pdf"])
    text = " ".join(page.extract_text() for page in pdf.pages)
    for needle in ("Fashion-MNIST with CNNs", "IMDB sentiment with an LSTM", "1a: the model", "2c: GloVe", "p="):
        assert needle in text, needle
    # every figure of the executed notebooks is in the PDF: 5 drawn + 3 of the run (Fashion), 2 + 1 (IMDB)
    assert sum(len(page.images) for page in pdf.pages) >= 11
    out = make_bundle(run, "jdoe", dest_dir=tmp_path)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert zf.read("notebooks.pdf")[:5] == b"%PDF-"
    assert {"report.pdf", "notebooks.pdf", "notebooks/fashion.py", "notebooks/imdb.py"} <= set(names)


def test_a_failing_cell_is_one_line(tmp_path):
    source = tmp_path / "broken.py"
    source.write_text('# %% tags=["parameters"]\nX = 1\n\n# %%\nprint(X)\n\n# %%\n1 / (X - 2)\n', encoding="utf-8")
    nb = notebooks.to_notebook(source, {"X": 2})
    with pytest.raises(CnnrnnError, match=r"broken\.py: cell 4 failed: ZeroDivisionError"):
        notebooks.execute(nb, source, cwd=tmp_path, timeout=120)


def test_bundle_warns_without_the_notebook_pdf_and_refuses_a_broken_one(tmp_path, capsys):
    run = tmp_path / "run"
    (run / "notebooks").mkdir(parents=True)
    (run / "report.pdf").write_bytes(b"%PDF-1.7 test report")
    out = make_bundle(run, "jdoe", dest_dir=tmp_path)
    assert "notebooks.pdf" not in zipfile.ZipFile(out).namelist()
    assert "notebooks.pdf: not built" in capsys.readouterr().err
    (run / "notebooks" / "notebooks.pdf").write_text("<html>")
    with pytest.raises(CnnrnnError, match=r"notebooks\.pdf: not a PDF file"):
        make_bundle(run, "jdoe", dest_dir=tmp_path / "second")
    assert not (tmp_path / "second" / "dl22-2-jdoe.zip").exists()
