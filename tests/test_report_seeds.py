"""The report at 1, 2, 3 and 5 seeds: run directories combined by the studies' own code from task
results with known differences (fixtures/runs.py). With fewer than 3 seeds the report claims no
winner, no ranking, no "did worse" and no side of a published number; with 3 or more it states the
winner the study found, and the PDF and the terminal summary state the same verdicts."""

from __future__ import annotations

import json

import pytest
from fixtures.runs import seeded_run

from cnnrnn.report.builder import build_context, build_report, pdf_text
from cnnrnn.report.common import code
from cnnrnn.summary import summary_markdown
from cnnrnn.verdicts import MIN_SEEDS


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module", params=[1, 2, 3, 5])
def seeded(request, synthetic_run, tmp_path_factory):
    n = request.param
    run = seeded_run(synthetic_run, tmp_path_factory.mktemp(f"seeds{n}") / "run", n)
    res = json.loads((run / "results.json").read_text())
    return n, res, build_context(run, res)


def _sections(ctx: dict) -> dict[str, str]:
    return {
        "1e": _flat(" ".join(ctx["fashion"]["e"][k] for k in ("overall", "classes", "mistakes", "curves"))),
        "1f": _flat(ctx["fashion"]["f"]["text"]),
        "2b": _flat(ctx["imdb"]["b"]["text"]),
        "2d": _flat(ctx["imdb"]["d"]["text"]),
        "2e": _flat(ctx["imdb"]["e"]["text"]),
    }


CLAIMS = (
    "beats",
    "did worse",
    "the ranking the intervals support",
    "Better than the base",
    "Worse than the base",
    "That is above",
    "That is below",
    " below LSTM",
    " above LSTM",
    "the difference is real",
    "more than any neural model",
)


def test_too_few_seeds_claim_nothing(seeded):
    n, res, ctx = seeded
    if n >= MIN_SEEDS:
        pytest.skip("enough seeds for verdicts")
    for task, text in _sections(ctx).items():
        for claim in CLAIMS:
            assert claim not in text, (n, task, claim)
    text = _sections(ctx)
    assert "no ranking is claimed" in text["2d"]
    assert f"whether that helps cannot be told from {'one seed' if n == 1 else f'{n} seeds'}" in text["2d"]
    assert "so no verdict against them is drawn" in text["2e"]  # the published numbers, no side
    assert "too few seeds for an interval" in text["2e"] and "with too few seeds for a verdict" in text["2e"]
    assert res["findings"]["2d"]["fine_tuning"] == "too few seeds" and res["findings"]["2e"]["literature"] is None
    # the ensemble row: its numbers, no verdict on what either family adds
    ens = res["findings"]["2e"]["ensemble"]
    assert ens["vs_rnn"] == ens["vs_nbsvm"] == "too few seeds"
    assert "with too few seeds, no verdict on the gain over the RNN alone is drawn" in text["2e"]
    assert "the RNN adds to NBSVM" not in text["2e"] and "NBSVM adds to the RNN" not in text["2e"]


def test_enough_seeds_state_the_studys_winner(seeded):
    n, res, ctx = seeded
    if n < MIN_SEEDS:
        pytest.skip("too few seeds for verdicts")
    text, found = _sections(ctx), res["findings"]
    # 2d: the study's paired verdicts and ranking, the explanation that fits them
    assert found["2d"]["fine_tuning"] == "finetune" and found["2d"]["ranking_at_best"] == [
        ["finetune"],
        ["frozen"],
        ["scratch"],
    ]
    assert "Fine-tuned GloVe beats frozen GloVe by " in text["2d"]
    assert "the ranking the intervals support is: fine-tuned GloVe > frozen GloVe > training from scratch" in text["2d"]
    assert "fine-tuning also trains the" in text["2d"] and "did worse" not in text["2d"]
    # 1f: the best recipe by validation, and the comparison the study decided
    assert found["1f"]["best"] == "vgg3_bn_erase" and found["1f"]["vs_simple_cnn"]["winner"] == "a"
    assert f"{code('vgg3_bn_erase')} beats SimpleCNN of 1e by " in text["1f"]
    # 2e: the variant that is better, TF-IDF against the best neural model by validation, the literature
    assert (
        found["2e"]["better"] == ["bilstm"]
        and f"the base (paired 95 % interval above zero): {code('bilstm')}." in text["2e"]
    )
    assert found["2e"]["tfidf"]["best_neural"] == "explore.bilstm"
    assert "more than any neural model trained on them" in text["2e"]
    assert "That is above LSTM trained from scratch (Dai and Le 2015), 86.50 %" in text["2e"]
    assert "below LSTM initialised from word vectors (Dai and Le 2015), 90.00 %" in text["2e"]
    # the ensemble: the sentences say exactly the study's two verdicts
    from cnnrnn.report.imdb import _ENSEMBLE_VS_NBSVM, _ENSEMBLE_VS_RNN

    # ... and the one sentence on what made the difference comes from the recipe's validation record
    sel = found["2e"]["best_rnn"]["selection"]
    assert f"What made the difference, by the validation record ({code(sel['record'])}, seed 0)" in text["2e"]
    ens = found["2e"]["ensemble"]
    assert ens["vs_rnn"] in ("ensemble", "best recipe", "no difference") and ens["accuracy"]["n"] == n
    assert _ENSEMBLE_VS_RNN[ens["vs_rnn"]] in text["2e"] and _ENSEMBLE_VS_NBSVM[ens["vs_nbsvm"]] in text["2e"]


def test_pdf_and_cli_agree_on_every_comparison(synthetic_run, tmp_path):
    """The verdicts are decided once, by the study: at 3 seeds (where they are verdicts, not
    'too few seeds') the PDF and the terminal summary phrase the same ones."""
    run = seeded_run(synthetic_run, tmp_path / "run", 3, draw=True)
    res = json.loads((run / "results.json").read_text())
    text = _flat(pdf_text(build_report(run))[1])
    summary = summary_markdown(res)
    subjects = {"scratch": "training from scratch", "frozen": "frozen GloVe", "finetune": "fine-tuned GloVe"}
    pairs = res["findings"]["2d"]["pairs"]
    assert {p["verdict"] for p in pairs} == {"finetune", "frozen"}  # real verdicts, not "too few seeds"
    for pair in pairs:
        assert f"{pair['a']} vs {pair['b']}: {100 * pair['diff']:+.1f} points, verdict: {pair['verdict']}" in summary
        winner, loser = (pair["a"], pair["b"]) if pair["winner"] == "a" else (pair["b"], pair["a"])
        said = f"{subjects[winner]} beats {subjects[loser]} by {abs(100 * pair['diff']):.1f} points"
        assert said.lower() in text.lower(), said
    assert f"Best explored recipe by validation accuracy: {res['findings']['1f']['best']}." in summary
    assert f"the best is {res['findings']['1f']['best']}" in text
