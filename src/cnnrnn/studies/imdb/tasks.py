"""The IMDB study as experiments, one per task of the assignment:

    imdb.data                      2a  the subset, vocabulary and encoding; the model's settings
    imdb.glove                     2c  what the GloVe vectors hold, coverage of our vocabulary, t-SNE map
    imdb.<regime>                  2b/2d  scratch | frozen | finetune, one task per seed: the specified 5 epochs,
                                       and the same runs continued (convergence, best epoch, diagnostics)
    imdb.comparison                2d  the regimes compared seed by seed (paired), at 5 epochs and at the best
                                       epoch: comparison.py, the experiment read top to bottom
    imdb.baselines                 2e  TF-IDF and NBSVM on the same splits as every RNN number
    imdb.explore.<variant>         2e  one change to SimpleLSTM at a time against the unchanged base
    imdb.best_rnn                  2e  the best recipe (config.BEST_RNN) on 22,500 reviews, tested on all 25,000
    imdb.explore.learning_curve    2e  test accuracy against training-set size
    imdb.explore_summary           2e  variants against the base, TF-IDF against the best neural model
                                       (chosen on validation), the finding of 2e

Test accuracy always comes from the official test split: a stratified sample (default 5,000 reviews)
for the subset studies, all 25,000 for the best recipe (results.json says which).
"""

from __future__ import annotations

from dataclasses import asdict, replace

from cnnrnn import verdicts
from cnnrnn.checkpoint import imdb_checkpoint
from cnnrnn.costs import IMDB_DATA_COST, IMDB_GLOVE_COST, baseline_cost, imdb_train_cost
from cnnrnn.data import glove as glove_mod
from cnnrnn.data.fingerprint import glove_input
from cnnrnn.data.imdb_tensors import DataSpec, prepare, select
from cnnrnn.errors import CnnrnnError
from cnnrnn.findings import record
from cnnrnn.runner import CombineContext, Experiment, Task, TaskEnv, TaskOutput, reading
from cnnrnn.studies.imdb import analysis, baselines, comparison, ensemble, figures
from cnnrnn.studies.imdb.config import FULL, LITERATURE, REGIMES, VARIANTS, ImdbConfig
from cnnrnn.studies.imdb.glove import describe, tsne_figure
from cnnrnn.studies.imdb.training import TrainSettings, load_glove_cached, train_run
from cnnrnn.utils.keys import task_key
from cnnrnn.utils.progress import log
from cnnrnn.utils.stats import summarize

# ---------------------------------------------------------------- task functions (run anywhere)


def data_task(env: TaskEnv, *, spec: DataSpec) -> TaskOutput:
    return TaskOutput(prepare(spec, env.data_root, env.device).info)


def glove_task(env: TaskEnv, *, spec: DataSpec, glove: str | None) -> TaskOutput:
    data = prepare(spec, env.data_root, env.device)
    counts = {w: c for w, c in data.vocab.counts.items() if w in data.vocab.stoi}
    return TaskOutput(describe(load_glove_cached(glove), counts))


def train_task(
    env: TaskEnv,
    *,
    spec: DataSpec,
    regime: str,
    seed: int,
    model_kwargs: dict,
    settings: TrainSettings,
    glove: str | None,
    name: str,
    weights: str | None,
    predictions: str | None = None,
) -> TaskOutput:
    """One model, one seed (train_run). `weights`: where the kept weights go (a checkpoint);
    `predictions`: where their P(positive) on the validation and test reviews go (for the ensemble)."""
    data = prepare(spec, env.data_root, env.device)
    run = train_run(
        data,
        regime,
        seed,
        env.device,
        model_kwargs=model_kwargs,
        settings=settings,
        glove=glove,
        desc=f"{name} s{seed}",
        keep_probabilities=predictions is not None,
    )
    log(
        f"{name}: seed {seed}: test accuracy {run['test_accuracy']:.4f} after {run['answer_epoch']} epochs, "
        f"{run['test_accuracy_at_best']:.4f} at the best epoch {run['best_epoch']} ({run['train_seconds']:.1f} s)"
    )
    model = run.pop("model")
    probabilities = run.pop("probabilities", None)
    info = data.info
    sizes = {k: info[k] for k in ("train_size", "test_size", "train_full", "test_full")}
    result = {"seed": seed, **sizes, **run}
    files = {}
    if weights:  # the weights of the epoch chosen on validation (settings.select), and what it takes to use them
        files = imdb_checkpoint(
            weights,
            model,
            name=name,
            vocab=data.vocab,
            model_kwargs=model_kwargs,
            max_seq_len=spec.max_seq_len,
            truncation=spec.truncation,
            regime=regime,
            seed=seed,
            epochs=run["best_epoch"] if settings.select == "best_val" else settings.epochs,
            test_accuracy=run["test_accuracy_at_best"],
            test_size=result["test_size"],
            train_size=result["train_size"],
        )
    if predictions:
        files[predictions] = _npz(probabilities, data.labels)
        result["predictions"] = predictions
    return TaskOutput(result, files)


