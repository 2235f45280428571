"""Who asked for a job, and whose job starts next: the shared-demo rules.

Every browser is an anonymous *visitor* (an id the page keeps in a cookie; it never goes
into a shareable URL). A job remembers every visitor who asked for it (the ``requests``
table), so:

- **Stop** withdraws one visitor's request; the job stops when nobody wants it any more.
- **Fair queue**: the next job to start is picked round-robin over visitors, oldest first
  within each. A visitor whose last job started longest ago (or never) goes first, so no
  visitor's second job starts before every other waiting visitor's first.
- **A cap per visitor**: at most ``DL_EXPLORER_MAX_JOBS_PER_VISITOR`` (default 3: the
  transfer and text-generation pages compare three runs at once) queued or running jobs;
  joining a job that is already queued or running costs nothing.

Jobs submitted without a visitor (the CLI, ``warmup``, benchmarks) belong to the empty
visitor ``""`` and take their turn like anyone else.
"""

from __future__ import annotations

import os
import sqlite3
from collections import defaultdict

from dl_core.errors import UserError

ANONYMOUS = ""


class TooManyJobs(UserError):
    """A visitor already has as many active jobs as one visitor may have."""


def max_jobs_per_visitor() -> int:
    """``DL_EXPLORER_MAX_JOBS_PER_VISITOR``: active jobs one visitor may have (default 3)."""
    try:
        return max(1, int(os.environ.get("DL_EXPLORER_MAX_JOBS_PER_VISITOR", 3)))
    except ValueError:
        return 3


def add_request(con: sqlite3.Connection, key: str, visitor: str, now: float) -> None:
    """Record that ``visitor`` wants ``key`` (inside the caller's transaction)."""
    con.execute(
        "INSERT OR IGNORE INTO requests (key, visitor, created) VALUES (?, ?, ?)",
        (key, visitor, now),
    )


def check_cap(con: sqlite3.Connection, key: str, visitor: str) -> None:
    """Raise :class:`TooManyJobs` if ``visitor`` may not start another job besides ``key``."""
    if not visitor:
        return
    cap = max_jobs_per_visitor()
    active = con.execute(
        "SELECT COUNT(*) FROM requests r JOIN jobs j ON r.key = j.key "
        "WHERE r.visitor=? AND r.key<>? AND j.state IN ('queued','running')",
        (visitor, key),
    ).fetchone()[0]
    if active >= cap:
        raise TooManyJobs(
            f"You already have {active} training job(s) queued or running, the most one visitor "
            f"may have at once ({cap}). Wait for one to finish, or stop one, then press Train "
            "again."
        )


def requesters(con: sqlite3.Connection, key: str) -> list[str]:
    """Visitors who asked for ``key``, first asker first."""
    rows = con.execute(
        "SELECT visitor FROM requests WHERE key=? ORDER BY created, visitor", (key,)
    ).fetchall()
    return [r[0] for r in rows]


def withdraw(con: sqlite3.Connection, key: str, visitor: str) -> int:
    """Remove ``visitor``'s request for ``key``; return how many requests remain."""
    con.execute("DELETE FROM requests WHERE key=? AND visitor=?", (key, visitor))
    return con.execute("SELECT COUNT(*) FROM requests WHERE key=?", (key,)).fetchone()[0]


def fair_order(con: sqlite3.Connection) -> list[str]:
    """Keys of the queued jobs in the order they will start.

    Round-robin over visitors: in each round every visitor with jobs waiting gets one
    start, visitors whose last start is oldest (or who never started one) first; within a
    visitor, the oldest job first. A job's visitor is the first visitor who asked for it.
    """
    queued = con.execute(
        "SELECT j.key, j.created, (SELECT r.visitor FROM requests r WHERE r.key = j.key "
        "ORDER BY r.created, r.visitor LIMIT 1) AS visitor "
        "FROM jobs j WHERE j.state='queued' ORDER BY j.created, j.key"
    ).fetchall()
    if not queued:
        return []
    last_start = {
        r[0]: r[1]
        for r in con.execute(
            "SELECT r.visitor, MAX(j.started) FROM requests r JOIN jobs j ON r.key = j.key "
            "WHERE j.started IS NOT NULL GROUP BY r.visitor"
        )
    }
    per_visitor: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for key, created, visitor in queued:
        per_visitor[visitor or ANONYMOUS].append((key, created))
    visitors = sorted(
        per_visitor,
        key=lambda v: (last_start.get(v) or float("-inf"), per_visitor[v][0][1], v),
    )
    order: list[str] = []
    for depth in range(max(len(jobs) for jobs in per_visitor.values())):
        order += [per_visitor[v][depth][0] for v in visitors if depth < len(per_visitor[v])]
    return order
