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
        "summary": _fashion_summary(f, res.sub("findings.1a")),
        "pipeline": _fashion_pipeline(res.sub("findings.1b")),
        "e": _fashion_1e(f, res.sub("findings.1e"), figures),
        "f": _fashion_1f(f, res.sub("findings.1f") if res.opt("findings.1f") else None, figures),
    }


def _fashion_summary(f: Results, a: Results) -> dict:
    layers = f.req("summary.layers", list)
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
    total, big = a.num("total_params"), a.req("largest", dict)
    text = (
        f"@tab-summary lists every component of SimpleCNN with its input and output shape (without the "
        f"batch dimension) and its number of parameters, {num(total)} in total. The largest component is "
        f"{esc(big['name'])} ({esc(big['type'])}) with {num(big['params'])} parameters, "
        f"{pct(big['share'], 0)} of the model"
        + (
            ": the fully connected layer after flattening, not the convolutions, dominates the parameter count"
            if a.req("largest_is_linear", bool)
            else ""
        )
        + "."
    )
    err = a.opt("exp_sum_max_abs_error")
    if a.req("log_probabilities", bool):
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
            f"The last component is {esc(a.req('last_type'))}, so the outputs are unnormalised scores; a softmax "
            "turns them into a posterior distribution over the ten classes and the argmax is the prediction."
        )
    return {"rows": rows, "total": num(total), "text": text, "output": out}


def _fashion_pipeline(d: Results) -> dict:
    train, val, test, n_files = (int(d.num(k)) for k in ("train", "val", "test", "files"))
    limit = d.opt("train_limit")
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
        + (f" (this preset cuts the training set to {num(limit)} images)" if limit and d.req("train_cut") else "")
        + (
            f"; the {num(test)} test images are"
            if d.req("test_full")
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
    d_text = (
        "The training function (`train_one_epoch`) does one pass over the shuffled batches: forward pass, loss, "
        "backward pass and optimiser step; `fit` repeats it for the given number of epochs and records one "
        "row per epoch (training and validation loss and accuracy, seconds, learning rate), which gives the "
        "learning curves below. Running sums stay on the device and are read once per epoch."
    )
    return {"b": b, "c": c, "d": d_text}


def _fashion_1e(f: Results, e: Results, figures: dict) -> dict:
    for key, stem in (
        ("fashion_curves", "learning_curves"),
        ("fashion_per_class", "per_class"),
        ("fashion_confusion", "confusion_matrix"),
        ("fashion_misclassified", "misclassified"),
    ):
        figures[key] = f.req(f"simple_cnn.figures.{stem}", str)
    acc, n = e.summary("test_accuracy"), e.summary("test_accuracy")["n"]
    per_class = e.req("per_class", list)
    if len(per_class) != 10:
        raise e.error("per_class", "expected 10 classes in")
    rows = [
        [
            c["name"],
            pct(c["accuracy"], unit=False) + (f" ± {100 * c['std']:.1f}" if c["std"] is not None else ""),
            f"{c['confused_with']} ({pct(c['confused_rate'])})" if c["confused_with"] else "none",
        ]
        for c in per_class
    ]
    n_cm = int(e.num("confusion_seeds"))
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
        "config": _1e_config(e),
        "overall": (
            f"On the {num(e.num('test_images'))} test images SimpleCNN reaches a test accuracy of *{pm(acc)}*"
            + (
                f" (mean ± standard deviation over {n} seeds; 95 % confidence interval {ci(acc)})"
                if n > 1
                else " (one seed, so no interval)"
            )
            + f" and a test loss of {dec(e.summary('test_loss')['mean'])}."
        ),
        "classes": _1e_classes(e),
        "mistakes": _1e_mistakes(e),
        "curves": _1e_curves(e, n),
        "per_class_rows": rows,
        "captions": caps,
    }


def _1e_config(e: Results) -> str:
    cfg, seeds = e.req("config", dict), e.req("seeds", list)
    n = len(seeds)
    return (
        "SimpleCNN was trained "
        + (
            "as specified"
            if e.req("as_specified", bool)
            else "with this preset's shortened "
            "settings (the assignment specifies 5 epochs, batches of 100 and learning rate 0.001)"
        )
        + f": {esc(cfg['loss'])} on the log-probabilities, the "
        f"{esc(cfg['optimizer'])} optimiser @kingma2015 with learning rate {cfg['lr']:g}, "
        f"mini-batches of {num(cfg['batch_size'])} and {num(cfg['epochs'])} epochs, "
        + (
            f"with one seed ({esc(seeds[0])})"
            if n == 1
            else f"once for each of {n} seeds ({esc(', '.join(map(str, seeds)))})"
        )
        + f", in PyTorch @paszke2019. Training took {duration(e.num('train_seconds'))}"
        + (" per seed on average." if n > 1 else ".")
    )


