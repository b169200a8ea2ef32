"""The Fashion-MNIST study as experiments, one per task of the assignment:

    fashion.summary              1a  the SimpleCNN layer table, computed from the model; what its output means
    fashion.simple_cnn           1b-1e  SimpleCNN with the specified settings, one task per seed; evaluation,
                                     per-class accuracy, confusions, learning curves, misclassified images
    fashion.explore.<recipe>     1f  one per explored recipe (config.RECIPES), one task per seed
    fashion.explore_summary      1f  the best recipe by validation accuracy, comparisons, ranking, figure

Data: the 60,000 training images minus a fixed, stratified validation split of `val_size` (the same
for every seed) for learning curves and model choice; the 10,000 test images only for test numbers.
"""

from __future__ import annotations

import numpy as np
import torch

from cnnrnn import verdicts
from cnnrnn.checkpoint import fashion_checkpoint
from cnnrnn.costs import fashion_cfg_cost
from cnnrnn.data.fashion_mnist import CLASSES
from cnnrnn.findings import Finding1c, Finding1d, record
from cnnrnn.models.cnn import SimpleCNN
from cnnrnn.models.summary import count_params, layer_table
from cnnrnn.runner import CombineContext, Experiment, Task, TaskEnv, TaskOutput, reading
from cnnrnn.studies.fashion import analysis, figures
from cnnrnn.studies.fashion.config import EXPLORE_EPOCHS, RECIPES, FashionConfig, FashionTaskSettings, Recipe
from cnnrnn.studies.fashion.training import data_info, get_data, test_set, train_once
from cnnrnn.utils.figures import curves_figure, figure_bytes
from cnnrnn.utils.keys import task_key
from cnnrnn.utils.progress import log
from cnnrnn.utils.stats import summarize

OUTPUT_MEANING = (
    "log class probabilities (LogSoftmax): exp(output) is the posterior over the 10 classes and sums "
    "to 1; argmax(output) is the predicted class; NLLLoss of it is the cross-entropy"
)


# ---------------------------------------------------------------- task functions (run anywhere)


def summary_task(env: TaskEnv | None = None) -> TaskOutput:
    """1a: the layer table from forward hooks, and a check that exp(output) sums to 1."""
    model = SimpleCNN()
    with torch.no_grad():
        x = torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0))  # seeded: same number every run
        err = float((model(x).exp().sum(dim=1) - 1).abs().max())
    return TaskOutput(
        {
            "layers": layer_table(model, (1, 28, 28)),
            "total_params": count_params(model),
            "output": {"meaning": OUTPUT_MEANING, "exp_sum_max_abs_error": err},
        }
    )


def train_task(
    env: TaskEnv,
    *,
    settings: FashionTaskSettings,
    recipe: Recipe,
    name: str,
    seed: int,
    epochs: int,
    batch_size: int,
    lr: float,
    weights: str | None,
    misclassified: str | None,
) -> TaskOutput:
    """Train `recipe` (registered as `name`) with one seed. Returns the numbers, the 10x10 confusion matrix
    and, if asked, the weights and a figure of misclassified test images as files."""
    data = get_data(env.data_root, env.device, settings.verify)
    r = train_once(
        recipe,
        data,
        settings,
        seed,
        torch.device(env.device),
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        desc=f"{name} s{seed}",
    )
    log(f"{name}: seed {seed}: test accuracy {r['test_accuracy']:.4f} ({r['train_seconds']:.1f} s)")
    preds, targets = r["outputs"].argmax(1), r["targets"]
    cm = analysis.confusion_matrix(preds, targets)
    result = {
        "seed": seed,
        "history": r["history"],
        "test_accuracy": r["test_accuracy"],
        "test_loss": r["test_loss"],
        "train_seconds": r["train_seconds"],
        "val_accuracy": r["history"][-1]["val_accuracy"],
        "params": count_params(r["model"]),
        "confusion_matrix": cm,
        "data": data_info(data, settings),
    }
    files = {}
    if weights:
        files.update(
            fashion_checkpoint(
                weights,
                r["model"],
                recipe=name,
                test_accuracy=r["test_accuracy"],
                test_size=result["data"]["test"],
                seed=seed,
                epochs=epochs,
                train_size=result["data"]["train"],
            )
        )
    if misclassified:
        wrong = (preds != targets).nonzero().flatten()
        shown = wrong[: settings.misclassified]
        tx, _ = test_set(data, settings)
        probs = r["outputs"].exp()
        fig = figures.misclassified(
            tx[shown.to(tx.device)].cpu(),
            targets[shown].tolist(),
            preds[shown].tolist(),
            probs[shown, preds[shown]].tolist(),
        )
        for ext, data_bytes in figure_bytes(fig).items():
            files[f"{misclassified}.{ext}"] = data_bytes
        result["misclassified"] = {"shown": len(shown), "total_errors": len(wrong)}
    return TaskOutput(result, files)


