"""Command-line interface: `cnnrnn <command> --help` for each command's options.

    cnnrnn run --out runs/main [--preset quick|default|full]   all experiments, then report.pdf
    cnnrnn fashion summary                                     task 1a: the SimpleCNN layer table
    cnnrnn fashion --out runs/fashion [--model NAME]           tasks 1a-1f
    cnnrnn imdb --out runs/imdb [--embeddings scratch|frozen|finetune]   tasks 2a-2e
    cnnrnn glove describe | subset                             task 2c: what the GloVe file holds
    cnnrnn report runs/main                                    rebuild the PDF from a run directory
    cnnrnn bundle runs/main --login LOGIN                      the hand-in ZIP

Every failure the user can fix ends with one line `cnnrnn: error: ...` and exit status 2; so does
every OS error (`cnnrnn: error: PATH: reason`: permissions, a file where a folder belongs, ...).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from cnnrnn import __version__, bundle, pipeline, predict
from cnnrnn.errors import CnnrnnError, os_error_message
from cnnrnn.report import builder
from cnnrnn.studies.fashion import cli as fashion_cli
from cnnrnn.studies.imdb import cli as imdb_cli
from cnnrnn.studies.imdb import glove as glove_cli
from cnnrnn.utils.perf import tune_cpu_allocator

# Each module defines register_cli(subparsers), adding its command(s) with `func` set; a new command
# is one more module here. In this order they appear in `cnnrnn --help`.
COMMAND_MODULES = [fashion_cli, imdb_cli, glove_cli, pipeline, builder, bundle, predict]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnnrnn",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.split("\n")[2:10]),
    )
    parser.add_argument("--version", action="version", version=f"cnnrnn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register_cli(sub)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill PID`, a scheduler's time limit): stop as Ctrl-C does, keeping what finished."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    tune_cpu_allocator()  # before any large tensor: see utils/perf.py
    args.argv = list(argv) if argv is not None else sys.argv[1:]  # recorded in config.json
    # `kill PID` takes the Ctrl-C path: queued tasks dropped, workers stopped, results.json saved
    # with this command recorded as interrupted (signals can only be set from the main thread)
    in_main = threading.current_thread() is threading.main_thread()
    before = signal.signal(signal.SIGTERM, _on_sigterm) if in_main else None
    try:
        return int(args.func(args) or 0)
    except CnnrnnError as e:
        print(f"cnnrnn: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        # the one place OS errors become messages: a read-only --out, a file where a folder must be,
        # a folder where a file must be, a full disk, ... -> `cnnrnn: error: PATH: reason`
        print(f"cnnrnn: error: {os_error_message(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        how = "terminated (SIGTERM)" if isinstance(e, Terminated) else "interrupted"
        print(f"cnnrnn: {how}; finished experiments are kept, run the same command again to resume", file=sys.stderr)
        return 143 if isinstance(e, Terminated) else 130
    finally:
        if in_main and before is not None:
            signal.signal(signal.SIGTERM, before)


if __name__ == "__main__":
    raise SystemExit(main())
