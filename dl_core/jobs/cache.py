"""Keeping the cache under its bound without stranding a page.

The store deletes files; this module keeps the job database in step with it:

- the artifacts of queued and running jobs, and the blobs holding their data, are kept;
- a finished job whose result was evicted (or whose files are missing or damaged) becomes
  ``evicted``, with a sentence, so its page offers Train again;
- its events and progress previews go with it;
- failed, cancelled and evicted rows older than the retention period
  (``DL_EXPLORER_JOB_RETENTION_S``, default 7 days) are deleted with their events.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

from dl_core.jobs.db import _connect
from dl_core.store import Store

EVICTED_MSG = "The saved result was removed to make room; train again to see it."
UNREADABLE_MSG = (
    "The saved result could not be read (a file is missing or damaged); train again to see it."
)
DEFAULT_RETENTION_S = 7 * 24 * 3600.0


def retention_s() -> float:
    return float(os.environ.get("DL_EXPLORER_JOB_RETENTION_S", DEFAULT_RETENTION_S))


def protected() -> tuple[set[str], set[str]]:
    """(keys, data fingerprints) of queued and running jobs: eviction must keep both."""
    with _connect() as con:
        rows = con.execute(
            "SELECT key, data_fp FROM jobs WHERE state IN ('queued','running')"
        ).fetchall()
    return {r[0] for r in rows}, {r[1] for r in rows if r[1]}


def forget_result(key: str, message: str = EVICTED_MSG, store: Store | None = None) -> bool:
    """A done job lost its result: delete what is left of it and say so on its row.

    Returns whether the row changed (it was ``done``). Queued and running jobs are untouched.
    """
    store = store or Store()
    with _connect() as con:
        con.execute("BEGIN IMMEDIATE")
        changed = (
            con.execute(
                "UPDATE jobs SET state='evicted', error=?, finished=? WHERE key=? AND state='done'",
                (message, time.time(), key),
            ).rowcount
            > 0
        )
        if changed:
            con.execute("DELETE FROM events WHERE key=?", (key,))
        con.execute("COMMIT")
    if changed:
        store.delete(key)
    return changed


def evict(max_bytes: int | None = None, also_keep: Iterable[str] = ()) -> list[str]:
    """Shrink the cache to its bound and update the jobs whose results went; return keys."""
    store = Store()
    keys, fps = protected()
    removed = store.evict(keys | set(also_keep), max_bytes, keep_blobs=fps)
    for key in removed:
        forget_result(key, EVICTED_MSG, store)
    _reconcile(store)
    purge(store=store)
    return removed


def _reconcile(store: Store) -> None:
    """Done rows whose result is gone (deleted by hand, an older version) become evicted."""
    with _connect() as con:
        done = [r[0] for r in con.execute("SELECT key FROM jobs WHERE state='done'")]
    for key in done:
        if not store.exists(key):
            forget_result(key, EVICTED_MSG, store)


def purge(older_than_s: float | None = None, store: Store | None = None) -> int:
    """Delete failed, cancelled and evicted jobs that ended before the retention period."""
    store = store or Store()
    cutoff = time.time() - (retention_s() if older_than_s is None else older_than_s)
    with _connect() as con:
        con.execute("BEGIN IMMEDIATE")
        keys = [
            r[0]
            for r in con.execute(
                "SELECT key FROM jobs WHERE state IN ('failed','cancelled','evicted') "
                "AND COALESCE(finished, created) < ?",
                (cutoff,),
            )
        ]
        for key in keys:
            con.execute("DELETE FROM events WHERE key=?", (key,))
            con.execute("DELETE FROM jobs WHERE key=?", (key,))
        con.execute("COMMIT")
    for key in keys:
        if not store.exists(key):  # never a done result that happens to share the key
            store.delete(key)
    return len(keys)


def pin(key: str) -> None:
    """Never evict this job's result (``python -m dl_core warmup`` pins what it trains)."""
    Store().pin(key)
