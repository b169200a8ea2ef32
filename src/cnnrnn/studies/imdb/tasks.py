"""The IMDB study as experiments, one per task of the assignment:

    imdb.data                      2a  the subset, vocabulary and encoding; the model's settings
    imdb.glove                     2c  what the GloVe vectors hold, coverage of our vocabulary, t-SNE map
    imdb.<regime>                  2b/2d  scratch | frozen | finetune, one task per seed; convergence verdict
    imdb.comparison                2d  the regimes compared seed by seed (paired), learning-curve figure
    imdb.explore.tfidf             2e  TF-IDF + logistic regression on the same splits
    imdb.explore.<variant>         2e  one change to SimpleLSTM at a time (config.VARIANTS)
    imdb.explore.learning_curve    2e  test accuracy against training-set size
    imdb.explore_best              2e  the best model by validation accuracy

Test accuracy always comes from the official test split: a stratified sample of 5,000 reviews in
the default preset (time), all 25,000 in `full` (results.json says which: imdb.data.test_full).
"""

from __future__ import annotations

from dataclasses import asdict

import torch

from cnnrnn import verdicts
from cnnrnn.data import glove as glove_mod
from cnnrnn.data.imdb_tensors import DataSpec, prepare
from cnnrnn.runner import CombineContext, Experiment, Task, TaskEnv, TaskOutput
from cnnrnn.studies.imdb import analysis, baselines, figures
from cnnrnn.studies.imdb.config import LITERATURE, REGIMES, VARIANTS, ImdbConfig
from cnnrnn.studies.imdb.glove import describe, tsne_figure
from cnnrnn.studies.imdb.training import load_glove_cached, train_run
from cnnrnn.train import weights_bytes
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


def train_task(env: TaskEnv, *, cfg: ImdbConfig, spec: DataSpec, regime: str, seed: int, epochs: int,
               changes: dict, name: str, weights: str | None) -> TaskOutput:
    data = prepare(spec, env.data_root, env.device)
    run = train_run(cfg, data, regime, seed, torch.device(env.device), epochs=epochs, desc=f"{name} s{seed}",
                    **changes)
    log(f"{name}: seed {seed}: test accuracy {run['test_accuracy']:.4f} ({run['train_seconds']:.1f} s training, "
        f"{run['eval_seconds']:.1f} s test)")
    model = run.pop("model")
    result = {"seed": seed, "train_size": data.info["train_size"], **run}
    return TaskOutput(result, {weights: weights_bytes(model)} if weights else {})


def tfidf_task(env: TaskEnv, *, spec: DataSpec) -> TaskOutput:
    data = prepare(spec, env.data_root, "cpu")
    acc = baselines.tfidf_accuracy(data.texts["train"], data.labels["train"], data.texts["test"], data.labels["test"])
    log(f"TF-IDF: test accuracy {acc:.4f} on {len(data.texts['train'])} training reviews")
    return TaskOutput({"test_accuracy": acc, "train_size": len(data.texts["train"])})


# ---------------------------------------------------------------- helpers for the experiment list

def _train_key(cfg: ImdbConfig, spec: DataSpec, regime: str, seed: int, epochs: int, changes: dict) -> dict:
    return {**asdict(spec), **cfg.training_key(), "model": cfg.model_kwargs(**changes), "regime": regime,
            "seed": seed, "epochs": epochs}


def _seed_tasks(cfg: ImdbConfig, spec: DataSpec, regime: str, seeds: list[int], name: str, *, epochs: int,
                changes: dict | None = None, weights: bool = False) -> list[Task]:
    changes = changes or {}
    tasks = []
    for i, seed in enumerate(seeds):
        w = f"weights/{name}.seed{seed}.safetensors" if weights and i == 0 else None
        kwargs = dict(cfg=cfg, spec=spec, regime=regime, seed=seed, epochs=epochs, changes=changes, name=name,
                      weights=w)
        tasks.append(Task(f"{name}.seed{seed}", train_task, kwargs,
                          {**_train_key(cfg, spec, regime, seed, epochs, changes), "weights": w}))
    return tasks