# ---------------------------------------------------------------- combines (run on the driver)


def _summaries(runs: list[dict]) -> dict:
    return {k: summarize([r[k] for r in runs]) for k in ("test_accuracy", "test_loss", "train_seconds", "val_accuracy")}


def _combine_summary(ctx: CombineContext) -> dict:
    (result,) = ctx.results.values()
    return {"fashion": {"classes": CLASSES, "summary": result}, "findings": {"1a": record(analysis.finding_1a(result))}}


def _combine_simple_cnn(cfg: FashionConfig, seeds: list[int]):
    def combine(ctx: CombineContext) -> dict:
        runs = [ctx.results[f"fashion.simple_cnn.seed{s}"] for s in seeds]
        entry = _simple_cnn_entry(ctx, cfg, seeds, runs)
        data = runs[0]["data"]
        findings = {
            "1b": analysis.finding_1b(data, cfg.train_limit),
            "1c": Finding1c(entry["test_accuracy"], entry["test_loss"]),
            "1d": Finding1d(cfg.epochs, len(seeds), list(runs[0]["history"][0])),
            "1e": analysis.finding_1e(entry, data["test"]),
        }
        return {
            "fashion": {"classes": CLASSES, "data": data, "simple_cnn": entry},
            "findings": {k: record(v) for k, v in findings.items()},
        }

    return combine


def _simple_cnn_entry(ctx: CombineContext, cfg: FashionConfig, seeds: list[int], runs: list[dict]) -> dict:
    """results.json fashion.simple_cnn: the seeds' numbers, per-class results, confusions, figures."""
    cms = np.array([r["confusion_matrix"] for r in runs])
    per_class = np.array([np.diag(cm) / np.maximum(cm.sum(1), 1) for cm in cms])
    per_class_mean = per_class.mean(0)
    per_class_std = per_class.std(0, ddof=1) if len(seeds) > 1 else np.zeros(len(CLASSES))
    cm = cms.sum(0)
    histories = {str(s): r["history"] for s, r in zip(seeds, runs)}
    ctx.write_history("fashion.simple_cnn", histories)
    figs = {
        "learning_curves": ctx.save_figure(
            curves_figure({"SimpleCNN": histories}, "SimpleCNN"), "fashion_learning_curves"
        ),
        "confusion_matrix": ctx.save_figure(figures.confusion(cm), "fashion_confusion"),
        "per_class": ctx.save_figure(figures.per_class(per_class_mean, per_class_std), "fashion_per_class"),
        "misclassified": "figures/fashion_misclassified",
    }
    return {
        "params": runs[0]["params"],
        "config": {
            "epochs": cfg.epochs,
            "batch_size": cfg.batch_size,
            "lr": cfg.lr,
            "seeds": seeds,
            "val_size": cfg.val_size,
            "train_limit": cfg.train_limit,
            "optimizer": "Adam",
            "loss": "NLLLoss",
            "as_specified": _as_specified(cfg),
        },
        **_summaries(runs),
        "per_class_accuracy": per_class_mean,
        "per_class_accuracy_std": per_class_std,
        "per_class_verdicts": analysis.class_verdicts(per_class_mean),
        "confusion_matrix": cm,
        "confusion_seeds": len(seeds),
        "top_confusions": analysis.top_confusions(cm),
        "error_groups": analysis.error_groups(cm),
        "curves": verdicts.curve_facts(list(histories.values())),
        "history": histories,
        "misclassified": runs[0]["misclassified"],
        "weights": "weights/fashion_simple_cnn.safetensors",
        "figures": figs,
    }


