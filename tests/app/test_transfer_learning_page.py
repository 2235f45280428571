"""Transfer-learning page: two classes from uploaded images, train the tiny preset, predict."""

import io

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, RUN_TIMEOUT
from ui.figures import images_now
from ui.text import md_escape


def _png(colour, shape, seed):
    rng = np.random.default_rng(seed)
    img = np.full((48, 64, 3), 245, np.uint8)
    if shape == "square":
        img[10:38, 16:44] = colour
    else:
        yy, xx = np.mgrid[:48, :64]
        img[(yy - 24) ** 2 + (xx - 32) ** 2 < 14**2] = colour
    img = np.clip(img.astype(int) + rng.integers(-10, 10, img.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


CLASSES = ["cat", "dog", "horse"]  # the example set's default classes
NAMES = ["squares", "circles"]


def _page(params):
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.run()
    at.switch_page("app_pages/transfer_learning.py")
    at.query_params.update(params)
    at.run()
    assert not at.exception, at.exception
    return at


def test_example_set_shows_dataset_check_on_first_load(fresh_home):
    at = _page({"preset": "tiny"})
    assert any("training and" in c.value for c in at.caption)
    assert [b.label for b in at.button if b.label == "Train all three"]
    # the thumbnails, one row per class, drawn in the first paint with the class names
    rows = images_now(m.value for m in at.markdown)
    assert [alt for alt, _ in rows] == [f"6 example images of the class {c}" for c in CLASSES]
    assert all(p.shape[1] == 6 * (64 + 2) + 2 and p[..., 3].any() for _, p in rows)


def test_upload_two_classes_train_tiny_and_predict(fresh_home):
    at = _page({"preset": "tiny", "src": "Upload images per class"})
    at.text_input(key="tl.cls_name0").set_value("squares")
    at.text_input(key="tl.cls_name1").set_value("circles")
    at.run()
    squares = [(f"s{i}.png", _png((200, 30, 30), "square", i), "image/png") for i in range(4)]
    circles = [(f"c{i}.png", _png((30, 30, 200), "circle", i), "image/png") for i in range(4)]
    at.file_uploader(key="tl.cls_files0").set_value(squares)
    at.file_uploader(key="tl.cls_files1").set_value(circles)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("6 training and 2 validation images" in c.value for c in at.caption)
    rows = images_now(m.value for m in at.markdown)  # the visitor's images, per class
    assert [alt for alt, _ in rows] == [
        f"4 example images of the class {c}" for c in sorted(NAMES)
    ]  # in the order of the classes
    next(b for b in at.button if b.label == "Train all three").click()
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["way"]) == ["Feature extraction", "Fine-tuning", "From scratch"]
    assert (
        table["trainable parameters"].iloc[0]
        < table["trainable parameters"].iloc[1]
        < table["trainable parameters"].iloc[2]
    )
    looks = at.segmented_control(key="tl.section")
    assert looks.options == ["Confusion matrix", "Mistakes", "Grad-CAM", "Feature space", "Use it"]
    looks.set_value("Use it").run()  # the chosen view goes into the link
    assert not at.exception and at.query_params["section"] in ("Use it", ["Use it"])
    assert any(b.proto.label == "Download the model (.keras)" for b in at.get("download_button"))
    assert "data" in at.query_params  # the uploaded set is in the link by fingerprint
    # "Use it": each classified image is shown next to its own probabilities, named
    assert _titled_charts(at, "sample photo 'horse': ", "sample photo 'chelsea': ")
    at.segmented_control(key="tl.use_src").set_value("Upload").run()
    files = [
        ("mine.png", _png((30, 200, 30), "square", 9), "image/png"),
        ("bad.png", b"not an image", "image/png"),
        ("other.png", _png((200, 200, 30), "circle", 9), "image/png"),
    ]
    at.file_uploader(key="tl.use_files").set_value(files).run()
    assert not at.exception, at.exception
    assert any(md_escape("bad.png") in e.value for e in at.error)  # shown escaped
    assert _titled_charts(at, "mine.png: ", "other.png: ")
    shown = [i.proto.imgs[0].caption for i in at.get("image")]
    mine, other, bad = (md_escape(n) for n in ("mine.png", "other.png", "bad.png"))
    assert mine in shown and other in shown and bad not in shown  # captions, shown escaped


def _titled_charts(at, *titles: str) -> bool:
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    return all(any(t in spec for spec in specs) for t in titles)


def test_one_class_is_refused_with_a_sentence(fresh_home):
    at = _page({"preset": "tiny", "src": "Upload images per class"})
    at.file_uploader(key="tl.cls_files0").set_value(
        [(f"s{i}.png", _png((200, 30, 30), "square", i), "image/png") for i in range(3)]
    )
    at.run()
    assert not at.exception
    assert any("class" in e.value.lower() for e in at.error)
