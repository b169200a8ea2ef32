"""The report builder, against the run directory of the synthetic end-to-end run (conftest.synthetic_run):
real study output on tiny data, so the fixture always follows the results.json contract. Tests that
need another case edit a copy of its results.json."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from pathlib import Path

import pytest
from fixtures import runs
from pypdf import PdfReader

from cnnrnn import verdicts
from cnnrnn.cli import main
from cnnrnn.data.fashion_mnist import CLASSES
from cnnrnn.errors import CnnrnnError
from cnnrnn.report import builder, common
from cnnrnn.report import fashion as report_fashion
from cnnrnn.report import format as fmt
from cnnrnn.report import imdb as report_imdb
from cnnrnn.report.builder import PLACEHOLDER, TASKS, build_report, check_pdf, pdf_text
from cnnrnn.utils.stats import summarize


@pytest.fixture(scope="module")
def fixture_dir(synthetic_run) -> Path:
    return synthetic_run


@pytest.fixture(scope="module")
def report(fixture_dir) -> tuple[Path, int, str]:
    pdf = fixture_dir / "report.pdf"
    pages, text = pdf_text(pdf)
    return pdf, pages, text


def _results(run_dir: Path) -> dict:
    return json.loads((run_dir / "results.json").read_text())


def _copy_run(src: Path, dest: Path, edit=None, refind: bool = False) -> Path:
    """A copy of a fixture run dir with results.json changed by `edit(results)`; refind: the
    findings recomputed by the studies' code from the edited sections (the report reads only those)."""
    dest.mkdir(parents=True)
    (dest / "figures").symlink_to(src / "figures")
    if (src / "config.json").is_file():
        (dest / "config.json").write_bytes((src / "config.json").read_bytes())
    results = _results(src)
    if edit:
        edit(results)
    if refind:
        results = runs.refind(results)
    (dest / "results.json").write_text(json.dumps(results))
    return dest


def _flat(text: str) -> str:
    return " ".join(text.split())


# ----------------------------------------------------------------------------- the PDF


def test_report_builds_within_limits(report, fixture_dir):
    pdf, pages, text = report
    assert pdf == fixture_dir / "report.pdf" and pdf.stat().st_size > 10_000
    assert 1 <= pages <= builder.MAX_PAGES
    for task in TASKS:
        assert re.search(rf"\b{task}\b", text), task
    assert "1 Convolutional Neural Networks" in text
    assert "2 Recurrent Neural Networks and Pretraining" in text
    for heading in ("Introduction", "Limitations", "Reproducibility", "References"):
        assert heading in text
    assert not PLACEHOLDER.search(text)
    assert (fixture_dir / "report_context.json").is_file()
    assert not list(fixture_dir.glob(".report*"))  # no temporaries left behind


def test_report_cites_required_works(report):
    text = _flat(report[2])
    refs = text[text.rindex("References") :]
    for author, year in (
        ("Xiao", "2017"),
        ("Maas", "2011"),
        ("Pennington", "2014"),
        ("Hochreiter", "1997"),
        ("Kingma", "2015"),
        ("Paszke", "2019"),
    ):
        assert author in refs and year in refs, author
    # each entry is cited in the body, numbered [1]..[6]
    body = text[: text.rindex("References")]
    for i in range(1, 7):
        assert f"[{i}]" in body


def test_fonts_are_embedded(report):
    reader = PdfReader(str(report[0]))
    fonts = {}
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            desc = font.get("/FontDescriptor")
            if desc is None and "/DescendantFonts" in font:
                desc = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            desc = desc.get_object()
            fonts[str(font.get("/BaseFont"))] = any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts


def test_figures_and_tables_numbered_and_referenced(report):
    text = _flat(report[2])
    captions_fig = set(re.findall(r"Figure (\d+):", text))
    captions_tab = set(re.findall(r"Table (\d+):", text))
    assert len(captions_fig) == 10 and len(captions_tab) == 8
    mentions = re.findall(r"(Figure|Table) (\d+)(?!:)", text)
    for kind, numbers in (("Figure", captions_fig), ("Table", captions_tab)):
        assert {n for k, n in mentions if k == kind} >= numbers, kind


