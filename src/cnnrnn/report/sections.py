"""The report's content, section by section, computed from results.json.

Each function returns the part of the template context for one section: table rows (lists of
plain strings), captions and paragraphs (Typst markup, evaluated by the template). Sentences
are chosen by the numbers of the run; every value taken from the data goes through `esc`.
Figures are registered in `figures` (key -> path stem); the template labels them
`<fig-KEY>` and the text refers to them as `@fig-KEY`.
"""

from __future__ import annotations

import json
import math
import re
import shlex
from pathlib import Path

from cnnrnn.report.format import PLACEHOLDER, ci, dec, duration, esc, join_words, num, pct, pm, points, sci, shape
from cnnrnn.report.results import Results
from cnnrnn.utils.env import describe_hardware
from cnnrnn.utils.stats import intervals_overlap, welch_t_test

# Visually similar groups: an error inside a group is a "reasonable" mistake at 28x28 pixels.
TORSO = ("T-shirt/top", "Pullover", "Coat", "Shirt", "Dress")  # garments with a torso silhouette
FOOTWEAR = ("Sandal", "Sneaker", "Ankle boot")
REGIME_NAMES = {"scratch": "from scratch", "frozen": "frozen GloVe", "finetune": "fine-tuned GloVe"}
REGIME_MODELS = {"scratch": "SimpleLSTM trained from scratch (2d)", "frozen": "SimpleLSTM with frozen GloVe (2d)",
                 "finetune": "SimpleLSTM with fine-tuned GloVe (2d)"}
REGIME_SUBJECTS = {"scratch": "training from scratch", "frozen": "frozen GloVe", "finetune": "fine-tuned GloVe"}
# Pairs of opposite sentiment: if GloVe lists one as a nearest neighbour of the other, the report says so.
OPPOSITES = {frozenset(p) for p in (("good", "bad"), ("great", "terrible"), ("best", "worst"), ("love", "hate"),
                                     ("excellent", "awful"), ("better", "worse"), ("great", "awful"),
                                     ("good", "terrible"), ("wonderful", "horrible"), ("positive", "negative"))}
NEAR_PERFECT = 0.95  # per-class accuracy called "almost perfect"
SPECIFIED_1E = (5, 100, 0.001)  # epochs, batch size, learning rate the assignment prescribes for 1e
CHANCE_BCE = math.log(2)  # binary cross-entropy of always predicting 0.5
MAAS_ACCURACY = 0.8889  # Maas et al. (2011), full 25,000-review training set, their best model
IMDB_FULL_TRAIN = 25000


# ----------------------------------------------------------------------------- helpers

def _histories(res: Results, key: str) -> list[list[dict]]:
    hist = res.req(key, dict)
    rows = [h for _, h in sorted(hist.items(), key=lambda kv: kv[0]) if isinstance(h, list) and h]
    if not rows:
        raise res.error(key, "empty")
    for h in rows:
        for field in ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"):
            if field not in h[-1] or h[-1][field] is None:
                raise res.error(f"{key}.<seed>[-1].{field}")
    return rows


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def curve_facts(histories: list[list[dict]]) -> dict:
    """Seed-averaged facts about learning curves: last/previous epoch, best validation epoch, gap."""
    epochs = min(len(h) for h in histories)
    val_loss = [_mean(h[e]["val_loss"] for h in histories) for e in range(epochs)]
    val_acc = [_mean(h[e]["val_accuracy"] for h in histories) for e in range(epochs)]
    tr_acc = [_mean(h[e]["train_accuracy"] for h in histories) for e in range(epochs)]
    tr_loss = [_mean(h[e]["train_loss"] for h in histories) for e in range(epochs)]
    best = min(range(epochs), key=lambda e: val_loss[e])
    return {"epochs": epochs, "val_loss": val_loss, "val_acc": val_acc, "train_acc": tr_acc, "train_loss": tr_loss,
            "best_epoch": best + 1, "last_gain": val_acc[-1] - val_acc[-2] if epochs > 1 else 0.0,
            # overfitting: the final validation loss is clearly (> 1 %) above its minimum
            "overfit": best + 1 < epochs and val_loss[-1] > 1.01 * val_loss[best],
            "gap": tr_acc[-1] - val_acc[-1]}


def compare(a: dict, b: dict, name_a: str, name_b: str) -> str:
    """One sentence comparing two accuracy summaries; 'significant' only if the intervals say so."""
    diff = a["mean"] - b["mean"]
    better, worse = (name_a, name_b) if diff >= 0 else (name_b, name_a)
    if abs(diff) < 5e-4:
        head = f"{name_a} and {name_b} reach the same mean accuracy"
    else:
        head = f"{better} beats {worse} by {points(diff)}"
    if a["n"] < 2 or b["n"] < 2:
        return head + " (one seed, so no interval and no claim of significance)"
    test = welch_t_test(a["per_seed"], b["per_seed"])
    p = f"Welch's t-test p = {test['p']:.2g}" if test["p"] == test["p"] else "no p-value"
    if not intervals_overlap(a, b):
        return head + f"; the 95 % intervals do not overlap ({p}), so the difference is significant"
    if test["p"] == test["p"] and test["p"] < 0.05:
        return head + (f"; the 95 % intervals overlap although {p}, so with {min(a['n'], b['n'])} seeds "
                       "this run treats the difference as suggestive, not established")
    return head + f"; the 95 % intervals overlap ({p}), so this run cannot call the difference significant"


def _cap(sentence: str) -> str:
    """Capitalise the first letter of a sentence of ours; markup (#raw(...), escapes) is left alone."""
    if sentence[:1] in ("#", "\\", "@"):
        return sentence
    return sentence[:1].upper() + sentence[1:]


def _seeds_phrase(n: int) -> str:
    return "one seed" if n == 1 else f"{n} seeds"


def _acc_cell(summary: dict) -> str:
    """Table cell under an 'Accuracy (%)' header."""
    return pm(summary, unit=False)


def _ci_cell(summary: dict) -> str:
    return ci(summary, unit=False)


def code(name) -> str:
    """A model or key name from the data, set in monospace (never capitalised)."""
    return f"#raw({json_str(str(name))})"


# ----------------------------------------------------------------------------- run