def _npz(values: dict, labels: dict) -> bytes:
    """{"val", "test"} arrays beside their labels, as the bytes of one .npz file."""
    import io

    import numpy as np

    buf = io.BytesIO()
    np.savez(
        buf,
        **{f"{k}": np.asarray(values[k]) for k in ("val", "test")},
        **{f"{k}_labels": np.asarray(labels[k]) for k in ("val", "test")},
    )
    return buf.getvalue()


def baseline_task(
    env: TaskEnv, *, spec: DataSpec, kind: str, also_test: DataSpec | None = None, margins: str | None = None
) -> TaskOutput:
    """TF-IDF or NBSVM on the reviews of `spec` (raw texts: the baselines tokenise them themselves);
    with `also_test`, the same fit also scores the test sample of that spec ("extra_test_accuracy");
    `margins` (NBSVM): where its decision values on the validation and test reviews go (the ensemble)."""
    data = select(spec, env.data_root)
    extra = None
    if also_test is not None:
        sample = select(also_test, env.data_root).test
        extra = {"also_test": (sample.texts, sample.labels)}
    if kind == "nbsvm":
        r = baselines.nbsvm(data.texts, data.labels, extra_tests=extra, keep_margins=margins is not None)
    else:
        r = baselines.tfidf(data.texts, data.labels, extra_tests=extra)
    log(f"{kind}: test accuracy {r['test_accuracy']:.4f} on {r['train_size']} training reviews")
    files = {}
    if margins:
        files[margins] = _npz(r.pop("margins"), data.labels)
        r["margins"] = margins
    return TaskOutput(r, files)


# ---------------------------------------------------------------- helpers for the experiment list


def _seed_tasks(
    name: str,
    spec: DataSpec,
    regime: str,
    seeds: list[int],
    model_kwargs: dict,
    settings: TrainSettings,
    glove: str | None,
    weights: bool = False,
    predictions: bool = False,
) -> list[Task]:
    tasks = []
    for i, seed in enumerate(seeds):
        w = f"weights/{name}.seed{seed}.safetensors" if weights and i == 0 else None
        kwargs = dict(
            spec=spec,
            regime=regime,
            seed=seed,
            model_kwargs=model_kwargs,
            settings=settings,
            glove=glove,
            name=name,
            weights=w,
            predictions=f"predictions/{name}.seed{seed}.npz" if predictions else None,
        )
        tasks.append(
            Task(
                f"{name}.seed{seed}",
                train_task,
                kwargs,
                task_key(kwargs),
                cost=imdb_train_cost(spec, settings, model_kwargs),
            )
        )
    return tasks


def _runs(ctx: CombineContext, name: str, seeds: list[int]) -> list[dict]:
    return [ctx.results[f"{name}.seed{s}"] for s in seeds]


def _left_chance(history: list[dict]) -> int | None:
    """The first epoch whose training loss is clearly below chance level (None: never)."""
    return next((r["epoch"] for r in history if not verdicts.near_chance(r["train_loss"])), None)


