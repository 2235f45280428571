"""Per-rerun costs that Streamlit adds once TensorFlow lives in the server process.

A Streamlit script run ends with two full garbage collections: ``runner.postScriptGC``
(turned off in ``.streamlit/config.toml``) and ``keras.backend.clear_session()``, which
Streamlit calls after every run as soon as ``keras`` is imported, to protect apps that build
models in the script. With TensorFlow loaded each full collection walks millions of objects:
about a second of CPU per page view and per widget change. Our pages never build models in
the script (results are loaded once into ``st.cache_resource``), and clearing the session
would also drop TensorFlow's kernel cache, so the next model call pays for it again.

:func:`tune` keeps Streamlit's other clean-up (closing matplotlib figures) and freezes the
objects of heavy imports out of the garbage collector's way once they are loaded.

Freezing also resets the collector's count of long-lived objects, or cyclic garbage would
pile up for hundreds of page views (:func:`freeze_heap`). After a page run,
:func:`trim_heap` returns the C heap's free pages to the system (glibc keeps them per
thread arena, and each script run is a thread).

It also closes the sessions that Streamlit forgets. When a browser tab closes, Streamlit
keeps its session two minutes for a reconnect (``MemorySessionStorage``, at most 128), then
drops it from that store without ``AppSession.shutdown()``: the session's images
(``st.image`` media files) and uploads stay registered to it, so the server keeps them for
good. :func:`release_forgotten_sessions` shuts such a session down when it expires or is
pushed out of the store.

Streamlit also forgets every page's compiled code whenever its last session disconnects, "to
avoid stale cached scripts". Each later visit compiles the entry script and the page again,
magic commands and all: about 0.1 CPU-s per view on a big page, on a server that one visitor
at a time opens. Without a file watcher nothing can make the code stale (a deployment
restarts the server), so :func:`keep_compiled_scripts` keeps it.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

_LOG = logging.getLogger(__name__)
_HEAVY = ("tensorflow", "keras", "torch", "jax")
_frozen: set[str] = set()


def _close_matplotlib_figures() -> None:
    """What Streamlit's clean-up does besides resetting Keras."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")


def _shutdown(info: Any) -> None:
    session = getattr(info, "session", None)
    if session is None:
        return
    try:
        session.shutdown()  # releases its media files and uploads (idempotent)
    except Exception:  # noqa: BLE001 - a clean-up must never break the server
        _LOG.exception("Could not shut down expired session %s", getattr(session, "id", "?"))


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread (the server's, when a websocket closes)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _release(infos: list[Any]) -> None:
    """Shut sessions down after the session manager's storage call returns (it holds a lock,
    as Streamlit's own ``disconnect_session`` does before shutting a session down)."""
    if not infos:
        return
    loop = _running_loop()
    for info in infos:
        if loop is not None:
            loop.call_soon(_shutdown, info)
        else:
            _shutdown(info)


def _releasing_cache_class(base: type) -> type:
    class ReleasingTTLCache(base):  # type: ignore[misc, valid-type]
        """Streamlit's session store, shutting down the sessions it drops (not the ones
        taken back by a reconnect, which leave through ``del``)."""

        def expire(self, at_time: float | None = None) -> list:
            expired = super().expire(at_time)
            _release([info for _, info in expired])
            return expired

        def _evict_lru(self, reason: Any) -> Any:
            info = super()._evict_lru(reason)
            _release([info])
            return info

    return ReleasingTTLCache


_RELEASING: dict[type, type] = {}
_warned: list[bool] = []


def release_forgotten_sessions(storage: Any | None = None) -> bool:
    """Make Streamlit's store of disconnected sessions shut down the sessions it drops.

    ``storage`` defaults to the running server's; returns whether its store now does.
    """
    if storage is None:
        try:
            from streamlit.runtime import Runtime

            if not Runtime.exists():
                return False
            storage = Runtime.instance()._session_mgr._session_storage
        except (ImportError, AttributeError):  # pragma: no cover - Streamlit internals moved
            return False
    cache = getattr(storage, "_cache", None)
    if cache is None or not hasattr(cache, "expire") or not hasattr(cache, "_evict_lru"):
        if not _warned:
            _warned.append(True)
            _LOG.warning("Streamlit's session store was not found; closed sessions may leak.")
        return False
    if type(cache) in _RELEASING.values():
        return True
    base = type(cache)
    if base not in _RELEASING:
        _RELEASING[base] = _releasing_cache_class(base)
    cache.__class__ = _RELEASING[base]  # in place: the stored sessions stay
    return True


M_ARENA_MAX = -8  # glibc's mallopt parameter number for the arena cap
ARENAS = 2  # DL_EXPLORER_MALLOC_ARENAS; 0 leaves glibc's default (eight per core)
_arenas_tried: list[bool] = []  # once per process, at the first page run


def limit_arenas(n: int | None = None) -> bool:
    """Cap the C heap's arenas (glibc ``mallopt(M_ARENA_MAX, n)``); returns whether it did.

    Every script run is a new thread, and glibc hands new threads new arenas until there
    are eight per core: each keeps the pages of what its runs freed, scattered among live
    blocks (so ``malloc_trim`` cannot return them), and the server's RSS grows over
    hundreds of page views. With a few arenas, threads reuse the same ones and their free
    space. Threads started before the call keep their arenas. ``MALLOC_ARENA_MAX`` in the
    environment (read by glibc at start) wins: then nothing is changed.
    """
    if n is None:
        if os.environ.get("MALLOC_ARENA_MAX"):
            return False
        n = int(os.environ.get("DL_EXPLORER_MALLOC_ARENAS", ARENAS) or 0)
    if n <= 0:
        return False
    try:
        fn = ctypes.CDLL(None).mallopt  # glibc only (Linux, the Docker image)
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_int]
    fn.restype = ctypes.c_int
    return bool(fn(M_ARENA_MAX, n))