def run_info(res: Results, run_dir: Path) -> dict:
    env = res.req("run.environment", dict)
    preset = str(res.req("run.preset"))
    device = env.get("device") or "cpu"
    packages = env.get("packages") or {}
    versions = [f"Python {esc(env.get('python', '?').split()[0])}"] if env.get("python") else []
    versions += [f"{esc(k)} {esc(v)}" for k, v in packages.items() if v]
    commit = env.get("git_commit")
    command = recorded_command(run_dir) or (f"cnnrnn run --out {shlex.quote(_shown_dir(run_dir))} "
                                            f"--preset {preset} --device {device}")
    complete = res.opt("run.complete", True)
    seeds_f = res.opt("fashion.simple_cnn.config.seeds") or []
    seeds_i = res.opt("imdb.config.seeds") or []
    subset_seed = res.opt("imdb.data.subset_seed")
    items = [
        f"*Hardware.* {esc(describe_hardware(env))}; training device: {esc(device)}.",
        f"*Software.* {', '.join(versions) if versions else 'versions not recorded'}.",
        f"*Code.* cnnrnn {esc(env.get('cnnrnn', ''))}" + (f", git commit #raw({json_str(_short_commit(commit))})"
                                                          if commit else ", git commit not recorded") + ".",
        f"*Preset and command.* `{preset}`: #raw({json_str(command)}) (the report alone: "
        f"#raw({json_str('cnnrnn report ' + shlex.quote(_shown_dir(run_dir)))})).",
        f"*Seeds.* Fashion-MNIST {esc(', '.join(map(str, seeds_f))) or 'not recorded'}; "
        f"IMDB {esc(', '.join(map(str, seeds_i))) or 'not recorded'}"
        + (f" (subset seed {esc(subset_seed)})" if subset_seed is not None else "")
        + ". The same seed on the same device reproduces the same numbers.",
        f"*Run time.* {duration(res.num('run.seconds'))} of experiments in total"
        + (f", started {esc(env['timestamp_utc'])}" if env.get("timestamp_utc") else "") + "."
        + ("" if complete else " *The run was not complete when this report was built*; "
           "missing parts are marked as not run."),
    ]
    return {"preset": preset, "date": str(env.get("timestamp_utc", ""))[:10] or "date not recorded",
            "hardware": esc(describe_hardware(env)), "items": items, "complete": bool(complete),
            "gpu": bool(env.get("gpu")), "seconds": duration(res.num("run.seconds"))}


def _short_commit(commit: str) -> str:
    """'0123456789abcdef...-dirty' -> '0123456789ab-dirty' (uncommitted changes stay visible)."""
    commit = str(commit)
    return commit[:12] + ("-dirty" if commit.endswith("-dirty") else "")


def _shown_dir(run_dir: Path) -> str:
    """The run directory as the user would type it: relative to the current directory if inside it."""
    try:
        return str(run_dir.resolve().relative_to(Path.cwd().resolve())) if run_dir.is_absolute() else str(run_dir)
    except ValueError:
        return run_dir.name or str(run_dir)


def recorded_command(run_dir: Path) -> str | None:
    """The exact command of the run, from the runner's config.json in the run directory (optional)."""
    try:
        command = json.loads((run_dir / "config.json").read_text(encoding="utf-8")).get("command")
    except (OSError, ValueError, AttributeError):
        return None
    return command if isinstance(command, str) and command.strip() else None


