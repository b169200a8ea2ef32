"""What both halves of the report share: phrasing helpers, the run/reproducibility section and the
limitations. The report phrases verdicts that the studies computed and wrote into results.json
(cnnrnn.verdicts, the studies' analysis modules); it never re-derives them.

Each section function returns the part of the template context for one section: table rows
(lists of plain strings), captions and paragraphs (Typst markup, evaluated by the template).
Every value taken from the data goes through `esc`. Figures are registered in `figures`
(key -> path stem); the template labels them `<fig-KEY>` and the text refers to them as `@fig-KEY`.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from cnnrnn.report.format import ci, duration, esc, hide_paths, num, pm, points
from cnnrnn.report.results import Results
from cnnrnn.utils.env import describe_hardware


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


def phrase_comparison(c: dict, name_a: str, name_b: str) -> str:
    """One sentence for a comparison that the study decided (cnnrnn.verdicts.compare): a is `c["a"]`.
    "beats" only where the study named a winner; otherwise the sentence states where the means lie
    (`higher`, None for the same mean)."""
    real = c.get("winner") in ("a", "b")
    side = c["winner"] if real else c["higher"]
    better, worse = (name_a, name_b) if side in ("a", None) else (name_b, name_a)
    head = (
        f"{name_a} and {name_b} reach the same mean accuracy"
        if side is None
        else f"{better} beats {worse} by {points(c['diff'])}"
        if real
        else f"{better} is {points(c['diff'])} above {worse} on average"
    )
    if c["verdict"] == "too few seeds":
        n = min(c["n_a"], c["n_b"])
        return head + (f" ({_seeds_phrase(n)}, too few for an interval, so no claim of a difference)")
    p = f"{c['test'].split(' (')[0].split(';')[0]} p = {c['p']:.2g}" if c.get("p") is not None else "no p-value"
    if c.get("paired"):
        # the interval in the sentence's direction: of better - worse
        lo, hi = c["ci95"] if side in ("a", None) else (-c["ci95"][1], -c["ci95"][0])

        def signed(x: float) -> str:
            return f"{100 * x:+.1f}".replace("-", "−")

        interval = f"the 95 % interval of the paired per-seed difference is [{signed(lo)}, {signed(hi)}] points"
    else:
        interval = "the two 95 % intervals " + ("overlap" if c["verdict"] == "no difference" else "do not overlap")
    if c["verdict"] == "no difference":
        return head + f", but {interval} ({p}): no difference can be claimed"
    return head + f"; {interval} ({p}), so the difference is real at this number of seeds"


# ----------------------------------------------------------------------------- run


def _run_time(res: Results, env: dict) -> str:
    """Task time, wall time and, for a resumed run, over how many commands (results.json run.invocations)."""
    text = f"{duration(res.num('run.seconds'))} of experiments (the sum over tasks)"
    calls = res.opt("run.invocations") or []
    wall = res.opt("run.wall_seconds")
    if wall:
        text += f", {duration(float(wall))} of wall time"
        if len(calls) > 1:
            text += f" over {len(calls)} commands (results.json lists them: run.invocations)"
    started = calls[0].get("started") if calls and isinstance(calls[0], dict) else env.get("timestamp_utc")
    return text + (f", started {esc(started)}" if started else "")


def run_info(res: Results, run_dir: Path) -> dict:
    env = res.req("run.environment", dict)
    preset = str(res.req("run.preset"))
    device = env.get("device") or "cpu"
    packages = env.get("packages") or {}
    versions = [f"Python {esc(env.get('python', '?').split()[0])}"] if env.get("python") else []
    versions += [f"{esc(k)} {esc(v)}" for k, v in packages.items() if v]
    commit = env.get("git_commit")
    # paths as the user's machine spelled them would show user names and home folders: last components only
    command = hide_paths(
        recorded_command(run_dir)
        or f"cnnrnn run --out {shlex.quote(_shown_dir(run_dir))} --preset {preset} --device {device}"
    )
    complete = res.opt("run.complete", True)
    seeds_f = res.opt("fashion.simple_cnn.config.seeds") or []
    seeds_i = res.opt("imdb.config.seeds") or []
    subset_seed = res.opt("imdb.data.subset_seed")
    items = [
        f"*Hardware.* {esc(describe_hardware(env))}; training device: {esc(device)}.",
        f"*Software.* {', '.join(versions) if versions else 'versions not recorded'}.",
        f"*Code.* cnnrnn {esc(env.get('cnnrnn', ''))}"
        + (f", git commit #raw({json_str(_short_commit(commit))})" if commit else ", git commit not recorded")
        + ".",
        f"*Preset and command.* `{preset}`: #raw({json_str(command)}) (the report alone: "
        f"#raw({json_str('cnnrnn report ' + shlex.quote(_shown_dir(run_dir)))})).",
        f"*Seeds.* Fashion-MNIST {esc(', '.join(map(str, seeds_f))) or 'not recorded'}; "
        f"IMDB {esc(', '.join(map(str, seeds_i))) or 'not recorded'}"
        + (f" (subset seed {esc(subset_seed)})" if subset_seed is not None else "")
        + ". The same seed on the same device reproduces the same numbers.",
        f"*Run time.* {_run_time(res, env)}."
        + (
            ""
            if complete
            else " *The run was not complete when this report was built*; missing parts are marked as not run."
        ),
    ]
    return {
        "preset": preset,
        "date": str(env.get("timestamp_utc", ""))[:10] or "date not recorded",
        "hardware": esc(describe_hardware(env)),
        "items": items,
        "complete": bool(complete),
        "gpu": bool(env.get("gpu")),
        "seconds": duration(res.num("run.seconds")),
    }


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


# ----------------------------------------------------------------------------- limits


def _full_split_exception(res: Results) -> str:
    """The best recipe (2e) and the baselines beside it use the full split: say so in the subset item."""
    train = res.opt("imdb.best_rnn.train_size")
    test = res.opt("imdb.best_rnn.test_size")
    if train is None or test is None:
        return ""
    # full_data: the study's own decision that this is the official split (as in the 2e literature table)
    where = (
        "all 25,000 test reviews, as the published numbers are"
        if res.opt("imdb.best_rnn.full_data")
        else f"{num(int(test))} test reviews"
    )
    return (
        f" The exception is the best recipe of 2e and the TF-IDF and NBSVM baselines beside it: trained on "
        f"{num(int(train))} reviews of the official training split and tested on {where}."
    )


def limitations(res: Results) -> str:
    env = res.req("run.environment", dict)
    preset = str(res.req("run.preset"))
    n_f = res.summary("fashion.simple_cnn.test_accuracy")["n"]
    n_i = res.summary("imdb.finetune.test_accuracy")["n"]
    train_size = int(res.num("imdb.data.train_size"))
    test_size = int(res.num("imdb.data.test_size"))
    dim = int(res.num("imdb.glove.dim"))
    items = [
        f"*Seeds.* Means and intervals rest on {_seeds_phrase(n_f)} (Fashion-MNIST) and {_seeds_phrase(n_i)} "
        "(IMDB); with so few seeds the 95 % intervals are wide and a difference that is not significant here "
        "may still be real."
    ]
    f_train, f_val, f_test = (int(res.num(f"findings.1b.{k}")) for k in ("train", "val", "test"))
    if res.req("findings.1b.train_cut") or not res.req("findings.1b.test_full"):
        items.append(
            f"*Fashion-MNIST subset.* This preset trained on {num(f_train)} of the 60,000 training images "
            f"(plus {num(f_val)} for validation) and tested on {num(f_test)} of the 10,000 test images."
        )
    if not res.opt("imdb.data.train_full") or not res.opt("imdb.data.test_full"):
        items.append(
            f"*IMDB subset.* IMDB was trained on {num(train_size)} of the 25,000 training reviews and "
            f"tested on {num(test_size)} reviews; its accuracies would likely be higher with the full "
            "training set and are not directly comparable with published numbers." + _full_split_exception(res)
        )
    if not res.req("findings.2c.specified_dim"):
        items.append(
            f"*Embeddings.* The assignment's 100-dimensional GloVe subset was replaced by the {dim}-"
            "dimensional GloVe 6B vectors (a package that installs offline), which carry less "
            "information per word."
        )
    if env.get("gpu"):
        items.append(
            f"*Hardware.* Trained on a GPU ({esc(env['gpu'])}); times are not comparable with CPU runs, "
            "and GPU kernels may differ from CPU results in the last digits."
        )
    else:
        items.append(
            "*Hardware.* Trained on a CPU, which limited the number of epochs, seeds and the data sizes; "
            "the times in the tables are CPU times and would be much shorter on a GPU."
        )
    if preset == "quick":
        items.append(
            "*Preset.* This is the `quick` preset: fewer seeds and smaller data, meant for checking that "
            "everything runs, not for conclusions."
        )
    items.append(
        "*Budget.* Every model was trained for a fixed, small number of epochs. The specified models use "
        "the assignment's hyperparameters; the best recipes of 1f and 2e were chosen on validation splits "
        "(never on the test set) from a handful of candidates, not by a systematic search. Longer training "
        "or tuned settings may well give higher accuracies, so the rankings above hold for this budget "
        "only."
    )
    return items
