"""Run every benchmark one after another (never side by side: they would share the cores)
and assemble BENCHMARKS.md from the sections they write to bench/results/*.md.

    python bench/run_all.py            # full benchmarks (several minutes on a 2-core CPU)
    python bench/run_all.py --quick    # smoke run: tiny sizes, numbers not meaningful
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BENCHES = ["bench_fashion.py", "bench_imdb.py", "bench_best_models.py"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--quick", action="store_true", help="tiny smoke run; does not rewrite BENCHMARKS.md (default: off)"
    )
    ap.add_argument(
        "--assemble",
        action="store_true",
        help="only rebuild BENCHMARKS.md from bench/results/*.md, e.g. after running one benchmark "
        "by itself (default: run them all first)",
    )
    args = ap.parse_args()
    for bench in [] if args.assemble else BENCHES:
        cmd = [sys.executable, str(HERE / bench)] + (["--quick"] if args.quick else [])
        print("$", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True, cwd=REPO)
    if args.quick:
        return 0
    sections = [(HERE / "results" / f"{Path(b).stem.removeprefix('bench_')}.md").read_text() for b in BENCHES]
    head = (
        "# Benchmarks\n\n"
        "Measured by `make bench` (= `python bench/run_all.py`), each benchmark alone on the machine.\n"
        "Every speed is a ratio against a baseline measured in the same run, so the numbers compare\n"
        f"like with like on whatever machine ran them. Assembled {dt.date.today().isoformat()}.\n\n"
    )
    from cnnrnn.utils.io import atomic_write_text

    atomic_write_text(REPO / "BENCHMARKS.md", head + "\n".join(s.strip() + "\n" for s in sections))
    print("wrote BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
