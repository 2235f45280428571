"""Every registered page loads in Chromium with no Streamlit exception; a screenshot each."""

import pytest

from tests.browser.conftest import (
    assert_no_exception,
    free_port,
    screenshot,
    start_server,
    stop_server,
    wait_healthy,
    wait_idle,
)
from ui.registry import PAGES

pytestmark = pytest.mark.browser


def _url_path(path: str) -> str:
    return (
        "" if path == "app_pages/home.py" else path.removeprefix("app_pages/").removesuffix(".py")
    )


@pytest.mark.parametrize("spec", PAGES, ids=[p.path for p in PAGES])
def test_page_loads_without_exception(page, server, spec):
    base, _ = server
    outside: list[str] = []  # what the page asks of any other address (a CDN, a font server)
    local = (base, "data:", "blob:", "about:")
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    page.goto(f"{base}/{_url_path(spec.path)}")
    wait_idle(page)
    assert_no_exception(page)
    assert outside == [], outside  # offline it would fail; online it tells a third party
    assert page.locator("h1").count() >= 1
    assert screenshot(page, _url_path(spec.path) or "home").stat().st_size > 10_000


def test_a_shared_link_is_the_first_visit_after_a_restart(browser, tmp_path):
    """Streamlit runs a folder named ``pages/`` as a v1 multipage app on a fresh server's
    first run when the first URL is not the root: the app shell (layout, grouped navigation,
    worker start) would be skipped. Pages therefore live in ``app_pages/``."""
    port = free_port()
    proc = start_server(port, str(tmp_path))
    try:
        wait_healthy(port)
        pg = browser.new_page(viewport={"width": 1400, "height": 900})
        pg.goto(f"http://127.0.0.1:{port}/jobs")
        wait_idle(pg)
        nav = pg.locator(".st-key-dlx-nav").inner_text()
        assert "Server" in nav and "Home" in nav and "streamlit app" not in nav.lower()
        pg.close()
    finally:
        stop_server(proc)


def test_home_map_is_drawn_without_plotly_and_its_names_open_their_pages(page, server):
    """The home page's architecture map is an inline SVG (drawn with the first elements):
    a visitor clicks an architecture's name, and its page opens in the same tab."""
    base, _ = server
    page.goto(f"{base}/")
    wait_idle(page)
    diagram = page.locator("svg.dlx-image-now")
    assert diagram.count() == 1 and diagram.bounding_box()["width"] > 300
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0  # no plotly.js on Home
    diagram.get_by_text("Transformers", exact=True).click()
    page.wait_for_url(f"{base}/attention")
    wait_idle(page)
    assert_no_exception(page)
    assert "attention" in page.locator("h1").first.inner_text().lower()
    page.goto(f"{base}/")
    wait_idle(page)
    page.locator("svg.dlx-image-now").get_by_text("DQN (RL)", exact=True).click()
    page.wait_for_url(f"{base}/dqn")
    assert len(page.context.pages) == 1  # the same tab
