"""The headline numbers of a run directory as Markdown tables: printed at the end of every training
command, written to DIR/summary.md by `cnnrnn run`, pasted into the README. One summary for all
commands, read from results.json alone; the verdicts it states are the findings the report phrases
(results.json `findings`, cnnrnn.findings)."""

from __future__ import annotations


def _acc(summary) -> str:
    """Percent with two decimals: test sets of 5,000-25,000 resolve 0.01-0.02 points, and a spread over
    seeds of 0.03 points must not print as 0.0."""
    if not isinstance(summary, dict):
        return f"{100 * summary:.2f}"
    if summary.get("n", len(summary.get("per_seed", []))) > 1:
        return f"{100 * summary['mean']:.2f} +- {100 * summary['std']:.2f}"
    return f"{100 * summary['mean']:.2f}"


def _n(summary) -> int:
    return summary.get("n", 1) if isinstance(summary, dict) else 1


def summary_markdown(results: dict) -> str:
    run = results.get("run", {})
    env = run.get("environment", {})
    calls = run.get("invocations") or []
    wall = (
        (
            f" ({run['wall_seconds'] / 60:.1f} min of wall time"
            + (f" over {len(calls)} commands" if len(calls) > 1 else "")
            + ")"
        )
        if run.get("wall_seconds")
        else ""
    )
    threads = env.get("threads_per_task") or env.get("torch_threads")
    lines = [
        f"Preset `{run.get('preset')}`, {run.get('seconds', 0) / 60:.1f} min of experiments{wall} on "
        f"{env.get('gpu') or env.get('cpu')} ({threads} torch threads per task, executor "
        f"{env.get('executor', 'local')}), torch {env.get('packages', {}).get('torch')}, commit "
        f"{env.get('git_commit')}.",
        "",
    ]
    if run.get("failed"):
        lines += [f"Failed: {', '.join(run['failed'])} (see the log; run the same command again to resume).", ""]
    lines += _fashion_lines(results)
    lines += _imdb_lines(results)
    i = results.get("imdb", {})
    if "best_rnn" in i:
        b = i["best_rnn"]
        lines += [
            "| IMDB best recipe (2e) | training reviews | test reviews | seeds | test accuracy (%) | "
            "train time / seed |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            f"| {b['description']} | {b['train_size']:,} | {b['test_size']:,} | {_n(b['test_accuracy'])} | "
            f"{_acc(b['test_accuracy'])} | {b['train_seconds']['mean']:.0f} s |",
            "",
        ]
    budget = _time_budget(run)
    if budget:
        lines += ([""] if lines[-1] else []) + ["Where the task time went:", ""] + budget
    return "\n".join(lines)


def _fashion_lines(results: dict) -> list[str]:
    """The Fashion-MNIST table and the best recipe (finding 1f)."""
    lines: list[str] = []
    f = results.get("fashion", {})
    rows = (
        [("simple_cnn (spec)", f["simple_cnn"], f["simple_cnn"]["config"]["epochs"])] if "simple_cnn" in f else []
    ) + [(name, e, e.get("epochs")) for name, e in f.get("explore", {}).items()]
    if rows:
        lines += [
            "| Fashion-MNIST model | params | epochs | seeds | train time / seed | test accuracy (%) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, e, epochs in rows:
            ts = e.get("train_seconds", {})
            lines.append(
                f"| {name} | {e.get('params', 0):,} | {epochs} | {_n(e['test_accuracy'])} | "
                f"{ts.get('mean', 0):.0f} s | {_acc(e['test_accuracy'])} |"
            )
        found = results.get("findings", {})
        if found.get("1f"):
            lines.append(f"\nBest explored recipe by validation accuracy: {found['1f']['best']}.")
        lines.append("")
    return lines


def _imdb_lines(results: dict) -> list[str]:
    """The IMDB tables and the regimes' paired verdicts (finding 2d)."""
    lines: list[str] = []
    i = results.get("imdb", {})
    if i.get("data"):
        d = i["data"]
        lines += [
            f"IMDB: {d.get('train_size'):,} training / {d.get('val_size'):,} validation reviews, "
            f"{'all' if d.get('test_full') else 'a stratified sample of'} {d.get('test_size'):,} test reviews.",
            "",
            "| IMDB model | training reviews | test reviews | seeds | test accuracy (%) |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        n, t = f"{d.get('train_size'):,}", f"{d.get('test_size'):,}"
        for regime in ("scratch", "frozen", "finetune"):
            if regime in i:
                e = i[regime]
                lines.append(
                    f"| SimpleLSTM, {regime} embeddings, {e['long']['answer_epoch']} epochs | {n} | {t} | "
                    f"{_n(e['test_accuracy'])} | {_acc(e['test_accuracy'])} |"
                )
                lines.append(
                    f"| SimpleLSTM, {regime} embeddings, best of {e['long']['epochs']} epochs (validation) | "
                    f"{n} | {t} | {_n(e['test_accuracy'])} | {_acc(e['long']['test_accuracy_at_best'])} |"
                )
        for name, e in i.get("explore", {}).items():
            if name != "learning_curve":
                lines.append(
                    f"| {name}: {e['description']} | {e['train_size']:,} | {t} | {_n(e['test_accuracy'])} | "
                    f"{_acc(e['test_accuracy'])} |"
                )
        for kind, label in (("tfidf", "TF-IDF + logistic regression"), ("nbsvm", "NBSVM (uni+bigrams)")):
            if kind in i:
                sub = i[kind]["subset"]
                same = (sub["train_size"], sub["test_size"]) == (i[kind]["train_size"], i[kind]["test_size"])
                for e in [sub] + ([] if same else [i[kind]]):
                    lines.append(
                        f"| {label} | {e['train_size']:,} | {e['test_size']:,} | 1 | {_acc(e['test_accuracy'])} |"
                    )
        for pair in results.get("findings", {}).get("2d", {}).get("pairs", []):  # the verdicts the report phrases
            lines.append("")
            lines.append(f"{pair['a']} vs {pair['b']}: {100 * pair['diff']:+.1f} points, verdict: {pair['verdict']}")
        lines.append("")
    return lines


def _time_budget(run: dict, top: int = 8) -> list[str]:
    """Where the task time went, by experiment, largest first (what to move to another preset)."""
    exps = {n: e.get("seconds", 0.0) for n, e in (run.get("experiments") or {}).items() if e.get("seconds", 0) >= 1}
    total = sum(exps.values())
    if not total:
        return []
    ranked = sorted(exps.items(), key=lambda kv: -kv[1])
    rest = ranked[top:]
    rows = ranked[:top] + ([(f"{len(rest)} others", sum(s for _, s in rest))] if rest else [])
    return [
        "| experiment | task time | share |",
        "| --- | ---: | ---: |",
        *(f"| {name} | {secs / 60:.1f} min | {100 * secs / total:.0f} % |" for name, secs in rows),
    ]