def _seed_summary(runs: list[dict]) -> dict:
    histories = {str(r["seed"]): r["history"] for r in runs}
    answer = runs[0]["answer_epoch"]
    out = {
        "test_accuracy": summarize([r["test_accuracy"] for r in runs]),
        "test_loss": summarize([r["test_loss"] for r in runs]),
        "train_seconds": summarize([r["train_seconds"] for r in runs]),
        "eval_seconds": summarize([r["eval_seconds"] for r in runs]),
        "val_accuracy": summarize([r["history"][min(answer, len(r["history"])) - 1]["val_accuracy"] for r in runs]),
        "params": runs[0]["params"],
        "trainable_params": runs[0]["trainable_params"],
        "history": histories,
        "embedding_change": summarize([r["embedding_change"] for r in runs]),
    }
    left = [_left_chance(r["history"]) for r in runs]
    out["long"] = {
        "epochs": len(runs[0]["history"]),
        "answer_epoch": answer,
        "best_epoch": summarize([r["best_epoch"] for r in runs]),
        "test_accuracy_at_best": summarize([r["test_accuracy_at_best"] for r in runs]),
        "val_accuracy_at_best": summarize([r["val_accuracy_at_best"] for r in runs]),
        "left_chance_epoch": left,
        "stuck_at_chance": {
            "within_answer": sum(e is None or e > answer for e in left),
            "within_long": sum(e is None for e in left),
            "seeds": len(left),
        },
    }
    keys = [k for k in ("grad_norm", "gate_saturation", "state_saturation") if k in runs[0]["history"][0]]
    if keys:
        n = min(len(r["history"]) for r in runs)
        out["diagnostics"] = {k: [sum(r["history"][e][k] for r in runs) / len(runs) for e in range(n)] for k in keys}
    return out


# ---------------------------------------------------------------- combines (run on the driver)


def _combine_data(cfg: ImdbConfig):
    def combine(ctx: CombineContext) -> dict:
        (info,) = ctx.results.values()
        config = {
            k: getattr(cfg, k)
            for k in (
                "embedding_dim",
                "hidden_dim",
                "num_layers",
                "lstm_dropout_prob",
                "dropout_prob",
                "batch_size",
                "max_seq_len",
                "lr",
                "epochs",
                "long_epochs",
                "seeds",
                "model",
                "eval_batch_size",
                "grad_clip",
            )
        }
        config.update(
            optimizer="Adam",
            loss="BCELoss on sigmoid output",
            readout="last layer's hidden state at the true last token",
            batching="length-bucketed (chunks of 50 batches)",
        )
        return {"imdb": {"data": info, "config": config}, "findings": {"2a": record(analysis.finding_2a(info, config))}}

    return combine


def _combine_glove(ctx: CombineContext) -> dict:
    (desc,) = ctx.results.values()
    desc = dict(desc)
    figure = ctx.save_figure(tsne_figure(desc), "imdb_glove_tsne")
    desc["tsne_words"] = len(desc.pop("tsne")["words"])
    desc["figures"] = {"tsne": figure}
    desc["oov_init"] = glove_mod.OOV_INIT
    return {"imdb": {"glove": desc}, "findings": {"2c": record(analysis.finding_2c(desc))}}


def _combine_regime(regime: str, seeds: list[int]):
    def combine(ctx: CombineContext) -> dict:
        runs = _runs(ctx, f"imdb.{regime}", seeds)
        result = _seed_summary(runs)
        ctx.write_history(f"imdb.{regime}", result["history"])
        answer = result["long"]["answer_epoch"]
        upto_answer = [h[:answer] for h in result["history"].values()]
        result["weights"] = f"weights/imdb.{regime}.seed{seeds[0]}.safetensors"
        result["convergence"] = analysis.convergence(upto_answer)  # at the specified 5 epochs
        result["curves"] = verdicts.curve_facts(upto_answer)
        result["curves_long"] = verdicts.curve_facts(list(result["history"].values()))
        return {"imdb": {regime: result}}

    return combine


def _combine_baselines(sources: dict[int, str], full: bool):
    """`sources`: each curve size -> the task that answers it ("main", "full", or its own size)."""

    def combine(ctx: CombineContext) -> dict:
        out = {}
        for kind in ("tfidf", "nbsvm"):
            main = ctx.results[f"imdb.baseline.{kind}.main"]

            def point(n: int, kind: str = kind) -> dict:
                r = ctx.results[f"imdb.baseline.{kind}.{sources[n]}"]
                if sources[n] != "full":
                    return r
                # the full split's fit, scored on the main test sample like every other curve point
                return {**r, "test_accuracy": r["extra_test_accuracy"]["also_test"]} | {
                    "test_size": r["extra_test_size"]["also_test"]
                }

            # top level: the split of the best recipe (22,500 / all 25,000); "subset": the main subset
            out[kind] = {
                **(ctx.results[f"imdb.baseline.{kind}.full"] if full else main),
                "subset": main,
                "curve": [point(n) for n in sources],
                "settings": baselines.TFIDF_SETTINGS if kind == "tfidf" else baselines.NBSVM_SETTINGS,
            }
        return {"imdb": out}

    return combine


