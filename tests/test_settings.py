"""Settings in one place: every default written once, help texts read from the code, and cache keys
that hold everything a task receives (so a new setting can never leave a stale task behind)."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import types
from dataclasses import replace

import pytest

from cnnrnn import cli
from cnnrnn.cli_options import preset_default
from cnnrnn.data.imdb_tensors import DataSpec
from cnnrnn.models.rnn import DEFAULTS, SentimentRNN
from cnnrnn.runner import PRESETS, Task
from cnnrnn.studies.fashion import config as fconfig
from cnnrnn.studies.fashion import tasks as ftasks
from cnnrnn.studies.imdb import config as iconfig
from cnnrnn.studies.imdb import tasks as itasks
from cnnrnn.studies.imdb.training import TrainSettings
from cnnrnn.utils.keys import task_key


def _tasks(fashion: fconfig.FashionConfig, imdb: iconfig.ImdbConfig) -> dict[str, Task]:
    exps = ftasks.experiments(fashion) + itasks.experiments(imdb)
    return {t.name: t for e in exps for t in e.tasks}


def _preset_tasks(preset: str) -> dict[str, Task]:
    return _tasks(fconfig.preset_config(preset), iconfig.preset_config(preset))


def _other(value):
    """A different value of the same kind, to change one setting."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if value is None:
        return 1
    if isinstance(value, (list, tuple)):
        return type(value)([*value, 1])
    if isinstance(value, dict):
        return {**value, "x": 1}
    if dataclasses.is_dataclass(value):
        f = dataclasses.fields(value)[0]
        return replace(value, **{f.name: _other(getattr(value, f.name))})
    raise TypeError(type(value))


# ---------------------------------------------------------------- cache keys


@pytest.mark.parametrize("preset", PRESETS)
def test_every_task_key_is_everything_the_task_receives(preset):
    tasks = _preset_tasks(preset)
    assert len(tasks) > 20
    for t in tasks.values():
        assert t.key == task_key(t.kwargs), t.name
        # what the function takes is what the key holds (nothing reaches it outside the key)
        params = [p for p in inspect.signature(t.fn).parameters if p != "env"]
        assert sorted(params) == sorted(t.kwargs) == sorted(t.key), t.name
        for name, value in t.kwargs.items():
            # a study's whole config never goes to a task: more seeds must not re-run finished ones
            assert not isinstance(value, (fconfig.FashionConfig, iconfig.ImdbConfig)), (t.name, name)
            if dataclasses.is_dataclass(value):
                assert set(t.key[name]) == {f.name for f in dataclasses.fields(value)}, (t.name, name)


def test_changing_any_field_a_task_receives_changes_its_key():
    """Every field of every settings dataclass a task receives, present and future, is in its key."""
    checked = set()
    for t in _preset_tasks("quick").values():
        for name, value in t.kwargs.items():
            if not dataclasses.is_dataclass(value):
                continue
            for f in dataclasses.fields(value):
                changed = {**t.kwargs, name: replace(value, **{f.name: _other(getattr(value, f.name))})}
                assert task_key(changed) != t.key, (t.name, name, f.name)
                checked.add((type(value).__name__, f.name))
    assert {"FashionTaskSettings", "Recipe", "DataSpec", "TrainSettings"} <= {c for c, _ in checked}


def test_a_new_setting_enters_the_key_without_anyone_adding_it():
    # a developer adds a field to the data settings: the key of every task that receives them changes
    spec_plus = dataclasses.make_dataclass(
        "SpecPlus", [("new_setting", int, dataclasses.field(default=7))], bases=(DataSpec,), frozen=True
    )
    old, new = task_key({"spec": DataSpec(), "seed": 0}), task_key({"spec": spec_plus(), "seed": 0})
    assert new != old and new["spec"]["new_setting"] == 7
    # and a new per-task field of the Fashion study reaches its tasks: task_settings() copies all fields
    assert set(dataclasses.asdict(fconfig.FashionConfig().task_settings())) == {
        f.name for f in dataclasses.fields(fconfig.FashionTaskSettings)
    }


def test_task_key_refuses_what_it_cannot_represent_faithfully():
    with pytest.raises(TypeError, match="settings.fn"):
        task_key({"settings": {"fn": len}})
    with pytest.raises(TypeError, match="x"):
        task_key({"x": object()})
    assert task_key({"t": (1, 2), "s": {3: "a"}}) == {"t": [1, 2], "s": {"3": "a"}}


