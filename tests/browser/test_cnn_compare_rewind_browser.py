"""The CNN train tab in Chromium: compare two filter counts with the real controls, train
both in the worker, move the one epoch slider that rewinds both runs, and screenshot."""

import pytest

from tests.browser.conftest import OUT, assert_no_exception, screenshot, wait_idle
from tests.timeouts import TRAIN_S, UI_S, ceiling_ms, wait_until

pytestmark = pytest.mark.browser


def _signature(page, key: str) -> str:
    """What the chart drawn with ``key`` shows (its traces' data, as text)."""
    return page.evaluate(
        """key => {
            const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            if (!gd || !gd.data) return "";
            return JSON.stringify(gd.data.map(t => t.z ?? t.source ?? null));
        }""",
        key,
    )


def test_compare_two_filter_counts_and_rewind_both_with_one_slider(page, server):
    base, _ = server
    page.goto(f"{base}/cnn?preset=tiny&section=Train+your+own+CNN&seed=21")
    wait_idle(page)
    assert_no_exception(page)
    page.locator(".st-key-cnn-ab label").first.click()  # the "Compare two runs" toggle
    page.wait_for_url("**ab=1*")
    wait_idle(page)
    page.locator(".st-key-cnn-ab_field input[role='combobox']").click()
    page.get_by_role("option", name="Filters (first block)").click()
    page.wait_for_url("**ab_filters=8*")  # run B: 8 filters where the tiny preset has 4
    wait_idle(page)
    page.locator(".st-key-cnn-train-both button").click()
    page.get_by_text("How run B differs from run A").wait_for(timeout=ceiling_ms(TRAIN_S))
    wait_idle(page)
    assert_no_exception(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    for key in ("ab-diff-0", "ab-diff-1", "rw-cam-0", "rw-cam-1", "rw-maps-0", "rw-maps-1"):
        assert page.locator(f".st-key-{key} .js-plotly-plot").count() == 1, key
    before = [_signature(page, f"rw-maps-{n}") for n in (0, 1)]

    thumb = page.locator(".st-key-cnn-epoch input[type='range']")
    thumb.scroll_into_view_if_needed()
    thumb.focus()
    page.keyboard.press("ArrowLeft")  # epoch 2 -> 1, for both runs
    page.wait_for_url("**epoch=1*")
    wait_until(
        lambda: all(_signature(page, f"rw-maps-{n}") != before[n] for n in (0, 1)),
        UI_S,
        "both runs' feature maps to be redrawn at epoch 1",
    )
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, "cnn-compare-rewind")
    panes = page.locator(".st-key-rw-cam-0").locator(
        "xpath=ancestor::div[@data-testid='stHorizontalBlock'][1]"
    )
    panes.scroll_into_view_if_needed()
    OUT.mkdir(parents=True, exist_ok=True)
    panes.screenshot(path=str(OUT / "cnn-compare-rewind-panes.png"))
    assert (OUT / "cnn-compare-rewind-panes.png").stat().st_size > 20_000  # drawn figures
