"""The segmentation page in Chromium: upload a real photo, segment it from strokes given in
the link (the canvas takes mouse strokes; the ``strokes`` URL parameter is the scripted path),
screenshot the overlay; train the tiny U-Net in a real worker (slow)."""

import json
import re
from urllib.parse import quote

import pytest
from PIL import Image

from tests.browser.conftest import assert_no_exception, screenshot, wait_idle
from tests.timeouts import TRAIN_S, ceiling_ms

pytestmark = pytest.mark.browser

STROKES = json.dumps(
    {
        "fg": [[0.3, 0.3, 0.6, 0.3], [0.4, 0.6, 0.6, 0.8]],
        "bg": [[0.9, 0.35, 0.95, 0.8], [0.85, 0.92, 0.98, 0.95]],
    }
)


def test_upload_a_photo_and_segment_it_from_strokes(page, server, tmp_path):
    from dl_core.assets import load_photo

    path = tmp_path / "my_cat.jpg"
    Image.fromarray(load_photo("chelsea")).save(path, quality=90)
    base, _ = server
    page.goto(f"{base}/segmentation?preset=tiny&photo_src=Upload&strokes={quote(STROKES)}")
    wait_idle(page)
    assert_no_exception(page)
    page.get_by_role("tab", name="Few-click on your photo").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text(re.compile(r"Head fitted on \d+ object")).wait_for(timeout=ceiling_ms(TRAIN_S))
    wait_idle(page)
    assert_no_exception(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert page.locator(".st-key-seg-fc_overlay .js-plotly-plot").count() == 1
    assert page.get_by_text("Download mask (PNG)").count() >= 1
    assert "photo_fp=" in page.url  # the upload is in the link
    page.locator(".st-key-seg-fc_overlay").scroll_into_view_if_needed()
    assert screenshot(page, "segmentation-fewclick").stat().st_size > 30_000


@pytest.mark.slow
def test_train_the_tiny_unet_in_a_worker(page, server):
    base, _ = server
    page.goto(f"{base}/segmentation?preset=tiny")
    wait_idle(page)
    screenshot(page, "segmentation-first-load")
    page.locator(".st-key-seg-train button").click()
    page.get_by_text(re.compile(r"Mean IoU \d")).wait_for(timeout=ceiling_ms(TRAIN_S))
    wait_idle(page)
    assert_no_exception(page)
    assert page.locator(".st-key-seg-preds .js-plotly-plot").count() == 1
    page.locator(".st-key-seg-overlay").scroll_into_view_if_needed()
    screenshot(page, "segmentation-trained")
