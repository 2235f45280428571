"""Every registered page loads in Chromium with no Streamlit exception; a screenshot each."""

import pytest

from tests.browser.conftest import assert_no_exception, screenshot, wait_idle
from ui.registry import PAGES

pytestmark = pytest.mark.browser


def _url_path(path: str) -> str:
    return "" if path == "pages/home.py" else path.removeprefix("pages/").removesuffix(".py")


@pytest.mark.parametrize("spec", PAGES, ids=[p.path for p in PAGES])
def test_page_loads_without_exception(page, server, spec):
    base, _ = server
    page.goto(f"{base}/{_url_path(spec.path)}")
    wait_idle(page)
    assert_no_exception(page)
    assert page.locator("h1").count() >= 1
    assert screenshot(page, _url_path(spec.path) or "home").stat().st_size > 10_000