def _seed_summary(runs: list[dict]) -> dict:
    return {"test_accuracy": summarize([r["test_accuracy"] for r in runs]),
            "test_loss": summarize([r["test_loss"] for r in runs]),
            "train_seconds": summarize([r["train_seconds"] for r in runs]),
            "eval_seconds": summarize([r["eval_seconds"] for r in runs]),
            "val_accuracy": summarize([r["history"][-1]["val_accuracy"] for r in runs]),
            "params": runs[0]["params"], "trainable_params": runs[0]["trainable_params"],
            "history": {str(r["seed"]): r["history"] for r in runs},
            "embedding_change": summarize([r["embedding_change"] for r in runs])}


def _runs(ctx: CombineContext, name: str, seeds: list[int]) -> list[dict]:
    return [ctx.results[f"{name}.seed{s}"] for s in seeds]


# ---------------------------------------------------------------- combines (run on the driver)

def _combine_data(cfg: ImdbConfig):
    def combine(ctx: CombineContext) -> dict:
        (info,) = ctx.results.values()
        config = {k: getattr(cfg, k) for k in ("embedding_dim", "hidden_dim", "num_layers", "lstm_dropout_prob",
                                                 "dropout_prob", "batch_size", "max_seq_len", "lr", "epochs",
                                                 "seeds", "model", "eval_batch_size", "grad_clip")}
        config.update(optimizer="Adam", loss="BCELoss on sigmoid output", readout="last layer's hidden state "
                      "at the true last token", batching="length-bucketed (chunks of 50 batches)")
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
        result["weights"] = f"weights/imdb.{regime}.seed{seeds[0]}.safetensors"
        result["convergence"] = analysis.convergence(list(result["history"].values()))
        result["curves"] = verdicts.curve_facts(list(result["history"].values()))
        return {"imdb": {regime: result}}
    return combine


def _combine_comparison(regimes: tuple[str, ...]):
    def combine(ctx: CombineContext) -> dict:
        imdb = {r: ctx.inputs[f"imdb.{r}"]["imdb"][r] for r in regimes}
        pairs = []
        for i, a in enumerate(regimes):
            for b in regimes[i + 1:]:
                # the same seeds give the same batch order and initial LSTM weights: a paired design
                c = verdicts.compare(imdb[b]["test_accuracy"]["per_seed"], imdb[a]["test_accuracy"]["per_seed"],
                                     paired=True, name_a=b, name_b=a)
                pairs.append(c)
        figure = ctx.save_figure(curves_figure({r: imdb[r]["history"] for r in regimes}, "IMDB"), "imdb_curves")
        return {"imdb": {"comparison": {"pairs": pairs, "rule": verdicts.RULE, "figures": {"curves": figure}}}}
    return combine


def _combine_variant(cfg: ImdbConfig, variant: str, seeds: list[int], epochs: int):
    description, changes = VARIANTS[variant]

    def combine(ctx: CombineContext) -> dict:
        runs = _runs(ctx, f"imdb.explore.{variant}", seeds)
        s = _seed_summary(runs)
        entry = {"description": description, "test_accuracy": s["test_accuracy"], "val_accuracy": s["val_accuracy"],
                 "params": s["params"], "train_seconds": s["train_seconds"], "history": s["history"],
                 "settings": {"regime": "finetune", "train_size": runs[0]["train_size"], "epochs": epochs,
                              "seeds": seeds, **cfg.model_kwargs(**changes)}}
        return {"imdb": {"explore": {variant: entry}}}
    return combine


def _combine_tfidf(ctx: CombineContext) -> dict:
    (r,) = ctx.results.values()
    return {"imdb": {"explore": {"tfidf": {**r, "settings": baselines.TFIDF_SETTINGS}}}}


