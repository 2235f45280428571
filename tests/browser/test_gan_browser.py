"""The generative page in Chromium: upload a real zip of digit PNGs, train the tiny GAN and
VAE in worker processes, screenshot the sample grids."""

import io
import zipfile

import pytest
from PIL import Image

from dl_core.assets import load_images
from tests.browser import axe
from tests.browser.conftest import assert_no_exception, screenshot, wait_idle
from tests.timeouts import TRAIN_S, UI_S, ceiling_ms, wait_until

pytestmark = pytest.mark.browser


def _digit_zip(path, n=40):
    ds = load_images("digits", per_class=n // 10, seed=0)
    with zipfile.ZipFile(path, "w") as zf:  # no folders: a GAN needs no classes
        for i, img in enumerate(ds.x):
            buf = io.BytesIO()
            Image.fromarray(img).resize((32, 32)).save(buf, format="PNG")
            zf.writestr(f"digit_{i}.png", buf.getvalue())
    return path


def test_upload_train_and_screenshot_the_sample_grid(page, server, tmp_path):
    base, _ = server
    page.goto(f"{base}/gan?preset=tiny&data=upload")
    wait_idle(page)
    assert_no_exception(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        str(_digit_zip(tmp_path / "my_digits.zip"))
    )
    page.get_by_text("Training images as the models see them").wait_for()
    wait_idle(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert "zip_fp=" in page.url  # the upload is in the link
    axe.assert_accessible(page)  # no serious axe-core violation here
    screenshot(page, "gan-uploaded")

    page.locator(".st-key-train-DCGAN button").click()
    page.get_by_text("Epoch (scrub through training)").wait_for(timeout=ceiling_ms(TRAIN_S))
    wait_idle(page)
    assert_no_exception(page)
    images = page.locator('[data-testid="stMain"] img')
    wait_until(lambda: images.count() >= 5, UI_S, "data, samples and walks")
    axe.assert_accessible(page)  # no serious axe-core violation here
    screenshot(page, "gan-trained")
    page.get_by_text("Spherical interpolation from sample A").scroll_into_view_if_needed()
    screenshot(page, "gan-latent")

    page.locator(".st-key-gan-section").get_by_role("radio", name="Autoencoder / VAE").click()
    page.wait_for_url("**section=Autoencoder*")  # the section is in the link
    page.locator(".st-key-train-VAE button").click()
    page.get_by_text("Codes of training images").wait_for(timeout=ceiling_ms(TRAIN_S))
    wait_idle(page)
    assert_no_exception(page)
    page.get_by_text("Codes of training images").scroll_into_view_if_needed()
    axe.assert_accessible(page)  # no serious axe-core violation here
    screenshot(page, "gan-vae-trained")
