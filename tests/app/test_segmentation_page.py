"""The segmentation page in AppTest: controls in the URL, a tiny U-Net trained inline and
inspected, an uploaded photo segmented from synthetic strokes, and bad input.

Strokes: the drawing canvas cannot be driven by AppTest, so the page also reads strokes from
the URL parameter ``strokes`` = ``{"fg": [[x0, y0, x1, y1], ...], "bg": [...]}`` (line
segments, coordinates as fractions of the image), which is what these tests use.
"""

import io
import json

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, RUN_TIMEOUT
from ui.figures import alt_of, images_now, svg_of

STROKES = json.dumps({"fg": [[0.7, 0.3, 0.9, 0.7]], "bg": [[0.1, 0.2, 0.3, 0.8]]})


def _page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.run()
    at.switch_page("app_pages/segmentation.py")
    at.query_params.update({"preset": "tiny", **params})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _charts(at) -> list[str]:
    return [c.proto.id for c in at.get("plotly_chart")]


def _png(two_regions: bool = True, flat: bool = False) -> bytes:
    img = np.empty((90, 120, 3), "uint8")
    img[:] = (120, 120, 120)
    if two_regions and not flat:
        rng = np.random.default_rng(0)
        img[:, :60] = (40, 80, 200)
        img[:, 60:] = (220, 140, 30)
        img = np.clip(img + rng.normal(0, 15, img.shape), 0, 255).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(img).save(out, format="PNG")
    return out.getvalue()


def _upload(at, data: bytes, name: str = "photo.png") -> AppTest:
    at.segmented_control(key="segmentation.photo_src").set_value("Upload").run()
    at.file_uploader(key="segmentation.photo_file").set_value((name, data, "image/png")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_first_load_shows_data_diagrams_and_a_prompt_and_controls_go_into_the_url(fresh_home):
    # a first visit: an empty store, whatever other tests trained before this one
    at = _page()
    assert at.title[0].value == "Semantic segmentation"
    assert _charts(at) == []  # nothing trained yet: no chart; the data is a picture
    [(alt, pixels)] = images_now(m.value for m in at.markdown)  # drawn in the first paint
    assert pixels.shape[1] >= 720 and pixels.std() > 0
    assert "held-out images" in alt and "circle" in alt  # described, with the classes
    assert any("Legend" in alt_of(m.value) and "triangle" in svg_of(m.value) for m in at.markdown)
    assert not at.error
    at.segmented_control(key="segmentation.arch").set_value("deeplab").run()
    at.multiselect(key="segmentation.rates").set_value([1, 3]).run()
    at.slider(key="segmentation.epochs").set_value(3).run()
    assert not at.exception
    assert at.query_params["arch"] in ("deeplab", ["deeplab"])
    assert "[1,3]" in str(at.query_params["rates"]) and "3" in str(at.query_params["epochs"])
    at.multiselect(key="segmentation.rates").set_value([]).run()
    assert any("one to four atrous rates" in e.value for e in at.error)  # a sentence, no crash


def test_tiny_training_shows_masks_iou_overlay_feature_maps_and_a_png():
    at = _page()
    at.button(key="seg-train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("done" in m.value for m in at.markdown)
    charts = len(at.get("plotly_chart"))
    assert charts >= 1 + 5  # the data + predictions, IoU, overlay, class share, feature maps
    assert any("Mean IoU" in c.value for c in at.caption)
    downloads = at.get("download_button")
    assert downloads and downloads[0].proto.label == "Download mask (PNG)"
    at.slider(key="segmentation.alpha").set_value(0.9).run()
    at.multiselect(key="segmentation.show").set_value(["circle"]).run()
    assert not at.exception and "circle" in str(at.query_params["show"])
    assert "without skips" in at.button(key="twin").label


@pytest.mark.slow
def test_the_twin_without_skips_is_shown_side_by_side():
    at = _page()
    if not at.button(key="seg-train").disabled:  # not yet trained in this test session
        at.button(key="seg-train").click().run()
    at.button(key="twin").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Without skips" in m.value for m in at.markdown)
    assert any("With skips" in m.value for m in at.markdown)


def test_few_click_waits_for_strokes_and_the_explainer_draws():
    at = _page(section="Few-click on your photo")
    assert any("Draw on the photo" in i.value for i in at.info)  # few-click waits for strokes
    assert any("cannot reach" in c.value for c in at.caption)  # offline: no Pascal VOC model
    assert not at.error and "strokes" not in at.query_params
    at.segmented_control(key="segmentation.section").set_value("How upsampling works").run()
    assert len(_charts(at)) == 2 and not at.error  # transposed conv, atrous


def test_uploaded_photo_is_segmented_from_url_strokes_and_bad_input_gives_sentences():
    at = _page(strokes=STROKES, section="Few-click on your photo")
    _upload(at, _png())
    assert not at.error, [e.value for e in at.error]
    assert any("Head fitted on" in c.value and "your image" in c.value for c in at.caption)
    assert any(d.proto.label == "Download mask (PNG)" for d in at.get("download_button"))
    at.slider(key="segmentation.fc_alpha").set_value(0.2).run()
    at.multiselect(key="segmentation.fc_show").set_value(["background", "object"]).run()
    assert not at.exception
    at.query_params["strokes"] = json.dumps({"fg": [[0.7, 0.3, 0.9, 0.7]]})  # object only
    at.run()
    assert any("background too" in e.value for e in at.error)
    at.query_params["strokes"] = "{broken"
    at.run()
    assert any("Strokes must look like" in e.value for e in at.error)
    at.query_params["strokes"] = STROKES
    at.file_uploader(key="segmentation.photo_file").set_value(
        ("flat.png", _png(flat=True), "image/png")
    ).run()
    assert any("single flat colour" in e.value for e in at.error)
    at.file_uploader(key="segmentation.photo_file").set_value(
        ("evil.png", b"<svg>no</svg>", "image/png")
    ).run()
    assert at.error and not at.exception


def test_the_strokes_of_a_link_go_back_into_the_url_and_can_be_cleared():
    at = _page(strokes=STROKES, section="Few-click on your photo")  # the sample photo
    assert any("Head fitted on" in c.value for c in at.caption)
    raw = at.query_params["strokes"]
    assert json.loads(raw[0] if isinstance(raw, list) else raw) == json.loads(STROKES)
    at.button(key="seg-forget").click().run()
    assert not at.exception and "strokes" not in at.query_params
    assert any("Draw on the photo" in i.value for i in at.info)  # nothing drawn yet