def json_str(text: str) -> str:
    """A Typst string literal (for #raw(...))."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ----------------------------------------------------------------------------- fashion

def fashion(res: Results, figures: dict) -> dict:
    f = res.sub("fashion")
    classes = f.req("classes", list)
    if len(classes) != 10:
        raise f.error("classes", "expected 10 names in")
    return {"summary": _fashion_summary(f), "pipeline": _fashion_pipeline(f),
            "e": _fashion_1e(f, classes, figures), "f": _fashion_1f(f, figures)}


def _fashion_summary(f: Results) -> dict:
    layers = f.req("summary.layers", list)
    total = int(f.num("summary.total_params"))
    rows = []
    for i, layer in enumerate(layers):
        for k in ("name", "type", "input_shape", "output_shape", "params"):
            if k not in layer:
                raise f.error(f"summary.layers[{i}].{k}")
        rows.append([str(layer["name"]), str(layer["type"]), shape(layer["input_shape"]),
                     shape(layer["output_shape"]), num(layer["params"]) if layer["params"] else "–"])
    biggest = max(layers, key=lambda lay: lay["params"])
    share = biggest["params"] / total if total else 0.0
    last = str(layers[-1]["type"]) if layers else ""
    text = (f"@tab-summary lists every component of SimpleCNN with its input and output shape (without the "
            f"batch dimension) and its number of parameters, {num(total)} in total. The largest component is "
            f"{esc(biggest['name'])} ({esc(biggest['type'])}) with {num(biggest['params'])} parameters, "
            f"{pct(share, 0)} of the model: the fully connected layer after flattening, not the convolutions, "
            f"dominates the parameter count" if "linear" in str(biggest["type"]).lower() else
            f"@tab-summary lists every component of SimpleCNN with its input and output shape (without the "
            f"batch dimension) and its number of parameters, {num(total)} in total. The largest component is "
            f"{esc(biggest['name'])} ({esc(biggest['type'])}) with {num(biggest['params'])} parameters, "
            f"{pct(share, 0)} of the model")
    text += "."
    err = f.opt("summary.output.exp_sum_max_abs_error")
    if "logsoftmax" in last.lower().replace("_", ""):
        out = ("The last component is a LogSoftmax, so for an image $x$ the ten outputs are log-probabilities "
               "$log p(y = k | x)$: all are at most 0, and larger means more likely. Exponentiating gives the "
               "model's posterior distribution over the ten classes")
        out += (f" (on a batch of inputs the ten probabilities sum to 1 up to {sci(err)})" if err is not None else "")
        out += (". The predicted class is the argmax of the output, which is the same for log-probabilities "
                "and probabilities; the negative log-probability of the true class is exactly the NLLLoss "
                "used for training.")
    else:
        out = (f"The last component is {esc(last)}, so the outputs are unnormalised scores; a softmax turns them "
               "into a posterior distribution over the ten classes and the argmax is the prediction.")
    return {"rows": rows, "total": num(total), "text": text, "output": out}


def _fashion_pipeline(f: Results) -> dict:
    train, val, test = (int(f.num(f"data.{k}")) for k in ("train", "val", "test"))
    n_files = len(f.opt("data.files", {}) or {})
    limit = f.opt("simple_cnn.config.train_limit")
    b = (f"The IDX files of Fashion-MNIST @xiao2017 are read once"
         + (f" (the SHA-256 checksum{'s' if n_files > 1 else ''} of the {num(n_files)} "
            f"file{'s are' if n_files > 1 else ' is'} recorded in results.json)" if n_files else "")
         + f" into tensors that stay resident on the training device, so no per-sample Python runs during "
         f"training. From the 60,000 training images, {num(val)} are held out as a validation set with a fixed "
         f"seed and {num(train)} are used for training"
         + (f" (this preset cuts the training set to {num(limit)} images)" if limit and train + val < 60000 else "")
         + (f"; the {num(test)} test images are" if test >= 10000 else
            f"; {num(test)} of the 10,000 test images (a subset) are")
         + " used only for the final numbers. Each epoch draws a new random order of the training tensors "
         "from a seeded generator and cuts it into mini-batches.")
    c = ("The test function (`evaluate`) switches the model to evaluation mode, runs it without gradients over "
         "the test tensors in batches, and returns the mean loss and the accuracy, with the predicted class "
         "taken as the argmax of the output. It is also called on the validation set after every epoch.")
    d = ("The training function (`train_one_epoch`) does one pass over the shuffled batches: forward pass, loss, "
         "backward pass and optimiser step; `fit` repeats it for the given number of epochs and records one "
         "row per epoch (training and validation loss and accuracy, seconds, learning rate), which gives the "
         "learning curves below. Running sums stay on the device and are read once per epoch.")
    return {"b": b, "c": c, "d": d}


def _group_of(name: str) -> str | None:
    if name in TORSO:
        return "upper"
    if name in FOOTWEAR:
        return "foot"
    return None


def within_group_share(cm: list[list[int]], classes: list[str]) -> tuple[float, int]:
    """Fraction of all off-diagonal errors whose true and predicted class are in the same group."""
    total = within = 0
    for t, row in enumerate(cm):
        for p, count in enumerate(row):
            if t == p:
                continue
            total += count
            g = _group_of(classes[t])
            if g is not None and g == _group_of(classes[p]):
                within += count
    return (within / total if total else 0.0), total


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
    for key, stem in (("fashion_curves", "learning_curves"), ("fashion_per_class", "per_class"),
                      ("fashion_confusion", "confusion_matrix"), ("fashion_misclassified", "misclassified")):
        figures[key] = s.req(f"figures.{stem}", str)
    n = acc["n"]

    as_specified = (int(cfg["epochs"]), int(cfg["batch_size"]), float(cfg["lr"])) == SPECIFIED_1E
    config = ("SimpleCNN was trained " + ("as specified" if as_specified else "with this preset's shortened "
              "settings (the assignment specifies 5 epochs, batches of 100 and learning rate 0.001)")
              + f": {esc(cfg.get('loss', 'NLLLoss'))} on the log-probabilities, the "
              f"{esc(cfg.get('optimizer', 'Adam'))} optimiser @kingma2015 with learning rate {cfg['lr']:g}, "
              f"mini-batches of {num(cfg['batch_size'])} and {num(cfg['epochs'])} epochs, "
              + (f"with one seed ({esc(cfg['seeds'][0] if cfg['seeds'] else 0)})" if n == 1 else
                 f"once for each of {n} seeds ({esc(', '.join(map(str, cfg['seeds'])))})")
              + f", in PyTorch @paszke2019. Training took {duration(secs['mean'])}"
              + (" per seed on average." if n > 1 else "."))
    overall = (f"On the {num(f.num('data.test'))} test images SimpleCNN reaches a test accuracy of *{pm(acc)}*"
               + (f" (mean ± standard deviation over {n} seeds; 95 % confidence interval {ci(acc)})" if n > 1
                  else " (one seed, so no interval)")
               + f" and a test loss of {dec(loss['mean'])}.")

    order = sorted(range(10), key=lambda i: per_class[i])
    hard, easy = order[0], order[-1]
    rows = []
    for i in range(10):
        sd = per_std[i] if i < len(per_std) else None
        cell = pct(per_class[i], unit=False) + (f" ± {100 * sd:.1f}" if sd is not None and n > 1 else "")
        # the most frequent wrong prediction of class i, from its row of the confusion matrix
        j = max((k for k in range(10) if k != i), key=lambda k: cm[i][k])
        row_total = sum(cm[i])
        rows.append([classes[i], cell, f"{classes[j]} ({pct(cm[i][j] / row_total)})"
                     if cm[i][j] > 0 and row_total else "none"])
    hard3 = [classes[i] for i in order[:3]]
    easy3 = [classes[i] for i in order[-3:]][::-1]
    upper_hard = sum(1 for c in hard3 if c in TORSO)
    cls_text = (f"The per-class accuracies (@tab-per-class, @fig-fashion-per-class) differ widely. The hardest class "
                f"is {esc(classes[hard])} ({pct(per_class[hard])}), followed by {esc(hard3[1])} "
                f"({pct(per_class[order[1]])}) and {esc(hard3[2])} ({pct(per_class[order[2]])}); the easiest are "
                f"{esc(easy3[0])} ({pct(per_class[easy])}), {esc(easy3[1])} and {esc(easy3[2])}. ")
    if upper_hard >= 2:
        cls_text += (f"{_cap(join_words([esc(c) for c in hard3 if c in TORSO]))} are "
                     f"{'both' if upper_hard == 2 else 'all'} garments worn on the torso: at "
                     "28×28 pixels in grey scale they share a similar silhouette, and what "
                     "separates them (collar, buttons, zip, fabric texture, sleeve length) is only a few pixels "
                     "wide or lost at this resolution. ")
    else:
        cls_text += ("The hardest classes are not dominated by the torso-shaped garments in this run, so the "
                     "differences are not simply a matter of similar silhouettes. ")
    near = [i for i in order[::-1] if per_class[i] >= NEAR_PERFECT]
    if near:
        names = join_words([esc(classes[i]) for i in near])
        distinct = not any(classes[i] in TORSO for i in near)
        if len(near) == 1:
            cls_text += (f"{_cap(names)} is recognised almost perfectly ({pct(per_class[near[0]])})"
                         + (", its outline unlike that of any other class." if distinct else "."))
        else:
            cls_text += (f"{_cap(names)} are recognised almost perfectly (at least "
                         f"{pct(min(per_class[i] for i in near))})"
                         + (", each with an outline unlike that of the other classes." if distinct else "."))
    else:
        cls_text += (f"No class reaches {pct(NEAR_PERFECT, 0)}; even the easiest, {esc(classes[easy])}, stays at "
                     f"{pct(per_class[easy])}.")

    share, n_err = within_group_share(cm, classes)
    top3 = [c for c in top if isinstance(c, dict) and c.get("true") in classes and c.get("pred") in classes
            and isinstance(c.get("count"), (int, float)) and isinstance(c.get("rate"), (int, float))][:3]
    pairs = [f"{esc(c['true'])} taken for {esc(c['pred'])} ({num(c['count'])} times, {pct(c['rate'])} of the "
             f"{esc(c['true'])} images)" for c in top3]
    mistakes = (f"@fig-fashion-confusion shows the confusion matrix summed over {_seeds_phrase(n_cm)} "
                f"({num(n_err)} errors). ")
    if pairs:
        mistakes += f"The most frequent confusions are {join_words(pairs)}. "
    mistakes += (f"Grouping the classes into visually similar groups, torso-shaped garments "
                 f"({join_words([esc(c) for c in TORSO])}) and footwear "
                 f"({join_words([esc(c) for c in FOOTWEAR])}), "
                 f"{pct(share)} of all errors fall within a group. ")
    if share >= 0.75:
        mistakes += ("So the mistakes are mostly reasonable: the network confuses garments that look alike at this "
                     "resolution, as a person might on such small images, and only "
                     f"{pct(1 - share)} of its errors mix up items of different kinds.")
    elif share >= 0.5:
        mistakes += ("So most mistakes are between look-alike garments and are reasonable, but a sizeable share "
                     "crosses the groups and points to errors a human would not make.")
    else:
        mistakes += ("So most mistakes cross the groups of look-alike garments; many of them are not the kind of "
                     "error a human would make, which suggests the model is still undertrained.")
    mis = s.opt("misclassified", {}) or {}
    if mis.get("shown"):
        mistakes += (f" @fig-fashion-misclassified shows {num(mis['shown'])} misclassified test images"
                     + (f" (of {num(mis['total_errors'])} errors of the first seed)" if mis.get("total_errors") else "")
                     + " with their true and predicted labels and the model's confidence in its prediction.")
    else:
        mistakes += " @fig-fashion-misclassified shows misclassified test images with their true and predicted labels."

    cf = curve_facts(_histories(s, "history"))
    curves = (f"@fig-fashion-curves shows the learning curves. After {cf['epochs']} epochs the training accuracy is "
              f"{pct(cf['train_acc'][-1])} and the validation accuracy {pct(cf['val_acc'][-1])}"
              + (" (mean over seeds). " if n > 1 else ". "))
    if cf["best_epoch"] == cf["epochs"] and cf["last_gain"] > 0.002:
        curves += (f"The validation accuracy still rose by {points(cf['last_gain'])} in the last epoch and the "
                   "validation loss was lowest at the end, so the model has not converged yet and more epochs "
                   "would likely help.")
    elif not cf["overfit"]:
        curves += ("The validation loss was at or near its lowest in the last epoch and improves only slowly, so "
                   "training is close to converged at this budget.")
    else:
        curves += (f"The validation loss was lowest after epoch {cf['best_epoch']} and rose afterwards, a first sign "
                   "of overfitting; early stopping on the validation set would pick that epoch.")
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
    return {"config": config, "overall": overall, "classes": cls_text, "mistakes": mistakes, "curves": curves,
            "per_class_rows": rows, "captions": caps}


def _fashion_1f(f: Results, figures: dict) -> dict:
    explore = f.opt("explore")
    if not explore:
        return {"rows": None, "text": ("The architecture exploration was not run in this preset; only SimpleCNN "
                                        "(1e) was trained."), "caption": "", "figure_caption": None}
    baseline = f.summary("simple_cnn.test_accuracy")
    rows = []
    names = list(explore)
    for name in names:
        e = f.sub(f"explore.{name}")
        a = e.summary("test_accuracy")
        t = e.summary("train_seconds")
        rows.append([name, str(e.opt("description", "")), num(e.num("params")), num(e.num("epochs")),
                     "yes" if e.opt("augment") else "no", duration(t["mean"]), _acc_cell(a), _ci_cell(a)])
    best = f.opt("explore_best")
    accs = {name: f.summary(f"explore.{name}.test_accuracy") for name in names}
    if best not in explore:
        best = max(names, key=lambda k: accs[k]["mean"])
    ranked = sorted(names, key=lambda k: accs[k]["mean"], reverse=True)
    b = accs[best]
    text = (f"@tab-explore compares {len(names)} architectures, each trained for {_seeds_phrase(b['n'])}. The best is "
            f"{code(best)} ({esc(explore[best].get('description', ''))}) with {pm(b)} test accuracy and "
            f"{num(f.num(f'explore.{best}.params'))} parameters. ")
    if best != "simple_cnn":
        text += _cap(compare(b, baseline, code(best), "SimpleCNN of 1e")) + ". "
    runner = next((k for k in ranked if k != best), None)
    if runner is not None:
        text += _cap(compare(b, accs[runner], code(best), f"the runner-up {code(runner)}")) + ". "
        e_best, e_runner = f.num(f"explore.{best}.epochs"), f.num(f"explore.{runner}.epochs")
        if e_best != e_runner:
            text += (f"The two had different training budgets ({num(e_best)} and {num(e_runner)} epochs), so this "
                     f"compares model and recipe together, not the architectures alone. ")
        cheap = min(names, key=lambda k: explore[k]["params"])
        if cheap != best:
            ratio = f.num(f"explore.{best}.params") / max(f.num(f"explore.{cheap}.params"), 1)
            t_best = f.summary(f"explore.{best}.train_seconds")["mean"]
            t_cheap = f.summary(f"explore.{cheap}.train_seconds")["mean"]
            text += (f"The gain costs {ratio:.1f} times the parameters of the smallest model ({code(cheap)}) and "
                     f"{t_best / max(t_cheap, 1e-9):.1f} times its training time.")
    fig = f.opt("explore_figures.comparison")
    if fig:
        figures["fashion_explore"] = fig
        text = text.rstrip() + " @fig-fashion-explore plots the comparison."
    caption = ("Architectures explored for Fashion-MNIST: parameters, epochs, data augmentation, mean training "
               f"time per seed, and test accuracy (mean ± std and 95 % interval over seeds).")
    return {"rows": rows, "text": text, "caption": caption,
            "figure_caption": "Test accuracy of the explored architectures." if fig else None}


# ----------------------------------------------------------------------------- imdb

def imdb(res: Results, figures: dict) -> dict:
    m = res.sub("imdb")
    return {"a": _imdb_2a(m), "b": _imdb_2b(m, figures), "c": _imdb_2c(m, figures), "d": _imdb_2d(m, figures),
            "e": _imdb_2e(m, figures)}


def _imdb_2a(m: Results) -> dict:
    cfg = {k: m.req(f"config.{k}") for k in ("embedding_dim", "hidden_dim", "num_layers", "dropout_prob",
                                               "batch_size", "max_seq_len", "lr", "epochs", "seeds")}
    d = {k: m.req(f"data.{k}") for k in ("train_size", "val_size", "test_size", "vocab_size")}
    params = m.num("scratch.params")
    rows = [["Embedding", f"{num(d['vocab_size'])} words × {cfg['embedding_dim']} dimensions"],
            ["LSTM", f"{cfg['num_layers']} layer{'s' if cfg['num_layers'] != 1 else ''}, "
                     f"hidden size {cfg['hidden_dim']}"
                     + (f", dropout {m.req('config.lstm_dropout_prob'):g} between layers"
                        if cfg["num_layers"] > 1 and m.opt("config.lstm_dropout_prob") else "")],
            ["Dropout", f"p = {cfg['dropout_prob']:g} on the thought vector"],
            ["Linear + Sigmoid", f"{cfg['hidden_dim']} → 1, probability of a positive review"],
            ["Training", f"BCELoss, Adam, lr {cfg['lr']:g}, batch {cfg['batch_size']}, {cfg['epochs']} epochs"],
            ["Input", f"reviews cut to {num(cfg['max_seq_len'])} tokens"],
            ["Parameters", f"{num(params)} in total"]]
    trunc = m.opt("data.truncated_fraction")
    tokens = m.opt("data.mean_tokens")
    balance = m.opt("data.label_balance") or {}
    text = (f"SimpleLSTM (@tab-lstm) embeds each token, runs an LSTM @hochreiter1997 over the sequence and "
            f"uses the {esc(m.opt('config.readout') or 'last hidden state')} as the thought vector of the review; "
            "dropout, a linear layer and a "
            f"sigmoid turn it into the probability that the review is positive. The data are reviews from the "
            f"IMDB dataset @maas2011: {num(d['train_size'])} for training, {num(d['val_size'])} for validation and "
            f"{num(d['test_size'])} for testing"
            + (" (the full test set)" if m.opt("data.test_full") else ", a random subset of the 25,000 test reviews")
            + f". The vocabulary has {num(d['vocab_size'])} entries: "
            + (f"the most frequent training tokens (at most {num(m.opt('data.max_vocab'))})"
               if m.opt("data.max_vocab") else
               (f"every token seen at least {num(m.opt('data.min_freq'))} times in the training reviews"
                if (m.opt("data.min_freq") or 1) > 1 else "every token of the training reviews"))
            + ", plus padding and unknown-word entries")
    if tokens is not None:
        text += f"; a review has {tokens:.0f} tokens on average"
    if trunc is not None:
        text += f" and {pct(trunc)} of the reviews are longer than {num(cfg['max_seq_len'])} tokens and are truncated"
    text += "."
    if balance.get("train") is not None:
        text += (f" The classes are balanced ({pct(balance['train'])} positive in training), so 50 % is the "
                 "chance level.")
    return {"rows": rows, "text": text}


def _regime(m: Results, regime: str) -> dict:
    r = m.sub(regime)
    return {"acc": r.summary("test_accuracy"), "loss": r.summary("test_loss"), "secs": r.summary("train_seconds"),
            "params": r.num("params"), "trainable": r.num("trainable_params"),
            "curves": curve_facts(_histories(r, "history")), "conv": r.opt("convergence") or {},
            "change": _mean_of(r.opt("embedding_change"))}


def _mean_of(value) -> float | None:
    """A number, or the mean of a summary (embedding_change is either); None when absent."""
    if isinstance(value, dict):
        value = value.get("mean")
    return float(value) if isinstance(value, (int, float)) else None


def _imdb_2b(m: Results, figures: dict) -> dict:
    s = _regime(m, "scratch")
    conv = m.req("scratch.convergence", dict)
    converged = m.req("scratch.convergence.converged", bool)
    cf = s["curves"]
    figures["imdb_curves"] = m.req("comparison.figures.curves", str)
    text = (f"Trained from scratch (random embeddings) for {cf['epochs']} epochs, SimpleLSTM reaches {pm(s['acc'])} "
            f"test accuracy. At the last epoch the training accuracy is {pct(cf['train_acc'][-1])} and the "
            f"validation accuracy {pct(cf['val_acc'][-1])} (@fig-imdb-curves). ")
    crit = conv.get("criterion")
    verdict = conv.get("verdict")
    if converged:
        text += "By the study's criterion" + (f" ({esc(crit)})" if crit else "") + " the model *converged*"
    else:
        text += "By the study's criterion" + (f" ({esc(crit)})" if crit else "") + " the model did *not converge*"
    if verdict:  # the study's verdict may repeat the conclusion ("not converged: ..."); keep only the reason
        verdict = re.sub(r"^\s*(not )?converged\s*:\s*", "", str(verdict)).strip().rstrip(".")
    text += (f": {esc(verdict)}." if verdict else ".")
    why = []
    if cf["train_loss"][-1] > 0.9 * CHANCE_BCE:
        why.append(f"the training loss ({dec(cf['train_loss'][-1])}) is still close to {dec(CHANCE_BCE)} = ln 2, "
                   "the loss of guessing 50 % for every review, so the model has hardly started to learn"
                   + (": a flat loss here is a stall, not convergence to a solution" if converged else ""))
    if cf["gap"] > 0.05:
        why.append(f"the training accuracy is {points(cf['gap'])} above the validation accuracy, so the network "
                   f"fits the {num(m.num('data.train_size'))} training reviews much better than new ones; with "
                   f"{num(s['params'])} parameters, most of them in the embedding, it memorises rather than "
                   "generalises")
    if cf["overfit"]:
        why.append(f"the validation loss was lowest after epoch {cf['best_epoch']} and rose afterwards (overfitting)")
    elif cf["last_gain"] > 0.005:
        why.append(f"the validation accuracy still rose by {points(cf['last_gain'])} in the last epoch, so more "
                   "epochs would help")
    if cf["val_acc"][0] < 0.6 and cf["epochs"] > 1:
        why.append(f"in the first epoch the validation accuracy was only {pct(cf['val_acc'][0])}, near chance: "
                   "randomly initialised embeddings carry no meaning, and the LSTM has to learn word meanings "
                   "and their order from the sentiment labels alone")
    if cf["epochs"] > 1:
        tl, vl = cf["train_loss"], cf["val_loss"]
        text += (f" Over the last epoch the training loss went from {dec(tl[-2])} to {dec(tl[-1])} and the "
                 f"validation loss from {dec(vl[-2])} to {dec(vl[-1])}.")
    if why:
        text += (" What the curves show: " if converged else " Why: ") + "; ".join(why) + "."
    return {"text": text}


def _imdb_2c(m: Results, figures: dict) -> dict:
    g = m.sub("glove")
    words, dim = int(g.num("words")), int(g.num("dim"))
    stats = {k: g.num(f"stats.{k}") for k in ("mean", "std", "min", "max")}
    cov_t, cov_k = g.num("coverage.types"), g.num("coverage.tokens")
    # examples of missing words, skipping tokens that would read as placeholders (e.g. "??", "nan")
    missing = [str(w) for w in g.opt("coverage.missing_examples") or []
               if str(w).strip() and str(w).isprintable() and not PLACEHOLDER.search(str(w))]
    neighbours = g.req("neighbours", dict)
    figures["imdb_tsne"] = g.req("figures.tsne", str)
    source, form = g.opt("source"), g.opt("format")
    if source:  # drop local file paths such as "(/home/me/.venv/...)": they say nothing about the data
        source = re.sub(r"\s*\((/|[A-Za-z]:\\)[^)]*\)", "", str(source)).strip()
    text = ("The GloVe file @pennington2014" + (f" used here is {esc(source)}" if source else "")
            + (f"; its format is {esc(form)}" if form else "") + f". It holds {num(words)} words "
            f"(lower-cased tokens, including punctuation and numbers) with {dim}-dimensional vectors learned from "
            f"global word co-occurrence counts, so that words used in similar contexts get similar vectors. The "
            f"values have mean {dec(stats['mean'])}, standard deviation {dec(stats['std'])} and range "
            f"{dec(stats['min'], 2)} to {dec(stats['max'], 2)}. They cover {pct(cov_t)} of our vocabulary's word "
            f"types and {pct(cov_k)} of the training tokens")
    if missing:
        text += f"; missing are, e.g., {join_words(['“' + esc(w) + '”' for w in missing[:4]])}"
    text += "."
    if g.opt("oov_init"):
        text += f" Initialisation of words without a GloVe vector: {esc(str(g.opt('oov_init')).rstrip('.'))}."
    rows = [[w, ", ".join(f"{n[0]} ({float(n[1]):.2f})" for n in ns[:4])] for w, ns in neighbours.items()]
    text += " @tab-neighbours lists the nearest neighbours of a few words by cosine similarity"
    opp = opposite_neighbours(neighbours)
    if opp:
        w, n, cos = opp[0]
        text += (f". Words of opposite sentiment can be close: “{esc(n)}” is a nearest neighbour of “{esc(w)}” "
                 f"(cosine {cos:.2f}), because both occur in the same contexts; GloVe encodes how words are "
                 "used, not whether they are positive or negative")
    text += ". @fig-imdb-tsne shows a t-SNE projection of the vectors of frequent words."
    return {"text": text, "rows": rows, "dim": dim,
            "caption": f"Nearest neighbours in GloVe ({dim}-d) by cosine similarity.",
            "fig_caption": f"t-SNE projection of GloVe vectors ({dim}-d) of frequent words."}


def opposite_neighbours(neighbours: dict) -> list[tuple[str, str, float]]:
    """(word, neighbour, cosine) where GloVe lists a word of opposite sentiment among the neighbours."""
    found = []
    for word, ns in neighbours.items():
        for entry in ns or []:
            if isinstance(entry, (list, tuple)) and len(entry) >= 2 and frozenset((word, entry[0])) in OPPOSITES:
                found.append((word, str(entry[0]), float(entry[1])))
    return found


def _imdb_2d(m: Results, figures: dict) -> dict:
    regs = {r: _regime(m, r) for r in ("scratch", "frozen", "finetune")}
    rows = []
    for r, v in regs.items():
        rows.append([REGIME_NAMES[r], num(v["trainable"]), _acc_cell(v["acc"]), _ci_cell(v["acc"]),
                     dec(v["loss"]["mean"]),
                     duration(v["secs"]["mean"]),
                     dec(v["change"]) if v["change"] is not None and r != "scratch" else "–"])
    fr, ft, sc = regs["frozen"]["acc"], regs["finetune"]["acc"], regs["scratch"]["acc"]
    n = ft["n"]
    text = (f"@tab-regimes and @fig-imdb-curves compare the three ways of using embeddings, each over "
            f"{_seeds_phrase(n)}. {_cap(compare(ft, fr, 'fine-tuning', 'frozen GloVe'))}. "
            f"{_cap(compare(ft, sc, 'fine-tuned GloVe', 'training from scratch'))}. "
            f"{_cap(compare(fr, sc, 'frozen GloVe', 'training from scratch'))}. ")
    frozen_params = regs["frozen"]["trainable"]
    emb_params = regs["finetune"]["trainable"] - frozen_params
    opp = opposite_neighbours(m.opt("glove.neighbours") or {})
    if ft["mean"] > fr["mean"]:
        text += (f"With frozen embeddings only {num(frozen_params)} parameters are trained and the general-purpose "
                 "vectors cannot adapt to sentiment"
                 + (f" (in GloVe, “{esc(opp[0][1])}” is a nearest neighbour of “{esc(opp[0][0])}”)"
                    if opp else "")
                 + f"; fine-tuning also trains the {num(emb_params)} embedding parameters, starting from "
                 "GloVe's meanings and adapting them to the task")
    else:
        text += (f"Here fine-tuning did not beat frozen embeddings: training the {num(emb_params)} embedding "
                 f"parameters as well, on {num(m.num('data.train_size'))} reviews, can overfit, whereas frozen "
                 f"vectors keep their general meaning and leave only {num(frozen_params)} parameters to train")
    ch = regs["finetune"]["change"]
    if ch is not None:
        text += f" (the embedding rows moved by {dec(ch)} on average in L2 norm"
        chf = regs["frozen"]["change"]
        text += (f", the frozen ones by {dec(chf)})" if chf is not None else ")")
    text += "."
    caption = ("Embedding regimes on IMDB: trainable parameters, test accuracy (mean ± std and 95 % interval over "
               f"{_seeds_phrase(n)}), test loss, training time per seed, mean L2 change of the embedding rows.")
    return {"rows": rows, "text": text, "caption": caption,
            "fig_caption": f"Training and validation curves of the three embedding regimes, {_seeds_phrase(n)}."}


def _explore_size(m: Results, name: str, default: int) -> int:
    """Training-set size of an explored IMDB model (settings.train_size; else the main size)."""
    size = m.opt(f"explore.{name}.settings.train_size")
    return int(size) if isinstance(size, (int, float)) else default


def _imdb_2e(m: Results, figures: dict) -> dict:
    explore = m.opt("explore") or {}
    models = {k: v for k, v in explore.items() if k not in ("learning_curve", "tfidf") and isinstance(v, dict)}
    train_size = int(m.num("data.train_size"))
    test_full = bool(m.opt("data.test_full"))
    ft = m.summary("finetune.test_accuracy")
    parts, rows, not_run = [], [], []
    accs = {k: m.summary(f"explore.{k}.test_accuracy") for k in models}
    sizes_of = {k: _explore_size(m, k, train_size) for k in models}
    for name in models:
        e = m.sub(f"explore.{name}")
        t = e.opt("train_seconds")
        rows.append([name, str(e.opt("description", "")), num(sizes_of[name]), num(e.num("params")),
                     _acc_cell(accs[name]), _ci_cell(accs[name]),
                     duration(t["mean"]) if isinstance(t, dict) else "–"])
    tfidf = explore.get("tfidf")
    t_acc = m.num("explore.tfidf.test_accuracy") if tfidf else None
    t_size = int(m.opt("explore.tfidf.train_size", train_size)) if tfidf else None
    if tfidf:
        rows.append(["tfidf", "TF-IDF + logistic regression (no neural network)", num(t_size), "–",
                     pct(t_acc, unit=False), "one fit", "–"])
    if models:
        best = max(models, key=lambda k: accs[k]["mean"])
        sizes = sorted(set(sizes_of.values()))
        on = (f"on {num(sizes[0])} training reviews each" if len(sizes) == 1 else
              f"on {join_words([num(x) for x in sizes])} training reviews")
        text = (f"@tab-imdb-explore lists the {len(models)} variants of SimpleLSTM explored {on}. The best is "
                f"{code(best)} ({esc(models[best].get('description', ''))}) with {pm(accs[best])}. ")
        ref_name = "base" if "base" in models and best != "base" else None
        if ref_name and sizes_of[ref_name] == sizes_of[best]:
            text += compare(accs[best], accs[ref_name], code(best), f"the reference variant {code(ref_name)}") + "."
        elif best != "base" and sizes_of[best] == train_size:
            text += compare(accs[best], ft, code(best), "the fine-tuned SimpleLSTM of 2d") + "."
        elif best == "base":
            text += "No change to SimpleLSTM beats the unchanged reference variant."
        else:
            text = text.rstrip()
        worst = min(models, key=lambda k: accs[k]["mean"])
        if worst != best:
            text += (f" The weakest is {code(worst)} ({esc(models[worst].get('description', ''))}, "
                     f"{pm(accs[worst])}).")
        parts.append(text)
    else:
        not_run.append("the model variants (bidirectional LSTM, GRU, pooling, sizes)")
    if tfidf:
        # compare TF-IDF with the neural models trained on the same number of reviews
        same = ([(REGIME_MODELS[r], m.summary(f"{r}.test_accuracy")) for r in REGIME_MODELS]
                if t_size == train_size else [])
        same += [(code(k), accs[k]) for k in models if sizes_of[k] == t_size]
        sentence = (f"A TF-IDF bag-of-words baseline with logistic regression"
                    + ("" if models else " (@tab-imdb-explore)")
                    + f", trained on {num(t_size)} reviews, reaches {pct(t_acc)}")
        if same:
            name, best_nn = max(same, key=lambda x: x[1]["mean"])
            if best_nn["n"] > 1 and best_nn["ci95"][0] > t_acc:
                sentence += (f"; the best neural model on the same data, {name} ({pm(best_nn)}), beats it, with "
                             "the TF-IDF accuracy below its 95 % interval.")
            elif best_nn["n"] > 1 and best_nn["ci95"][1] < t_acc:
                sentence += (f" and beats every neural model trained on the same data (best: {name}, "
                             f"{pm(best_nn)}, whose 95 % interval lies below it): with {num(t_size)} reviews, "
                             "word counts capture the sentiment better than the LSTM learns it.")
            elif best_nn["n"] > 1:
                sentence += (f"; the best neural model on the same data, {name} ({pm(best_nn)}), is not clearly "
                             "better or worse: the TF-IDF accuracy lies within its 95 % interval.")
            else:
                sentence += (f"; the best neural model on the same data, {name}, reaches {pm(best_nn)}, "
                             f"{points(best_nn['mean'] - t_acc)} {'above' if best_nn['mean'] >= t_acc else 'below'}"
                             ", but with one seed there is no interval, so this is not a firm result.")
        else:
            sentence += "; no neural model of this run was trained on the same number of reviews."
        parts.append(sentence)
    else:
        not_run.append("the TF-IDF baseline")
    lc = explore.get("learning_curve")
    lc_caption = None
    if lc:
        parts.append(_learning_curve_text(m, figures))
        lc_caption = "Test accuracy against training-set size for the three embedding regimes and TF-IDF."
    else:
        not_run.append("the learning curve over training-set size")
    best_info = m.opt("explore_best") or {}
    best_acc = best_info.get("test_accuracy")
    if isinstance(best_acc, dict):
        best_acc = best_acc.get("mean")
    full = int(best_info.get("train_size") or train_size) >= IMDB_FULL_TRAIN and test_full
    if full and isinstance(best_acc, (int, float)):
        diff = float(best_acc) - MAAS_ACCURACY
        parts.append(f"With the full training and test sets, the best model of this run "
                     f"({_model_name(best_info.get('name', ''))}, {pct(best_acc)}) is {points(diff)} "
                     f"{'above' if diff >= 0 else 'below'} the {pct(MAAS_ACCURACY)} of Maas et al. @maas2011.")
    else:
        parts.append(f"A comparison with the {pct(MAAS_ACCURACY)} of Maas et al. @maas2011 would not be like "
                     f"for like: they trained on all 25,000 training reviews and tested on all 25,000 test "
                     f"reviews, while this run trained on at most {num(train_size)} and tested on "
                     f"{'all' if test_full else num(m.num('data.test_size'))} of them.")
    if not_run:
        parts.append(f"Not run in this preset: {join_words(not_run)}.")
    caption = ("Explored models on IMDB: training reviews, parameters, test accuracy (mean ± std and 95 % interval "
               "over seeds), training time per seed; TF-IDF is a single deterministic fit.")
    return {"text": " ".join(parts), "rows": rows or None, "caption": caption, "lc_caption": lc_caption}


def _model_name(name: str) -> str:
    """As a sentence subject: 'finetune' -> 'fine-tuned GloVe', 'explore.bilstm' -> bilstm (monospace)."""
    name = str(name)
    if name in REGIME_SUBJECTS:
        return REGIME_SUBJECTS[name]
    return code(name.removeprefix("explore."))


def _as_summary(value) -> dict | None:
    if isinstance(value, dict) and "mean" in value:
        return value
    if isinstance(value, (int, float)):
        return {"mean": float(value), "std": 0.0, "n": 1, "ci95": [float(value)] * 2, "per_seed": [float(value)]}
    return None


def _learning_curve_text(m: Results, figures: dict) -> str:
    sizes = [int(x) for x in m.req("explore.learning_curve.sizes", list)]
    regimes = m.req("explore.learning_curve.regimes", dict)
    figures["imdb_learning_curve"] = m.req("explore.learning_curve.figures.curve", str)
    text = (f"@fig-imdb-learning-curve shows test accuracy against the number of training reviews "
            f"({join_words([num(x) for x in sizes])}).")
    # per regime: the points that exist, as (size, summary)
    points_of = {r: [(n, _as_summary(v)) for n, v in zip(sizes, vals) if _as_summary(v) is not None]
                 for r, vals in regimes.items() if isinstance(vals, list)}
    points_of = {r: p for r, p in points_of.items() if p}
    if points_of:
        largest = max(n for p in points_of.values() for n, _ in p)
        at_max = {r: dict(p)[largest] for r, p in points_of.items() if largest in dict(p)}
        if len(at_max) > 1:
            top = max(at_max, key=lambda r: at_max[r]["mean"])
            low = min(at_max, key=lambda r: at_max[r]["mean"])
            text += (f" With {num(largest)} reviews, {_model_name(top)} is best ({pm(at_max[top])}) and "
                     f"{_model_name(low)} worst ({pm(at_max[low])}).")
        gain = {r: p[-1][1]["mean"] - p[0][1]["mean"] for r, p in points_of.items() if len(p) > 1}
        if gain:
            most = max(gain, key=gain.get)
            p = points_of[most]
            text += (f" More data helps {_model_name(most)} most: {pct(p[0][1]['mean'])} with {num(p[0][0])} "
                     f"reviews, {pct(p[-1][1]['mean'])} with {num(p[-1][0])}.")
            if most == "scratch":
                text += " Pretrained vectors matter most when labelled data are scarce."
    tf_sizes = m.opt("explore.learning_curve.tfidf_sizes")
    tf_acc = m.opt("explore.learning_curve.tfidf_all")
    if not (isinstance(tf_sizes, list) and isinstance(tf_acc, list) and len(tf_sizes) == len(tf_acc)):
        tf_sizes, tf_acc = sizes, m.opt("explore.learning_curve.tfidf") or []
    tf = [(int(n), float(a)) for n, a in zip(tf_sizes, tf_acc) if isinstance(a, (int, float))]
    if len(tf) > 1:
        text += (f" TF-IDF goes from {pct(tf[0][1])} with {num(tf[0][0])} reviews to {pct(tf[-1][1])} with "
                 f"{num(tf[-1][0])}.")
    return text


# ----------------------------------------------------------------------------- limits

def limitations(res: Results) -> str:
    env = res.req("run.environment", dict)
    preset = str(res.req("run.preset"))
    n_f = res.summary("fashion.simple_cnn.test_accuracy")["n"]
    n_i = res.summary("imdb.finetune.test_accuracy")["n"]
    train_size = int(res.num("imdb.data.train_size"))
    test_size = int(res.num("imdb.data.test_size"))
    dim = int(res.num("imdb.glove.dim"))
    items = [f"*Seeds.* Means and intervals rest on {_seeds_phrase(n_f)} (Fashion-MNIST) and {_seeds_phrase(n_i)} "
             "(IMDB); with so few seeds the 95 % intervals are wide and a difference that is not significant here "
             "may still be real."]
    f_train, f_val, f_test = (int(res.num(f"fashion.data.{k}")) for k in ("train", "val", "test"))
    if f_train + f_val < 60000 or f_test < 10000:
        items.append(f"*Fashion-MNIST subset.* This preset trained on {num(f_train)} of the 60,000 training images "
                     f"(plus {num(f_val)} for validation) and tested on {num(f_test)} of the 10,000 test images.")
    if train_size < IMDB_FULL_TRAIN or not res.opt("imdb.data.test_full"):
        items.append(f"*IMDB subset.* IMDB was trained on {num(train_size)} of the 25,000 training reviews and "
                     f"tested on {num(test_size)} reviews; its accuracies would likely be higher with the full "
                     "training set and are not directly comparable with published numbers.")
    if dim != 100:
        items.append(f"*Embeddings.* The assignment's 100-dimensional GloVe subset was replaced by the {dim}-"
                     "dimensional GloVe 6B vectors (a package that installs offline), which carry less "
                     "information per word.")
    if env.get("gpu"):
        items.append(f"*Hardware.* Trained on a GPU ({esc(env['gpu'])}); times are not comparable with CPU runs, "
                     "and GPU kernels may differ from CPU results in the last digits.")
    else:
        items.append("*Hardware.* Trained on a CPU, which limited the number of epochs, seeds and the data sizes; "
                     "the times in the tables are CPU times and would be much shorter on a GPU.")
    if preset == "quick":
        items.append("*Preset.* This is the `quick` preset: fewer seeds and smaller data, meant for checking that "
                     "everything runs, not for conclusions.")
    items.append("*Budget.* Every model was trained for a fixed, small number of epochs and no hyperparameter was "
                 "tuned (and none on the test set); longer training or tuned settings may well give higher "
                 "accuracies, so the rankings above hold for this budget only.")
    return items