def test_every_label_in_template_is_referenced():
    template = resources.files("cnnrnn.report").joinpath("template.typ").read_text()
    source = template + "".join(Path(m.__file__).read_text() for m in (common, report_fashion, report_imdb))
    labels = set(re.findall(r"<((?:fig|tab)-[a-z0-9-]+)>", template))
    assert len(labels) == 18
    for label in labels:
        assert f"@{label}" in source, label


def test_template_holds_no_numbers():
    template = resources.files("cnnrnn.report").joinpath("template.typ").read_text()
    code = "\n".join(line.split("//")[0] for line in template.splitlines())
    assert not re.search(r"\d+\.\d+ ?%|\d+(\.\d+)? %(?! CI)", code.replace("95 %", ""))
    assert not re.search(r"\b0\.\d{2,}\b", code)


def test_sentences_follow_the_fixture_numbers(report, fixture_dir):
    text = _flat(report[2])
    res = _results(fixture_dir)
    per_class = res["fashion"]["simple_cnn"]["per_class_accuracy"]
    hardest = min(range(10), key=lambda i: per_class[i])
    assert f"The hardest class is {CLASSES[hardest]} ({100 * per_class[hardest]:.1f} %)" in text
    acc = res["fashion"]["simple_cnn"]["test_accuracy"]
    assert _flat(fmt.pm(acc)) in text and (acc["n"] < 2 or _flat(fmt.ci(acc)) in text)
    best = res["fashion"]["best"]["name"]
    assert f"the best is {best}" in text
    # frozen vs fine-tuned: the wording follows the study's verdict
    pair = next(p for p in res["imdb"]["comparison"]["pairs"] if {p["a"], p["b"]} == {"finetune", "frozen"})
    d_text = _flat(json.loads((fixture_dir / "report_context.json").read_text())["imdb"]["d"]["text"])
    better, worse = ("Fine-tuned GloVe", "frozen GloVe") if pair["diff"] >= 0 else ("Frozen GloVe", "fine-tuned GloVe")
    expected = {"no difference": "no difference can be claimed", "too few seeds": "too few for an interval"}.get(
        pair["verdict"], "the difference is real"
    )
    # "beats" only for a real difference; otherwise where the means lie
    start = d_text.index(f"{better} beats {worse} by" if expected == "the difference is real" else f"{better} is ")
    assert expected in d_text[start : start + 300]
    # the quick run did not train the best recipe on the full split: no comparison with published numbers
    ctx = json.loads((fixture_dir / "report_context.json").read_text())
    assert "it is not set beside the published numbers" in _flat(ctx["imdb"]["e"]["text"])


def test_hardest_class_is_chosen_by_the_data(fixture_dir, tmp_path):
    def edit(res):
        pc = res["fashion"]["simple_cnn"]["per_class_accuracy"]
        pc[1] = 0.401  # make Trouser the hardest class (as the study would have decided)
        v = res["fashion"]["simple_cnn"]["per_class_verdicts"]
        v["hardest"] = ["Trouser"] + [c for c in v["hardest"] if c != "Trouser"][:2]

    run = _copy_run(fixture_dir, tmp_path / "run", edit, refind=True)
    ctx = builder.build_context(run, _results(run))
    assert "The hardest class is Trouser (40.1 %)" in _flat(ctx["fashion"]["e"]["classes"])


