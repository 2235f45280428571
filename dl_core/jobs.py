"""Training jobs: submit, poll, cancel; worker processes; results cached by job key.

A page never trains. It calls :func:`submit` with a topic's ``train`` function, a
``Config`` and the fingerprint of any uploaded data, and gets back a job key:

    key = sha256(train function, Config as JSON, data fingerprint, dl_core version)

The same key is the same job: a second visitor asking for it joins the running job, and a
finished key is a cache hit, also after a restart, because states, progress events and
results live on disk (SQLite + :mod:`dl_core.store` under ``DL_EXPLORER_HOME``).

``train(cfg, data, report)`` runs inside a worker process (``multiprocessing`` spawn).
``report`` persists progress and raises :class:`~dl_core.errors.Cancelled` when the visitor
pressed Stop or the job ran out of time. A worker that crashes or is killed fails its
job with a readable message; the next job gets a fresh worker.

Executors (``DL_EXPLORER_EXECUTOR``): ``process`` (default; a pool of spawn workers, one
per GPU or one on a CPU-only machine) or ``inline`` (runs in the caller; tests). Nothing
outside this module knows which executor runs a job.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import json
import logging
import multiprocessing as mp
import os
import sqlite3
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

import dl_core
from dl_core import config as cfglib
from dl_core.errors import Cancelled, UserError
from dl_core.results import Result, save_result
from dl_core.store import Store, home

log = logging.getLogger(__name__)

STATES = ("queued", "running", "done", "failed", "cancelled")
ACTIVE = ("queued", "running")
DEFAULT_TIMEOUT_S = float(os.environ.get("DL_EXPLORER_JOB_TIMEOUT_S", 1800))
CANCEL_GRACE_S = 15.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT PRIMARY KEY, fn TEXT, label TEXT, config TEXT, data_fp TEXT,
    state TEXT, created REAL, started REAL, finished REAL, error TEXT,
    cancel_requested INTEGER DEFAULT 0, timeout_s REAL, owner INTEGER, worker_pid INTEGER
);
CREATE TABLE IF NOT EXISTS events (
    key TEXT, seq INTEGER, t REAL, kind TEXT, step INTEGER, epoch INTEGER,
    total INTEGER, metrics TEXT, message TEXT, preview TEXT, PRIMARY KEY (key, seq)
);
"""


# -- database -----------------------------------------------------------------------------
def _db_path() -> Path:
    return home() / "jobs.sqlite"


def _connect() -> sqlite3.Connection:
    con = sqlite3.connect(_db_path(), timeout=30, isolation_level=None)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.executescript(_SCHEMA)
    return con


def _update(key: str, only_if: tuple[str, ...] | None = None, **fields: Any) -> bool:
    sets = ", ".join(f"{k}=?" for k in fields)
    sql = f"UPDATE jobs SET {sets} WHERE key=?"
    args: list[Any] = [*fields.values(), key]
    if only_if:
        sql += f" AND state IN ({','.join('?' * len(only_if))})"
        args += list(only_if)
    with _connect() as con:
        return con.execute(sql, args).rowcount > 0


# -- public data types ----------------------------------------------------------------------
@dataclasses.dataclass
class Event:
    """One progress report from a running job."""

    seq: int
    t: float
    kind: str  # "batch" | "epoch" | "message"
    step: int | None
    epoch: int | None
    total: int | None
    metrics: dict[str, float]
    message: str | None
    preview: str | None


@dataclasses.dataclass
class JobStatus:
    """Everything a page needs to draw a job's progress."""

    key: str
    fn: str
    label: str
    config: dict[str, Any]
    data_fp: str | None
    state: str
    created: float
    started: float | None
    finished: float | None
    error: str | None
    queue_position: int | None
    events: list[Event]

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def duration(self) -> float | None:
        if self.started is None:
            return None
        return (self.finished or time.time()) - self.started

    @property
    def latest(self) -> Event | None:
        return self.events[-1] if self.events else None

    def epochs(self) -> list[Event]:
        return [e for e in self.events if e.kind == "epoch"]

    def fraction(self) -> float:
        """Progress in [0, 1] from the latest event that knows its total."""
        if self.state == "done":
            return 1.0
        for e in reversed(self.events):
            if e.total:
                done = e.step if e.kind == "batch" and e.step is not None else e.epoch
                return float(min(1.0, max(0.0, (done or 0) / e.total)))
        return 0.0


