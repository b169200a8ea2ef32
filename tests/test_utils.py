import json
import math

import pytest

from cnnrnn.errors import CnnrnnError
from cnnrnn.utils.device import resolve_device
from cnnrnn.utils.io import atomic_path, atomic_write_json, deep_merge, read_json
from cnnrnn.utils.stats import intervals_overlap, summarize


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_json_roundtrip_handles_nan(tmp_path):
    p = atomic_write_json(tmp_path / "a.json", {"x": float("nan"), "y": (1, 2)})
    assert json.loads(p.read_text()) == {"x": None, "y": [1, 2]}


def test_read_json_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CnnrnnError, match="bad.json"):
        read_json(bad)
    with pytest.raises(CnnrnnError, match="missing.json: file not found"):
        read_json(tmp_path / "missing.json")


def test_deep_merge():
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3, "d": 4}}) == {"a": {"b": 1, "c": 3, "d": 4}}


def test_summarize_mean_std_ci():
    s = summarize([1.0, 2.0, 3.0])
    assert s["mean"] == 2.0 and math.isclose(s["std"], 1.0)
    assert math.isclose(s["ci95"][1] - 2.0, 4.303 / math.sqrt(3))
    assert summarize([5.0])["ci95"] == [5.0, 5.0]
    assert intervals_overlap(summarize([1, 2, 3]), summarize([2, 3, 4]))
    assert not intervals_overlap(summarize([1, 1.1, 1.2]), summarize([5, 5.1, 5.2]))


def test_resolve_device():
    assert resolve_device("cpu").type == "cpu"
    with pytest.raises(CnnrnnError, match="--device"):
        resolve_device("tpu")


def test_threads_option_sets_torch_threads(tmp_path):
    import argparse

    import torch

    from cnnrnn.cli_options import add_run_args, settings_from_args

    p = argparse.ArgumentParser()
    add_run_args(p, default_out=str(tmp_path / "run"))
    before = torch.get_num_threads()
    try:
        settings_from_args(p.parse_args(["--threads", "1", "--device", "cpu"]))
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    with pytest.raises(SystemExit):
        p.parse_args(["--threads", "0"])


def _allocator_in_subprocess(env_value):
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "CNNRNN_ALLOCATOR_TUNING": env_value}
    code = (
        "import json; from cnnrnn.utils.perf import tune_cpu_allocator; from cnnrnn.utils.env import "
        "environment_info; a = tune_cpu_allocator(); print(json.dumps([a, environment_info()['allocator']]))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def _late_faults_of_repeated_large_blocks(tuning: str) -> tuple[str, int]:
    """In a fresh process: 12 times a 64 MB tensor (above glibc's largest mmap threshold, like oneDNN's
    LSTM workspaces) and a small one, the large one freed (a training step's pattern); the page faults of
    the last 4 rounds."""
    import os
    import subprocess
    import sys

    code = (
        "import resource, torch; from cnnrnn.utils.perf import tune_cpu_allocator; t = tune_cpu_allocator()\n"
        "faults = []\n"
        "for _ in range(12):\n"
        "    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "    x = torch.ones(16 * 2**20); y = torch.ones(1000); del x\n"
        "    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)\n"
        "print(t['allocator'], sum(faults[-4:]))"
    )
    env = {**os.environ, "CNNRNN_ALLOCATOR_TUNING": tuning}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    allocator, faults = out.split()[-2:]
    return allocator, int(faults)


def test_tuned_allocator_reuses_large_freed_blocks_warm():
    """glibc maps every block above 32 MB afresh (16,384 page faults for 64 MB, each time); tuned, the
    heap serves them again without new pages once it has grown to the pattern."""
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("glibc's mallopt")
    allocator, tuned = _late_faults_of_repeated_large_blocks("1")
    if allocator != "glibc":
        pytest.skip("not glibc")
    _, default = _late_faults_of_repeated_large_blocks("0")
    assert default > 3 * 16_384  # what the training steps paid before
    assert tuned < 16_384 // 2


def test_allocator_tuning_is_recorded_and_can_be_switched_off():
    import sys

    tuned, recorded = _allocator_in_subprocess("1")
    assert tuned == recorded
    if sys.platform.startswith("linux"):
        assert tuned["allocator"] in ("glibc", "default (mallopt unavailable)")
        if tuned["allocator"] == "glibc":
            assert tuned["mmap_threshold"] == 32 * 2**20 and tuned["mmap_max"] == 0
    off, _ = _allocator_in_subprocess("0")
    assert off == {"allocator": "default (CNNRNN_ALLOCATOR_TUNING=0)"}