TRIM_EVERY_S = 10.0
_trim_lock = threading.Lock()
_last_trim = [-math.inf]


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        fn = ctypes.CDLL(None).malloc_trim  # glibc only (Linux, the Docker image)
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


def trim_heap(clock: Callable[[], float] = time.monotonic) -> bool:
    """Hand the C heap's free pages back to the system, at most every ``TRIM_EVERY_S``;
    returns whether it did.

    Each script run is a thread, and glibc gives threads their own heaps (arenas, up to
    eight per core): what a page run frees stays in its arena, and the server's RSS creeps
    up over many page views though its Python objects do not. ``malloc_trim(0)`` releases
    those free pages (a few ms); without glibc it does nothing.
    """
    fn = _malloc_trim()
    if fn is None:
        return False
    now = clock()
    with _trim_lock:
        if now - _last_trim[0] < TRIM_EVERY_S:
            return False
        _last_trim[0] = now
    fn(0)
    return True


def keep_compiled_scripts(cache: Any | None = None) -> bool:
    """Keep Streamlit's compiled page scripts when the last session disconnects.

    ``cache`` defaults to the running server's ``ScriptCache``. Done only when Streamlit
    watches no files (``server.fileWatcherType = "none"``): a watcher's change still clears
    the cache through its own path, but with none the clear only throws away work. Returns
    whether the cache is now kept.
    """
    from streamlit import config

    if config.get_option("server.fileWatcherType") != "none":
        return False
    if cache is None:
        try:
            from streamlit.runtime import Runtime

            if not Runtime.exists():
                return False
            cache = Runtime.instance()._script_cache
        except (ImportError, AttributeError):  # pragma: no cover - Streamlit internals moved
            return False
    if not hasattr(cache, "clear") or not hasattr(cache, "get_bytecode"):
        return False  # pragma: no cover - Streamlit internals moved
    cache.clear = _keep  # an instance attribute: the session manager's calls find it first
    return True


def _keep() -> None:
    """A ``ScriptCache.clear`` that keeps the compiled scripts (see keep_compiled_scripts)."""


def tune() -> None:
    """Skip the Keras reset after each script run; freeze newly imported frameworks; shut
    down the disconnected sessions Streamlit drops; keep compiled page scripts."""
    release_forgotten_sessions()
    keep_compiled_scripts()
    if not _arenas_tried:
        _arenas_tried.append(True)
        limit_arenas()
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:  # pragma: no cover - a Streamlit without this module
        return
    if getattr(script_runner, "_clean_problem_modules", None) is not _close_matplotlib_figures:
        if hasattr(script_runner, "_clean_problem_modules"):
            script_runner._clean_problem_modules = _close_matplotlib_figures
        else:  # pragma: no cover - the hook moved in a newer Streamlit
            _LOG.warning("Streamlit's per-run Keras reset was not found; reruns may be slow.")
    loaded = {m for m in _HEAVY if m in sys.modules}
    if loaded - _frozen:
        freeze_heap()
        _frozen.update(loaded)


def freeze_heap() -> None:
    """Keep the objects alive now (mostly module-level framework state) out of every later
    collection, and let full collections run again at their usual pace.

    CPython runs a full collection only once the objects promoted to the oldest generation
    since the last one reach a quarter of the objects that last one kept. ``gc.freeze()``
    moves those objects out of the generations but leaves that count as it was (about
    460,000 here once TensorFlow is loaded): no full collection would run until some
    115,000 objects had reached the oldest generation, and the garbage of closed sessions
    (reference cycles that lived through a page run) waited meanwhile. The second
    collection, over what is not frozen (little, and cheap), counts afresh.
    """
    gc.collect()
    gc.freeze()
    gc.collect()
