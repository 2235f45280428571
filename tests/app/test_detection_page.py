"""The detection page in AppTest: faces on the default photo, uploads (good and bad),
thresholds at their edges, NMS steps, a tiny YOLOv8 run and detection with it."""

import io

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from dl_core.assets import load_photo
from tests.app.conftest import APP, RUN_TIMEOUT
from ui.figures import alt_of, images_now, svg_of


def _page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.query_params.update({"preset": "tiny", **params})
    at.run()
    at.switch_page("app_pages/detection.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _png(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def _table(at: AppTest):
    return at.dataframe[0].value if at.dataframe else None


def test_face_on_the_default_photo_then_uploads_and_thresholds():
    at = _page()
    assert at.title[0].value == "Object detection"
    table = _table(at)
    assert table is not None and list(table["class"]) == ["face"]
    assert any("NMS steps" in s.label for s in at.slider)
    at.segmented_control(key="detection.img_src").set_value("Upload").run()
    upload = at.file_uploader(key="detection.img_file")
    upload.set_value(("cat.png", _png(np.asarray(load_photo("chelsea"))), "image/png")).run()
    assert not at.exception
    assert any("No face found" in i.value for i in at.info)
    at.file_uploader(key="detection.img_file").set_value(
        ("notes.png", b"this is not an image at all", "image/png")
    ).run()
    assert any("image" in e.value.lower() for e in at.error), [e.value for e in at.error]
    at.file_uploader(key="detection.img_file").set_value(
        ("me.png", _png(np.asarray(load_photo("astronaut"))), "image/png")
    ).run()
    assert list(_table(at)["class"]) == ["face"]
    [photo] = [m.value for m in at.markdown if "detection(s) on" in svg_of(m.value)]
    svg = svg_of(photo)
    assert "1 detection(s) on your image" in svg and svg.count("face 1.00") == 2  # tab, alt
    assert alt_of(photo).endswith(": face 1.00. Legend: face, landmarks")
    [(alt, pixels)] = images_now([photo])
    assert alt.endswith(": face 1.00") and pixels.shape[1] <= 512
    at.slider(key="detection.conf").set_value(1.0).run()
    assert not at.exception and any("No face found" in i.value for i in at.info)
    at.slider(key="detection.conf").set_value(0.0).run()
    at.slider(key="detection.iou").set_value(1.0).run()  # NMS keeps every candidate
    assert len(_table(at)) > 1
    at.slider(key="detection.step").set_value(0).run()
    assert not at.exception
    at.multiselect(key="detection.cls_1").set_value([]).run()
    assert any("removes every class" in w.value for w in at.warning)


def test_tiny_yolo_trains_then_detects_on_scenes_and_photos():
    at = _page(detector="Your YOLOv8 (train it below)")
    assert any("Train YOLOv8 below first" in i.value for i in at.info)
    train = next(b for b in at.button if b.label == "Train")
    train.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    labels = {m.label for m in at.metric}
    assert {"mAP@0.5 (held-out)", "mAP@0.5:0.95", "Training time"} <= labels
    at.slider(key="detection.conf").set_value(0.0).run()  # an untrained model: show candidates
    assert not at.exception
    shapes = {"circle", "square", "triangle", "star"}
    assert _table(at) is not None and set(_table(at)["class"]) <= shapes
    at.slider(key="detection.scene_k").set_value(3).run()
    at.toggle(key="detection.scene").set_value(False).run()  # a photo instead of a scene
    assert not at.exception and set(_table(at)["class"]) <= shapes
    photo = [m.value for m in at.markdown if "detection(s) on" in svg_of(m.value)]
    assert len(photo) == 1 and "detection(s) on sample photo" in svg_of(photo[0])
    assert len(images_now(photo)) == 1  # the photo, its boxes drawn over it


def test_online_only_detector_is_hidden_offline_and_the_page_says_why():
    # A link naming the online YOLOv8 opens the face detector; the caption gives the reason.
    at = _page(detector="YOLOv8 pretrained on Pascal VOC (online only)")
    assert not at.exception and not at.error, [e.value for e in at.error]
    detector = next(r for r in at.radio if r.label == "Detector")
    assert detector.value.startswith("Face detector") and len(detector.options) == 2
    assert any("runs offline" in c.value and "hidden" in c.value for c in at.caption)
