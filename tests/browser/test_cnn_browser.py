"""The CNN page in Chromium: upload a real photo, see it classified and explained with
Grad-CAM by the offline ImageNet network; train the tiny CNN in a worker process."""

import pytest
from PIL import Image

from dl_core.assets import load_photo
from tests.browser import axe
from tests.browser.conftest import (
    FIGURE_NOW,
    OUT,
    assert_no_exception,
    screenshot,
    svg_shown,
    wait_idle,
)
from tests.timeouts import TRAIN_S, UI_S, ceiling_ms, wait_until

pytestmark = pytest.mark.browser


def test_upload_a_photo_and_screenshot_grad_cam(page, server, tmp_path):
    base, _ = server
    photo = tmp_path / "my_coffee.jpg"
    Image.fromarray(load_photo("coffee")).save(photo, format="JPEG", quality=90)
    page.goto(f"{base}/cnn?preset=tiny&img_src=Upload")
    wait_idle(page)
    assert_no_exception(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(photo))
    wait_idle(page)
    assert_no_exception(page)
    assert "img_fp=" in page.url  # the upload is in the link
    conv = page.locator(f".st-key-conv {FIGURE_NOW}")
    assert svg_shown(conv).count("<image ") == 3  # input, output, pooled
    assert "kernel 3×3: 0 -1 0; -1 4 -1; 0 -1 0" in conv.get_attribute("alt")
    before = svg_shown(conv)  # the window and the output pixel outlined
    row = page.get_by_role("slider", name="Output row")
    row.focus()
    row.press("ArrowRight")  # the visitor moves the output pixel down by one row
    wait_until(lambda: svg_shown(conv) != before, UI_S, "the boxes to move")
    assert "row=" in page.url
    row.evaluate("el => el.blur()")  # Streamlit's focused slider shows its range in grey
    wait_idle(page)
    axe.assert_accessible(page)  # no serious axe-core violation here
    screenshot(page, "cnn-convolution")

    page.locator(".st-key-cnn-section").get_by_role("radio", name="Inside a network").click()
    page.wait_for_url("**section=Inside*")  # the section is in the link
    page.get_by_text("What the network sees").wait_for()
    wait_idle(page)
    assert_no_exception(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert page.get_by_text("espresso").count() + page.get_by_text("cup").count() >= 1
    axe.assert_accessible(page)  # no serious axe-core violation here
    screenshot(page, "cnn-grad-cam")
    # Streamlit scrolls inside its own container, so a page screenshot stops at the fold:
    # also save the Grad-CAM figure itself.
    cam = page.locator(".st-key-cam")
    cam.scroll_into_view_if_needed()
    drawn = cam.locator(".imagelayer image")  # the photo and its Grad-CAM overlay
    wait_until(lambda: drawn.count() >= 2, UI_S, "the Grad-CAM figure to be drawn")
    OUT.mkdir(parents=True, exist_ok=True)
    cam.screenshot(path=str(OUT / "cnn-grad-cam-figure.png"))
    assert (OUT / "cnn-grad-cam-figure.png").stat().st_size > 20_000  # a drawn figure

    page.locator(".st-key-cnn-section").get_by_role("radio", name="Train your own CNN").click()
    page.locator(".st-key-cnn-train button").click()
    page.get_by_text("Test accuracy").wait_for(timeout=ceiling_ms(TRAIN_S))
    wait_idle(page)
    assert_no_exception(page)
    axe.assert_accessible(page)  # no serious axe-core violation here
    screenshot(page, "cnn-trained")
