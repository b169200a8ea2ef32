"""The IMDB study as experiments, one per task of the assignment:

    imdb.data                      2a  the subset, vocabulary and encoding; the model's settings
    imdb.glove                     2c  what the GloVe vectors hold, coverage of our vocabulary, t-SNE map
    imdb.<regime>                  2b/2d  scratch | frozen | finetune, one task per seed: the specified 5 epochs,
                                       and the same runs continued (convergence, best epoch, diagnostics)
    imdb.comparison                2d  the regimes compared seed by seed (paired), at 5 epochs and at the best epoch
    imdb.baselines                 2e  TF-IDF and NBSVM on the same splits as every RNN number
    imdb.explore.<variant>         2e  one change to SimpleLSTM at a time against the unchanged base
    imdb.best_rnn                  2e  the best recipe (config.BEST_RNN) on 22,500 reviews, tested on all 25,000
    imdb.explore.learning_curve    2e  test accuracy against training-set size
    imdb.explore_best              2e  the best model on the subset, by validation accuracy

Test accuracy always comes from the official test split: a stratified sample (default 5,000 reviews)
for the subset studies, all 25,000 for the best recipe (results.json says which).
"""

from __future__ import annotations

from dataclasses import asdict

from cnnrnn import verdicts
from cnnrnn.checkpoint import imdb_checkpoint
from cnnrnn.data import glove as glove_mod
from cnnrnn.data.imdb_tensors import DataSpec, prepare
from cnnrnn.runner import CombineContext, Experiment, Task, TaskEnv, TaskOutput, reading
from cnnrnn.studies.imdb import analysis, baselines, figures
from cnnrnn.studies.imdb.config import FULL, LITERATURE, REGIMES, VARIANTS, ImdbConfig
from cnnrnn.studies.imdb.glove import describe, tsne_figure
from cnnrnn.studies.imdb.training import TrainSettings, load_glove_cached, train_run
from cnnrnn.utils.figures import curves_figure
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
) -> TaskOutput:
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
    )
    log(
        f"{name}: seed {seed}: test accuracy {run['test_accuracy']:.4f} after {run['answer_epoch']} epochs, "
        f"{run['test_accuracy_at_best']:.4f} at the best epoch {run['best_epoch']} ({run['train_seconds']:.1f} s)"
    )
    model = run.pop("model")
    result = {"seed": seed, "train_size": data.info["train_size"], "test_size": data.info["test_size"], **run}
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
    return TaskOutput(result, files)


def baseline_task(env: TaskEnv, *, spec: DataSpec, kind: str) -> TaskOutput:
    data = prepare(spec, env.data_root, "cpu")
    r = (baselines.nbsvm if kind == "nbsvm" else baselines.tfidf)(data.texts, data.labels)
    log(f"{kind}: test accuracy {r['test_accuracy']:.4f} on {r['train_size']} training reviews")
    return TaskOutput(r)


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
        )
        key = {
            **asdict(spec),
            **asdict(settings),
            "model": model_kwargs,
            "regime": regime,
            "seed": seed,
            "glove": glove,
            "weights": w,
        }
        tasks.append(Task(f"{name}.seed{seed}", train_task, kwargs, key))
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
        "test_accuracy_final": summarize([r["test_accuracy_final"] for r in runs]),
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
        return {"imdb": {"data": info, "config": config}}

    return combine


def _combine_glove(ctx: CombineContext) -> dict:
    (desc,) = ctx.results.values()
    desc = dict(desc)
    figure = ctx.save_figure(tsne_figure(desc), "imdb_glove_tsne")
    desc["tsne_words"] = len(desc.pop("tsne")["words"])
    desc["figures"] = {"tsne": figure}
    desc["oov_init"] = glove_mod.OOV_INIT
    return {"imdb": {"glove": desc}}


def _combine_regime(regime: str, seeds: list[int]):
    def combine(ctx: CombineContext) -> dict:
        runs = _runs(ctx, f"imdb.{regime}", seeds)
        result = _seed_summary(runs)
        ctx.write_history(f"imdb.{regime}", result["history"])
        answer = result["long"]["answer_epoch"]
        upto_answer = [h[:answer] for h in result["history"].values()]
        result["weights"] = f"weights/imdb.{regime}.seed{seeds[0]}.safetensors"
        result["convergence"] = analysis.convergence(upto_answer)  # at the specified 5 epochs
        result["convergence_long"] = analysis.convergence(list(result["history"].values()))
        result["curves"] = verdicts.curve_facts(upto_answer)
        result["curves_long"] = verdicts.curve_facts(list(result["history"].values()))
        return {"imdb": {regime: result}}

    return combine


def _pairs(imdb: dict, regimes: tuple[str, ...], key) -> list[dict]:
    pairs = []
    for i, a in enumerate(regimes):
        for b in regimes[i + 1 :]:
            # the same seeds give the same batch order and initial LSTM weights: a paired design
            pairs.append(
                verdicts.compare(key(imdb[b])["per_seed"], key(imdb[a])["per_seed"], paired=True, name_a=b, name_b=a)
            )
    return pairs


