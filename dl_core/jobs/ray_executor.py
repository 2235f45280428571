"""The ``ray`` executor: each job a Ray task on a cluster, asking for what its topic needs.

    DL_EXPLORER_EXECUTOR=ray DL_EXPLORER_RAY_ADDRESS=auto   # or ray://head:10001

We do not write a scheduler: the fair queue (:mod:`dl_core.jobs.fair`) picks which job
starts next, and Ray places it on a node with the resources the topic declares
(:func:`dl_core.topics.resources`): a fraction of a GPU for small models, a whole GPU for
detection and segmentation, CPUs on a CPU-only cluster. The same semantics as the process
executor:

- same key, same job (the database decides, as always);
- Stop lands within one batch: the task's ``report`` reads the shared database's flag;
- the per-job time limit applies, and a task that ignores Stop is cancelled by force;
- a crashed task fails its job with a sentence;
- a task whose node was lost is requeued once (it starts again, anywhere), then fails.

Every node must see the same ``DL_EXPLORER_HOME`` (a shared volume: upload blobs and
artifacts) and the same job database (``DL_EXPLORER_DATABASE_URL``, PostgreSQL, unless the
cluster is one machine), and have this project importable (the app's image).

``DL_EXPLORER_RAY_RESOURCES`` (JSON, e.g. ``{"spot": 1}``) adds custom resources to a
job's first attempt, to prefer a pool of nodes; a job requeued after a lost node asks only
for CPUs and GPUs, so it can run anywhere.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from dl_core.jobs.db import _connect, _update
from dl_core.jobs.executors import (
    CANCEL_GRACE_S,
    DEFAULT_TIMEOUT_S,
    Executor,
    _claim,
    _housekeep,
)

log = logging.getLogger("dl_core.jobs.ray")
ROOT = Path(__file__).resolve().parents[2]
_ENV = (
    "DL_EXPLORER_HOME",
    "DL_EXPLORER_DATABASE_URL",
    "DL_EXPLORER_OFFLINE",
    "DL_EXPLORER_MIXED_PRECISION",
    "KERAS_BACKEND",
    "TF_CPP_MIN_LOG_LEVEL",
    "SDL_VIDEODRIVER",
    "DL_EXPLORER_WORKER_THREADS",
    "DL_EXPLORER_WORKER_NICE",
)
_limited = False  # this Ray worker process applied its CPU limits (once: niceness adds up)


def _run_job(key: str, env: dict[str, str], attempt: int) -> str:
    """Inside a Ray worker: run one job to its end state; return the node it ran on."""
    for name in _ENV:  # a reused worker process must not keep another driver's settings
        os.environ.pop(name, None)
    os.environ.update(env)
    import ray

    from dl_core.jobs import cpu, executors

    global _limited
    context = ray.get_runtime_context()
    if not _limited:  # before the job imports TensorFlow: threads = the CPUs Ray gave it
        cpu.apply(cpu.for_task(context.get_assigned_resources().get("CPU", 0.0)))
        _limited = True
    node = context.get_node_id()
    with _connect() as con:  # where it runs: to tell a lost node from a crash
        con.execute(
            "INSERT OR REPLACE INTO placements (key, node, attempt) VALUES (?, ?, ?)",
            (key, node, attempt),
        )
        con.execute("UPDATE jobs SET worker_pid=? WHERE key=?", (os.getpid(), key))
    executors._execute(key, clear_session=True)
    return node


def resources_for(fn: str, gpus: bool) -> dict[str, float]:
    """Ray options for a job of ``fn``: its topic's GPU share (on a GPU cluster) and CPUs."""
    try:
        from dl_core import topics

        need = topics.resources(fn)
        gpu, cpus = float(need.gpu_fraction), float(need.cpus)
    except (ImportError, AttributeError):
        gpu, cpus = 0.25, 1.0
    return {"num_gpus": gpu, "num_cpus": 1.0} if gpus else {"num_gpus": 0.0, "num_cpus": cpus}


@dataclasses.dataclass
class _Running:
    ref: Any
    since: float
    attempt: int
    kill_at: float | None = None