def _combine_variant(cfg: ImdbConfig, variant: str, seeds: list[int]):
    description, changes = VARIANTS[variant]

    def combine(ctx: CombineContext) -> dict:
        runs = _runs(ctx, f"imdb.explore.{variant}", seeds)
        s = _seed_summary(runs)
        entry = {
            "description": description,
            "train_size": runs[0]["train_size"],
            # selected on validation: the weights of each run's best validation epoch
            "test_accuracy": s["long"]["test_accuracy_at_best"],
            "val_accuracy": s["long"]["val_accuracy_at_best"],
            "test_accuracy_at_answer": s["test_accuracy"],
            "best_epoch": s["long"]["best_epoch"],
            "stuck_at_chance": s["long"]["stuck_at_chance"],
            "params": s["params"],
            "train_seconds": s["train_seconds"],
            "history": s["history"],
            "settings": {
                "regime": "finetune",
                "train_size": runs[0]["train_size"],
                "epochs": s["long"]["epochs"],
                "seeds": seeds,
                **cfg.model_kwargs(**changes),
            },
        }
        return {"imdb": {"explore": {variant: entry}}}

    return combine


def _combine_base_from_main(cfg: ImdbConfig, seeds: list[int]):
    """The variants' reference "base" is SimpleLSTM with fine-tuned GloVe on the main subset: exactly
    the main finetune runs of these seeds (same data, settings and seeds), so they are reused, not re-run."""
    description = VARIANTS["base"][0]

    def combine(ctx: CombineContext) -> dict:
        main = ctx.inputs["imdb.finetune"]["imdb"]["finetune"]
        pick = [cfg.seeds.index(s) for s in seeds]

        def sub(summary: dict) -> dict:
            return summarize([summary["per_seed"][i] for i in pick])

        long = main["long"]
        entry = {
            "description": description,
            "train_size": ctx.inputs["imdb.data"]["imdb"]["data"]["train_size"],
            "test_accuracy": sub(long["test_accuracy_at_best"]),
            "val_accuracy": sub(long["val_accuracy_at_best"]),
            "test_accuracy_at_answer": sub(main["test_accuracy"]),
            "best_epoch": sub(long["best_epoch"]),
            "params": main["params"],
            "train_seconds": sub(main["train_seconds"]),
            "history": {str(s): main["history"][str(s)] for s in seeds},
            "reused_from": "imdb.finetune",
            "settings": {"regime": "finetune", "epochs": long["epochs"], "seeds": seeds, **cfg.model_kwargs()},
        }
        entry["settings"]["train_size"] = entry["train_size"]
        return {"imdb": {"explore": {"base": entry}}}

    return combine


def _combine_best_rnn(cfg: ImdbConfig, seeds: list[int]):
    def combine(ctx: CombineContext) -> dict:
        runs = _runs(ctx, "imdb.best_rnn", seeds)
        acc = summarize([r["test_accuracy_at_best"] for r in runs])
        ctx.write_history("imdb.best_rnn", {str(r["seed"]): r["history"] for r in runs})
        recipe = cfg.best_rnn
        if "train_full" in runs[0]:
            # the data info says every review of the files was used; the official split has 25,000 test reviews
            full = bool(runs[0]["train_full"] and runs[0]["test_full"]) and runs[0]["test_size"] >= FULL
        else:  # a task file of an older version: 90 % of all 25,000 reviews trained, all 25,000 tested
            full = runs[0]["train_size"] + round(runs[0]["train_size"] / 9) >= FULL and runs[0]["test_size"] >= FULL
        return {
            "imdb": {
                "best_rnn": {
                    "description": recipe.description,
                    "selection": recipe.selection,
                    "model": recipe.model,
                    "training": asdict(recipe.train),
                    "max_seq_len": recipe.max_seq_len,
                    "min_freq": recipe.min_freq,
                    "regime": recipe.regime,
                    "train_size": runs[0]["train_size"],
                    "test_size": runs[0]["test_size"],
                    "full_data": full,
                    "seeds": seeds,
                    "test_accuracy": acc,
                    "val_accuracy": summarize([r["val_accuracy_at_best"] for r in runs]),
                    "best_epoch": summarize([r["best_epoch"] for r in runs]),
                    "train_seconds": summarize([r["train_seconds"] for r in runs]),
                    "params": runs[0]["params"],
                    "history": {str(r["seed"]): r["history"] for r in runs},
                    "weights": f"weights/imdb.best_rnn.seed{seeds[0]}.safetensors",
                    "literature": {
                        k: {
                            **v,
                            "diff": acc["mean"] - v["accuracy"],
                            "verdict": verdicts.against_reference(acc, v["accuracy"]),
                        }
                        for k, v in LITERATURE.items()
                    },
                }
            }
        }

    return combine


