"""Ending processes that tests started, by PID (never by name)."""

from __future__ import annotations

import contextlib

import psutil

from tests.timeouts import ceiling


def stop_processes(procs: list[psutil.Process]) -> list[psutil.Process]:
    """Terminate ``procs``, kill those still running after a grace; return the ones that ran."""
    alive = []
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                p.terminate()
                alive.append(p)
    _, left = psutil.wait_procs(alive, timeout=ceiling(10))
    for p in left:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    psutil.wait_procs(left, timeout=ceiling(10))
    return alive


def _describe(p: psutil.Process) -> str:
    try:
        return f"pid {p.pid}: {' '.join(p.cmdline())[:200]}"
    except psutil.Error:
        return f"pid {p.pid}"


def leftovers() -> list[psutil.Process]:
    """Processes this one started (children, grandchildren) that are still running.

    Python's multiprocessing resource tracker is not counted: it belongs to the interpreter
    and ends with it.
    """
    out = []
    for p in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if p.status() == psutil.STATUS_ZOMBIE:
                continue
            if "multiprocessing.resource_tracker" in " ".join(p.cmdline()):
                continue
            out.append(p)
    return out


def end_leftovers() -> list[str]:
    """End every leftover process (see :func:`leftovers`); describe the ones that were found."""
    found = leftovers()
    names = [_describe(p) for p in found]
    stop_processes(found)
    return names
