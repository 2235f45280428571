"""The attention page in Chromium: the model view of a real sentence, a real text-file upload,
and the tiny transformer trained in a worker process; screenshots of each."""

import pytest

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

SENTENCE = "The%20animal%20didn%27t%20cross%20the%20street%20because%20it%20was%20too%20tired."


def test_model_view_of_a_real_sentence_and_an_upload(page, server, tmp_path):
    base, _ = server
    page.goto(f"{base}/attention?preset=tiny&text={SENTENCE}&layer=2&head=3")
    wait_idle(page)
    assert_no_exception(page)
    model_view = page.locator(f".st-key-model_view {FIGURE_NOW}")
    model_view.wait_for()  # drawn in the first paint: one picture per layer and head
    assert svg_shown(model_view).count("<image ") == 6 * 12
    assert "Layer 2, head 3:" in model_view.get_attribute("alt")
    wait_until(lambda: page.locator(".js-plotly-plot").count() >= 5, UI_S, "five charts")
    assert page.get_by_text("[CLS] the animal didn ' t cross").count() >= 1
    screenshot(page, "attention-model-view")
    token = page.locator(".st-key-head_view path.point").nth(2)  # query token 2: "animal"
    token.scroll_into_view_if_needed()
    token.click(force=True)  # clicking a token isolates its links
    page.wait_for_url("**focus=2**")
    wait_idle(page)
    page.locator(".st-key-head_view").screenshot(path=str(OUT / "attention-head-view-focus.png"))
    assert_no_exception(page)
    for key in ("model_view", "head_view", "big", "rollout", "stats", "qkv", "qw"):
        chart = page.locator(f".st-key-{key}")
        chart.scroll_into_view_if_needed()
        chart.screenshot(path=str(OUT / f"attention-{key}.png"))  # the page scrolls inside

    path = tmp_path / "my_notes.txt"
    path.write_text("<b>Bold?</b> Elephants never forget their friends.", encoding="utf-8")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text("Using the uploaded file").wait_for()
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text("< b > bold ? < / b > elephants").count() >= 1  # text, not HTML
    assert page.locator("b", has_text="Bold?").count() == 0
    axe.assert_accessible(page)  # no serious axe-core violation here
    screenshot(page, "attention-upload")


def test_section_labels_fit_and_a_refused_upload_keeps_the_view(page, server, tmp_path):
    base, _ = server
    page.goto(f"{base}/attention?preset=tiny&text={SENTENCE}")
    wait_idle(page)
    sections = page.locator(".st-key-attention-view")
    for label in ("Compare two sentences", "Sentence embeddings", "Train a tiny transformer"):
        text = sections.get_by_role("radio", name=label).locator("p")
        assert text.inner_text() == label
        assert text.evaluate("p => p.scrollWidth <= p.clientWidth"), f"{label} is cut short"
    page.locator(f".st-key-model_view {FIGURE_NOW}").wait_for()

    path = tmp_path / "binary.txt"
    path.write_bytes(b"\x00\x01\x02" * 50)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text("Showing the text in the box instead").wait_for()
    wait_idle(page)
    assert_no_exception(page)
    shown = svg_shown(page.locator(f".st-key-model_view {FIGURE_NOW}"))
    assert shown.count("<image ") == 72  # the view stays
    assert page.get_by_text("[CLS] the animal didn ' t cross").count() >= 1  # the box's text
    screenshot(page, "attention-refused-upload")

    sections.get_by_role("radio", name="Train a tiny transformer").click()
    page.wait_for_url("**view=Train+a+tiny+transformer*")  # in the link
    page.get_by_role("button", name="Train").wait_for()


def test_tiny_transformer_trains_in_a_worker(page, server):
    base, _ = server
    page.goto(f"{base}/attention?preset=tiny&view=Train+a+tiny+transformer")
    wait_idle(page)
    page.get_by_role("button", name="Train").click()
    page.get_by_text("Epoch (0 = before training)").wait_for(timeout=ceiling_ms(TRAIN_S))
    wait_idle(page)
    assert_no_exception(page)
    assert page.locator(".st-key-tiny_view .js-plotly-plot").count() == 1
    axe.assert_accessible(page)  # no serious axe-core violation here
    screenshot(page, "attention-tiny-transformer")
    for key in ("tiny_view", "curves", "pos", "bi", "causal"):
        chart = page.locator(f".st-key-{key}")
        chart.scroll_into_view_if_needed()
        chart.screenshot(path=str(OUT / f"attention-{key}.png"))