def _as_specified(cfg: FashionConfig) -> bool:
    from cnnrnn.studies.fashion.config import SPECIFIED

    return (cfg.epochs, cfg.batch_size, cfg.lr) == (SPECIFIED["epochs"], SPECIFIED["batch_size"], SPECIFIED["lr"])


def _combine_explore(name: str, seeds: list[int], epochs: int, batch_size: int, lr: float):
    def combine(ctx: CombineContext) -> dict:
        recipe = RECIPES[name]
        runs = [ctx.results[f"fashion.explore.{name}.seed{s}"] for s in seeds]
        histories = {str(s): r["history"] for s, r in zip(seeds, runs)}
        ctx.write_history(f"fashion.explore.{name}", histories)
        cms = np.array([r["confusion_matrix"] for r in runs])
        per_class = np.array([np.diag(cm) / np.maximum(cm.sum(1), 1) for cm in cms]).mean(0)
        cm = cms.sum(0)
        return {
            "fashion": {
                "explore": {
                    name: {
                        "description": recipe.description,
                        "params": runs[0]["params"],
                        "epochs": epochs,
                        "batch_size": batch_size,
                        "lr": lr,
                        "schedule": recipe.schedule,
                        "augment": recipe.augment,
                        "label_smoothing": recipe.label_smoothing,
                        "test_flip": recipe.test_flip,
                        "seeds": seeds,
                        **_summaries(runs),
                        "per_class_accuracy": per_class,
                        "confusion_matrix": cm,
                        "top_confusions": analysis.top_confusions(cm),
                        "misclassified": runs[0]["misclassified"],
                        "curves": verdicts.curve_facts(list(histories.values())),
                        "history": histories,
                        "weights": f"weights/fashion_{name}.safetensors",
                        "figures": {"misclassified": f"figures/fashion_misclassified_{name}"},
                    }
                }
            }
        }

    return combine


def _combine_explore_summary(names: list[str]):
    def combine(ctx: CombineContext) -> dict:
        explored = {n: ctx.inputs[f"fashion.explore.{n}"]["fashion"]["explore"][n] for n in names}
        sc = ctx.inputs.get("fashion.simple_cnn", {}).get("fashion", {}).get("simple_cnn")
        # the best model is chosen on validation accuracy, never on test
        best = max(names, key=lambda n: (explored[n]["val_accuracy"]["mean"], n))
        by_val = sorted(names, key=lambda n: explored[n]["val_accuracy"]["mean"], reverse=True)
        runner_up = next((n for n in by_val if n != best), None)
        acc = {n: explored[n]["test_accuracy"] for n in names}
        comparisons = {}
        if sc:
            comparisons["best_vs_simple_cnn"] = verdicts.compare(
                acc[best]["per_seed"], sc["test_accuracy"]["per_seed"], paired=False, name_a=best, name_b="simple_cnn"
            )
        if runner_up:
            comparisons["best_vs_runner_up"] = verdicts.compare(
                acc[best]["per_seed"], acc[runner_up]["per_seed"], paired=False, name_a=best, name_b=runner_up
            )
        points = {n: (explored[n]["train_seconds"], acc[n]) for n in names}
        if sc:
            points["simple_cnn"] = (sc["train_seconds"], sc["test_accuracy"])
        frontier = analysis.frontier({n: (t["mean"], a["mean"]) for n, (t, a) in points.items()})
        figs = {"frontier": ctx.save_figure(figures.frontier(points, frontier), "fashion_frontier")}
        best_entry = {"name": best, "chosen_by": "validation accuracy", "runner_up": runner_up}
        if sc:
            pc_best = np.asarray(explored[best]["per_class_accuracy"])
            pc_sc = np.asarray(sc["per_class_accuracy"])
            figs["per_class"] = ctx.save_figure(
                figures.per_class(pc_sc, None, {best: pc_best}), "fashion_per_class_best"
            )
            best_entry["per_class_gain"] = analysis.class_gains(pc_sc, pc_best)
        beaten = [n for n in points if n not in frontier]  # slower and less accurate than a frontier point
        fashion = {
            "explore_best": best,
            "best": best_entry,
            "frontier": frontier,
            "frontier_beaten": beaten,
            "explore_comparisons": comparisons,
            "explore_ranking": verdicts.rank(acc),
            "explore_figures": figs,
        }
        found = analysis.finding_1f(
            explored, best, runner_up, comparisons, {**best_entry, **fashion, "ranking": fashion["explore_ranking"]}
        )
        return {"fashion": fashion, "findings": {"1f": record(found)}}

    return combine


