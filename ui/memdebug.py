"""Where the server's memory goes: a debug hook for ``python -m bench memory``.

Off unless ``DL_EXPLORER_MEMORY_DEBUG`` names a folder. Then a daemon thread in the server
answers each ``<folder>/request-N`` file with ``<folder>/dump-N.json``: RSS, glibc's heap
figures (in use vs free), the garbage collector's counters, live Streamlit sessions, media
files and cache entries. With ``DL_EXPLORER_MEMORY_DEBUG_DEEP=1`` also (changing what it
measures) a full collection, the object types tracked, and from the second request on the
allocation sites that grew since the first (``tracemalloc`` starts at the first request, so
warm-up imports do not count).
"""

from __future__ import annotations

import collections
import ctypes
import gc
import json
import os
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

_started = False
_lock = threading.Lock()


def _rss() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def _mallinfo() -> dict[str, int]:
    class Mallinfo2(ctypes.Structure):
        _fields_ = [
            (name, ctypes.c_size_t)
            for name in (
                "arena",
                "ordblks",
                "smblks",
                "hblks",
                "hblkhd",
                "usmblks",
                "fsmblks",
                "uordblks",
                "fordblks",
                "keepcost",
            )
        ]

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = Mallinfo2
        info = libc.mallinfo2()
    except (OSError, AttributeError):
        return {}
    return {
        "heap_total": info.arena + info.hblkhd,
        "heap_in_use": info.uordblks + info.hblkhd,
        "heap_free": info.fordblks,
    }


def _streamlit() -> dict[str, Any]:
    from streamlit.runtime import Runtime

    rt = Runtime.instance()
    out: dict[str, Any] = {}
    mgr = rt._session_mgr
    out["sessions"] = len(mgr.list_sessions())
    out["active_sessions"] = len(mgr.list_active_sessions())
    storage = rt.media_file_mgr._storage
    out["media_files"] = len(getattr(storage, "_files_by_id", {}))
    out["media_bytes"] = sum(
        len(getattr(f, "content", b"") or b"")
        for f in getattr(storage, "_files_by_id", {}).values()
    )
    out["media_sessions"] = len(rt.media_file_mgr._files_by_session_and_coord)
    caches: collections.Counter[str] = collections.Counter()
    sizes: collections.Counter[str] = collections.Counter()
    for family, stats in rt.stats_mgr.get_stats().items():
        for stat in stats:
            name = f"{family}:{getattr(stat, 'cache_name', '') or type(stat).__name__}"
            caches[name] += 1
            sizes[name] += getattr(stat, "byte_length", 0)
    out["cache_entries"] = dict(caches.most_common(40))
    out["cache_bytes"] = dict(sizes.most_common(40))
    return out


def _dump(n: int, folder: Path) -> None:
    t0 = time.perf_counter()
    data: dict[str, Any] = {
        "rss": _rss(),
        **_mallinfo(),
        "threads": threading.active_count(),
        "gc_collections": [g["collections"] for g in gc.get_stats()],
        "gc_count": gc.get_count(),
        "gc_frozen": gc.get_freeze_count(),
        "gc_tracked": len(gc.get_objects()),
    }
    try:
        data.update(_streamlit())
    except Exception as err:  # a debug aid: report, never crash the server
        data["streamlit_error"] = repr(err)
    deep = os.environ.get("DL_EXPLORER_MEMORY_DEBUG_DEEP") == "1"
    if deep:  # changes what it measures: a full collection, then tracing allocations
        data["gc_freed"] = gc.collect()
        data["rss_after_gc"] = _rss()
        data["heap_after_gc"] = _mallinfo()
        types = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
        data["gc_types"] = dict(types.most_common(60))
    if deep and not tracemalloc.is_tracing():
        tracemalloc.start(8)
        global _first
        _first = tracemalloc.take_snapshot()
    elif deep:
        snap = tracemalloc.take_snapshot()
        diff = snap.compare_to(_first, "traceback")
        data["traced_now"], data["traced_peak"] = tracemalloc.get_traced_memory()
        data["growth"] = [
            {
                "size_diff": s.size_diff,
                "count_diff": s.count_diff,
                "where": [str(f) for f in s.traceback.format()[-16:]],
            }
            for s in diff[:25]
        ]
    data["dump_s"] = time.perf_counter() - t0
    (folder / f"dump-{n}.json").write_text(json.dumps(data, indent=1, default=str))


def _watch(folder: Path) -> None:
    while True:
        for req in sorted(folder.glob("request-*")):
            n = int(req.name.split("-", 1)[1])
            req.unlink()
            _dump(n, folder)
        time.sleep(0.2)


def start() -> None:
    """Start the watcher once per server when ``DL_EXPLORER_MEMORY_DEBUG`` is set."""
    global _started
    folder = os.environ.get("DL_EXPLORER_MEMORY_DEBUG")
    if not folder:
        return
    with _lock:
        if _started:
            return
        _started = True
    Path(folder).mkdir(parents=True, exist_ok=True)
    threading.Thread(target=_watch, args=(Path(folder),), daemon=True, name="memdebug").start()
