"""Benchmark: how good was the progress line's ETA? Read a run's log, compare each estimate with the truth.

    make run 2>&1 | tee run.log                       # any run (the default preset is the one that counts)
    .venv/bin/python bench/eta.py run.log             # the estimate in force at 10 % of the run, and every line
    .venv/bin/python bench/eta.py run.log --at 0.1 0.25 0.5

The runner prints `[0/N] start: ... | elapsed 0:00, ETA M:SS` when it starts (from the tasks' expected
costs alone) and `[k/N] task: S s | elapsed M:SS, ETA M:SS` whenever a task finishes. At a moment t
the estimate in force is the last line printed before t: it predicts the end at its elapsed + ETA.
The truth is the elapsed time of the last line (the last task's end). The error at t is predicted
time left / true time left - 1 (the issue asks for about 30 % or better at 10 % of the default run).
Prints a markdown table; with --write, also bench/results/eta.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from cnnrnn.utils.io import atomic_write_text  # noqa: E402

LINE = re.compile(r"^\[(\d+)/(\d+)\] (\S+): .*\| elapsed ([\d:]+), ETA ([\d:]+)\s*$")


def seconds(clock: str) -> float:
    parts = [int(p) for p in clock.split(":")]
    s = 0
    for p in parts:
        s = 60 * s + p
    return float(s)


def read_log(text: str) -> list[tuple[int, int, str, float, float]]:
    """(done, total, name, elapsed, eta) of every progress line of the last run in `text`."""
    rows = []
    for line in text.splitlines():
        m = LINE.match(line.strip())
        if m:
            done, total, name, elapsed, eta = m.groups()
            if done == "0":
                rows = []  # a new run (or a resumed command) starts the count again
            rows.append((int(done), int(total), name, seconds(elapsed), seconds(eta)))
    return rows


def in_force(rows, t: float):
    """The last progress line printed at or before `t` seconds."""
    before = [r for r in rows if r[3] <= t]
    return before[-1] if before else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log", help="the run's output (stdout), e.g. from `make run 2>&1 | tee run.log`")
    ap.add_argument("--at", type=float, nargs="+", default=[0.1, 0.25, 0.5], help="fractions of the run")
    ap.add_argument("--write", action="store_true", help="also write bench/results/eta.md")
    args = ap.parse_args(argv)
    try:
        rows = read_log(Path(args.log).read_text(errors="replace"))
    except OSError as e:
        print(f"cnnrnn: error: {args.log}: {e.strerror or e}", file=sys.stderr)
        return 2
    if not rows or rows[-1][0] != rows[-1][1]:
        print(f"cnnrnn: error: {args.log}: no complete run's progress lines in it", file=sys.stderr)
        return 2
    end = rows[-1][3]
    lines = [
        f"## ETA of the progress line against the truth (`bench/eta.py {Path(args.log).name}`)",
        "",
        f"{rows[-1][1]} tasks, the last finished at {end:.0f} s of wall time.",
        "",
        "| at | estimate printed at | predicted time left | true time left | error |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for frac in args.at:
        t = frac * end
        r = in_force(rows, t)
        if r is None:
            continue
        predicted, true = r[3] + r[4] - t, end - t
        lines.append(
            f"| {100 * frac:.0f} % ({t:.0f} s) | {r[3]:.0f} s ([{r[0]}/{r[1]}]) | {predicted:.0f} s | {true:.0f} s | "
            f"{100 * (predicted / true - 1):+.0f} % |"
        )
    lines += ["", "Every line: done, elapsed, predicted end (elapsed + ETA), error of the time left.", ""]
    lines += ["| done | elapsed (s) | predicted end (s) | error |", "| ---: | ---: | ---: | ---: |"]
    for done, total, _, elapsed, eta in rows[:-1]:
        true = end - elapsed
        err = f"{100 * (eta / true - 1):+.0f} %" if true > 0 else ""
        lines.append(f"| {done}/{total} | {elapsed:.0f} | {elapsed + eta:.0f} | {err} |")
    md = "\n".join(lines) + "\n"
    print(md)
    if args.write:
        atomic_write_text(REPO / "bench" / "results" / "eta.md", md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
