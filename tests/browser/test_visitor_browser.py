"""Visitor identity in Chromium: the anonymous id survives a refresh and a new tab, never
reaches the link, and the Jobs page shows a visitor their own jobs, not another's."""

import re

import pytest

from tests.browser.conftest import assert_no_exception, wait_idle
from tests.timeouts import TRAIN_S, UI_S, ceiling_ms

pytestmark = pytest.mark.browser


def _visitor_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "dlx_visitor"), None)


def test_visitor_id_survives_refresh_and_tabs_and_owns_its_jobs(browser, server):
    base, _ = server
    alice = browser.new_context(viewport={"width": 1400, "height": 1000})
    bob = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = alice.new_page()
        page.set_default_timeout(ceiling_ms(UI_S))
        page.goto(f"{base}/basics?preset=tiny&data=circles&epochs=3&seed=7")
        wait_idle(page)
        page.wait_for_function("() => document.cookie.includes('dlx_visitor=')")
        first = _visitor_cookie(alice)
        assert first and re.fullmatch(r"[A-Za-z0-9_-]{16,64}", first)
        page.reload()
        wait_idle(page)
        assert _visitor_cookie(alice) == first  # a refresh keeps the id
        assert first not in page.url
        page.get_by_text(re.compile(r"^Trains in about")).first.wait_for()  # estimate first
        page.locator(".st-key-basics-train button").first.click()
        page.locator(".st-key-basics-player .stats").wait_for(timeout=ceiling_ms(TRAIN_S))
        assert first not in page.url  # the shareable link carries no id

        tab = alice.new_page()  # a new tab in the same browser: the same visitor
        tab.set_default_timeout(ceiling_ms(UI_S))
        tab.goto(f"{base}/jobs")
        wait_idle(tab)
        assert_no_exception(tab)
        assert tab.get_by_text("None yet in this browser.").count() == 0  # the job is theirs
        assert _visitor_cookie(alice) == first

        other = bob.new_page()  # another browser: another visitor, who sees no job as theirs
        other.set_default_timeout(ceiling_ms(UI_S))
        other.goto(f"{base}/jobs")
        wait_idle(other)
        other.get_by_text("None yet in this browser.").wait_for()
        assert _visitor_cookie(bob) not in (None, first)
    finally:
        alice.close()
        bob.close()
