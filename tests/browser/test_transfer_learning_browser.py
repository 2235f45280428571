"""Transfer learning in Chromium: two classes from real image files, train, compare."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.browser import axe
from tests.browser.conftest import assert_no_exception, screenshot, wait_idle
from tests.timeouts import TRAIN_S, UI_S, ceiling, ceiling_ms, wait_until

LONG_TINY = "preset=tiny&head_epochs=2000&fine_tune_epochs=2000&scratch_epochs=2000"

pytestmark = pytest.mark.browser


def _write_images(folder, colour, shape, n):
    paths = []
    for i in range(n):
        img = np.full((60, 80, 3), 240, np.uint8)
        if shape == "square":
            img[12 + i : 44 + i, 20:52] = colour
        else:
            yy, xx = np.mgrid[:60, :80]
            img[(yy - 30 - i) ** 2 + (xx - 40) ** 2 < 16**2] = colour
        path = folder / f"{shape}{i}.jpg"
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="JPEG")
        path.write_bytes(buf.getvalue())
        paths.append(str(path))
    return paths


def test_upload_classes_train_three_ways_and_compare(page, server, tmp_path):
    base, _ = server
    page.goto(f"{base}/transfer_learning?preset=tiny&src=Upload+images+per+class")
    wait_idle(page)
    assert_no_exception(page)
    inputs = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    inputs.nth(0).set_input_files(_write_images(tmp_path, (200, 40, 40), "square", 4))
    wait_idle(page)
    inputs.nth(1).set_input_files(_write_images(tmp_path, (40, 40, 200), "circle", 4))
    wait_idle(page)
    page.get_by_text("6 training and 2 validation images").wait_for()
    page.get_by_role("button", name="Train all three").click()
    # three workers' jobs, one after the other
    page.get_by_text("Look inside, then use it").wait_for(timeout=ceiling_ms(TRAIN_S))
    wait_idle(page)
    assert_no_exception(page)
    page.get_by_text("Validation accuracy, three ways").first.scroll_into_view_if_needed()
    axe.assert_accessible(page)  # no serious axe-core violation here
    assert screenshot(page, "transfer_learning_compare").stat().st_size > 20_000


def test_stop_says_stopping_at_once_and_the_phase_and_elapsed_time_move(page, server):
    base, _ = server
    # Tiny data, but more epochs than the test can wait for: the job is still training
    # when Stop is pressed, however fast or slow the machine (no race with its end).
    page.goto(f"{base}/transfer_learning?{LONG_TINY}")
    wait_idle(page)
    page.get_by_role("button", name="Train all three").click()
    # The running job's line names its phase and counts seconds from its start.
    line = page.get_by_text("s elapsed").first
    line.wait_for(timeout=ceiling_ms(TRAIN_S))
    phases = ("loading", "extracting features", "training the new head", "starting…")
    wait_until(lambda: any(p in line.inner_text() for p in phases), ceiling(TRAIN_S), "a phase")
    first = line.inner_text()
    # the elapsed time ticks between events
    wait_until(lambda: line.inner_text() != first, ceiling(UI_S), "the line to tick")
    page.get_by_role("button", name="Stop").first.click()
    page.get_by_text("Stopping…").first.wait_for()  # at once, before it ends
    page.get_by_text("Stopped. Press Train to start again.").first.wait_for(
        timeout=ceiling_ms(TRAIN_S)
    )
    screenshot(page, "transfer_learning_stopped")
    # The other two ways (queued or training) are stopped too, so no later test waits
    # behind them.
    stops = page.get_by_role("button", name="Stop")
    while stops.count():
        stops.first.click()
        wait_idle(page)
    page.get_by_text("Stopped. Press Train to start again.").nth(2).wait_for(
        timeout=ceiling_ms(TRAIN_S)
    )
