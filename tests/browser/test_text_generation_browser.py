"""The text-generation page in Chromium: upload a real text file, train (tiny), sample, look inside."""

import pytest

from tests.browser.conftest import assert_no_exception, screenshot, wait_idle

pytestmark = pytest.mark.browser

TEXT = (
    "HAMLET:\nTo be, or not to be, that is the question:\n"
    "Whether 'tis nobler in the mind to suffer\nThe slings and arrows of outrageous fortune,\n"
    "Or to take arms against a sea of troubles\nAnd by opposing end them.\n\n"
)


def test_upload_train_sample_and_look_inside(page, server, tmp_path):
    base, _ = server
    path = tmp_path / "my_play.txt"
    path.write_text(TEXT * 20, encoding="utf-8")
    page.goto(f"{base}/text_generation?preset=tiny&txt_src=Upload&temps=0.5,1.0&len=120")
    wait_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text("fewer than 100,000").wait_for(timeout=60_000)  # the small-text warning
    wait_idle(page)
    assert_no_exception(page)
    assert "txt_fp=" in page.url  # the upload is referenced by fingerprint
    screenshot(page, "text_generation-uploaded")
    page.locator(".st-key-textgen-train button").click()
    page.get_by_text("Validation bits / character").wait_for(timeout=300_000)  # a worker trained it
    page.get_by_text("Gate activations of the first").wait_for(timeout=60_000)
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text("in the training text").count() == 2  # one meter per temperature
    assert page.locator(".js-plotly-plot").count() >= 5  # freq, curves, states, gates, trace
    screenshot(page, "text_generation-trained")
    for section, name in (("3 · Sample", "samples"), ("5 · Inside the cells", "cells")):
        page.get_by_role("heading", name=section).scroll_into_view_if_needed()
        page.mouse.wheel(0, 200)
        page.wait_for_timeout(500)
        screenshot(page, f"text_generation-{name}")