def test_a_setting_changes_only_the_tasks_that_read_it():
    base = _tasks(fconfig.preset_config("quick"), iconfig.preset_config("quick"))
    # more seeds: every task that existed keeps its key (resume runs only the new seeds)
    f = fconfig.preset_config("quick")
    f.seeds, f.explore_seeds = [0, 1, 2], [0, 1]
    more = _tasks(f, replace(iconfig.preset_config("quick"), seeds=[0, 1, 2, 3]))
    assert set(base) < set(more)
    assert all(more[n].key == t.key for n, t in base.items())
    # a data setting of the IMDB study re-runs every IMDB task and no Fashion task
    changed = _tasks(fconfig.preset_config("quick"), replace(iconfig.preset_config("quick"), val_fraction=0.2))
    differ = {n for n, t in base.items() if changed[n].key != t.key}
    assert differ == {n for n in base if n.startswith("imdb.")}
    # a per-task Fashion setting re-runs the Fashion training tasks only
    f = fconfig.preset_config("quick")
    f.eval_batch_size = 500
    differ = {n for n, t in _tasks(f, iconfig.preset_config("quick")).items() if t.key != base[n].key}
    assert differ == {n for n in base if n.startswith("fashion.") and n != "fashion.summary"}


# ---------------------------------------------------------------- one definition per setting


@pytest.mark.parametrize(
    "config, fields_of",
    [(iconfig.ImdbConfig, DataSpec), (fconfig.FashionConfig, fconfig.FashionTaskSettings)],
)
def test_study_configs_inherit_the_task_settings_instead_of_repeating_them(config, fields_of):
    own = config.__dict__.get("__annotations__", {})
    shared = {f.name for f in dataclasses.fields(fields_of)}
    assert shared <= {f.name for f in dataclasses.fields(config)} and not shared & set(own)


def test_the_data_spec_of_the_main_runs_is_the_configs_data_fields():
    cfg = replace(iconfig.preset_config("quick"), min_freq=3, max_vocab=50)
    assert cfg.data_spec() == DataSpec(
        **{f.name: getattr(cfg, f.name) for f in dataclasses.fields(DataSpec)}
    ) and cfg.data_spec(123) == replace(cfg.data_spec(), train_size=123)


def test_model_and_training_defaults_are_written_once():
    params = inspect.signature(SentimentRNN).parameters
    assert {k: params[k].default for k in DEFAULTS} == DEFAULTS
    kw = iconfig.ImdbConfig().model_kwargs()
    assert {k: kw[k] for k in DEFAULTS} == DEFAULTS
    s, cfg = TrainSettings(), iconfig.ImdbConfig()
    assert (cfg.batch_size, cfg.lr, cfg.epochs, cfg.grad_clip, cfg.eval_batch_size) == (
        s.batch_size,
        s.lr,
        s.epochs,
        s.grad_clip,
        s.eval_batch_size,
    )


# ---------------------------------------------------------------- help texts


def _options(*command: str) -> dict[str, argparse.Action]:
    parser = cli.build_parser()
    for name in command:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return {o: a for a in parser._actions for o in a.option_strings}


@pytest.mark.parametrize(
    "option, value",
    [
        ("--seeds", lambda c: len(c.seeds)),
        ("--epochs", lambda c: c.epochs),
        ("--long-epochs", lambda c: c.long_epochs),
        ("--train-size", lambda c: c.train_size),
        ("--test-size", lambda c: c.test_size),
        ("--hidden-dim", lambda c: c.hidden_dim),
        ("--num-layers", lambda c: c.num_layers),
        ("--embedding-dim", lambda c: c.embedding_dim),
        ("--max-seq-len", lambda c: c.max_seq_len),
    ],
)
def test_imdb_help_states_the_presets_values(option, value):
    text = _options("imdb")[option].help
    for preset in PRESETS:
        assert f"{value(iconfig.preset_config(preset))}" in text, (option, preset)
    assert preset_default(iconfig.preset_config, value) in text


@pytest.mark.parametrize(
    "option, value",
    [
        ("--seeds", lambda c: len(c.seeds)),
        ("--epochs", lambda c: c.epochs),
        ("--val-size", lambda c: c.val_size),
        ("--explore-epochs", lambda c: c.explore_epochs),
    ],
)
def test_fashion_help_states_the_presets_values(option, value):
    assert preset_default(fconfig.preset_config, value) in _options("fashion")[option].help


def test_preset_default_names_only_the_presets_that_differ():
    def config(preset):
        return {"quick": 2, "default": 5, "full": 5}[preset]

    assert preset_default(config, lambda c: c) == "default: 5; quick: 2"
    assert preset_default(config, lambda c: None) == "default: none"


def test_shared_options_are_defined_once():
    run, fashion = _options("run"), _options("fashion")
    assert run["--no-verify"].help == fashion["--no-verify"].help
    imdb, glove = _options("imdb"), _options("glove", "describe")
    assert imdb["--data"].help == fashion["--data"].help == glove["--data"].help
    assert imdb["--glove"].help == glove["--glove"].help


def test_command_modules_are_imported_not_named():
    assert all(isinstance(m, types.ModuleType) and callable(m.register_cli) for m in cli.COMMAND_MODULES)
