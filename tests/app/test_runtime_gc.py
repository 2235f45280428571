"""ui.runtime memory upkeep: after freezing TensorFlow's objects, full collections still run
(the reference cycles of finished page runs are freed), and the C heap is trimmed, throttled."""

import gc
import sys
import weakref

import pytest

from ui import runtime


class _Node:
    pass


def _old_cycle_is_collected(freeze) -> bool:
    """Freeze a large heap (as TensorFlow's), let a reference cycle reach the oldest
    generation (as a session's objects do over a page run), drop it, then allocate as page
    runs do: is the cycle freed by the collector's own full collections?"""
    big = [[i] for i in range(400_000)]
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        freeze()
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        gc.collect(1)  # the cycle survives young collections: now in the oldest generation
        del a, b
        for _ in range(300_000):  # young garbage only; automatic collections run meanwhile
            x: dict = {}
            x["self"] = x
            if ref() is None:
                return True
        return ref() is None
    finally:
        gc.unfreeze()
        del big
        if not was_enabled:
            gc.disable()


def test_full_collections_resume_after_freezing_the_heap():
    assert _old_cycle_is_collected(runtime.freeze_heap)


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="CPython 3.14 collects incrementally")
def test_plain_freeze_stalls_full_collections():
    """The CPython behaviour freeze_heap works around: a frozen heap still counts as the
    oldest generation's size, so no full collection runs for a long while."""

    def plain() -> None:
        gc.collect()
        gc.freeze()

    assert not _old_cycle_is_collected(plain)


@pytest.mark.skipif(runtime._malloc_trim() is None, reason="malloc_trim is glibc's")
def test_heap_trim_runs_at_most_every_interval(monkeypatch):
    now = [5000.0]
    monkeypatch.setattr(runtime, "_last_trim", [-float("inf")])
    assert runtime.trim_heap(lambda: now[0])
    now[0] += runtime.TRIM_EVERY_S / 2
    assert not runtime.trim_heap(lambda: now[0])  # page runs in between do not trim
    now[0] += runtime.TRIM_EVERY_S
    assert runtime.trim_heap(lambda: now[0])


ARENA_PROBE = r"""
import ctypes, sys, tempfile, threading

sys.path.insert(0, sys.argv[2])
from ui import runtime

if sys.argv[1] == "limit":
    assert runtime.limit_arenas(1)
barrier = threading.Barrier(8)


def run():
    block = bytearray(64_000)  # malloc'd from this thread's arena (below the mmap threshold)
    barrier.wait()  # all eight threads hold a block at once
    del block


threads = [threading.Thread(target=run) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
path = tempfile.mktemp()
fp = libc.fopen(path.encode(), b"w")
libc.malloc_info(0, fp)
libc.fclose(fp)
print(open(path).read().count("<heap nr="))
"""


def _arenas_after_eight_threads(mode: str) -> int:
    import os
    import subprocess
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    root = str(Path(__file__).resolve().parents[2])
    out = subprocess.run(
        [sys.executable, "-c", ARENA_PROBE, mode, root],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc arenas")
def test_limit_arenas_makes_page_run_threads_share_the_c_heap():
    """Eight threads that malloc at once get arenas of their own (the control); after
    ``limit_arenas(1)`` they all share the main one, with its free space."""
    assert _arenas_after_eight_threads("plain") > 1
    assert _arenas_after_eight_threads("limit") == 1


def test_limit_arenas_leaves_an_explicit_malloc_arena_max_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert runtime.limit_arenas() is False
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    monkeypatch.setenv("DL_EXPLORER_MALLOC_ARENAS", "0")
    assert runtime.limit_arenas() is False
