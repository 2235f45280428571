"""The detection page in Chromium: upload a real photo, see the face box and NMS steps;
train the tiny YOLOv8 in a worker process; screenshots of both."""

import pytest
from PIL import Image

from dl_core.assets import load_photo
from tests.browser import axe
from tests.browser.conftest import assert_no_exception, screenshot, wait_idle
from tests.timeouts import TRAIN_S, ceiling_ms

pytestmark = pytest.mark.browser


def test_upload_a_photo_see_the_face_box_then_train_tiny_yolo(page, server, tmp_path):
    base, _ = server
    photo = tmp_path / "astronaut.jpg"
    Image.fromarray(load_photo("astronaut")).save(photo, quality=90)
    page.goto(f"{base}/detection?preset=tiny&img_src=Upload")
    wait_idle(page)
    assert_no_exception(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(photo))
    page.get_by_alt_text("1 detection(s) on your image: face").wait_for()  # the photo, boxed
    wait_idle(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert "img_fp=" in page.url  # the upload is in the link
    assert page.get_by_text("face", exact=True).count() >= 1  # the detections table
    assert page.get_by_text("NMS steps", exact=True).count() == 1  # the slider
    page.set_viewport_size({"width": 1400, "height": 3600})  # the whole page in one picture
    wait_idle(page)
    axe.assert_accessible(page)  # no serious axe-core violation here
    screenshot(page, "detection-uploaded-face")
    page.set_viewport_size({"width": 1400, "height": 1000})

    page.get_by_role("button", name="Train").click()
    done = page.get_by_text("mAP@0.5:0.95").or_(page.locator('[data-testid="stAlertContentError"]'))
    # a worker process imports TensorFlow and keras-cv, then trains
    done.first.wait_for(timeout=ceiling_ms(TRAIN_S))
    wait_idle(page)
    errors = page.locator('[data-testid="stAlertContentError"]')
    assert errors.count() == 0, errors.first.inner_text()
    assert_no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 3600})
    wait_idle(page)
    axe.assert_accessible(page)  # no serious axe-core violation here
    screenshot(page, "detection-trained")