def _1e_classes(e: Results) -> str:
    hard, easy = e.req("hardest", list), e.req("easiest", list)
    text = (
        f"The per-class accuracies (@tab-per-class, @fig-fashion-per-class) differ widely. The hardest class "
        f"is {esc(hard[0]['name'])} ({pct(hard[0]['accuracy'])}), followed by {esc(hard[1]['name'])} "
        f"({pct(hard[1]['accuracy'])}) and {esc(hard[2]['name'])} ({pct(hard[2]['accuracy'])}); the easiest are "
        f"{esc(easy[0]['name'])} ({pct(easy[0]['accuracy'])}), {esc(easy[1]['name'])} and {esc(easy[2]['name'])}. "
    )
    torso = e.req("hardest_torso", list)
    if e.req("torso_explains_hardest", bool):
        text += (
            f"{_cap(join_words([esc(c) for c in torso]))} are "
            f"{'both' if len(torso) == 2 else 'all'} garments worn on the torso: at "
            "28×28 pixels in grey scale they share a similar silhouette, and what "
            "separates them (collar, buttons, zip, fabric texture, sleeve length) is only a few pixels "
            "wide or lost at this resolution. "
        )
    else:
        text += (
            "The hardest classes are not dominated by the torso-shaped garments in this run, so the "
            "differences are not simply a matter of similar silhouettes. "
        )
    near, distinct = e.req("near_perfect", list), e.req("near_perfect_distinct", bool)
    if not near:
        return text + (
            f"No class reaches {pct(e.num('near_perfect_threshold'), 0)}; even the easiest, {esc(easy[0]['name'])}, "
            f"stays at {pct(easy[0]['accuracy'])}."
        )
    names = join_words([esc(c) for c in near])
    if len(near) == 1:
        return (
            text
            + f"{_cap(names)} is recognised almost perfectly ({pct(e.num('near_perfect_min'))})"
            + (", its outline unlike that of any other class." if distinct else ".")
        )
    return text + (
        f"{_cap(names)} are recognised almost perfectly (at least {pct(e.num('near_perfect_min'))})"
        + (", each with an outline unlike that of the other classes." if distinct else ".")
    )


_ERRORS_VERDICT = {
    "mostly reasonable": "So the mistakes are mostly reasonable: the network confuses garments that look alike at this "
    "resolution, as a person might on such small images, and only {across} of its errors mix up items of "
    "different kinds.",
    "half reasonable": "So most mistakes are between look-alike garments and are reasonable, but a sizeable share "
    "crosses the groups and points to errors a human would not make.",
    "mostly across groups": "So most mistakes cross the groups of look-alike garments; many of them are not the kind "
    "of error a human would make, which suggests the model is still undertrained.",
}


def _1e_mistakes(e: Results) -> str:
    share, groups = e.num("within_share"), e.req("groups", dict)
    pairs = [
        f"{esc(c['true'])} taken for {esc(c['pred'])} ({num(c['count'])} times, {pct(c['rate'])} of the "
        f"{esc(c['true'])} images)"
        for c in e.req("top_confusions", list)
    ]
    text = (
        f"@fig-fashion-confusion shows the confusion matrix summed over {_seeds_phrase(int(e.num('confusion_seeds')))} "
        f"({num(e.num('errors'))} errors). "
    )
    if pairs:
        text += f"The most frequent confusions are {join_words(pairs)}. "
    text += (
        f"Grouping the classes into visually similar groups, torso-shaped garments "
        f"({join_words([esc(c) for c in groups['torso']])}) and footwear "
        f"({join_words([esc(c) for c in groups['footwear']])}), "
        f"{pct(share)} of all errors fall within a group. "
    )
    verdict = e.req("errors_verdict", str)
    if verdict not in _ERRORS_VERDICT:
        raise e.error("errors_verdict", f"unknown verdict {verdict!r} in")
    text += _ERRORS_VERDICT[verdict].format(across=pct(e.num("across_share")) if verdict == "mostly reasonable" else "")
    mis = e.req("misclassified", dict)
    if mis.get("shown"):
        text += (
            f" @fig-fashion-misclassified shows {num(mis['shown'])} misclassified test images"
            + (f" (of {num(mis['total_errors'])} errors of the first seed)" if mis.get("total_errors") else "")
            + " with their true and predicted labels and the model's confidence in its prediction."
        )
    else:
        text += " @fig-fashion-misclassified shows misclassified test images with their true and predicted labels."
    return text


def _1e_curves(e: Results, n: int) -> str:
    cf = e.req("curves", dict)
    text = (
        f"@fig-fashion-curves shows the learning curves. After {cf['epochs']} epochs the training accuracy is "
        f"{pct(cf['final_train_accuracy'])} and the validation accuracy {pct(cf['final_val_accuracy'])}"
        + (" (mean over seeds). " if n > 1 else ". ")
    )
    state = e.req("curve_state", str)
    if state == "still improving":
        text += (
            f"The validation accuracy still rose by {points(cf['last_gain'])} in the last epoch and the "
            "validation loss was lowest at the end, so the model has not converged yet and more epochs "
            "would likely help."
        )
    elif state == "close to converged":
        text += (
            "The validation loss was at or near its lowest in the last epoch and improves only slowly, so "
            "training is close to converged at this budget."
        )
    else:
        text += (
            f"The validation loss was lowest after epoch {cf['best_epoch']} and rose afterwards, a first sign "
            "of overfitting; early stopping on the validation set would pick that epoch."
        )
    if cf["gap_large"]:
        text += f" Training accuracy exceeds validation accuracy by {points(cf['gap'])}."
    return text