# -- keys and submission --------------------------------------------------------------------
def fn_name(train: Callable) -> str:
    return f"{train.__module__}:{train.__qualname__}"


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
) -> str:
    """Ask for the result of ``train(cfg, data)``; return the job key at once.

    A queued, running or finished job with the same key is reused (finished = cache hit).
    A failed or cancelled one is started again when ``restart`` is true.
    """
    key = job_key(train, cfg, data_fp)
    store = Store()
    with _connect() as con:
        con.execute("BEGIN IMMEDIATE")
        row = con.execute("SELECT state FROM jobs WHERE key=?", (key,)).fetchone()
        if row is not None:
            state = row["state"]
            if state in ACTIVE or (state == "done" and store.exists(key)):
                con.execute("COMMIT")
                return key
            if state in ("failed", "cancelled") and not restart:
                con.execute("COMMIT")
                return key
            con.execute("DELETE FROM events WHERE key=?", (key,))
            con.execute(
                "UPDATE jobs SET state='queued', created=?, started=NULL, finished=NULL, error=NULL, "
                "cancel_requested=0, owner=NULL, worker_pid=NULL, timeout_s=? WHERE key=?",
                (time.time(), timeout_s or DEFAULT_TIMEOUT_S, key),
            )
        else:
            con.execute(
                "INSERT INTO jobs (key, fn, label, config, data_fp, state, created, timeout_s) "
                "VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)",
                (
                    key,
                    fn_name(train),
                    label or train.__module__.rsplit(".", 1)[-1],
                    cfglib.to_json(cfg),
                    data_fp,
                    time.time(),
                    timeout_s or DEFAULT_TIMEOUT_S,
                ),
            )
        con.execute("COMMIT")
    get_executor().wake(key)
    return key


def find(train: Callable, cfg: Any, data_fp: str | None = None) -> JobStatus | None:
    """Status of the job for this request if one was ever submitted, else ``None``."""
    return status(job_key(train, cfg, data_fp))


