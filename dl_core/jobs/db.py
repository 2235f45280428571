"""The job database (SQLite under ``DL_EXPLORER_HOME``) and the types read from it."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from dl_core.store import home

# "evicted": it was done, but its result was removed to make room (see dl_core.jobs.cache).
STATES = ("queued", "running", "done", "failed", "cancelled", "evicted")
ACTIVE = ("queued", "running")

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
    worker_pid: int | None = None  # None while running: no worker has picked the job up yet

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


def _event(r: sqlite3.Row) -> Event:
    return Event(
        seq=r["seq"], t=r["t"], kind=r["kind"], step=r["step"], epoch=r["epoch"],
        total=r["total"], metrics=json.loads(r["metrics"] or "{}"), message=r["message"],
        preview=r["preview"],
    )  # fmt: skip