def _combine_learning_curve(cfg: ImdbConfig, main_regimes):
    def combine(ctx: CombineContext) -> dict:
        main_n = ctx.inputs["imdb.data"]["imdb"]["data"]["train_size"]
        points: dict = {}  # (curve, train size) -> summary at the best validation epoch
        for size in cfg.curve_sizes:
            for regime in REGIMES:
                runs = _runs(ctx, f"imdb.curve.{regime}.{size}", cfg.curve_seeds)
                points.setdefault(regime, {})[runs[0]["train_size"]] = summarize(
                    [r["test_accuracy_at_best"] for r in runs]
                )
        for regime in main_regimes:  # the main runs are the curve's point at the main size
            points.setdefault(regime, {})[main_n] = ctx.inputs[f"imdb.{regime}"]["imdb"][regime]["long"][
                "test_accuracy_at_best"
            ]
        for size in cfg.recipe_curve_sizes:
            runs = _runs(ctx, f"imdb.curve.best_rnn.{size}", cfg.curve_seeds)
            points.setdefault("best_rnn", {})[runs[0]["train_size"]] = summarize(
                [r["test_accuracy_at_best"] for r in runs]
            )
        best = ctx.inputs["imdb.best_rnn"]["imdb"]["best_rnn"]
        points.setdefault("best_rnn", {})[best["train_size"]] = best["test_accuracy"]
        base = ctx.inputs["imdb.baselines"]["imdb"]
        for kind in ("tfidf", "nbsvm"):
            for r in base[kind]["curve"]:
                points.setdefault(kind, {})[r["train_size"]] = summarize([r["test_accuracy"]])
        curves = {k: {"sizes": sorted(v), "accuracy": [v[n] for n in sorted(v)]} for k, v in points.items()}
        refs = {LITERATURE[k]["what"]: LITERATURE[k]["accuracy"] for k in ("maas2011", "nbsvm2012")}
        figure = ctx.save_figure(figures.learning_curve(curves, refs), "imdb_learning_curve")
        gains = {
            k: c["accuracy"][-1]["mean"] - c["accuracy"][0]["mean"] for k, c in curves.items() if len(c["sizes"]) > 1
        }
        return {
            "imdb": {
                "explore": {
                    "learning_curve": {
                        "curves": curves,
                        "gain_first_to_last": gains,
                        "seeds": cfg.curve_seeds,
                        "main_size": main_n,
                        "note": "sizes = reviews in the training part (10 % of each subset is validation); "
                        "RNN points are the "
                        "test accuracy at the best validation epoch; the largest best_rnn point is the full-data run "
                        "(tested on its own test set)",
                        "figures": {"curve": figure},
                    }
                }
            }
        }

    return combine


