"""The text-generation page in Chromium: upload a real text file, train (tiny), sample, look
inside."""

import pytest

from tests.browser import axe
from tests.browser.conftest import FIGURE_NOW, assert_no_exception, screenshot, svg_shown, wait_idle
from tests.timeouts import TRAIN_S, ceiling_ms

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
    page.get_by_text("fewer than 100,000").wait_for()  # the small-text warning
    wait_idle(page)
    assert_no_exception(page)
    assert "txt_fp=" in page.url  # the upload is referenced by fingerprint
    bars = page.locator(f".st-key-freq {FIGURE_NOW}")  # the uploaded text's tokens
    assert bars.is_visible() and svg_shown(bars).count("<rect") == min(40, len(set(TEXT))) + 1
    alt = bars.get_attribute("alt")  # every bar with its share, the commonest first: spaces
    assert alt.count("%") == min(40, len(set(TEXT))) and ": ␣ " in alt
    axe.assert_accessible(page)  # no serious axe-core violation here
    screenshot(page, "text_generation-uploaded")
    page.locator(".st-key-textgen-train button").click()
    # a worker trains it
    page.get_by_text("Validation bits / character").wait_for(timeout=ceiling_ms(TRAIN_S))
    page.get_by_text("Gate activations of the first").wait_for()
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text("in the training text").count() == 2  # one meter per temperature
    assert page.locator(".js-plotly-plot").count() >= 4  # curves, states, gates, trace
    axe.assert_accessible(page)  # no serious axe-core violation here
    screenshot(page, "text_generation-trained")
    for section, name in (("3 · Sample", "samples"), ("5 · Inside the cells", "cells")):
        heading = page.get_by_role("heading", name=section)  # scrolled at once, not smoothly
        heading.evaluate("el => el.scrollIntoView({block: 'start', behavior: 'instant'})")
        screenshot(page, f"text_generation-{name}")