class RayExecutor(Executor):
    """Runs each job as a Ray task; a dispatcher thread starts and watches them."""

    def __init__(self, address: str | None = None, max_jobs: int | None = None) -> None:
        import ray

        address = address or os.environ.get("DL_EXPLORER_RAY_ADDRESS") or None
        env = {k: os.environ[k] for k in _ENV if k in os.environ}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
        )
        if not ray.is_initialized():
            ray.init(
                address=address,
                ignore_reinit_error=True,
                log_to_driver=False,
                include_dashboard=False,
                runtime_env={"env_vars": env},
                **({} if address else {"_node_ip_address": "127.0.0.1"}),  # a local one
            )
        self._ray = ray
        self._env = env
        total = ray.cluster_resources()
        self._gpus = total.get("GPU", 0) > 0
        self._max_jobs = max_jobs or int(os.environ.get("DL_EXPLORER_RAY_MAX_JOBS", 0) or 0)
        self._extra = json.loads(os.environ.get("DL_EXPLORER_RAY_RESOURCES", "") or "{}")
        self._remote = ray.remote(max_retries=0)(_run_job)
        self._running: dict[str, _Running] = {}
        self._attempts: dict[str, int] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="dl-explorer-ray", daemon=True)
        self._thread.start()

    # -- the Executor interface -----------------------------------------------------------
    def wake(self, key: str) -> None:
        self._wake.set()

    def cancel(self, key: str) -> None:
        self._wake.set()

    def shutdown(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(5)
        for key, run in list(self._running.items()):
            self._ray.cancel(run.ref, force=True)
            _update(key, only_if=("running",), state="queued", started=None, owner=None)

    @property
    def slots(self) -> list[None]:
        """How many jobs run at once (what wait estimates divide the queue among)."""
        return [None] * self._capacity()

    # -- the dispatcher ------------------------------------------------------------------
    def _capacity(self) -> int:
        if self._max_jobs:
            return self._max_jobs
        total = self._ray.cluster_resources()
        if self._gpus:
            return max(1, int(total.get("GPU", 1) / 0.25))
        return max(1, int(total.get("CPU", 1)))

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                _housekeep()
                self._tend()
            except Exception:  # noqa: BLE001 - the dispatcher must never die
                log.error("ray dispatcher error:\n%s", traceback.format_exc())
            self._wake.wait(0.1)
            self._wake.clear()

    def _tend(self) -> None:
        for key, run in list(self._running.items()):
            done, _ = self._ray.wait([run.ref], timeout=0)
            if done:
                self._finished(key, run)
            else:
                self._enforce_limits(key, run)
        while len(self._running) < self._capacity():
            key = _claim()
            if key is None:
                return
            self._start(key)

    def _start(self, key: str) -> None:
        with _connect() as con:
            fn = con.execute("SELECT fn FROM jobs WHERE key=?", (key,)).fetchone()[0]
        attempt = self._attempts.get(key, 0) + 1
        self._attempts[key] = attempt
        options: dict[str, Any] = resources_for(fn, self._gpus)
        if attempt == 1 and self._extra:
            options["resources"] = dict(self._extra)
        ref = self._remote.options(**options).remote(key, self._env, attempt)
        self._running[key] = _Running(ref, time.time(), attempt)

    def _finished(self, key: str, run: _Running) -> None:
        del self._running[key]
        try:
            self._ray.get(run.ref)
        except self._ray.exceptions.TaskCancelledError:
            pass  # we cancelled it by force; its state was set then
        except self._ray.exceptions.RayTaskError as err:  # a bug outside _execute's handling
            cause = getattr(err, "cause", None) or err
            log.error("job %s: the Ray task raised:\n%s", key, err)
            self._fail(key, f"Training failed: {type(cause).__name__}: {str(cause)[:300]}")
        except (
            self._ray.exceptions.WorkerCrashedError,
            self._ray.exceptions.NodeDiedError,
            self._ray.exceptions.RayError,
        ) as err:
            lost = isinstance(err, self._ray.exceptions.NodeDiedError) or self._node_lost(key)
            if lost and run.attempt < 2:
                log.warning("job %s lost its node; requeued once", key)
                _update(key, only_if=("running",), state="queued", started=None, owner=None)
                self._wake.set()
                return
            why = (
                "the machine running it was lost twice"
                if lost
                else f"the training process crashed ({type(err).__name__})"
            )
            self._fail(key, f"Training stopped: {why}.")
        self._attempts.pop(key, None)

    def _node_lost(self, key: str) -> bool:
        with _connect() as con:
            row = con.execute("SELECT node FROM placements WHERE key=?", (key,)).fetchone()
        if row is None:
            return False
        alive = {n["NodeID"] for n in self._ray.nodes() if n.get("Alive")}
        return row[0] not in alive

    def _fail(self, key: str, message: str) -> None:
        _update(key, only_if=("running",), state="failed", finished=time.time(), error=message)

    def _enforce_limits(self, key: str, run: _Running) -> None:
        with _connect() as con:
            row = con.execute(
                "SELECT cancel_requested, timeout_s FROM jobs WHERE key=?", (key,)
            ).fetchone()
        if row is None:
            return
        now = time.time()
        if row[0] == 0 and now - run.since > (row[1] or DEFAULT_TIMEOUT_S):
            _update(key, cancel_requested=2)  # report() raises at the next batch
            run.kill_at = now + CANCEL_GRACE_S
        elif row[0] and run.kill_at is None:
            run.kill_at = now + CANCEL_GRACE_S
        if run.kill_at is not None and now > run.kill_at:  # it did not reach a report() in time
            self._ray.cancel(run.ref, force=True)
            timed_out = row[0] == 2
            _update(
                key,
                only_if=("running",),
                state="failed" if timed_out else "cancelled",
                finished=now,
                error="Stopped: the job ran longer than its time limit."
                if timed_out
                else "Stopped.",
            )
