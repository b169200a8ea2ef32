"""Part 1 of the report (tasks 1a-1f), phrased from results.json `fashion`."""

from __future__ import annotations

from cnnrnn.report.common import _acc_cell, _cap, _ci_cell, _seeds_phrase, code, phrase_comparison
from cnnrnn.report.format import ci, dec, duration, esc, join_words, num, pct, pm, points, sci, shape
from cnnrnn.report.results import Results

# ----------------------------------------------------------------------------- fashion


def fashion(res: Results, figures: dict) -> dict:
    f = res.sub("fashion")
    classes = f.req("classes", list)
    if len(classes) != 10:
        raise f.error("classes", "expected 10 names in")
    return {
        "summary": _fashion_summary(f),
        "pipeline": _fashion_pipeline(f),
        "e": _fashion_1e(f, classes, figures),
        "f": _fashion_1f(f, figures),
    }


def _fashion_summary(f: Results) -> dict:
    layers = f.req("summary.layers", list)
    total = int(f.num("summary.total_params"))
    rows = []
    for i, layer in enumerate(layers):
        for k in ("name", "type", "input_shape", "output_shape", "params"):
            if k not in layer:
                raise f.error(f"summary.layers[{i}].{k}")
        rows.append(
            [
                str(layer["name"]),
                str(layer["type"]),
                shape(layer["input_shape"]),
                shape(layer["output_shape"]),
                num(layer["params"]) if layer["params"] else "–",
            ]
        )
    biggest = max(layers, key=lambda lay: lay["params"])
    share = biggest["params"] / total if total else 0.0
    last = str(layers[-1]["type"]) if layers else ""
    text = (
        f"@tab-summary lists every component of SimpleCNN with its input and output shape (without the "
        f"batch dimension) and its number of parameters, {num(total)} in total. The largest component is "
        f"{esc(biggest['name'])} ({esc(biggest['type'])}) with {num(biggest['params'])} parameters, "
        f"{pct(share, 0)} of the model: the fully connected layer after flattening, not the convolutions, "
        f"dominates the parameter count"
        if "linear" in str(biggest["type"]).lower()
        else f"@tab-summary lists every component of SimpleCNN with its input and output shape (without the "
        f"batch dimension) and its number of parameters, {num(total)} in total. The largest component is "
        f"{esc(biggest['name'])} ({esc(biggest['type'])}) with {num(biggest['params'])} parameters, "
        f"{pct(share, 0)} of the model"
    )
    text += "."
    err = f.opt("summary.output.exp_sum_max_abs_error")
    if "logsoftmax" in last.lower().replace("_", ""):
        out = (
            "The last component is a LogSoftmax, so for an image $x$ the ten outputs are log-probabilities "
            "$log p(y = k | x)$: all are at most 0, and larger means more likely. Exponentiating gives the "
            "model's posterior distribution over the ten classes"
        )
        out += f" (on a batch of inputs the ten probabilities sum to 1 up to {sci(err)})" if err is not None else ""
        out += (
            ". The predicted class is the argmax of the output, which is the same for log-probabilities "
            "and probabilities; the negative log-probability of the true class is exactly the NLLLoss "
            "used for training."
        )
    else:
        out = (
            f"The last component is {esc(last)}, so the outputs are unnormalised scores; a softmax turns them "
            "into a posterior distribution over the ten classes and the argmax is the prediction."
        )
    return {"rows": rows, "total": num(total), "text": text, "output": out}


