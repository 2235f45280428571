"""Test helpers: small jobs that exercise the job system, and the topic contract checker.

``train`` counts steps with an optional sleep, crash (``os._exit``) or exception, so the
worker pool's behaviour can be checked end to end; ``train_mlp`` is a tiny real Keras fit.
Neither is a topic: the worker finds their ``Config`` next to them (see
:func:`dl_core.topics.trainer`). :func:`check_topic` checks a registered topic's contract,
as Gymnasium's env checker does for an environment.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from dl_core.errors import ConfigError


@dataclass(frozen=True)
class Config:
    steps: int = 5
    sleep_s: float = 0.0
    crash_at: int = -1  # step at which the process exits hard (simulates a segfault/OOM kill)
    raise_at: int = -1  # step at which a Python exception is raised
    user_error: bool = False
    report: bool = True  # False: a loop that never reports (cannot be stopped politely)
    seed: int = 0
    epochs: int = 2  # train_mlp only
    samples: int = 512  # train_mlp only


PRESETS = {"tiny": Config(), "default": Config(steps=20)}


def train(cfg: Config, data: bytes | None, report) -> dict:
    """Count to ``cfg.steps``; returns the data length and an array."""
    if cfg.user_error:
        raise ConfigError("Steps must be positive.")
    total = 0
    for step in range(1, cfg.steps + 1):
        if step == cfg.crash_at:
            os._exit(3)
        if step == cfg.raise_at:
            raise RuntimeError(f"boom at step {step}")
        if cfg.sleep_s:
            time.sleep(cfg.sleep_s)
        total += step
        if cfg.report:
            report(step=step, total=cfg.steps, metrics={"total": total})
    report(epoch=1, total=1, metrics={"total": total}, preview=np.arange(4))
    return {
        "total": total,
        "data_len": len(data or b""),
        "squares": np.arange(cfg.steps) ** 2,
        "pid": os.getpid(),
    }


def train_mlp(cfg: Config, data: bytes | None, report) -> dict:
    """A tiny Keras MLP on synthetic data: the smallest real training job."""
    import keras

    rng = np.random.default_rng(cfg.seed)
    x = rng.normal(size=(cfg.samples, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    keras.utils.set_random_seed(cfg.seed)
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    steps = int(np.ceil(cfg.samples / 32))
    hist = model.fit(
        x,
        y,
        epochs=cfg.epochs,
        batch_size=32,
        verbose=0,
        callbacks=[report.keras_callback(cfg.epochs, steps)],
    )
    return {
        "model": model,
        "history": {k: [float(v) for v in vs] for k, vs in hist.history.items()},
    }


def worker_info(cfg: Config, data: bytes | None, report) -> dict:
    """The CPU limits the process running this job has (niceness, cores, thread variables)."""
    from dl_core.jobs import cpu

    report(epoch=1, total=1, metrics={})
    return cpu.current() | {"pid": os.getpid()}


# -- the topic contract (like Gymnasium's env checker) ---------------------------------------
def check_topic(topic, *, train: bool = True) -> None:
    """Check that a registered topic keeps the contract; raise ``AssertionError`` if not.

    For each of its models: ``Config`` is a frozen dataclass with a ``seed``; ``PRESETS``
    has ``"tiny"`` and ``"default"``; every preset survives the JSON round trip of job keys
    and URLs and passes ``validate``; the registered ``train`` is the function jobs name.
    Its ``warmup_jobs`` submit registered models with valid configs. Every ``plot_*`` of the
    package is in its ``plots.py`` and declared to return a Figure (plotly ``go.Figure`` or
    altair ``Chart``; ``None`` allowed when there is nothing to draw). With ``train``, the
    tiny preset of each model trains through :mod:`dl_core.jobs` (whatever executor is set;
    tests use inline) and every artifact of its result loads back from the store.

    Args:
        topic: a :class:`dl_core.topics.Topic` or its name.
    """
    import dataclasses
    import json

    from dl_core import config as cfglib
    from dl_core import jobs, topics

    spec = topics.get(topic) if isinstance(topic, str) else topic
    assert callable(getattr(spec.module, "warmup_jobs", None)), (
        f"dl_core.{spec.name} must export warmup_jobs()."
    )
    by_fn = {tr.name: tr for tr in spec.trainers}
    for tr in spec.trainers:
        fn = tr.train_fn
        assert f"{fn.__module__}:{fn.__qualname__}" == tr.train, (
            f"{tr.train} is registered, but the function is {fn.__module__}:{fn.__qualname__}."
        )
        assert jobs.fn_name(fn) == tr.name, f"{tr.train}: jobs name it {jobs.fn_name(fn)}."
        cls = tr.Config
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, (
            f"{tr.train}: Config must be a frozen dataclass."
        )
        assert "seed" in {f.name for f in dataclasses.fields(cls)}, (
            f"{tr.train}: Config needs seed."
        )
        assert {"tiny", "default"} <= set(tr.PRESETS), f"{tr.train}: PRESETS needs tiny, default."
        for name, cfg in tr.PRESETS.items():
            assert type(cfg) is cls, f"{tr.train}: preset {name!r} is not a {cls.__name__}."
            text = cfglib.to_json(cfg)
            back = cfglib.from_dict(cls, json.loads(text))
            assert back == cfg and cfglib.to_json(back) == text, (
                f"{tr.train}: preset {name!r} changes in the JSON round trip."
            )
            warnings = tr.validate(cfg)
            assert isinstance(warnings, list) and all(isinstance(w, str) for w in warnings), (
                f"{tr.train}: validate must return a list of sentences."
            )
    for fn, cfg, _data_fp, label in spec.warmup_jobs():
        name = jobs.fn_name(fn)
        assert name in by_fn, f"Warm-up job {label!r} trains {name}, not a model of this topic."
        assert type(cfg) is by_fn[name].Config, f"Warm-up job {label!r} has a foreign Config."
        by_fn[name].validate(cfg)
    found = _plot_returns(spec.module)
    bad = [f"{m}.{n}: {r}" for m, n, r in found if not _is_figure_type(r)]
    assert not bad, "plot_* functions must return a Figure: " + "; ".join(bad)
    stray = [f"{m}.{n}" for m, n, _ in found if m != f"{spec.module.__name__}.plots"]
    assert not stray, "plot_* functions belong in the topic's plots.py: " + "; ".join(stray)
    if train:
        for tr in spec.trainers:
            key = jobs.submit(tr.train_fn, tr.PRESETS["tiny"], label=f"check {spec.name}")
            st = jobs.wait(key, timeout=3600)
            assert st.state == "done", f"{tr.train} on its tiny preset: {st.state} {st.error}"
            result = jobs.result(key)
            loaded = {k: result[k] for k in result}
            assert loaded, f"{tr.train} returned nothing."


def _plot_returns(package) -> list[tuple[str, str, object]]:
    """``(module, function, return annotation)`` of every ``plot_*`` in a topic package."""
    import importlib
    import inspect
    import pkgutil
    import typing

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, fn in vars(module).items():
            if (
                name.startswith("plot_")
                and inspect.isfunction(fn)
                and fn.__module__ == module.__name__
            ):
                found.append((module.__name__, name, typing.get_type_hints(fn).get("return")))
    return found


def _is_figure_type(tp: object) -> bool:
    import types
    import typing

    import plotly.graph_objects as go

    figures: tuple[type, ...] = (go.Figure,)
    try:
        import altair as alt

        figures += (alt.Chart, alt.LayerChart, alt.HConcatChart, alt.VConcatChart)
    except ImportError:  # altair is optional: no topic draws with it today
        pass
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return len(args) == 1 and _is_figure_type(args[0])
    return isinstance(tp, type) and issubclass(tp, figures)
