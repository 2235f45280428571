"""How much CPU a worker process may take, so that the server answering pages keeps some.

A training job left alone takes every core, and the Streamlit server, which must answer every
visitor, then waits behind it. Each worker therefore applies these limits when it starts,
before TensorFlow is imported (TensorFlow reads its thread counts once, at start-up):

- ``DL_EXPLORER_WORKER_NICE`` (default 10): niceness added to the worker, so the server wins
  the CPU whenever it has work, and training gets every cycle the server leaves idle;
  ``0`` leaves the priority alone.
- ``DL_EXPLORER_WORKER_THREADS`` (default: the worker's cores): TensorFlow's intra-op threads
  (``TF_NUM_INTRAOP_THREADS``, ``OMP_NUM_THREADS``); inter-op threads are capped at 2.
  ``0`` leaves TensorFlow's own defaults (every core, both pools).
- ``DL_EXPLORER_WORKER_CPUS``: ``auto`` (default) keeps the lowest core for the server on
  machines with at least :data:`RESERVE_FROM` cores, where one core is at most 1/6 of the
  training throughput; ``all`` uses every core; a list such as ``1-3,6`` pins the workers.

The same limits bind a GPU worker's CPU side (input pipeline, ``tf.data`` and
``PyDataset`` threads and processes inherit the affinity and the priority).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from collections.abc import Mapping

log = logging.getLogger("dl_core.jobs")
DEFAULT_NICE = 10
RESERVE_FROM = 6  # reserve a core for the server from this many cores on (loss <= 1/6)
MAX_INTER_OP = 2


@dataclasses.dataclass(frozen=True)
class WorkerCPU:
    """Limits for one worker process; 0 / ``None`` mean "leave as it is"."""

    threads: int  # TensorFlow intra-op threads
    inter_op: int  # TensorFlow inter-op threads
    nice: int  # niceness to add
    cpus: tuple[int, ...] | None  # CPU affinity


def available_cpus() -> list[int]:
    """The cores this process may run on."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return list(range(os.cpu_count() or 1))


def settings(env: Mapping[str, str] | None = None, cpus: list[int] | None = None) -> WorkerCPU:
    """The worker limits from the environment (``env``) on a machine with cores ``cpus``.

    Invalid values are logged and replaced by their defaults: a typo in a setting must not
    keep every job from running.
    """
    env = os.environ if env is None else env
    cpus = available_cpus() if cpus is None else sorted(cpus)
    chosen = _parse_cpus(env.get("DL_EXPLORER_WORKER_CPUS", "auto"), cpus)
    usable = len(chosen) if chosen else len(cpus)
    threads = _parse_int(env, "DL_EXPLORER_WORKER_THREADS", usable, 0, 1024)
    nice = _parse_int(env, "DL_EXPLORER_WORKER_NICE", DEFAULT_NICE, 0, 19)
    inter_op = min(MAX_INTER_OP, threads) if threads else 0
    return WorkerCPU(threads=threads, inter_op=inter_op, nice=nice, cpus=chosen)


def for_task(task_cpus: float, env: Mapping[str, str] | None = None) -> WorkerCPU:
    """The limits of a job that a scheduler gave ``task_cpus`` cores (a Ray task).

    A Ray node runs as many one-CPU tasks side by side as it has cores; TensorFlow in each
    would otherwise start a thread per core of the whole node and oversubscribe it. So the
    intra-op threads are the task's share (``DL_EXPLORER_WORKER_THREADS`` still wins), the
    niceness is ``DL_EXPLORER_WORKER_NICE`` (a local cluster shares the server's machine),
    and the affinity is left to the scheduler.
    """
    env = os.environ if env is None else env
    share = max(1, round(task_cpus)) if task_cpus else len(available_cpus())
    threads = _parse_int(env, "DL_EXPLORER_WORKER_THREADS", share, 0, 1024)
    nice = _parse_int(env, "DL_EXPLORER_WORKER_NICE", DEFAULT_NICE, 0, 19)
    inter_op = min(MAX_INTER_OP, threads) if threads else 0
    return WorkerCPU(threads=threads, inter_op=inter_op, nice=nice, cpus=None)


def apply(limits: WorkerCPU) -> None:
    """Apply ``limits`` to this process (call before TensorFlow is imported)."""
    if limits.threads:
        os.environ["TF_NUM_INTRAOP_THREADS"] = str(limits.threads)
        os.environ["TF_NUM_INTEROP_THREADS"] = str(limits.inter_op)
        os.environ["OMP_NUM_THREADS"] = str(limits.threads)
        if "tensorflow" in sys.modules:  # too late for the variables: try the API
            try:
                tf = sys.modules["tensorflow"]
                tf.config.threading.set_intra_op_parallelism_threads(limits.threads)
                tf.config.threading.set_inter_op_parallelism_threads(limits.inter_op)
            except (RuntimeError, AttributeError):
                log.warning("TensorFlow already started: worker thread counts not applied")
    if limits.nice:
        try:
            os.nice(limits.nice)
        except OSError:
            log.warning("could not lower the worker's priority")
    if limits.cpus:
        try:
            os.sched_setaffinity(0, limits.cpus)
        except (AttributeError, OSError):
            log.warning("could not set the worker's CPU affinity to %s", limits.cpus)


def current() -> dict:
    """What this process runs with: niceness, cores and thread variables (tests, bench)."""
    return {
        "nice": os.nice(0),
        "cpus": available_cpus(),
        **{
            k: os.environ.get(k)
            for k in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")
        },
    }


def _parse_int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not lo <= value <= hi:
        log.warning(
            "%s=%r is not a whole number from %d to %d; using %d", name, raw, lo, hi, default
        )
        return default
    return value


def _parse_cpus(raw: str, cpus: list[int]) -> tuple[int, ...] | None:
    raw = raw.strip().lower()
    if raw in ("", "auto"):
        return tuple(cpus[1:]) if len(cpus) >= RESERVE_FROM else None
    if raw == "all":
        return None
    chosen: set[int] = set()
    try:
        for part in raw.split(","):
            lo, _, hi = part.partition("-")
            chosen.update(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        chosen = set()
    if not chosen or not chosen <= set(cpus):
        log.warning("DL_EXPLORER_WORKER_CPUS=%r names no usable cores of %s; using auto", raw, cpus)
        return _parse_cpus("auto", cpus)
    return tuple(sorted(chosen))