def _combine_comparison(regimes: tuple[str, ...]):
    def combine(ctx: CombineContext) -> dict:
        imdb = {r: ctx.inputs[f"imdb.{r}"]["imdb"][r] for r in regimes}
        at_answer = {r: imdb[r]["test_accuracy"] for r in regimes}
        at_best = {r: imdb[r]["long"]["test_accuracy_at_best"] for r in regimes}
        answer = imdb[regimes[0]]["long"]["answer_epoch"]
        figure = ctx.save_figure(
            curves_figure({r: imdb[r]["history"] for r in regimes}, "IMDB", mark_epoch=answer), "imdb_curves"
        )
        return {
            "imdb": {
                "comparison": {
                    "pairs": _pairs(imdb, regimes, lambda e: e["test_accuracy"]),
                    "pairs_at_best": _pairs(imdb, regimes, lambda e: e["long"]["test_accuracy_at_best"]),
                    "ranking": verdicts.rank(at_answer),
                    "ranking_at_best": verdicts.rank(at_best),
                    "rule": verdicts.RULE,
                    "figures": {"curves": figure},
                }
            }
        }

    return combine


def _combine_baselines(sizes: list[int], full: bool):
    def combine(ctx: CombineContext) -> dict:
        out = {}
        for kind in ("tfidf", "nbsvm"):
            main = ctx.results[f"imdb.baseline.{kind}.main"]
            # top level: the split of the best recipe (22,500 / all 25,000); "subset": the main subset
            out[kind] = {
                **(ctx.results[f"imdb.baseline.{kind}.full"] if full else main),
                "subset": main,
                "curve": [ctx.results[f"imdb.baseline.{kind}.{n}"] for n in sizes],
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
        full = runs[0]["train_size"] + round(runs[0]["train_size"] / 9) >= FULL and runs[0]["test_size"] >= FULL
        return {
            "imdb": {
                "best_rnn": {
                    "description": recipe.description,
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


def _tfidf_verdict(tfidf: dict, neural: dict[str, dict]) -> dict:
    """Where the TF-IDF accuracy (one deterministic fit) lies against the best neural model trained
    on the same reviews: below, inside or above that model's 95 % interval over seeds."""
    if not neural:
        return {"verdict": "no neural model on the same data"}
    name = max(neural, key=lambda k: neural[k]["mean"])
    s, acc = neural[name], tfidf["test_accuracy"]
    if s["n"] < verdicts.MIN_SEEDS:
        verdict = "too few seeds"
    elif s["ci95"][0] > acc:
        verdict = "neural better"
    elif s["ci95"][1] < acc:
        verdict = "tfidf better"
    else:
        verdict = "no difference"
    return {
        "best_neural": name,
        "best_neural_accuracy": s,
        "tfidf_accuracy": acc,
        "verdict": verdict,
        "rule": "the TF-IDF accuracy against the 95 % interval of the best neural model on the same data",
    }


def _combine_best(regimes, variants):
    def combine(ctx: CombineContext) -> dict:
        frag = {}
        explore = {n: ctx.inputs[f"imdb.explore.{n}"]["imdb"]["explore"][n] for n in variants}
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
        same = {r: m["test_accuracy_at_best"] for r, m in main.items()}
        same.update({f"explore.{n}": e["test_accuracy"] for n, e in explore.items()})
        tfidf = ctx.inputs["imdb.baselines"]["imdb"]["tfidf"]["subset"]
        frag["tfidf_vs_neural"] = _tfidf_verdict(tfidf, same)
        candidates = [
            (m["val_accuracy_at_best"]["mean"], r, m["test_accuracy_at_best"]["mean"]) for r, m in main.items()
        ]
        candidates += [
            (e["val_accuracy"]["mean"], f"explore.{n}", e["test_accuracy"]["mean"]) for n, e in explore.items()
        ]
        # chosen on validation accuracy, never on test
        _, name, acc = max(candidates, key=lambda c: (c[0], c[1]))
        data = ctx.inputs["imdb.data"]["imdb"]["data"]
        return {
            "imdb": {
                "explore_best": {
                    "name": name,
                    "test_accuracy": acc,
                    "train_size": data["train_size"],
                    "chosen_by": "validation accuracy (at each run's best epoch)",
                    "full_data": bool(data["train_full"] and data["test_full"]),
                },
                "literature": LITERATURE,
                **frag,
            }
        }

    return combine


# ---------------------------------------------------------------- the experiment list


def experiments(cfg: ImdbConfig) -> list[Experiment]:
    """The study as experiments for the runner, all reading the imdb data."""
    return reading("imdb", _experiments(cfg))


def _experiments(cfg: ImdbConfig) -> list[Experiment]:
    spec = cfg.data_spec()
    lstm = cfg.lstm_settings()
    exps = [
        Experiment(
            "imdb.data",
            [Task("imdb.data", data_task, {"spec": spec}, asdict(spec))],
            _combine_data(cfg),
            description="task 2a: IMDB subset, vocabulary, encoding",
        )
    ]
    needs_glove = any(r in ("frozen", "finetune") for r in cfg.regimes) or cfg.explore
    if needs_glove:
        exps.append(
            Experiment(
                "imdb.glove",
                [
                    Task(
                        "imdb.glove",
                        glove_task,
                        {"spec": spec, "glove": cfg.glove},
                        {**asdict(spec), "glove": cfg.glove},
                    )
                ],
                _combine_glove,
                description="task 2c: what the GloVe vectors hold, coverage of our vocabulary, t-SNE",
            )
        )
    for regime in cfg.regimes:
        exps.append(
            Experiment(
                f"imdb.{regime}",
                _seed_tasks(
                    f"imdb.{regime}", spec, regime, cfg.seeds, cfg.model_kwargs(), lstm, cfg.glove, weights=True
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
            _combine_comparison(tuple(cfg.regimes)),
            needs=tuple(f"imdb.{r}" for r in cfg.regimes),
            description="task 2d: regimes compared",
        )
    )
    if not cfg.explore:
        return exps
    full = cfg.best_rnn_train_size != cfg.train_size or cfg.best_rnn_test_size != cfg.test_size
    sizes = sorted(set(cfg.baseline_sizes))
    base_tasks = [
        Task(
            f"imdb.baseline.{kind}.{n}",
            baseline_task,
            {"spec": cfg.data_spec(n), "kind": kind},
            {**asdict(cfg.data_spec(n)), "kind": kind},
        )
        for kind in ("tfidf", "nbsvm")
        for n in sizes
    ]
    base_tasks += [
        Task(f"imdb.baseline.{kind}.main", baseline_task, {"spec": spec, "kind": kind}, {**asdict(spec), "kind": kind})
        for kind in ("tfidf", "nbsvm")
    ]
    if full:
        base_tasks += [
            Task(
                f"imdb.baseline.{kind}.full",
                baseline_task,
                {"spec": cfg.full_spec(), "kind": kind},
                {**asdict(cfg.full_spec()), "kind": kind},
            )
            for kind in ("tfidf", "nbsvm")
        ]
    exps.append(
        Experiment(
            "imdb.baselines",
            base_tasks,
            _combine_baselines(sizes, full),
            description="task 2e: TF-IDF and NBSVM on the same splits",
        )
    )
    espec = cfg.data_spec(min(cfg.explore_train_size or cfg.train_size, cfg.train_size))
    variants = list(cfg.explore_variants)
    reuse_base = (
        "base" in variants and espec == spec and "finetune" in cfg.regimes and set(cfg.explore_seeds) <= set(cfg.seeds)
    )
    for variant in variants:
        if variant == "base" and reuse_base:
            exps.append(
                Experiment(
                    "imdb.explore.base",
                    [],
                    _combine_base_from_main(cfg, cfg.explore_seeds),
                    needs=("imdb.data", "imdb.finetune"),
                    description="task 2e: the reference",
                )
            )
            continue
        exps.append(
            Experiment(
                f"imdb.explore.{variant}",
                _seed_tasks(
                    f"imdb.explore.{variant}",
                    espec,
                    "finetune",
                    cfg.explore_seeds,
                    cfg.model_kwargs(**VARIANTS[variant][1]),
                    lstm,
                    cfg.glove,
                ),
                _combine_variant(cfg, variant, cfg.explore_seeds),
                description=f"task 2e: {VARIANTS[variant][0]}",
            )
        )
    recipe = cfg.best_rnn
    recipe_model = {**recipe.model, "embedding_dim": cfg.embedding_dim}  # the GloVe file decides the width
    exps.append(
        Experiment(
            "imdb.best_rnn",
            _seed_tasks(
                "imdb.best_rnn",
                cfg.recipe_spec(),
                recipe.regime,
                cfg.best_rnn_seeds,
                recipe_model,
                recipe.train,
                cfg.glove,
                weights=True,
            ),
            _combine_best_rnn(cfg, cfg.best_rnn_seeds),
            description="task 2e: the best recipe on the full training set, all test reviews",
        )
    )
    curve_tasks = [
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
    curve_tasks += [
        t
        for size in cfg.recipe_curve_sizes
        for t in _seed_tasks(
            f"imdb.curve.best_rnn.{size}",
            cfg.recipe_spec(size),
            recipe.regime,
            cfg.curve_seeds,
            recipe_model,
            recipe.train,
            cfg.glove,
        )
    ]
    exps.append(
        Experiment(
            "imdb.explore.learning_curve",
            curve_tasks,
            _combine_learning_curve(cfg, tuple(cfg.regimes)),
            needs=("imdb.data", "imdb.best_rnn", "imdb.baselines") + tuple(f"imdb.{r}" for r in cfg.regimes),
            description="task 2e: test accuracy against training-set size",
        )
    )
    exps.append(
        Experiment(
            "imdb.explore_best",
            [],
            _combine_best(tuple(cfg.regimes), variants),
            needs=("imdb.data", "imdb.baselines")
            + tuple(f"imdb.{r}" for r in cfg.regimes)
            + tuple(f"imdb.explore.{v}" for v in variants),
            description="task 2e: best model on the subset, by validation accuracy",
        )
    )
    return exps