def _combine_ensemble(seeds: list[int]):
    """2e, the ensemble row: each seed of the best recipe averaged with NBSVM on the same reviews
    (ensemble.rnn_nbsvm_ensemble: Platt-scaled margins, the weight chosen on validation), and, with
    more than one seed, the seeds' mean probability averaged with NBSVM the same way."""

    def combine(ctx: CombineContext) -> dict:
        import numpy as np

        def load(rel: str) -> dict:
            with np.load(ctx.out / rel) as z:
                return {k: z[k] for k in z.files}

        nb = load(ENSEMBLE_MARGINS)
        labels = {k: nb[f"{k}_labels"] for k in ("val", "test")}
        probs = [load(f"predictions/imdb.best_rnn.seed{seed}.npz") for seed in seeds]
        if any(not np.array_equal(p[f"{k}_labels"], labels[k]) for p in probs for k in ("val", "test")):
            raise CnnrnnError("the best recipe's and NBSVM's reviews differ: no ensemble can be formed")
        runs = [ensemble.rnn_nbsvm_ensemble(p, nb, labels) for p in probs]
        out = {
            "seeds": seeds,
            "per_seed": runs,
            "test_accuracy": summarize([r["test_accuracy"] for r in runs]),
            "val_accuracy": summarize([r["val_accuracy"] for r in runs]),
            "weight_rnn": [r["weight_rnn"] for r in runs],
            "rnn_test_accuracy": summarize([r["rnn"]["test_accuracy"] for r in runs]),
            "nbsvm_test_accuracy": runs[0]["nbsvm"]["test_accuracy"],
            "nbsvm_platt_test_accuracy": runs[0]["nbsvm_platt"]["test_accuracy"],
            "test_size": runs[0]["test_size"],
            "val_size": runs[0]["val_size"],
            # does NBSVM add to the RNN (paired over seeds), and the RNN to NBSVM (against its one number)?
            "vs_rnn": verdicts.compare(
                [r["test_accuracy"] for r in runs],
                [r["rnn"]["test_accuracy"] for r in runs],
                paired=True,
                name_a="ensemble",
                name_b="best recipe",
            ),
        }
        out["vs_nbsvm"] = verdicts.against_reference(out["test_accuracy"], out["nbsvm_test_accuracy"])
        if len(seeds) > 1:
            mean = {k: np.mean([p[k] for p in probs], axis=0) for k in ("val", "test")}
            out["seed_average"] = ensemble.rnn_nbsvm_ensemble(mean, nb, labels)
        return {"imdb": {"ensemble": out}}

    return combine


def _combine_explore_summary(regimes, variants):
    """2e's verdicts: each variant against the base, TF-IDF against the best neural model on the same
    reviews (chosen on validation), and the finding of 2e."""

    def combine(ctx: CombineContext) -> dict:
        explore = {n: ctx.inputs[f"imdb.explore.{n}"]["imdb"]["explore"][n] for n in variants}
        frag = {}
        if "base" in explore:
            # each variant against the unchanged base, seed by seed (same seeds = same batch order)
            frag["explore_comparisons"] = {
                n: verdicts.compare(
                    e["test_accuracy"]["per_seed"],
                    explore["base"]["test_accuracy"]["per_seed"],
                    paired=True,
                    name_a=n,
                    name_b="base",
                )
                for n, e in explore.items()
                if n != "base"
            }
        main = {r: ctx.inputs[f"imdb.{r}"]["imdb"][r]["long"] for r in regimes}
        # every model trained on the main subset: (validation, test) accuracy at each run's best epoch
        same = {r: (m["val_accuracy_at_best"], m["test_accuracy_at_best"]) for r, m in main.items()}
        same.update({f"explore.{n}": (e["val_accuracy"], e["test_accuracy"]) for n, e in explore.items()})
        base = ctx.inputs["imdb.baselines"]["imdb"]
        frag["tfidf_vs_neural"] = analysis.tfidf_verdict(base["tfidf"]["subset"], same)
        imdb = {
            **base,
            **frag,
            "data": ctx.inputs["imdb.data"]["imdb"]["data"],
            "best_rnn": ctx.inputs["imdb.best_rnn"]["imdb"]["best_rnn"],
            "ensemble": ctx.inputs["imdb.ensemble"]["imdb"]["ensemble"],
            "explore": {
                **explore,
                "learning_curve": ctx.inputs["imdb.explore.learning_curve"]["imdb"]["explore"]["learning_curve"],
            },
        }
        return {"imdb": frag, "findings": {"2e": record(analysis.finding_2e(imdb))}}

    return combine


# ---------------------------------------------------------------- the experiment list


def experiments(cfg: ImdbConfig) -> list[Experiment]:
    """The study as experiments for the runner, all reading the imdb data and the GloVe vectors."""
    return reading("imdb", _experiments(cfg), glove_input(cfg.glove))


