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

from dl_core.jobs.api import (
    cancel,
    counts,
    durations,
    estimate_for,
    find,
    fn_name,
    job_key,
    latest_preview,
    list_jobs,
    preview,
    result,
    status,
    submit,
    wait,
)
from dl_core.jobs.cache import EVICTED_MSG, UNREADABLE_MSG, evict, pin
from dl_core.jobs.db import ACTIVE, STATES, Event, JobStatus
from dl_core.jobs.executors import (
    Executor,
    InlineExecutor,
    ProcessExecutor,
    get_executor,
    in_use,
    set_executor,
)
from dl_core.jobs.reporter import Reporter
from dl_core.results import Result

__all__ = [
    "ACTIVE",
    "EVICTED_MSG",
    "STATES",
    "UNREADABLE_MSG",
    "Event",
    "Executor",
    "InlineExecutor",
    "JobStatus",
    "ProcessExecutor",
    "Reporter",
    "Result",
    "cancel",
    "counts",
    "durations",
    "estimate_for",
    "evict",
    "find",
    "fn_name",
    "get_executor",
    "in_use",
    "job_key",
    "latest_preview",
    "list_jobs",
    "pin",
    "preview",
    "result",
    "set_executor",
    "status",
    "submit",
    "wait",
]
