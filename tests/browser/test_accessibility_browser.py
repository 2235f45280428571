"""Accessibility in Chromium: axe-core finds no serious or critical violation on any page, in
the light and the dark theme; every figure on a page carries a text description; at phone
size (390 × 844) no page scrolls sideways and every figure fits. Screenshots of each page in
both themes and on a phone go to test-output/screenshots/a11y-*.png.

axe-core is pinned in tests/browser/axe/package.json (``make test-setup`` runs ``npm ci``).
Other browser tests call :func:`tests.browser.axe.assert_accessible` after they train a tiny
preset or show an upload.
"""

import re

import pytest

from tests.browser import axe
from tests.browser.conftest import FIGURE_NOW, assert_no_exception, screenshot, wait_idle
from tests.timeouts import TRAIN_S, ceiling_ms
from ui.registry import PAGES

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _url_path(path: str) -> str:
    return (
        "" if path == "app_pages/home.py" else path.removeprefix("app_pages/").removesuffix(".py")
    )


@pytest.fixture
def themed_page(browser, server, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, **request.param)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(autouse=True)
def _axe_installed():
    if not axe.installed():
        pytest.skip("axe-core missing: run `make test-setup` (npm ci in tests/browser/axe)")


@pytest.mark.parametrize(
    "themed_page",
    [{"color_scheme": "light"}, {"color_scheme": "dark"}],
    indirect=True,
    ids=["light", "dark"],
)
@pytest.mark.parametrize("spec", PAGES, ids=[p.path for p in PAGES])
def test_no_serious_axe_violation_and_every_figure_described(themed_page, server, spec):
    base, _ = server
    page = themed_page
    page.goto(f"{base}/{_url_path(spec.path)}")
    wait_idle(page)
    assert_no_exception(page)
    axe.assert_accessible(page)
    figures = page.locator('[data-testid="stPlotlyChart"]')
    for i in range(figures.count()):
        label = figures.nth(i).get_attribute("aria-label") or ""
        assert len(label) > 20, f"figure {i} on {spec.path} has no description: {label!r}"
    images = page.locator(f'[data-testid="stImageContainer"] img, {FIGURE_NOW}')
    for i in range(images.count()):
        assert (images.nth(i).get_attribute("alt") or "").strip(), f"image {i} has no alt"
    name = _url_path(spec.path) or "home"
    dark = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    scheme = "dark" if dark else "light"
    assert screenshot(page, f"a11y-{name}-{scheme}").stat().st_size > 10_000


@pytest.mark.parametrize("spec", PAGES, ids=[p.path for p in PAGES])
def test_phone_no_sideways_scroll_and_figures_fit(browser, server, spec):
    base, _ = server
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{base}/{_url_path(spec.path)}")
        wait_idle(page)
        assert_no_exception(page)
        overflow = page.evaluate(
            """() => {
                const w = document.documentElement.clientWidth;
                const main = document.querySelector('[data-testid="stMain"]');
                const wide = [...document.querySelectorAll(
                    '[data-testid="stPlotlyChart"], [data-testid="stImageContainer"] img, ' +
                    '.dlx-image-now, [data-testid="stMarkdownContainer"] img, canvas'
                )].filter(e => e.getBoundingClientRect().right > w + 1)
                  .map(e => e.getAttribute('data-testid') || e.tagName);
                return {page: document.documentElement.scrollWidth - w,
                        main: main ? main.scrollWidth - main.clientWidth : 0, wide};
            }"""
        )
        assert overflow["page"] <= 1 and overflow["main"] <= 1, overflow
        assert not overflow["wide"], overflow
        axe.assert_accessible(page)
        name = _url_path(spec.path) or "home"
        assert screenshot(page, f"a11y-{name}-phone").stat().st_size > 5_000
    finally:
        context.close()