def _experiments(cfg: ImdbConfig) -> list[Experiment]:
    """The study's experiments, in task order: 2a-2d on the subset, then (unless a preset leaves it
    out) the 2e exploration: baselines, variants, the best recipe, the learning curve, the summary."""
    exps = _main_experiments(cfg)
    if not cfg.explore:
        return exps
    variants = list(cfg.explore_variants)
    exps.append(_baselines_experiment(cfg))
    exps += [_variant_experiment(cfg, v) for v in variants]
    exps.append(_best_rnn_experiment(cfg))
    exps.append(
        Experiment(
            "imdb.ensemble",
            [],
            _combine_ensemble(cfg.best_rnn_seeds),
            needs=("imdb.best_rnn", "imdb.baselines"),
            description="task 2e: the best recipe and NBSVM averaged, the weight chosen on validation",
        )
    )
    exps.append(_learning_curve_experiment(cfg))
    exps.append(
        Experiment(
            "imdb.explore_summary",
            [],
            _combine_explore_summary(tuple(cfg.regimes), variants),
            needs=("imdb.data", "imdb.baselines", "imdb.best_rnn", "imdb.ensemble", "imdb.explore.learning_curve")
            + tuple(f"imdb.{r}" for r in cfg.regimes)
            + tuple(f"imdb.explore.{v}" for v in variants),
            description="task 2e: variants against the base, TF-IDF against the best neural model (by validation)",
        )
    )
    return exps


def _unprobed(settings):
    """SimpleLSTM's settings without the per-epoch diagnostics (the gradient norm and the saturation probe),
    which only 2b reports (from the scratch runs); the probe's random draws are kept (probe_stream), so
    every run of a seed draws the same random numbers as its probed scratch twin."""
    return replace(settings, diagnostics=False)


def _main_experiments(cfg: ImdbConfig) -> list[Experiment]:
    """2a (data), 2c (GloVe, when a regime or the exploration uses it), 2b/2d (the regimes), 2d (compared)."""
    spec = cfg.data_spec()
    lstm = cfg.lstm_settings()
    exps = [
        Experiment(
            "imdb.data",
            [Task("imdb.data", data_task, {"spec": spec}, task_key({"spec": spec}), cost=IMDB_DATA_COST)],
            _combine_data(cfg),
            description="task 2a: IMDB subset, vocabulary, encoding",
        )
    ]
    needs_glove = any(r in ("frozen", "finetune") for r in cfg.regimes) or cfg.explore
    if needs_glove:
        kwargs = {"spec": spec, "glove": cfg.glove}
        exps.append(
            Experiment(
                "imdb.glove",
                [Task("imdb.glove", glove_task, kwargs, task_key(kwargs), cost=IMDB_GLOVE_COST)],
                _combine_glove,
                description="task 2c: what the GloVe vectors hold, coverage of our vocabulary, t-SNE",
            )
        )
    for regime in cfg.regimes:
        exps.append(
            Experiment(
                f"imdb.{regime}",
                _seed_tasks(
                    f"imdb.{regime}",
                    spec,
                    regime,
                    cfg.seeds,
                    cfg.model_kwargs(),
                    lstm if regime == "scratch" else _unprobed(lstm),
                    cfg.glove,
                    weights=True,
                ),
                _combine_regime(regime, cfg.seeds),
                description=f"task 2b/2d: {regime} embeddings, {len(cfg.seeds)} seeds x "
                f"{lstm.epochs} epochs (answer after {cfg.epochs})",
            )
        )
    exps.append(
        Experiment(
            "imdb.comparison",
            [],
            comparison.combine_comparison(tuple(cfg.regimes)),
            # the data and GloVe descriptions: numbers the findings of 2b and 2d quote
            needs=("imdb.data",) + (("imdb.glove",) if needs_glove else ()) + tuple(f"imdb.{r}" for r in cfg.regimes),
            description="task 2d: regimes compared",
        )
    )
    return exps


ENSEMBLE_MARGINS = "predictions/imdb.baseline.nbsvm.npz"


def _uses_full_split(cfg: ImdbConfig) -> bool:
    return cfg.best_rnn_train_size != cfg.train_size or cfg.best_rnn_test_size != cfg.test_size


