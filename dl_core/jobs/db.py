"""The job database (SQLite under ``DL_EXPLORER_HOME``, or PostgreSQL) and its row types."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import threading
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
CREATE TABLE IF NOT EXISTS requests (
    key TEXT, visitor TEXT, created REAL, PRIMARY KEY (key, visitor)
);
CREATE TABLE IF NOT EXISTS placements (
    key TEXT PRIMARY KEY, node TEXT, attempt INTEGER
);
CREATE TABLE IF NOT EXISTS owners (
    id INTEGER PRIMARY KEY, host TEXT, pid INTEGER, seen REAL
);
"""


# -- database -----------------------------------------------------------------------------
def _db_path() -> Path:
    return home() / "jobs.sqlite"


def database_url() -> str:
    """``DL_EXPLORER_DATABASE_URL`` (``postgresql://…`` for replicas), else '' for SQLite."""
    return os.environ.get("DL_EXPLORER_DATABASE_URL", "")


LOCK_TIMEOUT_S = 30.0


def _wal(con: sqlite3.Connection) -> None:
    """Switch the database to write-ahead logging (a no-op once it is).

    On a new database, the switch needs the file to itself, and SQLite answers "database
    is locked" at once (its busy timeout does not apply) while another connection holds
    a lock, e.g. a dispatcher thread creating the tables as the first job is submitted:
    retry for as long as the busy timeout.
    """
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    while True:
        try:
            con.execute("PRAGMA journal_mode=WAL").fetchall()
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _connect() -> sqlite3.Connection:
    """A connection to the job database: SQLite under ``DL_EXPLORER_HOME`` by default,
    PostgreSQL when ``DL_EXPLORER_DATABASE_URL`` names one (same SQL, see ``postgres.py``)."""
    url = database_url()
    if url.startswith(("postgresql://", "postgres://")):
        from dl_core.jobs import postgres

        return postgres.connect(url)  # type: ignore[return-value]
    con = sqlite3.connect(_db_path(), timeout=LOCK_TIMEOUT_S, isolation_level=None)
    con.row_factory = sqlite3.Row
    _wal(con)
    con.execute("PRAGMA synchronous=NORMAL")
    con.executescript(_SCHEMA)
    return con


_QUEUED = "SELECT 1 FROM jobs WHERE state='queued' LIMIT 1"
_polls = threading.local()  # a thread's long-lived SQLite connection for anything_queued()


def _file_ident(path: Path) -> tuple:
    """Tells one database file from another at the same path. A file deleted and created
    again may get the same inode number, never the same change time; a checkpoint also
    changes it, which only costs one new connection."""
    st = path.stat()
    return str(path), st.st_dev, st.st_ino, st.st_ctime_ns


def anything_queued() -> bool:
    """Whether any job waits in the queue: what a dispatcher asks several times a second.

    On SQLite one long-lived connection per thread answers, reopened when the database
    file is another one (another ``DL_EXPLORER_HOME``, or the file replaced): a new
    connection per poll reads the schema again, most of an idle server's CPU. The answer
    is read to its end, so no read snapshot stays open between polls. PostgreSQL uses a
    new connection, as everywhere else.
    """
    if database_url():
        with _connect() as con:
            return bool(con.execute(_QUEUED).fetchall())
    path = _db_path()
    try:
        ident = _file_ident(path)
    except FileNotFoundError:
        ident = None
    con = getattr(_polls, "con", None)
    if con is None or ident is None or ident != getattr(_polls, "ident", None):
        if con is not None:
            con.close()
        con = _polls.con = _connect()  # creates the file and the tables if need be
        _polls.ident = _file_ident(path)
    return bool(con.execute(_QUEUED).fetchall())


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
    queue_position: int | None  # jobs that start (or run) before this one, while queued
    events: list[Event]
    worker_pid: int | None = None  # None while running: no worker has picked the job up yet
    wait_s: float | None = None  # estimated seconds until it starts, while queued
    train_s: float | None = None  # estimated training seconds, while queued
    requesters: list[str] = dataclasses.field(default_factory=list)  # visitor ids
    cancel_requested: bool = False  # Stop was pressed; the job has not ended yet

    @property
    def stopping(self) -> bool:
        return self.cancel_requested and self.active

    @property
    def phase(self) -> str | None:
        """What the job is doing, in words: its latest message while that is its latest event,
        and a message ending in "…" (e.g. "fine-tuning…") until the next message."""
        for i, e in enumerate(reversed(self.events)):
            if e.message:
                return e.message if i == 0 or e.message.endswith("…") else None
        return None

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
        seq=r["seq"],
        t=r["t"],
        kind=r["kind"],
        step=r["step"],
        epoch=r["epoch"],
        total=r["total"],
        metrics=json.loads(r["metrics"] or "{}"),
        message=r["message"],
        preview=r["preview"],
    )
