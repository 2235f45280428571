"""Where jobs run: inline (tests) or a pool of spawn worker processes (the default)."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import json
import logging
import multiprocessing as mp
import multiprocessing.connection as mp_connection
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dl_core import config as cfglib
from dl_core import topics
from dl_core.errors import Cancelled, UserError
from dl_core.jobs import cache, cpu, owners
from dl_core.jobs.db import _connect, _update, anything_queued
from dl_core.jobs.fair import fair_order
from dl_core.jobs.reporter import Reporter
from dl_core.results import save_result
from dl_core.store import Store

log = logging.getLogger("dl_core.jobs")
DEFAULT_TIMEOUT_S = float(os.environ.get("DL_EXPLORER_JOB_TIMEOUT_S", 1800))
CANCEL_GRACE_S = 10.0  # after Stop, a job that has not reached a report() by then is killed
DISPATCH_POLL_S = 0.2  # the dispatcher's poll for jobs queued by other processes
# ... while none of its workers is busy: then only jobs queued by another replica that had no
# free worker wait for it (its own submits wake it at once), and an idle server, which is
# most of a demo's time, wakes once a second instead of five times.
IDLE_POLL_S = 1.0


def in_use() -> set[str]:
    """Keys of jobs that are queued or running (the store must not evict them)."""
    with _connect() as con:
        return {
            r[0] for r in con.execute("SELECT key FROM jobs WHERE state IN ('queued','running')")
        }


# -- running one job (in a worker, or inline) -----------------------------------------------
def _execute(key: str, clear_session: bool = False) -> None:
    """Run the job ``key`` (already marked running) to its end state."""
    with _connect() as con:
        row = con.execute("SELECT * FROM jobs WHERE key=?", (key,)).fetchone()
    if row is None:
        return
    report = Reporter(key)
    try:
        spec = topics.trainer(row["fn"])  # the Config its topic declares (dl_core.topics)
        train = spec.train_fn
        cfg = cfglib.from_dict(spec.Config, json.loads(row["config"]))
        data = Store().get_blob(row["data_fp"]) if row["data_fp"] else None
        out = train(cfg, data, report)
        store = Store()
        save_result(store, key, out if out is not None else {})
        _update(key, only_if=("running",), state="done", finished=time.time())
        cache.evict(also_keep={key})  # keep the cache under its size bound
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


def _claim(owner: int | None = None) -> str | None:
    """Atomically move the next queued job (in fair order) to running; return its key.

    ``owner`` defaults to this process's owner id (:mod:`dl_core.jobs.owners`). An empty
    queue is found with one read (:func:`~dl_core.jobs.db.anything_queued`): a dispatcher
    polls every ``DISPATCH_POLL_S`` for jobs queued by other processes, and an idle server
    must not open a connection, renew its heartbeat row and take the write lock five times
    a second.
    """
    if not anything_queued():
        return None
    with _connect() as con:
        if owner is None:
            owner = owners.beat(con, force=True)  # one write a claim: the row is current
        con.execute("BEGIN IMMEDIATE")
        order = fair_order(con)  # round-robin over visitors, oldest first within each
        if not order:
            con.execute("COMMIT")
            return None
        con.execute(
            "UPDATE jobs SET state='running', started=?, owner=? WHERE key=?",
            (time.time(), owner, order[0]),
        )
        con.execute("COMMIT")
        return order[0]


def _requeue_orphans() -> None:
    """Jobs left 'running' by a server process that is gone go back to the queue.

    Gone means: on this host, its process has ended; on another host (replicas sharing
    PostgreSQL), its heartbeat is older than its lease (see :mod:`dl_core.jobs.owners`).
    A worker of this host that still runs is ended first, so that the job never runs twice
    at once; another host's worker ends with its own server.
    """
    mine = (owners.me(), os.getpid())
    with _connect() as con:
        owners.prune(con)
        rows = con.execute(
            "SELECT key, owner, worker_pid FROM jobs WHERE state='running'"
        ).fetchall()
        verdicts = {o: owners.gone(con, o, _alive) for o in {r[1] for r in rows if r[1]}}
    for key, owner, worker_pid in rows:
        if not owner or owner in mine:
            continue
        gone, here = verdicts[owner]
        if not gone:
            continue
        if here and worker_pid and _is_worker(worker_pid):
            _end_process(worker_pid)
        if _update(
            key, only_if=("running",), state="queued", started=None, owner=None, worker_pid=None
        ):
            log.warning("job %s: its server is gone; requeued", key)
            with _connect() as con:  # the rerun reports from its first step again
                con.execute("DELETE FROM events WHERE key=?", (key,))


ORPHAN_CHECK_S = 15.0  # how often a running dispatcher looks for other servers' orphans
_last_orphan_check: dict[int, float] = {}


def _housekeep() -> None:
    """A dispatcher's periodic duties: renew its owner row (every ``owners.HEARTBEAT_S``) and
    requeue the jobs of servers that are gone (every ``ORPHAN_CHECK_S``)."""
    if owners.due():
        with _connect() as con:
            owners.beat(con)
    pid, now = os.getpid(), time.monotonic()
    if now - _last_orphan_check.get(pid, now) >= ORPHAN_CHECK_S:
        _requeue_orphans()
        _last_orphan_check[pid] = now
    _last_orphan_check.setdefault(pid, now)


def _is_worker(pid: int) -> bool:
    """Whether ``pid`` is a live multiprocessing worker (not a reused id of something else)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return _alive(pid) and not Path("/proc").is_dir()  # no /proc: trust the id
    return b"multiprocessing" in cmdline


