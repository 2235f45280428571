"""The segmentation page in Chromium: draw strokes with the mouse on the canvas and get a
mask whose strokes go into the link; upload a real photo and segment it from strokes given
in the link; screenshot the overlays; train the tiny U-Net in a real worker (slow)."""

import json
import re
from urllib.parse import quote

import pytest
from PIL import Image

from tests.browser import axe
from tests.browser.conftest import assert_no_exception, screenshot, wait_idle
from tests.timeouts import TRAIN_S, ceiling_ms

pytestmark = pytest.mark.browser

STROKES = json.dumps(
    {
        "fg": [[0.3, 0.3, 0.6, 0.3], [0.4, 0.6, 0.6, 0.8]],
        "bg": [[0.9, 0.35, 0.95, 0.8], [0.85, 0.92, 0.98, 0.95]],
    }
)


def _section(page, name: str) -> None:
    """Choose a section with the control a visitor clicks; it goes into the link."""
    page.locator(".st-key-segmentation-section").get_by_role("radio", name=name).click()
    page.wait_for_function(
        f"() => new URLSearchParams(location.search).get('section') === {name!r}",
    )


def _stroke(page, canvas, points) -> None:
    """Press, drag through ``points`` (fractions of the canvas) and release the mouse."""
    box = canvas.bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y, steps=6)
    page.mouse.up()


def test_strokes_drawn_with_the_mouse_give_a_mask_and_go_into_the_link(page, server):
    base, _ = server
    page.goto(f"{base}/segmentation?preset=tiny")
    wait_idle(page)
    _section(page, "Few-click on your photo")
    canvas = page.locator("canvas.upper-canvas").first  # Fabric.js takes the mouse here
    canvas.wait_for()
    canvas.scroll_into_view_if_needed()
    wait_idle(page)
    _stroke(page, canvas, [(0.45, 0.45), (0.55, 0.5), (0.6, 0.6)])  # on the cat
    page.get_by_text(re.compile("Draw on the photo")).wait_for()  # object only
    page.locator(".st-key-segmentation-mark").get_by_role("radio", name="background").click()
    wait_idle(page)
    _stroke(page, canvas, [(0.04, 0.1), (0.05, 0.5), (0.04, 0.9)])  # the left edge
    fitted = page.get_by_text(re.compile(r"Head fitted on \d+ object and \d+ background"))
    fitted.wait_for(timeout=ceiling_ms(TRAIN_S))
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text("not free-hand strokes").count() == 0  # the canvas's "Path"s count
    assert page.locator(".st-key-seg-fc_overlay .js-plotly-plot").count() == 1
    strokes = json.loads(page.evaluate("new URLSearchParams(location.search).get('strokes')"))
    assert len(strokes["fg"]) >= 1 and len(strokes["bg"]) >= 1  # what was drawn is in the link
    caption = fitted.inner_text()
    page.locator(".st-key-seg-fc_overlay").scroll_into_view_if_needed()
    screenshot(page, "segmentation-drawn")

    page.goto(page.evaluate("location.href"))  # the copied link: the same mask, no drawing
    again = page.get_by_text(re.compile(r"Head fitted on"))
    again.wait_for(timeout=ceiling_ms(TRAIN_S))
    assert again.inner_text().split(" in ")[0] == caption.split(" in ")[0]


def test_upload_a_photo_and_segment_it_from_strokes(page, server, tmp_path):
    from dl_core.assets import load_photo

    path = tmp_path / "my_cat.jpg"
    Image.fromarray(load_photo("chelsea")).save(path, quality=90)
    base, _ = server
    page.goto(f"{base}/segmentation?preset=tiny&photo_src=Upload&strokes={quote(STROKES)}")
    wait_idle(page)
    assert_no_exception(page)
    _section(page, "Few-click on your photo")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text(re.compile(r"Head fitted on \d+ object")).wait_for(timeout=ceiling_ms(TRAIN_S))
    wait_idle(page)
    assert_no_exception(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert page.locator(".st-key-seg-fc_overlay .js-plotly-plot").count() == 1
    assert page.get_by_text("Download mask (PNG)").count() >= 1
    assert "photo_fp=" in page.url  # the upload is in the link
    page.locator(".st-key-seg-fc_overlay").scroll_into_view_if_needed()
    axe.assert_accessible(page)  # no serious axe-core violation here
    assert screenshot(page, "segmentation-fewclick").stat().st_size > 30_000


@pytest.mark.slow
def test_train_the_tiny_unet_in_a_worker(page, server):
    base, _ = server
    page.goto(f"{base}/segmentation?preset=tiny")
    wait_idle(page)
    screenshot(page, "segmentation-first-load")
    page.locator(".st-key-seg-train button").click()
    page.get_by_text(re.compile(r"Mean IoU \d")).first.wait_for(timeout=ceiling_ms(TRAIN_S))
    wait_idle(page)
    assert_no_exception(page)
    assert page.locator(".st-key-seg-preds .js-plotly-plot").count() == 1
    page.locator(".st-key-seg-overlay").scroll_into_view_if_needed()
    axe.assert_accessible(page)  # no serious axe-core violation here
    screenshot(page, "segmentation-trained")