def _combine_learning_curve(cfg: ImdbConfig, sizes_specs: list[tuple[int, DataSpec]], main_regimes):
    def combine(ctx: CombineContext) -> dict:
        points = {}  # train size (training part) -> {regime: summary}
        for size, _ in sizes_specs:
            for regime in REGIMES:
                runs = _runs(ctx, f"imdb.curve.{regime}.{size}", cfg.curve_seeds)
                points.setdefault(runs[0]["train_size"], {})[regime] = summarize([r["test_accuracy"] for r in runs])
        main_n = None
        for regime in main_regimes:  # the main runs are the curve's point at the main size
            frag = ctx.inputs[f"imdb.{regime}"]["imdb"][regime]
            main_n = ctx.inputs["imdb.data"]["imdb"]["data"]["train_size"]
            points.setdefault(main_n, {})[regime] = frag["test_accuracy"]
        sizes = sorted(points)
        tf = sorted((ctx.results[f"imdb.curve.tfidf.{s}"]["train_size"], ctx.results[f"imdb.curve.tfidf.{s}"]
                     ["test_accuracy"]) for s in sorted(set(cfg.tfidf_sizes)))
        tfidf_sizes, tfidf = [n for n, _ in tf], [a for _, a in tf]
        regimes = {r: [points[s].get(r) for s in sizes] for r in REGIMES}
        refs = {"Maas et al. 2011": LITERATURE["maas2011"]["accuracy"]}
        figure = ctx.save_figure(figures.learning_curve(sizes, regimes, tfidf_sizes, tfidf, refs), "imdb_learning_curve")
        return {"imdb": {"explore": {"learning_curve": {
            "sizes": sizes, "regimes": regimes, "tfidf": [tfidf[tfidf_sizes.index(s)] if s in tfidf_sizes else None
                                                          for s in sizes],
            "tfidf_sizes": tfidf_sizes, "tfidf_all": tfidf, "seeds": cfg.curve_seeds,
            "note": "sizes = reviews in the training part (10% of each subset is validation); the point at "
                    f"{main_n} comes from the main runs ({len(cfg.seeds)} seeds)", "figures": {"curve": figure}}}}}
    return combine


def _tfidf_verdict(tfidf: dict, neural: dict[str, dict]) -> dict:
    """Where the TF-IDF accuracy (one deterministic fit) lies against the best neural model trained
    on the same reviews: below, inside or above that model's 95 % interval over seeds."""
    if not neural:
        return {"verdict": "no neural model on the same data"}
    name = max(neural, key=lambda k: neural[k]["mean"])
    s, acc = neural[name], tfidf["test_accuracy"]
    if s["n"] < 2:
        verdict = "one seed"
    elif s["ci95"][0] > acc:
        verdict = "neural better"
    elif s["ci95"][1] < acc:
        verdict = "tfidf better"
    else:
        verdict = "no difference"
    return {"best_neural": name, "best_neural_accuracy": s, "tfidf_accuracy": acc, "verdict": verdict,
            "rule": "the TF-IDF accuracy against the 95 % interval of the best neural model on the same data"}


def _combine_best(regimes, variants, with_tfidf: bool):
    def combine(ctx: CombineContext) -> dict:
        candidates = []
        data = ctx.inputs["imdb.data"]["imdb"]["data"]
        frag = {}
        explore = {n: ctx.inputs[f"imdb.explore.{n}"]["imdb"]["explore"][n] for n in variants}
        if "base" in explore:
            # each variant against the unchanged base, seed by seed (same seeds = same batch order)
            frag["explore_comparisons"] = {
                n: verdicts.compare(e["test_accuracy"]["per_seed"], explore["base"]["test_accuracy"]["per_seed"],
                                    paired=True, name_a=n, name_b="base")
                for n, e in explore.items() if n != "base"}
        if with_tfidf:
            tfidf = ctx.inputs["imdb.explore.tfidf"]["imdb"]["explore"]["tfidf"]
            same = {r: ctx.inputs[f"imdb.{r}"]["imdb"][r]["test_accuracy"] for r in regimes
                    if data["train_size"] == tfidf["train_size"]}
            same.update({f"explore.{n}": e["test_accuracy"] for n, e in explore.items()
                         if e["settings"]["train_size"] == tfidf["train_size"]})
            frag["tfidf_vs_neural"] = _tfidf_verdict(tfidf, same)
        for regime in regimes:
            e = ctx.inputs[f"imdb.{regime}"]["imdb"][regime]
            candidates.append((e["val_accuracy"]["mean"], e["test_accuracy"]["mean"], regime, data["train_size"]))
        for name in variants:
            e = ctx.inputs[f"imdb.explore.{name}"]["imdb"]["explore"][name]
            candidates.append((e["val_accuracy"]["mean"], e["test_accuracy"]["mean"], f"explore.{name}",
                               e["settings"]["train_size"]))
        if not candidates:
            return {}
        # chosen on validation accuracy, never on test
        _, acc, name, size = max(candidates, key=lambda c: (c[0], c[2]))
        maas = LITERATURE["maas2011"]["accuracy"]
        return {"imdb": {"explore_best": {"name": name, "test_accuracy": acc, "train_size": size,
                                          "chosen_by": "validation accuracy", "full_data": bool(
                                              data["train_full"] and data["test_full"] and size == data["train_size"]),
                                          "beats_maas_2011": acc > maas, "maas_2011": maas},
                         "literature": LITERATURE, **frag}}
    return combine