def _end_process(pid: int, wait_s: float = 5.0) -> None:
    """SIGKILL an orphaned worker and wait (bounded) until it is gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + wait_s
    while _is_worker(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


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
            while (claimed := _claim()) is not None:
                _execute(claimed)


def _worker_main(
    conn: Any, device: str | None, parent_pid: int | None = None, deathsig: bool = False
) -> None:
    """Entry point of a spawned worker process: set up the device, then run jobs forever."""
    _watch_parent(parent_pid, deathsig)
    if device is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = device
    cpu.apply(cpu.settings())  # leave CPU for the server; before TensorFlow starts
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


def _watch_parent(parent_pid: int | None, deathsig: bool) -> None:
    """End this worker when the server that started it dies (``kill -9`` included).

    On Linux the kernel sends SIGKILL when the parent goes (``prctl(PR_SET_PDEATHSIG)``;
    only asked for when the spawning thread lives as long as the server, because the
    signal follows the thread). Everywhere, a thread checks once a second that the parent
    is still ours (an orphan is re-parented), which also covers a parent that died before
    this process got here.
    """
    if deathsig and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)
    if parent_pid is None:
        return
    if os.getppid() != parent_pid:
        os._exit(0)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, name="dl-explorer-parent-watch", daemon=True).start()


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
    peak_rss: int = 0  # bytes, sampled while a job runs (to explain a kill)
    oom_kills: int = 0  # the cgroup's OOM-kill count when the job started


class ProcessExecutor(Executor):
    """A small pool of spawn worker processes driven by a dispatcher thread."""

    def __init__(self, workers: int | None = None) -> None:
        devices = _gpu_ids()
        n = workers or int(os.environ.get("DL_EXPLORER_WORKERS", 0)) or max(1, len(devices))
        self.slots = [_Slot(devices[i] if i < len(devices) else None) for i in range(n)]
        self._ctx = mp.get_context("spawn")
        self._dying: list[Any] = []  # killed workers not yet reaped (no zombies left behind)
        self._wake = threading.Event()
        self._stop = threading.Event()
        # wake() also writes a byte here, so the dispatcher sleeps on this pipe, the workers'
        # pipes and their process sentinels at once: a submit, a finished job or a crash
        # is handled at once; DISPATCH_POLL_S only bounds the wait for other processes' jobs.
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        _requeue_orphans()
        for slot in self.slots:  # start (and warm up) workers before the first job arrives
            self._spawn(slot)
        self._thread = threading.Thread(
            target=self._loop, name="dl-explorer-dispatcher", daemon=True
        )
        self._thread.start()

    def wake(self, key: str) -> None:
        self._nudge()

    def cancel(self, key: str) -> None:
        self._nudge()

    def _nudge(self) -> None:
        self._wake.set()
        with contextlib.suppress(BlockingIOError, OSError):  # full pipe: already awake
            os.write(self._wake_w, b"w")

    def shutdown(self) -> None:
        self._stop.set()
        self._nudge()
        for slot in self.slots:
            if slot.process is not None and slot.process.is_alive():
                slot.process.kill()
                slot.process.join(5)
            if slot.key:
                _update(slot.key, only_if=("running",), state="queued", started=None, owner=None)
        with contextlib.suppress(Exception), _connect() as con:
            owners.forget(con)

    def _spawn(self, slot: _Slot) -> None:
        parent, child = self._ctx.Pipe()
        # PDEATHSIG follows the spawning thread: only ask for it from one that lives on.
        here = threading.current_thread()
        deathsig = here is threading.main_thread() or here is getattr(self, "_thread", None)
        slot.process = self._ctx.Process(
            target=_worker_main, args=(child, slot.device, os.getpid(), deathsig), daemon=True
        )
        with _without_main_module():
            slot.process.start()
        slot.conn = parent

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                _housekeep()
                for slot in self.slots:
                    self._tend(slot)
                self._reap()
            except Exception:  # noqa: BLE001 - the dispatcher must never die
                log.error("dispatcher error:\n%s", traceback.format_exc())
            self._sleep()

    def _sleep(self) -> None:
        """Wait for a wake(), a message from a busy worker, a worker's exit, or the poll."""
        busy = [s for s in self.slots if s.key is not None and s.process is not None]
        waitables = [self._wake_r]
        for slot in busy:
            waitables += [slot.conn, slot.process.sentinel]
        if not self._wake.is_set():
            mp_connection.wait(waitables, timeout=DISPATCH_POLL_S if busy else IDLE_POLL_S)
        self._wake.clear()
        with contextlib.suppress(BlockingIOError, OSError):
            while os.read(self._wake_r, 4096):
                pass

    def _reap(self) -> None:
        """Collect the exit status of killed workers (``is_alive`` waits for them, not blocking)."""
        self._dying = [p for p in self._dying if p.is_alive()]

    def _tend(self, slot: _Slot) -> None:
        if slot.key is None:
            key = _claim()
            if key is None:
                return
            if slot.process is None or not slot.process.is_alive():
                self._spawn(slot)
            slot.key, slot.since, slot.kill_at = key, time.time(), None
            # sampled now as well as on every tick: a worker killed before the next tick
            # still has its memory in the failure's sentence
            slot.peak_rss, slot.oom_kills = _rss(slot.process.pid), _oom_kills()
            slot.conn.send(key)
            return
        if slot.conn.poll():
            try:
                slot.conn.recv()
            except (EOFError, OSError):
                pass
            else:
                slot.key = None
                self._tend(slot)  # take the next queued job at once
                return
        if not slot.process.is_alive():
            slot.process.join(1)
            _update(
                slot.key,
                only_if=("running",),
                state="failed",
                finished=time.time(),
                error=crash_message(
                    slot.process.exitcode, slot.peak_rss, _oom_kills() > slot.oom_kills
                ),
            )
            slot.key = None
            self._spawn(slot)  # the replacement warms up now, not when the next job arrives
            return
        slot.peak_rss = max(slot.peak_rss, _rss(slot.process.pid))
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
            slot.process.join(1)
            self._dying.append(slot.process)  # reaped by _reap if it takes longer to die
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
            slot.key = None
            self._spawn(slot)


