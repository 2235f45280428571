"""Who runs a job: an id per dispatching process that means the same on every machine.

A job in state ``running`` names its *owner*, the server process whose dispatcher claimed
it. When that process is gone, the job goes back to the queue (``_requeue_orphans``). With
one machine a process id answers "is it gone?". With several app replicas on several
machines sharing PostgreSQL it does not: replica B cannot look up replica A's process id,
and the same number may be a live process of B's own.

So each dispatching process takes a random 62-bit id and keeps a row in ``owners``:
``(id, host, pid, seen)``, ``seen`` renewed every :data:`HEARTBEAT_S` by its dispatcher.
Whether an owner is gone is then decided where it can be:

- on its own host, by its process id (at once, e.g. after a restart);
- from another host, by its lease: ``seen`` older than :data:`lease_s` (a machine or a
  network that is gone stops renewing it).

Rows without an ``owners`` entry (written before owners existed, or by tests) hold a bare
process id of this host, as they always did.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from typing import Any

HEARTBEAT_S = 5.0  # how often a dispatcher renews its row
HOST = socket.gethostname()

_me: dict[int, int] = {}  # process id -> owner id (a forked child takes an id of its own)
_beaten: dict[int, float] = {}  # owner id -> when its row was last written


def lease_s() -> float:
    """How long another host's owner may stay silent before its jobs are requeued."""
    return float(os.environ.get("DL_EXPLORER_OWNER_LEASE_S", 60))


def me() -> int:
    """This process's owner id (random, above every process id)."""
    pid = os.getpid()
    if pid not in _me:
        _me[pid] = (1 << 32) + secrets.randbelow((1 << 62) - (1 << 32))
    return _me[pid]


def due() -> bool:
    """Whether this process's row needs renewing."""
    return time.time() - _beaten.get(me(), 0.0) >= HEARTBEAT_S


def beat(con: Any, force: bool = False) -> int:
    """Renew this process's ``owners`` row (at most every HEARTBEAT_S unless ``force``)."""
    owner, now = me(), time.time()
    if force or now - _beaten.get(owner, 0.0) >= HEARTBEAT_S:
        con.execute(
            "INSERT OR REPLACE INTO owners (id, host, pid, seen) VALUES (?, ?, ?, ?)",
            (owner, HOST, os.getpid(), now),
        )
        _beaten[owner] = now
    return owner


def gone(con: Any, owner: int, alive: Any) -> tuple[bool, bool]:
    """``(gone, here)``: whether ``owner`` is gone, and whether it ran on this host.

    ``alive(pid)`` tells whether a local process id is alive.
    """
    row = con.execute("SELECT host, pid, seen FROM owners WHERE id=?", (owner,)).fetchone()
    if row is None and owner >= 1 << 32:  # an owner that shut down (and requeued its jobs)
        return True, False
    if row is None:  # a bare process id of this host
        return not alive(owner), True
    host, pid, seen = row[0], row[1], row[2]
    if host == HOST:
        return not alive(pid), True
    return time.time() - seen > lease_s(), False


def prune(con: Any, older_than_s: float = 86400.0) -> None:
    """Forget owners silent for a day (servers restarted since, on any host)."""
    con.execute("DELETE FROM owners WHERE seen < ?", (time.time() - older_than_s,))


def forget(con: Any) -> None:
    """Drop this process's row when it shuts down cleanly."""
    con.execute("DELETE FROM owners WHERE id=?", (me(),))
    _beaten.pop(me(), None)
