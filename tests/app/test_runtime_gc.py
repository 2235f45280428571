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
