"""How long a job will train and how long it will wait: honest estimates for the queue.

A training time comes from finished runs of the same topic on this server: the median
duration of runs with the very same settings, else a fixed cost plus a cost per unit of
work (epochs × steps per epoch, or steps) fitted to that topic's runs. With
no history it falls back to the topic's own estimate (``estimate_seconds(cfg)`` in the
topic package, if it has one), else to the figure stored for the topic's preset closest in
work, scaled by work (:func:`dl_core.estimates.scaled_preset_seconds`, the same figures the
pages show before Train), else :data:`DEFAULT_SECONDS`.

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


def train_seconds(
    con: sqlite3.Connection,
    fn: str,
    config: dict[str, Any],
    _history: dict[str, list[tuple[dict[str, Any], float]]] | None = None,
) -> float:
    """Estimated training seconds for ``fn`` on ``config`` (see the module docstring)."""
    history = {} if _history is None else _history
    if fn not in history:
        rows = con.execute(
            "SELECT config, finished - started FROM jobs WHERE fn=? AND state='done' "
            "AND started IS NOT NULL AND finished IS NOT NULL ORDER BY finished DESC LIMIT ?",
            (fn, HISTORY),
        ).fetchall()
        history[fn] = [(json.loads(c), float(d)) for c, d in rows]
    runs = history[fn]
    if not runs:
        return _topic_default(fn, config)
    same = [d for c, d in runs if c == config]
    if same:
        return float(statistics.median(same))
    return _fit(runs)(work(config))


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
    history: dict[str, list[tuple[dict[str, Any], float]]] = {}
    running = con.execute(
        "SELECT fn, config, started FROM jobs WHERE state='running' AND key<>?", (key or "",)
    ).fetchall()
    # When each worker frees up: running jobs' remaining time, then the jobs ahead, each
    # given to the worker that frees up first (list scheduling).
    free = [
        max(0.0, train_seconds(con, f, json.loads(c), history) - (now - (s or now)))
        for f, c, s in running
    ]
    free = sorted(free + [0.0] * max(0, workers - len(free)))
    ahead_keys = order[: order.index(key)] if key in order else order
    for k in ahead_keys:
        row = con.execute("SELECT fn, config FROM jobs WHERE key=?", (k,)).fetchone()
        if row is not None:
            free[0] += train_seconds(con, row[0], json.loads(row[1]), history)
            free.sort()
    return Wait(
        ahead=len(running) + len(ahead_keys),
        wait_s=free[0],
        train_s=train_seconds(con, fn, config, history),
    )


def say(seconds: float) -> str:
    """``'about 40 s'``, ``'about 3 min'``: a duration as a person says it."""
    if seconds < 90:
        return f"about {max(5, 5 * math.ceil(seconds / 5)):.0f} s"
    return f"about {math.ceil(seconds / 60):.0f} min"