def test_comparison_wording_follows_the_verdict():
    a, b, c = [0.90, 0.905, 0.91], [0.80, 0.805, 0.81], [0.85, 0.90, 0.95]
    real = common.phrase_comparison(verdicts.compare(a, b, paired=False, name_a="A", name_b="B"), "A", "B")
    assert real.startswith("A beats B by 10.0 points") and "the difference is real" in real
    paired = common.phrase_comparison(verdicts.compare(a, b, paired=True), "A", "B")
    assert "paired per-seed difference is [+" in paired and "the difference is real" in paired
    unclear = common.phrase_comparison(verdicts.compare(a, c, paired=False), "A", "C")
    assert "no difference can be claimed" in unclear and "intervals overlap" in unclear
    assert unclear.startswith("A is 0.5 points above C on average") and "beats" not in unclear
    one = common.phrase_comparison(verdicts.compare([0.9], b, paired=False), "A", "B")
    assert "no claim of a difference" in one and one.startswith("A is 9.5 points above B on average")


def test_quick_preset_states_what_was_not_run(fixture_dir, tmp_path):
    def edit(res):
        for key in (
            "explore",
            "explore_best",
            "best",
            "explore_comparisons",
            "explore_ranking",
            "explore_figures",
            "frontier",
        ):
            res["fashion"].pop(key, None)
        res["imdb"]["explore"] = {}
        for key in ("explore_comparisons", "tfidf_vs_neural", "tfidf", "nbsvm", "best_rnn"):
            res["imdb"].pop(key, None)

    run = _copy_run(fixture_dir, tmp_path / "quick", edit, refind=True)
    pages, text = pdf_text(build_report(run))
    text = _flat(text)
    assert "The architecture exploration was not run in this preset" in text
    assert "Not run in this preset:" in text and "the TF-IDF and NBSVM baselines" in text
    assert "This is the quick preset" in text
    assert pages <= builder.MAX_PAGES


def test_data_values_are_escaped(fixture_dir, tmp_path):
    def edit(res):
        res["findings"]["1e"]["per_class"][6]["name"] = "Shirt_*#x@y $z$ [w] <v>"
        res["findings"]["2c"]["neighbours"] = {"good*": [["#bad", 0.9], ["@x", 0.8]]}
        res["findings"]["2c"]["missing_examples"] = ["??", "nan", "{x}", "okayish"]

    run = _copy_run(fixture_dir, tmp_path / "run", edit)
    text = _flat(pdf_text(build_report(run))[1])
    assert "Shirt_*#x@y $z$ [w] <v>" in text
    assert "#bad (0.90)" in text
    assert "missing are, e.g., “okayish”." in text  # tokens that read as placeholders are left out


# ----------------------------------------------------------------------------- failures


def test_missing_required_key_names_it(fixture_dir, tmp_path):
    run = _copy_run(fixture_dir, tmp_path / "run", lambda r: r["findings"]["1e"].pop("test_accuracy"))
    with pytest.raises(CnnrnnError, match=r"results\.json: missing findings\.1e\.test_accuracy$"):
        build_report(run)
    assert not (run / "report.pdf").exists()


@pytest.mark.parametrize(
    "key",
    [
        "imdb.glove.dim",
        "imdb.finetune.test_accuracy.per_seed",
        "run.environment",
        "fashion.summary.layers",
        "imdb.comparison.figures.curves",
    ],
)
def test_missing_keys_are_errors(fixture_dir, tmp_path, key):
    def edit(res):
        node = res
        *parents, last = key.split(".")
        for p in parents:
            node = node[p]
        del node[last]

    run = _copy_run(fixture_dir, tmp_path / "run", edit)
    with pytest.raises(CnnrnnError, match=re.escape(f"missing {key}")):
        build_report(run)


def test_missing_figure_file_is_an_error(fixture_dir, tmp_path):
    run = _copy_run(
        fixture_dir,
        tmp_path / "run",
        lambda r: r["fashion"]["simple_cnn"]["figures"].update(confusion_matrix="figures/nothing"),
    )
    with pytest.raises(CnnrnnError, match=r"figures/nothing\.pdf: figure named in results\.json not found"):
        build_report(run)
    assert not (run / "report.pdf").exists()


