"""Submit, find, poll, cancel, wait, results: what pages and the CLI call."""

from __future__ import annotations

import hashlib
import importlib
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import dl_core
from dl_core import config as cfglib
from dl_core import topics
from dl_core.jobs import cache, estimate, fair, limits
from dl_core.jobs.db import ACTIVE, STATES, Event, JobStatus, _connect, _event, _update
from dl_core.jobs.executors import get_executor, in_use  # noqa: F401
from dl_core.results import Result
from dl_core.store import Store, home


# -- keys and submission --------------------------------------------------------------------
def fn_name(train: Callable) -> str:
    """The name a training function's jobs are stored and keyed under: its registered job
    name (:func:`dl_core.topics.job_name`, stable when the function moves), else
    ``"module:qualname"``."""
    return topics.job_name(f"{train.__module__}:{train.__qualname__}")


def job_key(train: Callable | str, cfg: Any, data_fp: str | None = None) -> str:
    """Hash of (training function, Config as JSON, data fingerprint, dl_core version)."""
    name = train if isinstance(train, str) else fn_name(train)
    payload = json.dumps([name, cfglib.to_json(cfg), data_fp or "", dl_core.__version__])
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def submit(
    train: Callable,
    cfg: Any,
    data_fp: str | None = None,
    *,
    label: str = "",
    timeout_s: float | None = None,
    restart: bool = True,
    visitor: str | None = None,
) -> str:
    """Ask for the result of ``train(cfg, data)``; return the job key at once.

    A queued, running or finished job with the same key is reused (finished = cache hit);
    ``visitor`` (an anonymous browser id) is recorded as one of the job's requesters.
    A failed or cancelled one is started again when ``restart`` is true.

    Raises:
        UserError: the job would exceed a public-demo cap (:mod:`dl_core.jobs.limits`), or
            ``visitor`` already has as many active jobs as one visitor may have
            (:class:`~dl_core.jobs.fair.TooManyJobs`). A cache hit is never refused.
    """
    key = job_key(train, cfg, data_fp)
    store = Store()
    timeout_s = timeout_s or limits.default_timeout_s()
    with _connect() as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            row = con.execute("SELECT state FROM jobs WHERE key=?", (key,)).fetchone()
            state = row["state"] if row is not None else None
            if state in ACTIVE:
                if visitor:
                    fair.add_request(con, key, visitor, time.time())
                con.execute("COMMIT")
                return key
            if (state == "done" and store.exists(key)) or (
                state in ("failed", "cancelled") and not restart
            ):
                con.execute("COMMIT")
                return key
            limits.check(fn_name(train), cfg)
            fair.check_cap(con, key, visitor or fair.ANONYMOUS)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("DELETE FROM requests WHERE key=?", (key,))
        if visitor:  # the CLI and warmup ask as nobody: the job takes the anonymous turn
            fair.add_request(con, key, visitor, time.time())
        if row is not None:
            con.execute("DELETE FROM events WHERE key=?", (key,))
            con.execute(
                "UPDATE jobs SET state='queued', created=?, started=NULL, finished=NULL, "
                "error=NULL, cancel_requested=0, owner=NULL, worker_pid=NULL, timeout_s=? "
                "WHERE key=?",
                (time.time(), timeout_s, key),
            )
        else:
            con.execute(
                "INSERT INTO jobs (key, fn, label, config, data_fp, state, created, timeout_s) "
                "VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)",
                (
                    key,
                    fn_name(train),
                    label or fn_name(train).split(":")[0].rsplit(".", 1)[-1],
                    cfglib.to_json(cfg),
                    data_fp,
                    time.time(),
                    timeout_s,
                ),
            )
        con.execute("COMMIT")
    get_executor().wake(key)
    return key


def find(train: Callable, cfg: Any, data_fp: str | None = None) -> JobStatus | None:
    """Status of the job for this request if one was ever submitted, else ``None``."""
    return status(job_key(train, cfg, data_fp))