def test_keyboard_adds_points_on_the_plane_with_a_visible_focus_ring(page, server):
    """The click-to-add editor works without a mouse: Tab reaches the plane, the arrows move
    a cursor, Enter adds a point there (into the link), Backspace removes it."""
    base, _ = server
    page.goto(f"{base}/basics?preset=tiny&data=moons")
    wait_idle(page)
    plane = page.locator(".st-key-basics-editor canvas[data-out=plane]")
    plane.wait_for()
    page.locator(".st-key-basics-editor button[data-act=clear]").focus()
    page.keyboard.press("Tab")  # from the last button of the bar to the plane
    assert plane.evaluate("e => e.getRootNode().activeElement === e")
    ring = plane.evaluate(
        "e => [getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth]"
    )
    assert ring[0] == "solid" and float(ring[1].removesuffix("px")) >= 2, ring
    for _ in range(8):
        page.keyboard.press("ArrowRight")  # 8 × 2.5 % of the extent to the right
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('add=')")
    wait_idle(page)
    editor = page.locator(".st-key-basics-editor .dlx")
    assert editor.get_attribute("data-added") == "1"
    search = page.evaluate("decodeURIComponent(location.search)")
    x, y, cls = (float(v) for v in search.split("add=")[1].split("&")[0].split(","))
    assert x > 0.2 and abs(y) < 0.15 and cls == 0, (x, y)
    assert "the 1 point you added" in editor.locator("[data-out=cap]").inner_text()
    screenshot(page, "a11y-basics-keyboard-editor")
    plane.focus()
    page.keyboard.press("Backspace")
    page.wait_for_function("() => !location.search.includes('add=')")


def _jobs_done(page, base: str) -> int:
    page.goto(f"{base}/jobs")
    wait_idle(page)
    text = page.get_by_text(re.compile(r"queued: \d+ · running: \d+ · done: \d+")).inner_text()
    queued, running, done = (int(v) for v in re.findall(r"\d+", text)[:3])
    assert queued == running == 0, text
    return done


def test_a_shared_link_opens_the_finished_result_on_a_phone(browser, page, server):
    """Train on a desktop, open the link on a phone: the trained network is shown at once,
    no job is queued again, and the page fits the phone."""
    base, _ = server
    page.goto(f"{base}/basics?preset=tiny&data=circles&epochs=4")
    wait_idle(page)
    page.locator(".st-key-basics-train button").first.click()
    stats = page.locator(".st-key-basics-player .stats")
    stats.get_by_text(re.compile(r"Epoch 0\.00")).wait_for(timeout=ceiling_ms(TRAIN_S))
    wait_idle(page)
    link = page.url
    done = _jobs_done(page, base)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        phone.goto(link)
        wait_idle(phone)
        assert_no_exception(phone)
        shown = phone.locator(".st-key-basics-player .stats").get_by_text(re.compile("Epoch"))
        shown.wait_for()
        assert phone.evaluate("document.documentElement.scrollWidth <= innerWidth + 1")
        axe.assert_accessible(phone)
        screenshot(phone, "a11y-basics-shared-link-phone")
        assert _jobs_done(phone, base) == done  # nothing was trained again
    finally:
        context.close()


def test_strokes_marked_with_the_keyboard_segment_the_photo(page, server):
    """The stroke canvas needs a mouse; its keyboard alternative (two range sliders and a
    button per stroke) marks object and background and fits the head."""
    base, _ = server
    page.goto(f"{base}/segmentation?preset=tiny&section=Few-click+on+your+photo")
    wait_idle(page)
    summary = page.locator("summary").filter(has_text="Mark without a mouse")
    summary.focus()
    page.keyboard.press("Enter")  # open the expander
    add = page.get_by_role("button", name="Add this foreground stroke")
    add.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => new URLSearchParams(location.search).has('strokes')")
    wait_idle(page)
    page.locator(".st-key-segmentation-mark").get_by_role("radio", name="background").click()
    wait_idle(page)
    if not summary.evaluate("e => e.parentElement.open"):  # the rerun may close it
        summary.focus()
        page.keyboard.press("Enter")
    thumbs = page.locator('[data-testid="stExpander"] input[type="range"]')
    assert thumbs.count() == 4
    thumbs.nth(0).focus()
    page.keyboard.press("Home")  # across: 0 … 5 %, the left edge
    thumbs.nth(1).focus()
    page.keyboard.press("Home")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    thumbs.nth(2).focus()
    page.keyboard.press("Home")  # down: 0 … 100 %
    thumbs.nth(3).focus()
    page.keyboard.press("End")
    wait_idle(page)
    page.get_by_role("button", name="Add this background stroke").focus()
    page.keyboard.press("Enter")
    fitted = page.get_by_text(re.compile(r"Head fitted on \d+ object and \d+ background"))
    fitted.wait_for(timeout=ceiling_ms(TRAIN_S))
    strokes = page.evaluate("JSON.parse(new URLSearchParams(location.search).get('strokes'))")
    assert strokes["fg"] == [[0.4, 0.5, 0.6, 0.5]]
    assert strokes["bg"] == [[0.0, 0.0, 0.05, 1.0]]
    axe.assert_accessible(page)
    screenshot(page, "a11y-segmentation-keyboard-strokes")
