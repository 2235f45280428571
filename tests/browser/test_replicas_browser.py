"""Two app replicas sharing one PostgreSQL and one store root: a job started in replica A
shows its progress in replica B, and Stop pressed in B stops it."""

from __future__ import annotations

import os
import re
import tempfile

import pytest

from tests.browser.conftest import assert_no_exception, wait_idle
from tests.browser.harness import free_port, start_server, stop_server, wait_healthy
from tests.servers import Postgres, postgres_bin
from tests.timeouts import TRAIN_S, UI_S, ceiling

pytestmark = pytest.mark.browser

LINK = "/basics?preset=default&epochs=300&seed=11"  # long enough to be stopped mid-run


@pytest.fixture
def replicas(monkeypatch):
    if postgres_bin() is None:
        pytest.skip("PostgreSQL is not installed (make test installs Debian's postgresql)")
    pytest.importorskip("psycopg", reason="make test installs requirements-scale.txt")
    pg = Postgres()
    home = tempfile.mkdtemp(prefix="dl-explorer-replicas-")  # the shared store root
    monkeypatch.setenv("DL_EXPLORER_DATABASE_URL", pg.url)
    monkeypatch.setenv("DL_EXPLORER_HOME", home)
    servers = []
    try:
        for _ in range(2):
            port = free_port()
            servers.append((port, start_server(port, home)))
        for port, _ in servers:
            wait_healthy(port)
        yield [f"http://127.0.0.1:{port}" for port, _ in servers]
    finally:
        for _, proc in servers:
            stop_server(proc)
        pg.stop()
        os.environ.pop("DL_EXPLORER_DATABASE_URL", None)


def test_replica_b_sees_and_stops_a_job_started_in_replica_a(browser, replicas):
    a, b = replicas
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page_a = context.new_page()
        page_a.set_default_timeout(ceiling(UI_S) * 1000)
        page_a.goto(a + LINK)
        wait_idle(page_a)
        page_a.locator(".st-key-basics-train button").first.click()
        page_a.get_by_text(re.compile(r"epoch \d+/300")).first.wait_for(
            timeout=ceiling(TRAIN_S) * 1000
        )

        page_b = context.new_page()  # the same visitor, on the other replica
        page_b.set_default_timeout(ceiling(UI_S) * 1000)
        page_b.goto(b + LINK)
        wait_idle(page_b)
        assert_no_exception(page_b)
        page_b.get_by_text(re.compile(r"epoch \d+/300")).first.wait_for()  # live progress in B
        page_b.get_by_role("button", name="Stop").first.click()
        page_b.get_by_text("Stopped. Press Train to start again.").wait_for()
        page_a.get_by_text("Stopped. Press Train to start again.").wait_for()  # A sees it too

        from dl_core import jobs

        (job,) = jobs.list_jobs()
        assert job.state == "cancelled"
    finally:
        context.close()