def _fashion_pipeline(f: Results) -> dict:
    train, val, test = (int(f.num(f"data.{k}")) for k in ("train", "val", "test"))
    n_files = len(f.opt("data.files", {}) or {})
    limit = f.opt("simple_cnn.config.train_limit")
    b = (
        "The IDX files of Fashion-MNIST @xiao2017 are read once"
        + (
            f" (the SHA-256 checksum{'s' if n_files > 1 else ''} of the {num(n_files)} "
            f"file{'s are' if n_files > 1 else ' is'} recorded in results.json)"
            if n_files
            else ""
        )
        + f" into tensors that stay resident on the training device, so no per-sample Python runs during "
        f"training. From the 60,000 training images, {num(val)} are held out as a validation set with a fixed "
        f"seed and {num(train)} are used for training"
        + (f" (this preset cuts the training set to {num(limit)} images)" if limit and train + val < 60000 else "")
        + (
            f"; the {num(test)} test images are"
            if test >= 10000
            else f"; {num(test)} of the 10,000 test images (a subset) are"
        )
        + " used only for the final numbers. Each epoch draws a new random order of the training tensors "
        "from a seeded generator and cuts it into mini-batches."
    )
    c = (
        "The test function (`evaluate`) switches the model to evaluation mode, runs it without gradients over "
        "the test tensors in batches, and returns the mean loss and the accuracy, with the predicted class "
        "taken as the argmax of the output. It is also called on the validation set after every epoch."
    )
    d = (
        "The training function (`train_one_epoch`) does one pass over the shuffled batches: forward pass, loss, "
        "backward pass and optimiser step; `fit` repeats it for the given number of epochs and records one "
        "row per epoch (training and validation loss and accuracy, seconds, learning rate), which gives the "
        "learning curves below. Running sums stay on the device and are read once per epoch."
    )
    return {"b": b, "c": c, "d": d}