def status(key: str, with_events: bool = True) -> JobStatus | None:
    """Current state of a job, with its persisted progress events."""
    with _connect() as con:
        row = con.execute("SELECT * FROM jobs WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        events = []
        if with_events:
            events = [
                _event(r)
                for r in con.execute("SELECT * FROM events WHERE key=? ORDER BY seq", (key,))
            ]
        position = None
        if row["state"] == "queued":
            position = con.execute(
                "SELECT COUNT(*) FROM jobs WHERE state='queued' AND created<?", (row["created"],)
            ).fetchone()[0]
    if row["state"] == "queued":
        get_executor().wake(key)
    return JobStatus(
        key=row["key"], fn=row["fn"], label=row["label"] or "", config=json.loads(row["config"]),
        data_fp=row["data_fp"], state=row["state"], created=row["created"],
        started=row["started"], finished=row["finished"], error=row["error"],
        queue_position=position, events=events,
    )  # fmt: skip


def _event(r: sqlite3.Row) -> Event:
    return Event(
        seq=r["seq"], t=r["t"], kind=r["kind"], step=r["step"], epoch=r["epoch"],
        total=r["total"], metrics=json.loads(r["metrics"] or "{}"), message=r["message"],
        preview=r["preview"],
    )  # fmt: skip


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


def cancel(key: str) -> None:
    """Stop a job: a queued one at once, a running one within one batch."""
    _update(
        key,
        only_if=("queued",),
        state="cancelled",
        finished=time.time(),
        error="Stopped before it started.",
    )
    with _connect() as con:
        con.execute(
            "UPDATE jobs SET cancel_requested=1 WHERE key=? AND state='running' AND cancel_requested=0",
            (key,),
        )
    get_executor().cancel(key)


def result(key: str) -> Result:
    """The artifacts of a finished job; ``KeyError`` if it has none (yet)."""
    st = status(key, with_events=False)
    if st is None or st.state != "done":
        raise KeyError(key)
    importlib.import_module(st.fn.split(":")[0])  # registers the topic's custom layers
    return Result(Store(), key)


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


def in_use() -> set[str]:
    """Keys of jobs that are queued or running (the store must not evict them)."""
    with _connect() as con:
        return {
            r[0] for r in con.execute("SELECT key FROM jobs WHERE state IN ('queued','running')")
        }


# -- the reporter that training code talks to -----------------------------------------------
class Reporter:
    """Persists progress events and raises :class:`Cancelled` when the job must stop.

    Call it from training code: ``report(step=i, total=n, metrics={"loss": 0.3})``, or
    ``report(epoch=e, total=epochs, metrics=logs, preview=small_array)``. Batch events are
    written at most every ``min_interval`` seconds; epoch and message events always.
    """

    def __init__(self, key: str | None = None, min_interval: float = 0.5) -> None:
        self.key = key
        self.min_interval = min_interval
        self._seq = 0
        self._last_write = 0.0
        self._last_check = 0.0
        self.events: list[dict[str, Any]] = []  # kept in memory too (inline use, tests)

    def __call__(
        self,
        step: int | None = None,
        epoch: int | None = None,
        total: int | None = None,
        metrics: Mapping[str, Any] | None = None,
        preview: np.ndarray | None = None,
        message: str | None = None,
    ) -> None:
        kind = (
            "batch"
            if step is not None and epoch is None
            else ("epoch" if epoch is not None else "message")
        )
        clean = {k: _to_float(v) for k, v in (metrics or {}).items() if _to_float(v) is not None}
        now = time.time()
        must = kind != "batch" or preview is not None or message is not None
        if must or now - self._last_write >= self.min_interval:
            self._write(kind, step, epoch, total, clean, message, preview)
            self._last_write = now
        self.check()

    def check(self) -> None:
        """Raise :class:`Cancelled` if Stop was pressed (checked at most 4 times a second)."""
        if self.key is None:
            return
        now = time.time()
        if now - self._last_check < 0.25:
            return
        self._last_check = now
        with _connect() as con:
            row = con.execute(
                "SELECT cancel_requested FROM jobs WHERE key=?", (self.key,)
            ).fetchone()
        if row is not None and row[0]:
            raise Cancelled("timed out" if row[0] == 2 else "stopped by the visitor")

    def _write(self, kind, step, epoch, total, metrics, message, preview) -> None:
        self._seq += 1
        event = dict(
            kind=kind, step=step, epoch=epoch, total=total, metrics=metrics, message=message
        )
        self.events.append(event | {"preview": preview})
        if self.key is None:
            return
        name = None
        if preview is not None:
            folder = home() / "progress" / self.key
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{self._seq}.npy"
            np.save(folder / name, np.asarray(preview))
        with _connect() as con:
            con.execute(
                "INSERT OR REPLACE INTO events VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    self.key,
                    self._seq,
                    time.time(),
                    kind,
                    step,
                    epoch,
                    total,
                    json.dumps(metrics),
                    message,
                    name,
                ),
            )

    def keras_callback(
        self,
        epochs: int,
        steps_per_epoch: int | None = None,
        preview: Callable[[int], Any] | None = None,
    ):
        """A Keras callback that reports every batch and epoch and stops within one batch.

        Args:
            epochs: total epochs (for the progress bar).
            steps_per_epoch: batches per epoch, if known.
            preview: optional ``fn(epoch) -> small array`` attached to each epoch event.
        """
        import keras

        reporter = self

        class _Progress(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                total = epochs * steps_per_epoch if steps_per_epoch else None
                step = self._epoch * (steps_per_epoch or 0) + batch + 1
                reporter(step=step, total=total, metrics=logs)

            def on_epoch_begin(self, epoch, logs=None):
                self._epoch = epoch

            def on_epoch_end(self, epoch, logs=None):
                arr = preview(epoch) if preview is not None else None
                reporter(epoch=epoch + 1, total=epochs, metrics=logs, preview=arr)

        cb = _Progress()
        cb._epoch = 0
        return cb


def _to_float(v: Any) -> float | None:
    try:
        f = float(np.asarray(v))
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else float("nan")


# -- running one job (in a worker, or inline) -----------------------------------------------
def _execute(key: str, clear_session: bool = False) -> None:
    """Run the job ``key`` (already marked running) to its end state."""
    with _connect() as con:
        row = con.execute("SELECT * FROM jobs WHERE key=?", (key,)).fetchone()
    if row is None:
        return
    report = Reporter(key)
    try:
        module_name, qualname = row["fn"].split(":")
        module = importlib.import_module(module_name)
        train = getattr(module, qualname)
        cfg = cfglib.from_dict(module.Config, json.loads(row["config"]))
        data = Store().get_blob(row["data_fp"]) if row["data_fp"] else None
        out = train(cfg, data, report)
        store = Store()
        save_result(store, key, out if out is not None else {})
        _update(key, only_if=("running",), state="done", finished=time.time())
        store.evict(in_use() | {key})  # keep the cache under its size bound
    except Cancelled as err:
        if "timed out" in str(err):
            msg = f"Stopped: the job ran longer than its limit of {row['timeout_s']:.0f} s."
            _update(key, only_if=("running",), state="failed", finished=time.time(), error=msg)
        else:
            _update(
                key, only_if=("running",), state="cancelled", finished=time.time(), error="Stopped."
            )
    except UserError as err:
        _update(key, only_if=("running",), state="failed", finished=time.time(), error=str(err))
    except KeyError as err:
        msg = f"The data for this job is no longer on the server ({err}); please upload it again."
        _update(key, only_if=("running",), state="failed", finished=time.time(), error=msg)
    except MemoryError:
        msg = "Training ran out of memory. Try a smaller model, batch size or image size."
        _update(key, only_if=("running",), state="failed", finished=time.time(), error=msg)
    except Exception as err:  # noqa: BLE001 - every failure becomes a readable job error
        log.error("job %s failed:\n%s", key, traceback.format_exc())
        msg = f"Training failed: {type(err).__name__}: {str(err)[:500]}"
        _update(key, only_if=("running",), state="failed", finished=time.time(), error=msg)
    finally:
        if clear_session and "keras" in sys.modules:  # in a worker: free graph state
            sys.modules["keras"].backend.clear_session()


def _claim(owner: int) -> str | None:
    """Atomically move the oldest queued job to running; return its key."""
    with _connect() as con:
        con.execute("BEGIN IMMEDIATE")
        row = con.execute(
            "SELECT key FROM jobs WHERE state='queued' ORDER BY created LIMIT 1"
        ).fetchone()
        if row is None:
            con.execute("COMMIT")
            return None
        con.execute(
            "UPDATE jobs SET state='running', started=?, owner=? WHERE key=?",
            (time.time(), owner, row[0]),
        )
        con.execute("COMMIT")
        return row[0]


def _requeue_orphans() -> None:
    """Jobs left 'running' by a server process that is gone go back to the queue."""
    with _connect() as con:
        rows = con.execute("SELECT key, owner FROM jobs WHERE state='running'").fetchall()
    for key, owner in rows:
        if owner and owner != os.getpid() and not _alive(owner):
            _update(
                key, only_if=("running",), state="queued", started=None, owner=None, worker_pid=None
            )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- executors ---------------------------------------------------------------------------
class Executor:
    """How jobs run. The job database is shared; executors only decide where ``_execute`` runs."""

    def wake(self, key: str) -> None:  # a job was queued
        raise NotImplementedError

    def cancel(self, key: str) -> None:  # Stop was pressed (the database flag is already set)
        pass

    def shutdown(self) -> None:
        pass


class InlineExecutor(Executor):
    """Runs queued jobs in the calling thread (tests, notebooks)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def wake(self, key: str) -> None:
        with self._lock:
            while (claimed := _claim(os.getpid())) is not None:
                _execute(claimed)


def _worker_main(conn: Any, device: str | None) -> None:
    """Entry point of a spawned worker process: set up the device, then run jobs forever."""
    if device is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = device
    _setup_device()
    while True:
        try:
            key = conn.recv()
        except (EOFError, OSError):
            return
        if key is None:
            return
        with _connect() as con:
            con.execute("UPDATE jobs SET worker_pid=? WHERE key=?", (os.getpid(), key))
        _execute(key, clear_session=True)
        conn.send(("finished", key))


def _setup_device() -> None:
    """GPU memory growth on; optional mixed precision (``DL_EXPLORER_MIXED_PRECISION=1``).

    Keras is imported here, before the first job arrives, so that a visitor's first job
    does not wait for it (``DL_EXPLORER_WORKER_PRELOAD=0`` skips this, e.g. in tests).
    """
    if os.environ.get("DL_EXPLORER_WORKER_PRELOAD", "1") == "0":
        return
    if _gpu_ids() and os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
        try:
            import tensorflow as tf

            for gpu in tf.config.list_physical_devices("GPU"):
                tf.config.experimental.set_memory_growth(gpu, True)
        except Exception:  # noqa: BLE001 - a broken GPU setup must not stop CPU training
            log.warning("could not set GPU memory growth:\n%s", traceback.format_exc())
    import keras

    if os.environ.get("DL_EXPLORER_MIXED_PRECISION") == "1":
        keras.mixed_precision.set_global_policy("mixed_float16")


@dataclasses.dataclass
class _Slot:
    device: str | None
    process: Any = None
    conn: Any = None
    key: str | None = None
    since: float = 0.0
    kill_at: float | None = None


class ProcessExecutor(Executor):
    """A small pool of spawn worker processes driven by a dispatcher thread."""

    def __init__(self, workers: int | None = None) -> None:
        devices = _gpu_ids()
        n = workers or int(os.environ.get("DL_EXPLORER_WORKERS", 0)) or max(1, len(devices))
        self.slots = [_Slot(devices[i] if i < len(devices) else None) for i in range(n)]
        self._ctx = mp.get_context("spawn")
        self._wake = threading.Event()
        self._stop = threading.Event()
        _requeue_orphans()
        for slot in self.slots:  # start (and warm up) workers before the first job arrives
            self._spawn(slot)
        self._thread = threading.Thread(
            target=self._loop, name="dl-explorer-dispatcher", daemon=True
        )
        self._thread.start()

    def wake(self, key: str) -> None:
        self._wake.set()

    def cancel(self, key: str) -> None:
        self._wake.set()

    def shutdown(self) -> None:
        self._stop.set()
        self._wake.set()
        for slot in self.slots:
            if slot.process is not None and slot.process.is_alive():
                slot.process.kill()
                slot.process.join(5)
            if slot.key:
                _update(slot.key, only_if=("running",), state="queued", started=None, owner=None)

    def _spawn(self, slot: _Slot) -> None:
        parent, child = self._ctx.Pipe()
        slot.process = self._ctx.Process(
            target=_worker_main, args=(child, slot.device), daemon=True
        )
        with _without_main_module():
            slot.process.start()
        slot.conn = parent

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for slot in self.slots:
                    self._tend(slot)
            except Exception:  # noqa: BLE001 - the dispatcher must never die
                log.error("dispatcher error:\n%s", traceback.format_exc())
            self._wake.wait(0.2)
            self._wake.clear()

    def _tend(self, slot: _Slot) -> None:
        if slot.key is None:
            key = _claim(os.getpid())
            if key is None:
                return
            if slot.process is None or not slot.process.is_alive():
                self._spawn(slot)
            slot.key, slot.since, slot.kill_at = key, time.time(), None
            slot.conn.send(key)
            return
        if slot.conn.poll():
            try:
                slot.conn.recv()
            except (EOFError, OSError):
                pass
            else:
                slot.key = None
                return
        if not slot.process.is_alive():
            code = slot.process.exitcode
            if code in (-9, 137):
                why = "it was killed, most likely because it ran out of memory. Try a smaller model or batch"
            else:
                why = f"the training process crashed (exit code {code})"
            _update(
                slot.key,
                only_if=("running",),
                state="failed",
                finished=time.time(),
                error=f"Training stopped: {why}.",
            )
            slot.key, slot.process = None, None
            return
        self._enforce_limits(slot)

    def _enforce_limits(self, slot: _Slot) -> None:
        with _connect() as con:
            row = con.execute(
                "SELECT state, cancel_requested, timeout_s FROM jobs WHERE key=?", (slot.key,)
            ).fetchone()
        if row is None:
            return
        now = time.time()
        if row["cancel_requested"] == 0 and now - slot.since > (
            row["timeout_s"] or DEFAULT_TIMEOUT_S
        ):
            _update(slot.key, cancel_requested=2)
            slot.kill_at = now + CANCEL_GRACE_S
        elif row["cancel_requested"] and slot.kill_at is None:
            slot.kill_at = now + CANCEL_GRACE_S
        if slot.kill_at is not None and now > slot.kill_at:
            # The job did not reach a report() in time: end the process, start a fresh one later.
            slot.process.kill()
            slot.process.join(5)
            if row["cancel_requested"] == 2:
                _update(
                    slot.key,
                    only_if=("running",),
                    state="failed",
                    finished=now,
                    error="Stopped: the job ran longer than its time limit.",
                )
            else:
                _update(
                    slot.key,
                    only_if=("running",),
                    state="cancelled",
                    finished=now,
                    error="Stopped.",
                )
            slot.key, slot.process = None, None


@contextlib.contextmanager
def _without_main_module() -> Iterator[None]:
    """Spawn workers without re-running the parent's ``__main__`` in them.

    ``spawn`` normally imports the parent's main module in the child. Under
    ``streamlit run`` that is the app script, which would draw the app (and start a pool)
    inside every worker. The worker's entry point lives in this module, so it needs none.
    """
    import multiprocessing.spawn as mp_spawn

    original = mp_spawn.get_preparation_data

    def without_main(name: str) -> dict[str, Any]:
        data = original(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    with _spawn_lock:
        mp_spawn.get_preparation_data = without_main
        try:
            yield
        finally:
            mp_spawn.get_preparation_data = original


_spawn_lock = threading.Lock()


def _gpu_ids() -> list[str]:
    """GPU ids without importing TensorFlow in the server process (nvidia-smi, if present)."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [d for d in env.split(",") if d.strip() and d.strip() != "-1"]
    return sorted(p.name.removeprefix("nvidia") for p in Path("/dev").glob("nvidia[0-9]*"))


_executor: Executor | None = None
_executor_lock = threading.Lock()


def get_executor() -> Executor:
    """The process-wide executor, created on first use (``DL_EXPLORER_EXECUTOR``)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            kind = os.environ.get("DL_EXPLORER_EXECUTOR", "process")
            _executor = InlineExecutor() if kind == "inline" else ProcessExecutor()
        return _executor


def set_executor(executor: Executor | None) -> None:
    """Replace the executor (tests); the old one is shut down."""
    global _executor
    with _executor_lock:
        if _executor is not None and _executor is not executor:
            _executor.shutdown()
        _executor = executor


def iter_events(key: str) -> Iterator[Event]:
    st = status(key)
    yield from (st.events if st else [])