# ---------------------------------------------------------------- the experiment list

def experiments(cfg: ImdbConfig) -> list[Experiment]:
    spec = cfg.data_spec()
    exps = [Experiment("imdb.data", [Task("imdb.data", data_task, {"spec": spec}, asdict(spec))], _combine_data(cfg),
                       description="IMDB subset, vocabulary, encoding")]
    needs_glove = any(r in ("frozen", "finetune") for r in cfg.regimes) or cfg.explore
    if needs_glove:
        exps.append(Experiment("imdb.glove", [Task("imdb.glove", glove_task, {"spec": spec, "glove": cfg.glove},
                                                   {**asdict(spec), "glove": cfg.glove})], _combine_glove,
                               description="task 2c: what the GloVe vectors hold, coverage of our vocabulary, t-SNE"))
    for regime in cfg.regimes:
        exps.append(Experiment(f"imdb.{regime}", _seed_tasks(cfg, spec, regime, cfg.seeds, f"imdb.{regime}",
                                                             epochs=cfg.epochs, weights=True),
                               _combine_regime(regime, cfg.seeds),
                               description=f"task 2b/2d: {regime} embeddings, {len(cfg.seeds)} seeds x {cfg.epochs} "
                                           "epochs"))
    exps.append(Experiment("imdb.comparison", [], _combine_comparison(tuple(cfg.regimes)),
                           needs=tuple(f"imdb.{r}" for r in cfg.regimes), description="regimes compared"))
    variants = list(cfg.explore_variants) if cfg.explore else []
    if cfg.explore:
        exps.append(Experiment("imdb.explore.tfidf", [Task("imdb.explore.tfidf", tfidf_task, {"spec": spec},
                                                           {**asdict(spec), "model": "tfidf"})], _combine_tfidf,
                               description="task 2e: TF-IDF + logistic regression on the same splits"))
        espec = cfg.data_spec(min(cfg.explore_train_size, cfg.train_size))
        for variant in variants:
            exps.append(Experiment(
                f"imdb.explore.{variant}",
                _seed_tasks(cfg, espec, "finetune", cfg.explore_seeds, f"imdb.explore.{variant}",
                            epochs=cfg.explore_epochs, changes=VARIANTS[variant][1]),
                _combine_variant(cfg, variant, cfg.explore_seeds, cfg.explore_epochs),
                description=f"task 2e: {VARIANTS[variant][0]}"))
        sizes_specs = [(size, cfg.data_spec(size)) for size in cfg.curve_sizes]
        curve_tasks = [t for size, s in sizes_specs for regime in REGIMES
                       for t in _seed_tasks(cfg, s, regime, cfg.curve_seeds, f"imdb.curve.{regime}.{size}",
                                            epochs=cfg.epochs)]
        curve_tasks += [Task(f"imdb.curve.tfidf.{size}", tfidf_task, {"spec": cfg.data_spec(size)},
                             {**asdict(cfg.data_spec(size)), "model": "tfidf"}) for size in sorted(set(cfg.tfidf_sizes))]
        exps.append(Experiment("imdb.explore.learning_curve", curve_tasks,
                               _combine_learning_curve(cfg, sizes_specs, tuple(cfg.regimes)),
                               needs=("imdb.data",) + tuple(f"imdb.{r}" for r in cfg.regimes),
                               description="task 2e: test accuracy against training-set size"))
    exps.append(Experiment("imdb.explore_best", [], _combine_best(tuple(cfg.regimes), variants, cfg.explore),
                           needs=("imdb.data",) + tuple(f"imdb.{r}" for r in cfg.regimes)
                           + tuple(f"imdb.explore.{v}" for v in variants)
                           + (("imdb.explore.tfidf",) if cfg.explore else ()),
                           description="best model by validation accuracy"))
    return exps