def durations(keys: list[str]) -> dict[str, float]:
    """Seconds each finished job of ``keys`` took (start to end), in one query: what the
    time estimates pages show read, without each job's events, queue and requesters."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    marks = ",".join("?" * len(keys))
    with _connect() as con:
        rows = con.execute(
            f"SELECT key, started, finished FROM jobs WHERE state='done' AND key IN ({marks})",
            keys,
        ).fetchall()
    return {
        r["key"]: float(r["finished"] - r["started"])
        for r in rows
        if r["started"] is not None and r["finished"] is not None
    }


def status(key: str, with_events: bool = True, since: int | None = None) -> JobStatus | None:
    """Current state of a job, with its persisted progress events.

    ``since``: only the events after that sequence number (a live panel that already has
    the earlier ones reads just what is new). A finished job whose result is gone from the
    store comes back ``evicted``, with a sentence, so its page offers Train again.
    """
    with _connect() as con:
        row = con.execute("SELECT * FROM jobs WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        if row["state"] == "done" and not Store().exists(key):
            cache.forget_result(key)
            row = con.execute("SELECT * FROM jobs WHERE key=?", (key,)).fetchone()
        events = []
        if with_events:
            events = [
                _event(r)
                for r in con.execute(
                    "SELECT * FROM events WHERE key=? AND seq>? ORDER BY seq", (key, since or 0)
                )
            ]
        position = wait_s = train_s = None
        if row["state"] == "queued":
            config = json.loads(row["config"])
            w = estimate.wait(con, row["fn"], config, fair.fair_order(con), key, _workers())
            position, wait_s, train_s = w.ahead, w.wait_s, w.train_s
        who = fair.requesters(con, key)
    if row["state"] == "queued":
        get_executor().wake(key)
    return JobStatus(
        key=row["key"],
        fn=row["fn"],
        label=row["label"] or "",
        config=json.loads(row["config"]),
        data_fp=row["data_fp"],
        state=row["state"],
        created=row["created"],
        started=row["started"],
        finished=row["finished"],
        error=row["error"],
        queue_position=position,
        events=events,
        wait_s=wait_s,
        train_s=train_s,
        requesters=who,
        cancel_requested=bool(row["cancel_requested"]),
        worker_pid=row["worker_pid"],
    )


def list_jobs(limit: int = 50) -> list[JobStatus]:
    """Most recent jobs first (without their events)."""
    with _connect() as con:
        keys = [
            r[0]
            for r in con.execute("SELECT key FROM jobs ORDER BY created DESC LIMIT ?", (limit,))
        ]
    return [s for k in keys if (s := status(k, with_events=False)) is not None]


def counts() -> dict[str, int]:
    """Number of jobs in each state."""
    with _connect() as con:
        rows = con.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
    return {s: 0 for s in STATES} | {r[0]: r[1] for r in rows}


def cancel(key: str, visitor: str | None = None, *, operator: bool = False) -> bool:
    """Stop a job: a queued one at once, a running one within one batch.

    With ``visitor``, only that visitor's request is withdrawn, and the job stops when no
    visitor wants it any more; ``operator`` (or no visitor: the CLI, tests) stops it
    whoever asked. Returns whether the job was told to stop.
    """
    if visitor is not None and not operator:
        with _connect() as con:
            con.execute("BEGIN IMMEDIATE")
            others = fair.withdraw(con, key, visitor)
            con.execute("COMMIT")
        if others:
            return False
    _update(
        key,
        only_if=("queued",),
        state="cancelled",
        finished=time.time(),
        error="Stopped before it started.",
    )
    with _connect() as con:
        con.execute(
            (
                "UPDATE jobs SET cancel_requested=1 WHERE key=? AND state='running' AND "
                "cancel_requested=0"
            ),
            (key,),
        )
    get_executor().cancel(key)
    return True


def estimate_for(train: Callable, cfg: Any) -> estimate.Wait:
    """Before Train: how many jobs are ahead, the wait, and the training time of ``cfg``."""
    with _connect() as con:
        return estimate.wait(
            con, fn_name(train), cfglib.to_dict(cfg), fair.fair_order(con), None, _workers()
        )


def _workers() -> int:
    slots = getattr(get_executor(), "slots", None)
    return len(slots) if slots else 1


def result(key: str) -> Result:
    """The artifacts of a finished job; ``KeyError`` if it has none (yet).

    A result whose files are missing or damaged is forgotten (the job becomes ``evicted``
    with a sentence, so Train is offered again) and raises ``KeyError``.
    """
    st = status(key, with_events=False)
    if st is None or st.state != "done":
        raise KeyError(key)
    # import the training function's module: it registers the topic's custom layers
    importlib.import_module(topics.trainer(st.fn).train.split(":")[0])
    try:
        return Result(Store(), key, check=True)
    except Exception as err:  # noqa: BLE001 - any unreadable file: forget it, train again
        cache.forget_result(key, cache.UNREADABLE_MSG)
        raise KeyError(key) from err


def wait(key: str, timeout: float = 600.0, poll_s: float = 0.1) -> JobStatus:
    """Block until the job ends (for the CLI, benchmarks and tests; never in a page)."""
    deadline = time.time() + timeout
    while True:
        st = status(key, with_events=False)
        if st is None:
            raise KeyError(key)
        if not st.active or time.time() > deadline:
            return status(key)  # type: ignore[return-value]
        time.sleep(poll_s)


def preview(key: str, event: Event) -> np.ndarray | None:
    """The small array a progress event carried (e.g. a sample grid), if any."""
    if not event.preview:
        return None
    path = home() / "progress" / key / event.preview
    return np.load(path, allow_pickle=False) if path.exists() else None


def latest_preview(st: JobStatus) -> np.ndarray | None:
    for e in reversed(st.events):
        if e.preview:
            return preview(st.key, e)
    return None
