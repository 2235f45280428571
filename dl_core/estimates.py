"""How long a training job will take, said before Train (and reusable by a shared demo's queue).

One function, :func:`estimate_seconds`: this server's own last run of exactly that job when
the job database has one (its real duration here), else the figure stored below for the
topic's preset, measured with ``python -m bench defaults`` on an idle 2-core CPU.

A job costs more on a worker that has not run its topic yet (the topic's imports, its data,
its first graph tracing) than on one that has: :data:`START_SECONDS` holds that extra, and
the preset figures of a topic listed there are for a warm worker. The queue
(:mod:`dl_core.jobs.estimate`) adds the extra only to a job that will start a topic on a
worker.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

# Seconds on a 2-core CPU, per training function's module and preset, end to end (data, graph
# building, training, evaluation). Measured at load 1-7 on 2026-12-01 (tiny and longer
# scaled) on a topic's first run in the process, except for the topics in START_SECONDS:
# their figures are a warm worker's (the topic run once before; ``BENCH_WARM=1 python -m
# bench defaults``). Basics: tiny and default at load 3 on 2026-12-01, longer scaled from
# default by the ratio measured at load 7-9 (65 s / 13 s). Update them from the bench.
PRESET_SECONDS: dict[str, dict[str, float]] = {
    "dl_core.basics": {"tiny": 0.8, "default": 7.3, "longer": 36},
    "dl_core.cnn": {"tiny": 5, "default": 15, "longer": 120},
    "dl_core.transfer": {"tiny": 30, "default": 60, "longer": 300},  # each of the three ways
    "dl_core.detection": {"tiny": 15, "default": 80, "longer": 330},  # 79, 324 s at load 4
    "dl_core.segmentation": {"tiny": 10, "default": 70, "longer": 150},  # 68, 150 s at load 4-5
    "dl_core.text_generation": {"tiny": 5, "default": 30, "longer": 90, "shakespeare": 600},
    "dl_core.attention": {"tiny": 5, "default": 40, "longer": 150},
    "dl_core.gan.dcgan": {"tiny": 15, "default": 40, "longer": 150},
    "dl_core.gan.vae": {"tiny": 10, "default": 35, "longer": 110},
    "dl_core.dqn": {"tiny": 10, "default": 30, "longer": 120},
}
# The extra seconds of a topic's first job on a worker (Keras already loaded, as a worker
# does before its first job): its first run minus the same run again
# (``BENCH_WARM=1 python -m bench defaults``). A topic not listed: 0 (its figures include it).
START_SECONDS: dict[str, float] = {"dl_core.basics": 0.3}  # load 3: 0.35 s; load 8: 0.26 s


def _module(train: Callable | str) -> str:
    """The module part of the job name of ``train`` (a function, its job name or a module)."""
    from dl_core.jobs import fn_name

    name = train if isinstance(train, str) else fn_name(train)
    return name.split(":")[0]


def _topic(train: Callable | str) -> str | None:
    """The key of :data:`PRESET_SECONDS` that ``train`` belongs to (the longest prefix)."""
    module = _module(train)
    for prefix in sorted(PRESET_SECONDS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    return None


def stored_seconds(train: Callable | str, preset: str) -> float | None:
    """The stored figure for ``preset`` of the topic that ``train`` belongs to, if any (on a
    worker that has run the topic before, for a topic in :data:`START_SECONDS`)."""
    topic = _topic(train)
    return None if topic is None else PRESET_SECONDS[topic].get(preset)


def start_seconds(train: Callable | str) -> float:
    """The extra seconds of a topic's first job on a worker (:data:`START_SECONDS`, else 0)."""
    topic = _topic(train)
    return START_SECONDS.get(topic, 0.0) if topic is not None else 0.0


def scaled_preset_seconds(fn: str, config: dict[str, Any]) -> float | None:
    """A queue's estimate before this server has run a topic: the stored figure of the preset
    closest in work to ``config`` (a job's config as a dict), scaled by the ratio of their work
    (:func:`dl_core.jobs.estimate.work`); ``None`` for a job outside the stored figures."""
    from dl_core.jobs.estimate import work

    target, best = work(config), None
    for name, preset_work in _preset_work(fn):
        seconds = stored_seconds(fn, name)
        if seconds is None:
            continue
        ratio = target / preset_work
        if best is None or abs(math.log(ratio)) < best[0]:
            best = (abs(math.log(ratio)), seconds * ratio)
    return None if best is None else best[1]


@functools.lru_cache(maxsize=64)
def _preset_work(fn: str) -> tuple[tuple[str, float], ...]:
    """``(preset, work)`` of the topic of ``fn`` (computed once: a queue asks for every job)."""
    from dl_core import config as cfglib
    from dl_core import topics
    from dl_core.jobs.estimate import work

    try:
        presets = topics.trainer(fn).PRESETS
    except (ImportError, AttributeError):
        return ()
    return tuple((name, work(cfglib.to_dict(preset))) for name, preset in presets.items())


def estimate_seconds(
    train: Callable,
    cfg: Any,
    preset: str | None = None,
    data_fp: str | None = None,
    past: dict[str, float] | None = None,
) -> float | None:
    """Expected wall time of ``train(cfg)``: this server's last finished run of the same job,
    else the stored figure for ``preset`` (with a worker's start-up for the topic, as a
    visitor's first run pays it); ``None`` when neither is known.

    ``past``: the finished jobs' durations by key, when the caller read them for several jobs
    at once (:func:`dl_core.jobs.durations`).
    """
    from dl_core import jobs

    key = jobs.job_key(train, cfg, data_fp)
    if past is None:
        past = jobs.durations([key])
    if key in past:
        return past[key]
    stored = stored_seconds(train, preset) if preset else None
    return None if stored is None else stored + start_seconds(train)


def format_seconds(seconds: float) -> str:
    """``~40 s``, ``~3 min``."""
    if seconds < 90:
        return f"~{max(5, round(seconds / 5) * 5):.0f} s"
    return f"~{round(seconds / 60):.0f} min"


def each(train: Callable, presets: dict[str, Any]) -> dict[str, list[tuple[Callable, Any]]]:
    """``{preset: [(train, cfg)]}``: one job per preset, the usual case for :func:`preset_times`."""
    return {name: [(train, cfg)] for name, cfg in presets.items()}


def preset_times(
    jobs_per_preset: dict[str, Sequence[tuple[Callable, Any]]],
    data_fp: str | None = None,
    label: str = "Training",
) -> str:
    """One sentence for the page: how long each preset takes (the jobs of a preset add up)."""
    from dl_core import jobs

    past = jobs.durations(
        [jobs.job_key(t, c, data_fp) for runs in jobs_per_preset.values() for t, c in runs]
    )
    parts = []
    for preset, runs in jobs_per_preset.items():
        times = [estimate_seconds(train, cfg, preset, data_fp, past) for train, cfg in runs]
        if times and all(t is not None for t in times):
            parts.append(f"{preset} {format_seconds(sum(times))}")  # type: ignore[arg-type]
    if not parts:
        return ""
    return f"{label} time on a 2-core CPU (much less on a GPU): " + " · ".join(parts) + "."
