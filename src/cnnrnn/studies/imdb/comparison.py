"""Task 2d, top to bottom: SimpleLSTM from scratch, with frozen GloVe and with fine-tuned GloVe,
compared seed by seed.

Settings: the assignment's (cnnrnn.studies.imdb.config.ImdbConfig: embedding_dim, hidden_dim,
num_layers, dropout_prob, lr, batch_size, epochs = the specified 5, long_epochs, seeds). Training:
one task per regime and seed, `tasks.train_task` -> `training.train_run(data, regime, seed, ...)`,
built by `tasks._seed_tasks(f"imdb.{regime}", ...)`; `tasks._combine_regime` summarises each regime
over its seeds (results.json imdb.<regime>). This module is the experiment "imdb.comparison": it
needs the three regimes (and the data and GloVe descriptions, for the numbers the text quotes),
and decides

- which regime beats which, after the specified epochs and at each run's best validation epoch:
  cnnrnn.verdicts.compare, paired (the same seed means the same batch order and initial LSTM
  weights in every regime);
- the ranking the intervals support (cnnrnn.verdicts.rank);
- the finding of 2d (cnnrnn.findings.Finding2d) and, since the scratch runs are 2b's, that of 2b.

    from cnnrnn.studies.imdb.comparison import combine_comparison
    Experiment("imdb.comparison", [], combine_comparison(("scratch", "frozen", "finetune")), needs=...)
"""

from __future__ import annotations

from cnnrnn import verdicts
from cnnrnn.findings import Finding2d, record
from cnnrnn.runner import CombineContext
from cnnrnn.studies.imdb import analysis
from cnnrnn.utils.figures import curves_figure


def paired_comparisons(imdb: dict, regimes: tuple[str, ...], key) -> list[dict]:
    """Every later regime against every earlier one, on the accuracies `key(entry)` picks."""
    pairs = []
    for i, a in enumerate(regimes):
        for b in regimes[i + 1 :]:
            pairs.append(
                verdicts.compare(key(imdb[b])["per_seed"], key(imdb[a])["per_seed"], paired=True, name_a=b, name_b=a)
            )
    return pairs


def combine_comparison(regimes: tuple[str, ...]):
    def combine(ctx: CombineContext) -> dict:
        imdb = {r: ctx.inputs[f"imdb.{r}"]["imdb"][r] for r in regimes}
        answer = imdb[regimes[0]]["long"]["answer_epoch"]
        figure = ctx.save_figure(
            curves_figure({r: imdb[r]["history"] for r in regimes}, "IMDB", mark_epoch=answer), "imdb_curves"
        )
        comparison = {
            "pairs": paired_comparisons(imdb, regimes, lambda e: e["test_accuracy"]),
            "pairs_at_best": paired_comparisons(imdb, regimes, lambda e: e["long"]["test_accuracy_at_best"]),
            "ranking": verdicts.rank({r: imdb[r]["test_accuracy"] for r in regimes}),
            "ranking_at_best": verdicts.rank({r: imdb[r]["long"]["test_accuracy_at_best"] for r in regimes}),
            "rule": verdicts.RULE,
            "figures": {"curves": figure},
        }
        data = ctx.inputs.get("imdb.data", {}).get("imdb", {}).get("data", {})
        glove = ctx.inputs.get("imdb.glove", {}).get("imdb", {}).get("glove", {})
        findings = {"2d": record(finding_2d(imdb, comparison, data, glove))}
        if "scratch" in imdb and data:
            max_len = ctx.inputs["imdb.data"]["imdb"]["config"]["max_seq_len"]
            findings["2b"] = record(analysis.finding_2b(imdb["scratch"], data, max_len))
        return {"imdb": {"comparison": comparison}, "findings": findings}

    return combine


def _regime_row(regime: str, e: dict) -> dict:
    change = e.get("embedding_change")
    return {
        "regime": regime,
        "trainable": e["trainable_params"],
        "test_accuracy": e["test_accuracy"],
        "at_best": e["long"]["test_accuracy_at_best"],
        "best_epoch": e["long"]["best_epoch"]["mean"],
        "seconds": e["train_seconds"]["mean"],
        # scratch has no GloVe rows to move; a summary over seeds (older runs: one number)
        "change": None
        if regime == "scratch" or change is None
        else change["mean"]
        if isinstance(change, dict)
        else change,
    }


def finding_2d(imdb: dict, comparison: dict, data: dict, glove: dict) -> Finding2d:
    """What 2d states: the regimes' numbers, the paired verdicts, and which explanation applies."""
    rows = [_regime_row(r, e) for r, e in imdb.items()]
    by = {row["regime"]: row for row in rows}
    at_best = {frozenset((p["a"], p["b"])): p for p in comparison["pairs_at_best"]}
    ft_fr = at_best.get(frozenset(("finetune", "frozen")))
    frozen, finetune = by.get("frozen", {}), by.get("finetune", {})
    opp = glove.get("opposite_neighbours") or []
    first = next(iter(imdb.values()))
    return Finding2d(
        seeds=int(first["test_accuracy"]["n"]),
        answer_epoch=int(first["long"]["answer_epoch"]),
        regimes=rows,
        pairs=comparison["pairs"],
        pairs_at_best=comparison["pairs_at_best"],
        ranking_at_best=comparison["ranking_at_best"],
        ranking_claimed=len(comparison["ranking_at_best"]) > 1,
        fine_tuning=ft_fr["verdict"] if ft_fr else "no difference",
        frozen_trainable=int(frozen.get("trainable", 0)),
        embedding_params=int(finetune.get("trainable", 0) - frozen.get("trainable", 0)),
        train_size=data.get("train_size"),
        opposite=list(opp[0]) if opp else None,
        change_finetune=finetune.get("change"),
        change_frozen=frozen.get("change"),
    )
