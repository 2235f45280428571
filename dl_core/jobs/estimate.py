"""How long a job will train and how long it will wait: honest estimates for the queue.

A training time comes from finished runs of the same topic on this server: the median
duration of runs with the very same settings, else a fixed cost plus a cost per unit of
work (epochs × steps per epoch, or steps) fitted to that topic's runs. With
no history it falls back to the topic's own estimate (``estimate_seconds(cfg)`` in the
topic package, if it has one), else to the figure stored for the topic's preset closest in
work, scaled by work (:func:`dl_core.estimates.scaled_preset_seconds`, the same figures the
pages show before Train), else :data:`DEFAULT_SECONDS`.

A job costs more on a worker that has not run its topic yet (imports, data, first graph
tracing) than on one that has. A finished run is "cold" when it was the first job of its
topic on its worker (``worker_pid``); the estimates above come from the warm runs (a cold
run counts with its start-up taken off), and the start-up itself is learnt from this
server's cold runs against the warm estimate, else taken from
:data:`dl_core.estimates.START_SECONDS`. It is added only to a job that will start its
topic on a worker: while fewer of the workers alive have run the topic than there are
workers, the next jobs of that topic in the queue are counted cold.

A wait is the remaining time of the running jobs plus the estimates of the queued jobs
that start first, shared among the workers.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import os
import sqlite3
import statistics
import time
from typing import Any

from dl_core import config as cfglib

DEFAULT_SECONDS = 60.0
HISTORY = 50  # finished runs of one topic looked at


def work(config: dict[str, Any]) -> float:
    """A config's amount of work: the sum of its epoch counts times steps per epoch."""
    epochs = sum(
        float(config[f])
        for f in ("epochs", "head_epochs", "fine_tune_epochs", "scratch_epochs")
        if isinstance(config.get(f), (int, float))
    )
    steps = next(
        (
            float(config[f])
            for f in ("steps_per_epoch", "total_steps", "steps")
            if isinstance(config.get(f), (int, float))
        ),
        1.0,
    )
    return max(1.0, (epochs or 1.0) * steps)


def _topic_default(fn: str, config: dict[str, Any]) -> float:
    module_name = fn.split(":")[0]
    package = module_name.rsplit(".", 1)[0] if module_name.count(".") > 1 else module_name
    try:
        module = importlib.import_module(package)
    except ImportError:
        return DEFAULT_SECONDS
    estimator = getattr(module, "estimate_seconds", None)
    if estimator is None:
        from dl_core.estimates import scaled_preset_seconds

        stored = scaled_preset_seconds(fn, config)
        return DEFAULT_SECONDS if stored is None else stored
    try:
        return float(estimator(cfglib.from_dict(module.Config, config)))
    except Exception:  # noqa: BLE001 - an estimate must never break a page
        return DEFAULT_SECONDS


@dataclasses.dataclass
class _History:
    """A topic's finished runs on this server: ``(config, seconds)``, warm and cold; when
    each worker (by pid) started its first job of the topic; its start-up once worked out."""

    warm: list[tuple[dict[str, Any], float]]
    cold: list[tuple[dict[str, Any], float]]
    first: dict[int, float]
    start: float | None = None


def _history(con: sqlite3.Connection, fn: str) -> _History:
    rows = con.execute(
        "SELECT config, finished - started, worker_pid, started FROM jobs WHERE fn=? "
        "AND state='done' AND started IS NOT NULL AND finished IS NOT NULL "
        "ORDER BY finished DESC LIMIT ?",
        (fn, HISTORY),
    ).fetchall()
    first = _first_starts(con, fn)
    out = _History([], [], first)
    for c, d, pid, started in rows:
        cold = pid is not None and first.get(pid) == started
        (out.cold if cold else out.warm).append((json.loads(c), float(d)))
    return out


def _first_starts(con: sqlite3.Connection, fn: str) -> dict[int, float]:
    """When each worker (by pid) started its first job of ``fn``."""
    rows = con.execute(
        "SELECT worker_pid, MIN(started) FROM jobs WHERE fn=? AND worker_pid IS NOT NULL "
        "AND started IS NOT NULL GROUP BY worker_pid",
        (fn,),
    ).fetchall()
    return {int(pid): float(t) for pid, t in rows}


def _warm_seconds(runs: list[tuple[dict[str, Any], float]], fn: str, config: dict[str, Any]):
    if not runs:
        return _topic_default(fn, config)
    same = [d for c, d in runs if c == config]
    if same:
        return float(statistics.median(same))
    return _fit(runs)(work(config))


