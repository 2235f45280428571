"""Ceilings for the waits in tests, all scaled by one factor.

Tests wait for a state (a text on the page, a job that finished), never for a fixed time. A
ceiling only stops a hang, so each one is generous, and ``DL_EXPLORER_TEST_SLOWDOWN``
(default 1; e.g. 3 on a very slow machine) multiplies all of them: the page and AppTest
waits, job waits, subprocess limits and pytest-timeout's limit per test (tests/conftest.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Base ceilings (seconds, before the slowdown factor).
UI_S = 300  # a page reacts to a click, a rerun finishes (no training)
TRAIN_S = 900  # a worker trains a tiny preset and the page shows the result


def _slowdown() -> float:
    raw = os.environ.get("DL_EXPLORER_TEST_SLOWDOWN", "").strip() or "1"
    try:
        factor = float(raw)
    except ValueError:
        factor = 0.0
    if not factor > 0:
        raise ValueError(f"DL_EXPLORER_TEST_SLOWDOWN must be a positive number, not {raw!r}.")
    return factor


SLOWDOWN = _slowdown()


def ceiling(seconds: float) -> float:
    """``seconds`` scaled by ``DL_EXPLORER_TEST_SLOWDOWN``."""
    return seconds * SLOWDOWN


def ceiling_ms(seconds: float) -> float:
    """The same in milliseconds (Playwright's unit)."""
    return ceiling(seconds) * 1000


def wait_until(condition: Callable[[], T], seconds: float, what: str, poll: float = 0.1) -> T:
    """Poll ``condition()`` until it is truthy and return its value.

    ``seconds`` (scaled) is only a ceiling against a hang: the wait ends as soon as the state
    holds. Raises ``TimeoutError`` naming ``what`` it waited for.
    """
    deadline = time.monotonic() + ceiling(seconds)
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"Gave up waiting for {what} after {ceiling(seconds):.0f} s.")
        time.sleep(poll)
