"""The basics page in Chromium: train the tiny preset, Step and Play, upload a real CSV."""

import re

import pytest

from tests.browser.conftest import assert_no_exception, screenshot, wait_idle

pytestmark = pytest.mark.browser


def _button(page, key: str):
    return page.locator(f".st-key-basics-{key} button").first


def test_train_step_play_and_screenshot(page, server):
    base, _ = server
    page.goto(f"{base}/basics?preset=tiny&data=xor&feat=%5B%22x%22,%22y%22,%22xy%22%5D&epochs=6")
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, "basics-first-load")
    _button(page, "train").click()
    page.get_by_text(re.compile(r"Epoch 0\.00")).wait_for(timeout=240_000)  # a worker trained it
    wait_idle(page)
    _button(page, "stepbtn").click()
    page.get_by_text(re.compile(r"Epoch 1\.00")).wait_for(timeout=60_000)
    wait_idle(page)
    assert "step=4" in page.url  # the shown step is in the link
    assert page.locator(".st-key-basics-fig_boundary .js-plotly-plot").count() == 1
    screenshot(page, "basics-step")
    page.locator(".st-key-basics-fig_losses").scroll_into_view_if_needed()
    screenshot(page, "basics-step-curves")
    _button(page, "play").click()
    page.get_by_text(re.compile(r"Epoch 6\.00")).wait_for(timeout=120_000)  # Play runs to the end
    page.get_by_text("Train 20 more epochs").wait_for(timeout=60_000)
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, "basics-played")
    page.get_by_role("tab", name="Export").click()
    page.get_by_text("Download the trained model").wait_for()
    assert "PlaneFeatures" in page.locator('[data-testid="stCode"]').first.inner_text()
    screenshot(page, "basics-export")
    page.get_by_role("tab", name="Lessons").click()
    page.get_by_text("A loss surface").wait_for()
    assert page.locator(".st-key-basics-fig_surface .js-plotly-plot").count() == 1
    page.locator(".st-key-basics-fig_perc").scroll_into_view_if_needed()
    screenshot(page, "basics-lessons")
    page.locator(".st-key-basics-fig_surface").scroll_into_view_if_needed()
    screenshot(page, "basics-lessons-surface")


def test_csv_upload(page, server, tmp_path):
    base, _ = server
    rows = "\n".join(
        f"{(i % 9) / 9:.3f},{(i * 5 % 13) / 13:.3f},{'red' if i % 3 else 'blue'}" for i in range(80)
    )
    path = tmp_path / "my_points.csv"
    path.write_text(f"width,height,colour\n{rows}\n")
    page.goto(f"{base}/basics?preset=tiny&src=CSV")
    wait_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text("Label column").wait_for(timeout=60_000)
    wait_idle(page)
    assert_no_exception(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert page.locator(".st-key-basics-fig_data .js-plotly-plot").count() == 1
    screenshot(page, "basics-csv")