def _build_with(run: Path, monkeypatch, change) -> None:
    real = builder.build_context

    def patched(run_dir, results):
        ctx = real(run_dir, results)
        change(ctx)
        return ctx

    monkeypatch.setattr(builder, "build_context", patched)
    build_report(run)


def test_dangling_reference_fails_the_build(fixture_dir, tmp_path, monkeypatch):
    run = _copy_run(fixture_dir, tmp_path / "run")
    with pytest.raises(CnnrnnError, match=r"Typst could not compile the report: .*fig-nowhere.*does not exist") as e:
        _build_with(run, monkeypatch, lambda c: c["fashion"]["pipeline"].update(b="See @fig-nowhere."))
    assert "\n" not in str(e.value)
    assert not (run / "report.pdf").exists()


def test_placeholder_text_fails_the_build(fixture_dir, tmp_path, monkeypatch):
    run = _copy_run(fixture_dir, tmp_path / "run")
    with pytest.raises(CnnrnnError, match="placeholder text 'TODO' in the PDF near: .*value TODO here"):
        _build_with(run, monkeypatch, lambda c: c["fashion"]["pipeline"].update(c="value TODO here"))
    assert not (run / "report.pdf").exists()


def _tiny_pdf(tmp_path: Path, body: str) -> Path:
    import typst

    src = tmp_path / "tiny.typ"
    src.write_text(" ".join(TASKS) + "\n\n" + body + "\n", encoding="utf-8")
    typst.compile(str(src), output=str(tmp_path / "tiny.pdf"))
    return tmp_path / "tiny.pdf"


@pytest.mark.parametrize("marker", ["TODO", "TBD", "XXX", "nan", "NaN", "None", "null", "inf", "??", "{", "}"])
def test_guard_catches_each_marker(tmp_path, marker):
    pdf = _tiny_pdf(tmp_path, "accuracy " + fmt.esc(marker) + " here")
    with pytest.raises(CnnrnnError, match="placeholder text"):
        check_pdf(pdf)


@pytest.mark.parametrize("ok", ["nanoseconds", "Nonetheless", "information", "infinite"])
def test_guard_allows_ordinary_words(tmp_path, ok):
    assert check_pdf(_tiny_pdf(tmp_path, f"an ordinary word: {ok}")) == 1


def test_page_limit_fails_the_build(fixture_dir, tmp_path, monkeypatch):
    run = _copy_run(fixture_dir, tmp_path / "run")
    monkeypatch.setattr(builder, "MAX_PAGES", 2)
    with pytest.raises(CnnrnnError, match=r"pages, more than the limit of 2"):
        build_report(run)
    assert not (run / "report.pdf").exists()


def test_existing_report_survives_a_failed_build(fixture_dir, tmp_path, monkeypatch):
    run = _copy_run(fixture_dir, tmp_path / "run")
    (run / "report.pdf").write_bytes(b"old")
    monkeypatch.setattr(builder, "MAX_PAGES", 1)
    with pytest.raises(CnnrnnError):
        build_report(run)
    assert (run / "report.pdf").read_bytes() == b"old"


def test_check_pdf_finds_missing_sections(report, tmp_path, monkeypatch):
    monkeypatch.setattr(builder, "TASKS", ("1a", "3z"))
    with pytest.raises(CnnrnnError, match="section.s. 3z missing"):
        check_pdf(report[0])


# ----------------------------------------------------------------------------- CLI and formatting