def _fashion_1e(f: Results, classes: list[str], figures: dict) -> dict:
    s = f.sub("simple_cnn")
    cfg = s.req("config", dict)
    for k in ("epochs", "batch_size", "lr", "seeds"):
        s.req(f"config.{k}")
    acc = s.summary("test_accuracy")
    loss = s.summary("test_loss")
    secs = s.summary("train_seconds")
    per_class = s.req("per_class_accuracy", list)
    per_std = s.opt("per_class_accuracy_std") or [None] * len(per_class)
    cm = s.req("confusion_matrix", list)
    if len(per_class) != 10 or len(cm) != 10 or any(len(r) != 10 for r in cm):
        raise s.error("per_class_accuracy/confusion_matrix", "expected 10 classes in")
    n_cm = int(s.opt("confusion_seeds", 1))
    top = s.req("top_confusions", list)
    for key, stem in (
        ("fashion_curves", "learning_curves"),
        ("fashion_per_class", "per_class"),
        ("fashion_confusion", "confusion_matrix"),
        ("fashion_misclassified", "misclassified"),
    ):
        figures[key] = s.req(f"figures.{stem}", str)
    n = acc["n"]

    as_specified = bool(s.req("config.as_specified"))
    config = (
        "SimpleCNN was trained "
        + (
            "as specified"
            if as_specified
            else "with this preset's shortened "
            "settings (the assignment specifies 5 epochs, batches of 100 and learning rate 0.001)"
        )
        + f": {esc(cfg.get('loss', 'NLLLoss'))} on the log-probabilities, the "
        f"{esc(cfg.get('optimizer', 'Adam'))} optimiser @kingma2015 with learning rate {cfg['lr']:g}, "
        f"mini-batches of {num(cfg['batch_size'])} and {num(cfg['epochs'])} epochs, "
        + (
            f"with one seed ({esc(cfg['seeds'][0] if cfg['seeds'] else 0)})"
            if n == 1
            else f"once for each of {n} seeds ({esc(', '.join(map(str, cfg['seeds'])))})"
        )
        + f", in PyTorch @paszke2019. Training took {duration(secs['mean'])}"
        + (" per seed on average." if n > 1 else ".")
    )
    overall = (
        f"On the {num(f.num('data.test'))} test images SimpleCNN reaches a test accuracy of *{pm(acc)}*"
        + (
            f" (mean ± standard deviation over {n} seeds; 95 % confidence interval {ci(acc)})"
            if n > 1
            else " (one seed, so no interval)"
        )
        + f" and a test loss of {dec(loss['mean'])}."
    )

    verdict = s.req("per_class_verdicts", dict)
    hard3, easy3 = list(verdict["hardest"]), list(verdict["easiest"])
    order = [classes.index(c) for c in hard3]  # the three hardest, hardest first
    hard, easy = order[0], classes.index(easy3[0])
    groups = s.req("error_groups", dict)
    torso, footwear = groups["groups"]["torso"], groups["groups"]["footwear"]
    rows = []
    for i in range(10):
        sd = per_std[i] if i < len(per_std) else None
        cell = pct(per_class[i], unit=False) + (f" ± {100 * sd:.1f}" if sd is not None and n > 1 else "")
        # the most frequent wrong prediction of class i, from its row of the confusion matrix
        j = max((k for k in range(10) if k != i), key=lambda k: cm[i][k])
        row_total = sum(cm[i])
        rows.append(
            [classes[i], cell, f"{classes[j]} ({pct(cm[i][j] / row_total)})" if cm[i][j] > 0 and row_total else "none"]
        )
    upper_hard = len(verdict["hardest_torso"])
    cls_text = (
        f"The per-class accuracies (@tab-per-class, @fig-fashion-per-class) differ widely. The hardest class "
        f"is {esc(classes[hard])} ({pct(per_class[hard])}), followed by {esc(hard3[1])} "
        f"({pct(per_class[order[1]])}) and {esc(hard3[2])} ({pct(per_class[order[2]])}); the easiest are "
        f"{esc(easy3[0])} ({pct(per_class[easy])}), {esc(easy3[1])} and {esc(easy3[2])}. "
    )
    if upper_hard >= 2:
        cls_text += (
            f"{_cap(join_words([esc(c) for c in verdict['hardest_torso']]))} are "
            f"{'both' if upper_hard == 2 else 'all'} garments worn on the torso: at "
            "28×28 pixels in grey scale they share a similar silhouette, and what "
            "separates them (collar, buttons, zip, fabric texture, sleeve length) is only a few pixels "
            "wide or lost at this resolution. "
        )
    else:
        cls_text += (
            "The hardest classes are not dominated by the torso-shaped garments in this run, so the "
            "differences are not simply a matter of similar silhouettes. "
        )
    near = [classes.index(c) for c in verdict["near_perfect"]]
    near_threshold = float(verdict["near_perfect_threshold"])
    if near:
        names = join_words([esc(classes[i]) for i in near])
        distinct = not any(classes[i] in torso for i in near)
        if len(near) == 1:
            cls_text += f"{_cap(names)} is recognised almost perfectly ({pct(per_class[near[0]])})" + (
                ", its outline unlike that of any other class." if distinct else "."
            )
        else:
            cls_text += (
                f"{_cap(names)} are recognised almost perfectly (at least "
                f"{pct(min(per_class[i] for i in near))})"
                + (", each with an outline unlike that of the other classes." if distinct else ".")
            )
    else:
        cls_text += (
            f"No class reaches {pct(near_threshold, 0)}; even the easiest, {esc(classes[easy])}, stays at "
            f"{pct(per_class[easy])}."
        )

    share, n_err = float(groups["within_share"]), int(groups["errors"])
    top3 = [
        c
        for c in top
        if isinstance(c, dict)
        and c.get("true") in classes
        and c.get("pred") in classes
        and isinstance(c.get("count"), (int, float))
        and isinstance(c.get("rate"), (int, float))
    ][:3]
    pairs = [
        f"{esc(c['true'])} taken for {esc(c['pred'])} ({num(c['count'])} times, {pct(c['rate'])} of the "
        f"{esc(c['true'])} images)"
        for c in top3
    ]
    mistakes = (
        f"@fig-fashion-confusion shows the confusion matrix summed over {_seeds_phrase(n_cm)} ({num(n_err)} errors). "
    )
    if pairs:
        mistakes += f"The most frequent confusions are {join_words(pairs)}. "
    mistakes += (
        f"Grouping the classes into visually similar groups, torso-shaped garments "
        f"({join_words([esc(c) for c in torso])}) and footwear "
        f"({join_words([esc(c) for c in footwear])}), "
        f"{pct(share)} of all errors fall within a group. "
    )
    if groups["verdict"] == "mostly reasonable":
        mistakes += (
            "So the mistakes are mostly reasonable: the network confuses garments that look alike at this "
            "resolution, as a person might on such small images, and only "
            f"{pct(1 - share)} of its errors mix up items of different kinds."
        )
    elif groups["verdict"] == "half reasonable":
        mistakes += (
            "So most mistakes are between look-alike garments and are reasonable, but a sizeable share "
            "crosses the groups and points to errors a human would not make."
        )
    else:
        mistakes += (
            "So most mistakes cross the groups of look-alike garments; many of them are not the kind of "
            "error a human would make, which suggests the model is still undertrained."
        )
    mis = s.opt("misclassified", {}) or {}
    if mis.get("shown"):
        mistakes += (
            f" @fig-fashion-misclassified shows {num(mis['shown'])} misclassified test images"
            + (f" (of {num(mis['total_errors'])} errors of the first seed)" if mis.get("total_errors") else "")
            + " with their true and predicted labels and the model's confidence in its prediction."
        )
    else:
        mistakes += " @fig-fashion-misclassified shows misclassified test images with their true and predicted labels."

    cf = s.req("curves", dict)
    curves = (
        f"@fig-fashion-curves shows the learning curves. After {cf['epochs']} epochs the training accuracy is "
        f"{pct(cf['train_accuracy'][-1])} and the validation accuracy {pct(cf['val_accuracy'][-1])}"
        + (" (mean over seeds). " if n > 1 else ". ")
    )
    if cf["still_improving"]:
        curves += (
            f"The validation accuracy still rose by {points(cf['last_gain'])} in the last epoch and the "
            "validation loss was lowest at the end, so the model has not converged yet and more epochs "
            "would likely help."
        )
    elif not cf["overfit"]:
        curves += (
            "The validation loss was at or near its lowest in the last epoch and improves only slowly, so "
            "training is close to converged at this budget."
        )
    else:
        curves += (
            f"The validation loss was lowest after epoch {cf['best_epoch']} and rose afterwards, a first sign "
            "of overfitting; early stopping on the validation set would pick that epoch."
        )
    if cf["gap"] > 0.03:
        curves += f" Training accuracy exceeds validation accuracy by {points(cf['gap'])}."
    caps = {
        "fashion_curves": f"Learning curves of SimpleCNN (training and validation), {_seeds_phrase(n)}.",
        "fashion_per_class": "Per-class test accuracy of SimpleCNN, "
        + (f"mean over {n} seeds." if n > 1 else "one seed."),
        "fashion_confusion": f"Confusion matrix of SimpleCNN on the test set (rows: true class, columns: "
        f"predicted class), {_seeds_phrase(n_cm)}.",
        "fashion_misclassified": "Misclassified test images with true and predicted class.",
        "per_class": f"Per-class test accuracy of SimpleCNN (%, mean{' ± std' if n > 1 else ''} over "
        f"{_seeds_phrase(n)}) and each class's most frequent wrong prediction (share of that class's "
        f"test images).",
    }
    return {
        "config": config,
        "overall": overall,
        "classes": cls_text,
        "mistakes": mistakes,
        "curves": curves,
        "per_class_rows": rows,
        "captions": caps,
    }