def _baselines_experiment(cfg: ImdbConfig) -> Experiment:
    """2e: TF-IDF and NBSVM at every curve size, on the main subset and (when the best recipe uses it)
    on the full split."""
    full = _uses_full_split(cfg)
    main = cfg.data_spec()
    specs: dict[str, dict] = {"main": {"spec": main, "also_test": None}}
    if full:
        specs["full"] = {"spec": cfg.full_spec(), "also_test": None}
    # a curve size whose reviews are those of another fit shares it: the main subset itself, or the
    # full training split (that fit then also scores the main test sample)
    sources = {}
    for n in sorted(set(cfg.baseline_sizes)):
        spec = cfg.data_spec(n)
        if spec == main:
            sources[n] = "main"
        elif full and replace(spec, test_size=cfg.best_rnn_test_size) == specs["full"]["spec"]:
            sources[n] = "full"
            specs["full"]["also_test"] = spec
        else:
            sources[n] = str(n)
            specs[str(n)] = {"spec": spec, "also_test": None}
    # NBSVM on the best recipe's reviews keeps its margins, for the ensemble with the best recipe
    ensemble_split = "full" if full else "main"
    tasks = []
    for kind in ("tfidf", "nbsvm"):
        for label, what in specs.items():
            keep = kind == "nbsvm" and label == ensemble_split
            kwargs = {**what, "kind": kind, "margins": ENSEMBLE_MARGINS if keep else None}
            cost = baseline_cost(what["spec"])
            tasks.append(Task(f"imdb.baseline.{kind}.{label}", baseline_task, kwargs, task_key(kwargs), cost=cost))
    return Experiment(
        "imdb.baselines",
        tasks,
        _combine_baselines(sources, full),
        description="task 2e: TF-IDF and NBSVM on the same splits",
    )


def _variant_experiment(cfg: ImdbConfig, variant: str) -> Experiment:
    """2e: one variant of SimpleLSTM (fine-tuned GloVe), or the base; the base reuses the main
    fine-tuned runs when they are the same runs (same data, seeds among the main ones)."""
    espec = cfg.data_spec(min(cfg.explore_train_size or cfg.train_size, cfg.train_size))
    reuse_base = espec == cfg.data_spec() and "finetune" in cfg.regimes and set(cfg.explore_seeds) <= set(cfg.seeds)
    if variant == "base" and reuse_base:
        return Experiment(
            "imdb.explore.base",
            [],
            _combine_base_from_main(cfg, cfg.explore_seeds),
            needs=("imdb.data", "imdb.finetune"),
            description="task 2e: the reference",
        )
    name = f"imdb.explore.{variant}"
    model = cfg.model_kwargs(**VARIANTS[variant][1])
    return Experiment(
        name,
        _seed_tasks(name, espec, "finetune", cfg.explore_seeds, model, _unprobed(cfg.lstm_settings()), cfg.glove),
        _combine_variant(cfg, variant, cfg.explore_seeds),
        description=f"task 2e: {VARIANTS[variant][0]}",
    )


def _recipe_model(cfg: ImdbConfig) -> dict:
    return {**cfg.best_rnn.model, "embedding_dim": cfg.embedding_dim}  # the GloVe file decides the width


def _best_rnn_experiment(cfg: ImdbConfig) -> Experiment:
    """2e: the best recipe on the full training split, tested on all test reviews."""
    recipe = cfg.best_rnn
    return Experiment(
        "imdb.best_rnn",
        _seed_tasks(
            "imdb.best_rnn",
            cfg.recipe_spec(),
            recipe.regime,
            cfg.best_rnn_seeds,
            _recipe_model(cfg),
            recipe.train,
            cfg.glove,
            weights=True,
            predictions=True,
        ),
        _combine_best_rnn(cfg, cfg.best_rnn_seeds),
        description="task 2e: the best recipe on the full training set, all test reviews",
    )


def _learning_curve_experiment(cfg: ImdbConfig) -> Experiment:
    """2e: the three regimes and the best recipe at growing training-set sizes."""
    # a curve point is the test accuracy at the best validation epoch: no test pass after the answer epoch
    lstm, recipe = replace(_unprobed(cfg.lstm_settings()), answer_epoch=None), cfg.best_rnn
    tasks = [
        t
        for size in cfg.curve_sizes
        for regime in REGIMES
        for t in _seed_tasks(
            f"imdb.curve.{regime}.{size}",
            cfg.data_spec(size),
            regime,
            cfg.curve_seeds,
            cfg.model_kwargs(),
            lstm,
            cfg.glove,
        )
    ]
    tasks += [
        t
        for size in cfg.recipe_curve_sizes
        for t in _seed_tasks(
            f"imdb.curve.best_rnn.{size}",
            cfg.recipe_spec(size),
            recipe.regime,
            cfg.curve_seeds,
            _recipe_model(cfg),
            recipe.train,
            cfg.glove,
        )
    ]
    return Experiment(
        "imdb.explore.learning_curve",
        tasks,
        _combine_learning_curve(cfg, tuple(cfg.regimes)),
        needs=("imdb.data", "imdb.best_rnn", "imdb.baselines") + tuple(f"imdb.{r}" for r in cfg.regimes),
        description="task 2e: test accuracy against training-set size",
    )
