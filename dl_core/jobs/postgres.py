"""PostgreSQL behind the job database's SQLite-shaped interface (for several app replicas).

Set ``DL_EXPLORER_DATABASE_URL=postgresql://user:pass@host/db`` and every replica, worker
and Ray task shares job states, visitors' requests and progress events through it. The
rest of :mod:`dl_core.jobs` writes SQLite's dialect; :class:`Connection` translates the
few differences:

- ``?`` placeholders become ``%s``;
- ``BEGIN IMMEDIATE`` (SQLite's one-writer lock) becomes ``BEGIN`` plus a transaction-wide
  advisory lock, so claiming a job stays atomic across replicas;
- ``INSERT OR IGNORE`` / ``INSERT OR REPLACE`` become ``ON CONFLICT DO NOTHING / UPDATE``;
- ``PRAGMA`` statements are skipped.

Rows answer by position and by column name, like ``sqlite3.Row``. One connection per
thread and process is kept open (psycopg 3, autocommit).
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any

LOCK_ID = 727_001  # the advisory lock that stands in for SQLite's write lock

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT PRIMARY KEY, fn TEXT, label TEXT, config TEXT, data_fp TEXT,
    state TEXT, created DOUBLE PRECISION, started DOUBLE PRECISION, finished DOUBLE PRECISION,
    error TEXT, cancel_requested INTEGER DEFAULT 0, timeout_s DOUBLE PRECISION,
    owner BIGINT, worker_pid BIGINT
);
CREATE TABLE IF NOT EXISTS events (
    key TEXT, seq INTEGER, t DOUBLE PRECISION, kind TEXT, step INTEGER, epoch INTEGER,
    total INTEGER, metrics TEXT, message TEXT, preview TEXT, PRIMARY KEY (key, seq)
);
CREATE TABLE IF NOT EXISTS requests (
    key TEXT, visitor TEXT, created DOUBLE PRECISION, PRIMARY KEY (key, visitor)
);
CREATE TABLE IF NOT EXISTS placements (
    key TEXT PRIMARY KEY, node TEXT, attempt INTEGER
);
CREATE TABLE IF NOT EXISTS owners (
    id BIGINT PRIMARY KEY, host TEXT, pid BIGINT, seen DOUBLE PRECISION
);
"""

# Primary keys and columns, for INSERT OR REPLACE (ON CONFLICT ... DO UPDATE).
_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _parse_tables() -> None:
    for name, body in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);", SCHEMA, re.S):
        cols = tuple(
            part.split()[0]
            for part in re.split(r",\s*(?![^()]*\))", body.strip())
            if not part.strip().startswith("PRIMARY KEY")
        )
        pk = re.search(r"PRIMARY KEY \(([^)]*)\)", body)
        keys = tuple(k.strip() for k in pk.group(1).split(",")) if pk else (cols[0],)
        _TABLES[name] = (keys, cols)


_parse_tables()


class Row(tuple):
    """A result row readable by index and by column name."""

    _names: dict[str, int]

    def __new__(cls, names: dict[str, int], values: Any) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, item: Any) -> Any:  # type: ignore[override]
        if isinstance(item, str):
            return tuple.__getitem__(self, self._names[item])
        return tuple.__getitem__(self, item)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Any:
    names = {c.name: i for i, c in enumerate(cursor.description or ())}
    return lambda values: Row(names, values)


def translate(sql: str) -> list[str]:
    """SQLite statement → the PostgreSQL statements that do the same (may be none)."""
    text = sql.strip()
    upper = text.upper()
    if upper.startswith("PRAGMA"):
        return []
    if upper.startswith("BEGIN"):
        return ["BEGIN", f"SELECT pg_advisory_xact_lock({LOCK_ID})"]
    text = text.replace("?", "%s")
    if upper.startswith("INSERT OR IGNORE INTO"):
        return ["INSERT INTO" + text[len("INSERT OR IGNORE INTO") :] + " ON CONFLICT DO NOTHING"]
    if upper.startswith("INSERT OR REPLACE INTO"):
        rest = text[len("INSERT OR REPLACE INTO") :]
        table = rest.split()[0].split("(")[0]
        keys, cols = _TABLES[table]
        explicit = re.match(r"\s*\w+\s*\(([^)]*)\)\s*VALUES", rest, re.I)
        if explicit:
            cols = tuple(c.strip() for c in explicit.group(1).split(","))
        updates = ", ".join(f"{c}=EXCLUDED.{c}" for c in cols if c not in keys)
        return [f"INSERT INTO{rest} ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"]
    return [text]


class Cursor:
    """What ``Connection.execute`` returns: the last statement's rows and row count."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self.rowcount = cursor.rowcount if cursor is not None else 0

    def fetchone(self) -> Row | None:
        return self._cursor.fetchone() if self._has_rows() else None

    def fetchall(self) -> list[Row]:
        return self._cursor.fetchall() if self._has_rows() else []

    def __iter__(self):
        return iter(self.fetchall())

    def _has_rows(self) -> bool:
        return self._cursor is not None and self._cursor.description is not None


class Connection:
    """A psycopg connection that speaks the job database's SQLite dialect."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._pg = psycopg.connect(url, autocommit=True, row_factory=_row_factory)

    @property
    def closed(self) -> bool:
        return bool(self._pg.closed)

    def execute(self, sql: str, args: Any = ()) -> Cursor:
        cursor = None
        for statement in translate(sql):
            cursor = self._pg.execute(statement, args if "%s" in statement else None)
        return Cursor(cursor)

    def executescript(self, script: str) -> None:
        for statement in (s.strip() for s in script.split(";")):
            if statement:
                self._pg.execute(statement)

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, kind: Any, *_: Any) -> None:
        if kind is not None and self._pg.info.transaction_status != 0:  # not idle
            self._pg.execute("ROLLBACK")

    def close(self) -> None:
        self._pg.close()


_local = threading.local()
_schema_done: set[str] = set()


def connect(url: str) -> Connection:
    """This thread's open connection to ``url`` (made, and the schema ensured, once)."""
    pool = getattr(_local, "pool", None)
    if pool is None or _local.pid != os.getpid():
        pool = _local.pool = {}
        _local.pid = os.getpid()
    con = pool.get(url)
    if con is None or con.closed:
        con = pool[url] = Connection(url)
    if url not in _schema_done:
        con.execute("BEGIN")  # one replica at a time creates the tables
        con.executescript(SCHEMA)
        con.execute("COMMIT")
        _schema_done.add(url)
    return con