def _fashion_1f(f: Results, figures: dict) -> dict:
    explore = f.opt("explore")
    if not explore:
        return {
            "rows": None,
            "text": ("The architecture exploration was not run in this preset; only SimpleCNN (1e) was trained."),
            "caption": "",
            "figure_caption": None,
            "per_class_caption": None,
            "mis_caption": None,
        }
    rows = []
    names = list(explore)
    for name in names:
        e = f.sub(f"explore.{name}")
        a = e.summary("test_accuracy")
        t = e.summary("train_seconds")
        v = e.summary("val_accuracy")
        rows.append(
            [
                name,
                str(e.opt("description", "")),
                num(e.num("params")),
                num(e.num("epochs")),
                "yes" if e.opt("augment") else "no",
                duration(t["mean"]),
                _acc_cell(v),
                _acc_cell(a),
                _ci_cell(a),
            ]
        )
    best = str(f.req("best.name"))
    if best not in explore:
        raise f.error("best.name", f"{best!r} is not an explored recipe in")
    b = f.summary(f"explore.{best}.test_accuracy")
    comps = f.opt("explore_comparisons") or {}
    text = (
        f"@tab-explore compares {len(names)} recipes (architecture plus training), each trained for "
        f"{_seeds_phrase(b['n'])}. By validation accuracy (the test set plays no part in the choice) the best is "
        f"{code(best)} ({esc(explore[best].get('description', ''))}): {pm(b)} test accuracy with "
        f"{num(f.num(f'explore.{best}.params'))} parameters in "
        f"{duration(f.summary(f'explore.{best}.train_seconds')['mean'])} "
        "of training. "
    )
    if "best_vs_simple_cnn" in comps:
        text += _cap(phrase_comparison(comps["best_vs_simple_cnn"], code(best), "SimpleCNN of 1e")) + ". "
    runner = f.opt("best.runner_up")
    if runner and "best_vs_runner_up" in comps:
        text += _cap(phrase_comparison(comps["best_vs_runner_up"], code(best), f"the runner-up {code(runner)}")) + ". "
        e_best, e_runner = f.num(f"explore.{best}.epochs"), f.num(f"explore.{runner}.epochs")
        if e_best != e_runner:
            text += (
                f"The two had different training budgets ({num(e_best)} and {num(e_runner)} epochs), so this "
                f"compares model and recipe together, not the architectures alone. "
            )
    frontier = f.opt("frontier") or []
    fig = f.opt("explore_figures.frontier")
    if fig:
        figures["fashion_explore"] = fig
        beaten = f.opt("frontier_beaten")
        if beaten is None:  # results.json of an older run: the points are the explored recipes + SimpleCNN
            plotted = list(names) + (["simple_cnn"] if f.opt("simple_cnn") else [])
            beaten = [n for n in plotted if n not in frontier]
        off = (
            f"; {join_words([code(n) for n in beaten])} "
            + ("is" if len(beaten) == 1 else "are")
            + " beaten by a recipe that is both faster and more accurate."
            if beaten
            else "; each of them is on it, none beaten in both time and accuracy."
        )
        text += "@fig-fashion-explore plots test accuracy against training time: " + (
            f"along the frontier ({join_words([code(n) for n in frontier])}) each step buys accuracy with time" + off
            if len(frontier) > 1
            else f"{code(frontier[0])} is both the fastest and the most accurate."
            if frontier
            else ""
        )
    gains = f.opt("best.per_class_gain")
    per_class_caption = mis_caption = None
    if gains:
        figures["fashion_per_class_best"] = f.req("explore_figures.per_class", str)
        g = gains["gain"]
        top = gains["largest"]
        text += (
            f" Per class (@fig-fashion-per-class-best), {code(best)} gains most on "
            f"{join_words([f'{esc(c)} ({points(g[c])})' for c in top])} over SimpleCNN; the hardest classes "
            f"remain {join_words([esc(c) for c in gains['still_hardest']])}."
        )
        conf = [c for c in f.opt(f"explore.{best}.top_confusions") or [] if isinstance(c, dict)][:3]
        if conf:
            text += (
                " Its most frequent confusions are "
                + join_words([f"{esc(c['true'])} taken for {esc(c['pred'])} ({pct(c['rate'])})" for c in conf])
                + "."
            )
        per_class_caption = f"Per-class test accuracy of SimpleCNN and of the best recipe, {esc(best)}."
    mis = f.opt(f"explore.{best}.figures.misclassified")
    if mis:
        figures["fashion_misclassified_best"] = mis
        text += " @fig-fashion-misclassified-best shows some of the test images it still gets wrong."
        mis_caption = f"Misclassified test images of the best recipe, {esc(best)} (first seed)."
    caption = (
        "Recipes explored for Fashion-MNIST: parameters, epochs, data augmentation, mean training "
        "time per seed, validation accuracy (what the best is chosen by) and test accuracy "
        "(mean ± std and 95 % interval over seeds)."
    )
    return {
        "rows": rows,
        "text": text,
        "caption": caption,
        "figure_caption": (
            "Test accuracy against training time per seed (error bars: std over seeds); dashed: the frontier."
        )
        if fig
        else None,
        "per_class_caption": per_class_caption,
        "mis_caption": mis_caption,
    }
