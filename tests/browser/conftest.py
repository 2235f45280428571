"""Browser-test fixtures: a real ``streamlit run`` on a free port, Playwright + Debian Chromium.

Screenshots go to ``test-output/screenshots/`` (or ``$DL_EXPLORER_TEST_OUTPUT``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.browser.harness import (  # noqa: F401  (re-exported for the tests)
    CHROMIUM,
    CHROMIUM_ARGS,
    FIGURE_NOW,
    OUT,
    ROOT,
    assert_no_exception,
    free_port,
    screenshot,
    start_server,
    stop_server,
    svg_shown,
    wait_healthy,
    wait_idle,
)
from tests.timeouts import UI_S, ceiling_ms


@pytest.fixture(scope="session")
def server():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (make test installs Debian's chromium)")
    home = tempfile.mkdtemp(prefix="dl-explorer-browser-")
    port = free_port()
    proc = start_server(port, home)
    try:
        wait_healthy(port)
        yield f"http://127.0.0.1:{port}", home
    finally:
        stop_server(proc)  # and its job workers


@pytest.fixture(scope="session")
def playwright():
    """One Playwright for the whole session (a second sync one would clash with its loop)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    b = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(ceiling_ms(UI_S))  # a ceiling against hangs: waits end on a state
    yield pg
    context.close()