def crash_message(code: int | None, peak_rss: int = 0, oom_killed: bool = False) -> str:
    """What is known about a worker that ended without finishing its job, in one sentence."""
    if code is None or code >= 0:
        if code == 137:  # a shell-style "killed by SIGKILL"
            return crash_message(-9, peak_rss, oom_killed)
        return f"Training stopped: the training process crashed (exit code {code})."
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    limit = _memory_limit()
    used = f"{peak_rss / 1e9:.1f} GB of the {limit / 1e9:.1f} GB memory limit" if limit else ""
    if oom_killed:
        why = "the system's out-of-memory killer ended it"
        why += f" (it used {used})" if peak_rss and used else ""
        return f"Training stopped: {why}. Try a smaller model, batch size or image size."
    if peak_rss and limit and peak_rss >= 0.8 * limit:
        return (
            f"Training stopped: the training process was killed by {name} while using {used}, "
            "so it most likely ran out of memory. Try a smaller model, batch size or image size."
        )
    if peak_rss and limit:
        return (
            f"Training stopped: the training process was killed by {name} while using {used}; "
            "memory was not near the limit, so something outside the job ended it."
        )
    return f"Training stopped: the training process was killed by {name}."


def _rss(pid: int) -> int:
    """Resident memory of a process in bytes (0 when unknown)."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def _memory_limit() -> int:
    """The memory this server may use: its cgroup's limit, else the machine's RAM (0: unknown)."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:
            return int(text)
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _oom_kills() -> int:
    """The cgroup's count of out-of-memory kills so far (0 when unknown)."""
    try:
        for line in Path("/sys/fs/cgroup/memory.events").read_text().splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


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
            if kind == "ray":
                from dl_core.jobs.ray_executor import RayExecutor

                _executor = RayExecutor()
            else:
                _executor = InlineExecutor() if kind == "inline" else ProcessExecutor()
        return _executor


def set_executor(executor: Executor | None) -> None:
    """Replace the executor (tests); the old one is shut down."""
    global _executor
    with _executor_lock:
        if _executor is not None and _executor is not executor:
            _executor.shutdown()
        _executor = executor