# ---------------------------------------------------------------- the experiment list


def _train_tasks(
    cfg: FashionConfig,
    name: str,
    prefix: str,
    seeds: list[int],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    weights: str,
    misclassified: str | None = None,
) -> list[Task]:
    tasks = []
    for i, seed in enumerate(seeds):
        first = i == 0
        kwargs = dict(
            settings=cfg.task_settings(),
            recipe=RECIPES[name],
            name=name,
            seed=seed,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            weights=weights if first else None,
            misclassified=misclassified if first else None,
        )
        tasks.append(
            Task(f"{prefix}.seed{seed}", train_task, kwargs, task_key(kwargs), cost=fashion_cfg_cost(cfg, name, epochs))
        )
    return tasks


def experiments(cfg: FashionConfig) -> list[Experiment]:
    """The study as experiments for the runner, all reading the fashion-mnist data."""
    return reading("fashion-mnist", _experiments(cfg))


def _experiments(cfg: FashionConfig) -> list[Experiment]:
    exps = [
        Experiment(
            "fashion.summary",
            [Task("fashion.summary", summary_task, {}, task_key({}))],
            _combine_summary,
            description="task 1a: layer table",
        )
    ]
    if cfg.include_simple_cnn:
        exps.append(
            Experiment(
                "fashion.simple_cnn",
                _train_tasks(
                    cfg,
                    "simple_cnn",
                    "fashion.simple_cnn",
                    cfg.seeds,
                    epochs=cfg.epochs,
                    batch_size=cfg.batch_size,
                    lr=cfg.lr,
                    weights="weights/fashion_simple_cnn.safetensors",
                    misclassified="figures/fashion_misclassified",
                ),
                _combine_simple_cnn(cfg, cfg.seeds),
                description=f"task 1e: SimpleCNN, {len(cfg.seeds)} seed(s) x {cfg.epochs} epochs",
            )
        )
    names = list(cfg.explore_models)
    for name in names:
        epochs = cfg.explore_epochs.get(name, EXPLORE_EPOCHS)
        lr = cfg.explore_lr or RECIPES[name].lr
        exps.append(
            Experiment(
                f"fashion.explore.{name}",
                _train_tasks(
                    cfg,
                    name,
                    f"fashion.explore.{name}",
                    cfg.explore_seeds,
                    epochs=epochs,
                    batch_size=cfg.explore_batch_size,
                    lr=lr,
                    weights=f"weights/fashion_{name}.safetensors",
                    misclassified=f"figures/fashion_misclassified_{name}",
                ),
                _combine_explore(name, cfg.explore_seeds, epochs, cfg.explore_batch_size, lr),
                description=f"task 1f: {RECIPES[name].description}",
            )
        )
    if names:
        needs = tuple(f"fashion.explore.{n}" for n in names) + (
            ("fashion.simple_cnn",) if cfg.include_simple_cnn else ()
        )
        exps.append(
            Experiment(
                "fashion.explore_summary",
                [],
                _combine_explore_summary(names),
                needs=needs,
                description="task 1f: best recipe by validation accuracy",
            )
        )
    return exps