def _start_seconds(fn: str, history: _History) -> float:
    """A worker's extra seconds for its first job of ``fn``: the median of this server's cold
    runs less their warm estimate, else the stored figure."""
    from dl_core.estimates import start_seconds

    if history.start is None:
        if history.cold and history.warm:
            extra = [d - _warm_seconds(history.warm, fn, c) for c, d in history.cold]
            history.start = max(0.0, float(statistics.median(extra)))
        else:
            history.start = start_seconds(fn)
    return history.start


def train_seconds(
    con: sqlite3.Connection,
    fn: str,
    config: dict[str, Any],
    _history_cache: dict[str, _History] | None = None,
    cold: bool = False,
) -> float:
    """Estimated training seconds for ``fn`` on ``config`` (see the module docstring), on a
    worker that has run the topic before, or (``cold``) on one that has not."""
    history = _cached(con, fn, _history_cache)
    start = _start_seconds(fn, history)
    runs = history.warm or [(c, max(0.1 * d, d - start)) for c, d in history.cold]
    return _warm_seconds(runs, fn, config) + (start if cold else 0.0)


def _cached(con: sqlite3.Connection, fn: str, cache: dict[str, _History] | None) -> _History:
    """``fn``'s history, read once per ``cache`` (one estimate asks for it many times)."""
    if cache is None:
        return _history(con, fn)
    if fn not in cache:
        cache[fn] = _history(con, fn)
    return cache[fn]


def _warm_workers(history: _History) -> int:
    """How many live workers have started a job of the topic (on this host)."""
    from dl_core.jobs.executors import _is_worker

    return sum(1 for pid in history.first if _is_worker(pid))


def _fit(runs: list[tuple[dict[str, Any], float]]):
    """Seconds as a function of work: a fixed cost plus a cost per unit of work.

    A least-squares line through (work, seconds) when the runs differ in work (a job pays
    for loading data and building its model whatever its length), else proportional.
    """
    xs = [work(c) for c, _ in runs]
    ys = [d for _, d in runs]
    if len(set(xs)) >= 2:
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
            (x - mx) ** 2 for x in xs
        )
        if slope > 0:
            fixed = max(0.0, my - slope * mx)
            return lambda w: fixed + slope * w
    per_unit = statistics.median(y / x for x, y in zip(xs, ys, strict=True))
    return lambda w: per_unit * w


@dataclasses.dataclass
class Wait:
    """What a visitor is told before and while a job waits."""

    ahead: int  # jobs that start (or are running) before this one
    wait_s: float  # seconds until it starts
    train_s: float  # seconds it trains


def wait(
    con: sqlite3.Connection,
    fn: str,
    config: dict[str, Any],
    order: list[str],
    key: str | None = None,
    workers: int | None = None,
    now: float | None = None,
) -> Wait:
    """The wait for ``key`` in the queue ``order`` (or for a new job at its end)."""
    now = time.time() if now is None else now
    workers = workers or max(1, int(os.environ.get("DL_EXPLORER_WORKERS", 0) or 1))
    history: dict[str, _History] = {}
    cold_left: dict[str, int] = {}  # per topic: workers that have not run it yet

    def cold(f: str) -> bool:  # the next job of ``f`` starts it on a worker
        if f not in cold_left:
            cold_left[f] = max(0, workers - _warm_workers(_cached(con, f, history)))
        cold_left[f] -= 1
        return cold_left[f] >= 0

    running = con.execute(
        "SELECT fn, config, started, worker_pid FROM jobs WHERE state='running' AND key<>?",
        (key or "",),
    ).fetchall()
    # When each worker frees up: running jobs' remaining time, then the jobs ahead, each
    # given to the worker that frees up first (list scheduling).
    free = []
    for f, c, s, pid in running:
        # A worker already counted warm ran this job's topic first with this very job, or
        # (no worker yet) the job will start on one that has not.
        first = _cached(con, f, history).first.get(pid) == s if pid is not None else cold(f)
        left = train_seconds(con, f, json.loads(c), history, cold=first) - (now - (s or now))
        free.append(max(0.0, left))
    free = sorted(free + [0.0] * max(0, workers - len(free)))
    ahead_keys = order[: order.index(key)] if key in order else order
    for k in ahead_keys:
        row = con.execute("SELECT fn, config FROM jobs WHERE key=?", (k,)).fetchone()
        if row is not None:
            free[0] += train_seconds(con, row[0], json.loads(row[1]), history, cold=cold(row[0]))
            free.sort()
    return Wait(
        ahead=len(running) + len(ahead_keys),
        wait_s=free[0],
        train_s=train_seconds(con, fn, config, history, cold=cold(fn)),
    )


def say(seconds: float) -> str:
    """``'about 40 s'``, ``'about 3 min'``: a duration as a person says it."""
    if seconds < 90:
        return f"about {max(5, 5 * math.ceil(seconds / 5)):.0f} s"
    return f"about {math.ceil(seconds / 60):.0f} min"