def _fashion_1f(f: Results, g: Results | None, figures: dict) -> dict:
    explore = f.opt("explore")
    if not explore or g is None:
        return {
            "rows": None,
            "text": ("The architecture exploration was not run in this preset; only SimpleCNN (1e) was trained."),
            "caption": "",
            "figure_caption": None,
            "per_class_caption": None,
            "mis_caption": None,
        }
    rows = _1f_rows(f, explore)
    best = str(g.req("best"))
    if best not in explore:
        raise g.error("best", f"{best!r} is not an explored recipe in")
    text = _1f_best(g, best) + _1f_frontier(f, g, figures)
    per_class_caption = mis_caption = None
    gains = g.req("gains", list)
    if gains:
        figures["fashion_per_class_best"] = f.req("explore_figures.per_class", str)
        text += (
            f" Per class (@fig-fashion-per-class-best), {code(best)} gains most on "
            + join_words([f"{esc(c['name'])} ({points(c['gain'])})" for c in gains])
            + " over SimpleCNN; the hardest "
            f"classes remain {join_words([esc(c) for c in g.req('still_hardest', list)])}."
        )
        conf = g.req("best_confusions", list)
        if conf:
            text += (
                " Its most frequent confusions are "
                + join_words([f"{esc(c['true'])} taken for {esc(c['pred'])} ({pct(c['rate'])})" for c in conf])
                + "."
            )
        per_class_caption = f"Per-class test accuracy of SimpleCNN and of the best recipe, {esc(best)}."
    if g.req("best_misclassified", bool):
        figures["fashion_misclassified_best"] = f.req(f"explore.{best}.figures.misclassified", str)
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
        if f.opt("explore_figures.frontier")
        else None,
        "per_class_caption": per_class_caption,
        "mis_caption": mis_caption,
    }


def _1f_rows(f: Results, explore: dict) -> list[list[str]]:
    """The table of explored recipes, in the study's order."""
    rows = []
    for name in explore:
        e = f.sub(f"explore.{name}")
        a = e.summary("test_accuracy")
        rows.append(
            [
                name,
                str(e.opt("description", "")),
                num(e.num("params")),
                num(e.num("epochs")),
                "yes" if e.opt("augment") else "no",
                duration(e.summary("train_seconds")["mean"]),
                _acc_cell(e.summary("val_accuracy")),
                _acc_cell(a),
                _ci_cell(a),
            ]
        )
    return rows


def _1f_best(g: Results, best: str) -> str:
    b = g.summary("best_accuracy")
    text = (
        f"@tab-explore compares {len(g.req('recipes', list))} recipes (architecture plus training), each trained for "
        f"{_seeds_phrase(b['n'])}. By validation accuracy (the test set plays no part in the choice) the best is "
        f"{code(best)} ({esc(g.req('best_description'))}): {pm(b)} test accuracy with "
        f"{num(g.num('best_params'))} parameters in {duration(g.num('best_seconds'))} of training. "
    )
    if g.opt("vs_simple_cnn"):
        text += _cap(phrase_comparison(g.req("vs_simple_cnn", dict), code(best), "SimpleCNN of 1e")) + ". "
    runner = g.opt("runner_up")
    if runner and g.opt("vs_runner_up"):
        text += _cap(phrase_comparison(g.req("vs_runner_up", dict), code(best), f"the runner-up {code(runner)}")) + ". "
        if g.req("budgets_differ", bool):
            text += (
                f"The two had different training budgets ({num(g.num('epochs.best'))} and "
                f"{num(g.num('epochs.runner_up'))} epochs), so this compares model and recipe together, not the "
                "architectures alone. "
            )
    return text


def _1f_frontier(f: Results, g: Results, figures: dict) -> str:
    fig = f.opt("explore_figures.frontier")
    if not fig:
        return ""
    figures["fashion_explore"] = fig
    frontier, beaten = g.req("frontier", list), g.req("frontier_beaten", list)
    off = (
        f"; {join_words([code(n) for n in beaten])} "
        + ("is" if len(beaten) == 1 else "are")
        + " beaten by a recipe that is both faster and more accurate."
        if beaten
        else "; each of them is on it, none beaten in both time and accuracy."
    )
    return "@fig-fashion-explore plots test accuracy against training time: " + (
        f"along the frontier ({join_words([code(n) for n in frontier])}) each step buys accuracy with time" + off
        if len(frontier) > 1
        else f"{code(frontier[0])} is both the fastest and the most accurate."
        if frontier
        else ""
    )
