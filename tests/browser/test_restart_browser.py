"""The server is killed (``kill -9``) while a visitor's job trains, and started again on the
same store: the finished result is still served, the interrupted job comes back and runs
again, and the next job runs."""

from __future__ import annotations

import re
import tempfile

import psutil
import pytest

from tests.browser.conftest import assert_no_exception, screenshot, wait_idle
from tests.browser.harness import free_port, start_server, stop_server, wait_healthy
from tests.processes import stop_processes
from tests.timeouts import TRAIN_S, ceiling_ms

pytestmark = pytest.mark.browser

FINISHED = "/basics?preset=tiny&seed=21"
LONG = "/basics?preset=default&epochs=300&seed=22"  # long enough to be killed mid-run
NEXT = "/basics?preset=tiny&seed=23"


def _train(page, base: str, link: str) -> None:
    page.goto(base + link)
    wait_idle(page)
    page.locator(".st-key-basics-train button").first.click()


def _server(home: str):
    port = free_port()
    proc = start_server(port, home)
    wait_healthy(port)
    return f"http://127.0.0.1:{port}", proc


def test_server_killed_mid_job_restart_serves_results_requeues_and_runs_the_next(browser):
    home = tempfile.mkdtemp(prefix="dl-explorer-restart-")
    base, first = _server(home)
    second, tree = None, []
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.set_default_timeout(ceiling_ms(TRAIN_S))
        _train(page, base, FINISHED)
        page.get_by_text(re.compile(r"Basics — done")).wait_for()

        _train(page, base, LONG)
        page.get_by_text(re.compile(r"epoch \d+/300")).first.wait_for()
        tree = psutil.Process(first.pid).children(recursive=True)
        first.kill()  # kill -9 of the server, mid-job
        first.wait()
        # Its job worker ends with it (PDEATHSIG / its parent check); whatever still runs
        # would be ended by the restart before the job is requeued, and by this test after.
        base, second = _server(home)

        page.goto(base + FINISHED)  # the finished result is still served, not retrained
        wait_idle(page)
        assert_no_exception(page)
        page.get_by_text(re.compile(r"Basics — done")).wait_for()
        page.locator(".st-key-basics-player .dlx").wait_for()  # its recording, from the store

        page.goto(base + LONG)  # the interrupted job came back and trains again
        wait_idle(page)
        assert_no_exception(page)
        page.get_by_text(re.compile(r"epoch \d+/300")).first.wait_for()
        screenshot(page, "restart-requeued-job")
        page.get_by_role("button", name="Stop").first.click()
        page.get_by_text("Stopped. Press Train to start again.").wait_for()

        _train(page, base, NEXT)  # and the next job runs to the end
        page.get_by_text(re.compile(r"Basics — done")).wait_for()
        assert_no_exception(page)
    finally:
        context.close()
        if second is not None:
            stop_server(second)
        if first.poll() is None:
            stop_server(first)
        stop_processes([p for p in tree if p.is_running()])