def test_cli_report(fixture_dir, tmp_path, capsys):
    run = _copy_run(fixture_dir, tmp_path / "run")
    assert main(["report", str(run)]) == 0
    assert (run / "report.pdf").is_file()
    assert main(["report", str(tmp_path / "absent")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"cnnrnn: error: {tmp_path / 'absent'}: run directory not found"
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty")]) == 2
    assert "results.json: file not found" in capsys.readouterr().err


def test_corrupt_results_is_one_line_error(tmp_path):
    (tmp_path / "results.json").write_text("{not json")
    with pytest.raises(CnnrnnError, match="not valid JSON"):
        build_report(tmp_path)


def test_format_helpers():
    s = summarize([0.90, 0.91, 0.92])
    nb = fmt.NBSP
    assert fmt.pct(0.9123) == f"91.2{nb}%" and fmt.pct(0.9123, unit=False) == "91.2"
    assert fmt.pm(s) == f"91.0{nb}±{nb}1.0{nb}%" and fmt.pm(s, unit=False) == f"91.0{nb}±{nb}1.0"
    assert fmt.ci(s) == f"[88.5, 93.5]{nb}%"
    # a spread that would round to 0.0 gets one more decimal; an exact 0 does not
    assert fmt.pm(summarize([0.9445, 0.9447, 0.9442]), unit=False) == f"94.45{nb}±{nb}0.03"
    assert fmt.pm(summarize([0.9, 0.9]), unit=False) == f"90.0{nb}±{nb}0.0"
    assert fmt.ci(summarize([0.5])) == "one seed, no interval" and fmt.pm(summarize([0.5])) == f"50.0{nb}%"
    assert fmt.num(63050) == "63,050" and fmt.shape([16, 28, 28]) == "16×28×28"
    assert fmt.duration(192.4) == "3 min 12 s" and fmt.duration(8.21) == "8.2 s" and fmt.duration(3900) == "1 h 5 min"
    assert fmt.points(0.031) == "3.1 points" and fmt.points(-0.01) == "1.0 point"
    assert fmt.join_words(["a", "b", "c"]) == "a, b and c"
    assert fmt.esc("T-shirt/top *x*") == r"T\-shirt\/top \*x\*"
    assert fmt.sci(2.4e-7) == "2.4 × 10#super[−7]"


def test_context_is_json_and_has_no_raw_floats(report, fixture_dir):
    ctx = json.loads((fixture_dir / "report_context.json").read_text())
    assert copy.deepcopy(ctx)["run"]["preset"] == "quick"

    def walk(node):
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        else:
            assert not isinstance(node, float), node  # numbers are formatted in Python

    walk(ctx)


def test_shortened_settings_are_not_called_as_specified(fixture_dir, tmp_path):
    text = builder.build_context(fixture_dir, _results(fixture_dir))["fashion"]["e"]["config"]
    assert "shortened settings" in text and "as specified" not in text  # the quick preset trains 2 epochs

    def edit(res):
        res["fashion"]["simple_cnn"]["config"]["as_specified"] = True

    run = _copy_run(fixture_dir, tmp_path / "run", edit, refind=True)
    ctx = builder.build_context(run, _results(run))
    assert ctx["fashion"]["e"]["config"].startswith("SimpleCNN was trained as specified")


def test_single_seed_wording(fixture_dir):
    ctx = builder.build_context(fixture_dir, _results(fixture_dir))  # the quick preset: SimpleCNN has one seed
    assert "(one seed, so no interval)" in ctx["fashion"]["e"]["overall"]
    assert "±" not in ctx["fashion"]["e"]["overall"]


def test_study_shapes_are_accepted(fixture_dir, tmp_path):
    """Variants of the contract the studies produce: a float instead of a summary, a curve with one point."""

    def edit(res):
        res["imdb"]["finetune"]["embedding_change"] = 0.25  # a float instead of a summary
        curves = res["imdb"]["explore"]["learning_curve"]["curves"]
        curves["tfidf"] = {"sizes": curves["tfidf"]["sizes"][:1], "accuracy": curves["tfidf"]["accuracy"][:1]}

    run = _copy_run(fixture_dir, tmp_path / "run", edit, refind=True)
    ctx = builder.build_context(run, _results(run))
    assert "moved by 0.250 on average" in ctx["imdb"]["d"]["text"]
    assert "TF-IDF goes from" not in ctx["imdb"]["e"]["text"]  # one TF-IDF point only: no trend sentence
    assert "not converged" not in ctx["imdb"]["b"]["text"]  # the verdict's own prefix is dropped


def test_baselines_alone_are_still_reported(fixture_dir, tmp_path):
    def edit(res):
        explore = res["imdb"]["explore"]
        for name in [k for k in explore if k != "learning_curve"]:
            del explore[name]
        res["imdb"].pop("explore_comparisons")

    run = _copy_run(fixture_dir, tmp_path / "run", edit, refind=True)
    text = builder.build_context(run, _results(run))["imdb"]["e"]["text"]
    assert "TF-IDF with logistic regression reaches" in text and "Not run in this preset: the model variants" in text


def test_figures_are_numbered_in_order_of_first_mention(report):
    text = _flat(report[2])
    body = text[: text.rindex("References")]
    first = []
    for match in re.finditer(r"(Figure|Table) (\d+)(?!:)", body):
        key = (match.group(1), int(match.group(2)))
        if key not in first:
            first.append(key)
    for kind in ("Figure", "Table"):
        numbers = [n for k, n in first if k == kind]
        assert numbers == sorted(numbers), (kind, numbers)


def test_malformed_values_are_one_line_errors(fixture_dir, tmp_path):
    def edit(res):
        res["imdb"]["glove"]["neighbours"] = {"good": 5}  # not a list of [word, cosine]

    run = _copy_run(fixture_dir, tmp_path / "run", edit, refind=True)
    with pytest.raises(CnnrnnError, match=r"results\.json: unexpected structure under 'imdb' \(TypeError") as e:
        build_report(run)
    assert "\n" not in str(e.value) and not (run / "report.pdf").exists()
    run2 = _copy_run(fixture_dir, tmp_path / "run2", lambda r: r["findings"]["2c"]["stats"].pop("std"))
    with pytest.raises(CnnrnnError, match=r"missing findings\.2c\.stats\.std$"):
        build_report(run2)


def test_dirty_commit_is_shown(fixture_dir, tmp_path):
    def edit(res):
        res["run"]["environment"]["git_commit"] = "0123456789abcdef0123456789abcdef01234567-dirty"

    run = _copy_run(fixture_dir, tmp_path / "run", edit)
    text = _flat(pdf_text(build_report(run))[1])
    assert "git commit 0123456789ab-dirty" in text
    command = json.loads((fixture_dir / "config.json").read_text())["command"]
    # the command from config.json, its absolute paths shortened to their last component
    assert "cnnrnn run --out" in command and _flat(fmt.hide_paths(command))[:40] in text
    assert "/tmp/" not in text


def test_full_data_compares_with_the_literature(fixture_dir, tmp_path):
    def edit(res):
        b = res["imdb"]["best_rnn"]
        acc = summarize([0.899, 0.9, 0.903])
        b.update(full_data=True, train_size=22500, test_size=25000, test_accuracy=acc)
        for v in b["literature"].values():
            v.update(diff=acc["mean"] - v["accuracy"], verdict=verdicts.against_reference(acc, v["accuracy"]))

    run = _copy_run(fixture_dir, tmp_path / "run", edit, refind=True)
    ctx = builder.build_context(run, _results(run))["imdb"]["e"]
    text = _flat(ctx["text"])
    assert "On all 25,000 test reviews it reaches *90.07 ± 0.21 %* (3 seeds" in text
    # 90.0 lies inside the interval [89.5, 90.6]: no difference; the others lie outside it
    assert "That is above LSTM trained from scratch (Dai and Le 2015), 86.50 %" in text
    assert "Maas et al. 2011), 88.89 %" in text
    assert "at the level of LSTM initialised from word vectors (Dai and Le 2015), 90.00 %" in text
    assert r"below NBSVM with uni\- and bigrams (Wang and Manning 2012), 91.20 %" in text  # Typst-escaped
    rows = {r[0]: r for r in ctx["lit_rows"]}
    assert rows["best recipe (ours, 3 seeds)"] == [
        "best recipe (ours, 3 seeds)",
        "22,500",
        "25,000",
        "90.07 ± 0.21".replace(" ", fmt.NBSP),
        "–",
    ]
    # the last column is the study's verdict against each number: 90.0 inside the interval, 91.2 above it
    assert rows["LSTM initialised from word vectors (Dai and Le 2015) @dai2015"][4] == "no difference"
    assert rows[r"NBSVM with uni\- and bigrams (Wang and Manning 2012) @wang2012"][4] == "below"
    assert rows["LSTM trained from scratch (Dai and Le 2015) @dai2015"][4] == "above"


def test_literature_verdict_needs_an_interval():
    s = summarize([0.899, 0.9, 0.903])
    assert verdicts.against_reference(s, 0.90) == "no difference"
    assert verdicts.against_reference(s, 0.912) == "below" and verdicts.against_reference(s, 0.8889) == "above"
    assert verdicts.against_reference(summarize([0.95]), 0.90) == "too few seeds"


def test_frozen_winning_changes_the_explanation(fixture_dir, tmp_path):
    def edit(res):
        for pair in res["imdb"]["comparison"]["pairs"]:
            if (pair["a"], pair["b"]) == ("finetune", "frozen"):
                pair.update(
                    diff=-0.05,
                    verdict="frozen",
                    winner="b",
                    ci95=[-0.08, -0.02],
                    p=0.01,
                    test="paired t-test",
                    paired=True,
                    n_a=5,
                    n_b=5,
                )
        for pair in res["imdb"]["comparison"]["pairs_at_best"]:
            if (pair["a"], pair["b"]) == ("finetune", "frozen"):
                pair.update(
                    diff=-0.05,
                    verdict="frozen",
                    winner="b",
                    ci95=[-0.08, -0.02],
                    p=0.01,
                    test="paired t-test",
                    paired=True,
                    n_a=5,
                    n_b=5,
                )

    run = _copy_run(fixture_dir, tmp_path / "run", edit, refind=True)
    text = _flat(builder.build_context(run, _results(run))["imdb"]["d"]["text"])
    assert "Frozen GloVe beats fine-tuned GloVe by 5.0 points" in text and "the difference is real" in text
    assert "Here fine-tuning did worse than frozen embeddings" in text


def test_explore_sentence_says_when_best_and_runner_up_had_different_budgets(report, fixture_dir):
    text = _flat(report[2])
    res = _results(fixture_dir)
    explore = res["fashion"]["explore"]
    best, runner = res["fashion"]["best"]["name"], res["fashion"]["best"]["runner_up"]
    differ = explore[best]["epochs"] != explore[runner]["epochs"]
    assert ("had different training budgets" in text) == differ


def test_subset_limitation_names_the_full_split_runs(fixture_dir):
    """The IMDB subset caveat must not cover the best recipe and baselines, which used the full split."""
    from cnnrnn.report.results import Results

    results = _results(fixture_dir)
    best = results["imdb"]["best_rnn"]
    item = next(i for i in common.limitations(Results(results)) if i.startswith("*IMDB subset.*"))
    assert f"trained on {fmt.num(best['train_size'])} reviews of the official training split" in item
    best.update(train_size=22500, test_size=25000, full_data=True)  # as the study decides for the full split
    item = next(i for i in common.limitations(Results(results)) if i.startswith("*IMDB subset.*"))
    assert "22,500 reviews" in item and "all 25,000 test reviews" in item
    del results["imdb"]["best_rnn"]
    item = next(i for i in common.limitations(Results(results)) if i.startswith("*IMDB subset.*"))
    assert "exception" not in item


@pytest.mark.parametrize("everyone", [True, False])
def test_frontier_sentence_says_beaten_only_when_some_recipe_is(fixture_dir, tmp_path, everyone):
    def edit(res):
        f = res["fashion"]
        names = [*f["explore"], "simple_cnn"]
        f["frontier"] = names if everyone else names[:2]
        f["frontier_beaten"] = [] if everyone else names[2:]

    run = _copy_run(fixture_dir, tmp_path / "run", edit, refind=True)
    res = _results(run)
    text = _flat(builder.build_context(run, res)["fashion"]["f"]["text"])
    beaten = res["fashion"]["frontier_beaten"]
    assert ("beaten by a recipe that is both faster and more accurate" in text) is not everyone
    assert ("each of them is on it" in text) is everyone
    assert all(n.replace("_", "\\_") in text or n in text for n in beaten)  # named, not counted


def test_run_time_states_wall_time_and_the_commands_of_a_resumed_run(fixture_dir, tmp_path):
    from cnnrnn.report.results import Results

    results = _results(fixture_dir)
    results["run"].update(
        seconds=4890.0,
        wall_seconds=2464.0,
        invocations=[
            {"started": "2026-11-30T10:00:00Z", "wall_seconds": 1000.0, "ended": "killed"},
            {"started": "2026-12-01T09:00:00Z", "wall_seconds": 1464.0, "ended": "complete"},
        ],
    )
    item = next(i for i in common.run_info(Results(results), fixture_dir)["items"] if "Run time" in i)
    assert "1 h 21 min of experiments" in item and "41 min 4 s of wall time over 2 commands" in item
    assert "started 2026\\-11\\-30T10" in item  # the first command's start (Typst-escaped), not the last's


def test_too_few_seeds_claims_nothing_about_fine_tuning(fixture_dir, tmp_path):
    """With fewer than 3 seeds the study has no verdict on frozen vs fine-tuned: the text must not
    explain a difference (it once said "fine-tuning did worse ... overfits" for every 2-seed run)."""

    def edit(res):
        for key in ("pairs", "pairs_at_best"):
            for pair in res["imdb"]["comparison"][key]:
                pair.update(verdict="too few seeds", winner=None, n_a=2, n_b=2, ci95=None, p=None, test=None)

    run = _copy_run(fixture_dir, tmp_path / "run", edit, refind=True)
    text = _flat(builder.build_context(run, _results(run))["imdb"]["d"]["text"])
    assert "did worse" not in text and "overfits" not in text and "beats" not in text
    assert "whether that helps cannot be told from 2 seeds" in text


def test_report_shows_no_absolute_paths_of_the_users_machine(fixture_dir, tmp_path):
    """The typed command of config.json names --out/--data/--glove as the user's shell spelled them;
    the report keeps only their last components (no user name, no home folder)."""
    import shutil

    from cnnrnn.report.results import Results

    run = tmp_path / "run"
    shutil.copytree(fixture_dir, run)
    config = json.loads((run / "config.json").read_text())
    config["command"] = "cnnrnn run --out /home/ann/runs/main --data=/home/ann/data --glove C:\\Users\\ann\\g.txt"
    (run / "config.json").write_text(json.dumps(config))
    item = next(i for i in common.run_info(Results(_results(fixture_dir)), run)["items"] if "command" in i)
    assert "ann" not in item and "home" not in item and "Users" not in item
    assert "…/main" in item and "…/data" in item and "…/g.txt" in item


def test_plural_and_path_helpers():
    assert fmt.plural(1, "epoch") == "1 epoch" and fmt.plural(8, "epoch") == "8 epochs"
    assert fmt.hide_paths("glove.6B.50d.txt (from the package)") == "glove.6B.50d.txt (from the package)"
    assert fmt.hide_paths("file /opt/x/glove.6B.50d.txt") == "file …/glove.6B.50d.txt"
    assert fmt.hide_paths("runs/main and figures/a.png") == "runs/main and figures/a.png"  # relative: kept


def test_path_helper_examples_hold():
    import doctest

    from cnnrnn.utils import env

    assert doctest.testmod(env).failed == 0
