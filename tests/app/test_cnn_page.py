"""The CNN page in AppTest: the convolution controls, an image upload, a tiny training run
explored with Grad-CAM, a .keras upload, a zip of class folders, and bad input."""

import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, RUN_TIMEOUT
from ui.figures import alt_of, images_now, svg_of
from ui.text import md_escape

TRAINED = "Your trained CNN (Train your own CNN)"
NETWORK, TRAIN = "Inside a network", "Train your own CNN"
UPLOAD = "Upload a .keras model"


def _page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.run()
    at.switch_page("app_pages/cnn.py")
    at.query_params.update({"preset": "tiny", **params})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _conv(at) -> str | None:
    """The "Convolution by hand" figure (drawn in the first paint): its SVG and alt text, or
    None."""
    figures = [(svg_of(m.value), alt_of(m.value)) for m in at.markdown]
    return next((f"{svg} {alt}" for svg, alt in figures if "kernel " in svg), None)


def _charts(at) -> int:
    return len(at.get("plotly_chart"))


def _errors(at) -> list[str]:
    return [e.value for e in at.error]


def _section(at, name: str) -> AppTest:
    at.segmented_control(key="cnn.section").set_value(name).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _png(h: int, w: int, seed: int = 0) -> bytes:
    img = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    img[h // 4 : h // 2, w // 4 : w // 2] = 255
    out = io.BytesIO()
    Image.fromarray(img).save(out, format="PNG")
    return out.getvalue()


def test_first_load_shows_convolution_and_pretrained_network_and_controls_go_into_the_url(
    fresh_home,
):
    # a first visit: an empty store, whatever other tests trained before this one
    at = _page()
    assert at.title[0].value == "Convolutional networks"
    assert _charts(at) == 0 and not _errors(at)  # the convolution: only its section runs
    assert "input 150×100" in _conv(at) and "output 150×100" in _conv(at)
    at.selectbox(key="cnn.kernel").set_value("sharpen")
    at.slider(key="cnn.stride").set_value(3)
    at.segmented_control(key="cnn.pad").set_value("valid")
    at.run()
    assert not at.exception and not _errors(at)
    assert str(at.query_params["stride"]) in ("3", "['3']") and "valid" in str(
        at.query_params["pad"]
    )
    assert any("**50×33**" in m.value for m in at.markdown)  # 150×100 input, 3×3, stride 3
    assert "output 50×33" in _conv(at) and "sharpen" not in _conv(at)
    _section(at, NETWORK)
    assert _charts(at) == 5 and not _errors(at)  # top-5, Grad-CAM, architecture, filters, maps
    assert {s.value for s in at.subheader} >= {"What the network sees", "Layer browser"}


def test_bad_kernels_and_strides_give_sentences_and_the_page_keeps_working():
    at = _page()
    at.selectbox(key="cnn.kernel").set_value("custom").run()
    at.text_area(key="cnn.custom").set_value("nan 1 0\n0 1 0\n0 0 0").run()
    assert not at.exception and any("NaN" in e for e in _errors(at))
    at.text_area(key="cnn.custom").set_value("0 0 0\n0 0 0\n0 0 0").run()
    assert any("all zeros" in e for e in _errors(at))
    assert _conv(at) is None
    at.text_area(key="cnn.custom").set_value("1 1\n1 1").run()
    assert not _errors(at) and "kernel 2×2: 1 1; 1 1" in _conv(at)


def test_an_uploaded_image_is_classified_and_explained_and_a_non_image_is_refused():
    at = _page()
    at.segmented_control(key="cnn.img_src").set_value("Upload").run()
    prompt = md_escape("Choose a sample photo or upload an image above.")  # shown escaped
    assert not _errors(at) and [i.value for i in at.info].count(prompt) == 1  # info, not error
    at.file_uploader(key="cnn.img_file").set_value(("photo.png", _png(90, 120), "image/png")).run()
    assert not at.exception and not _errors(at)
    assert _conv(at) and "img_fp" in at.query_params
    _section(at, NETWORK)
    assert _charts(at) == 5 and not _errors(at)  # the same upload, classified
    at.file_uploader(key="cnn.img_file").set_value(("evil.png", b"<svg>no</svg>", "image/png"))
    at.run()
    assert not at.exception and _errors(at)
    assert "image" in _errors(at)[0].lower()


def test_tiny_training_then_grad_cam_and_activation_maximisation_on_the_trained_cnn():
    at = _page(net=TRAINED, section=NETWORK)
    assert any("Train a CNN" in e for e in _errors(at))  # nothing trained yet: a sentence
    _section(at, TRAIN).button(key="cnn-train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not _errors(at), _errors(at)
    labels = {m.label for m in at.metric}
    assert {"Test accuracy", "Training time", "Test images"} <= labels
    # curves, confusion, misclassified, before/after; rewind: Grad-CAM, filters, maps
    assert _charts(at) == 7
    data = [(a, p) for a, p in images_now(m.value for m in at.markdown) if a.isdigit()]
    assert [a for a, _ in data] == [str(c) for c in range(10) for _ in range(2)]  # digits 0-9
    assert all(p.shape[:2] == (8, 8) for _, p in data)  # drawn in the first paint, as they are
    _section(at, NETWORK).toggle(key="cnn.am").set_value(True).run()
    assert not at.exception and not _errors(at)
    # top-5, Grad-CAM, arch, filters, feature maps, activation maximisation (grid + curve)
    assert _charts(at) == 7
    assert any("filter 0 of 'conv1'" in c.value for c in at.caption)  # the tiny CNN's only layer


def _keras_bytes(model) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.keras"
        model.save(path)
        return path.read_bytes()


def test_a_keras_upload_is_explored_and_a_non_cnn_is_refused():
    import keras

    cnn_model = keras.Sequential(
        [
            keras.Input((20, 20, 3)),
            keras.layers.Conv2D(4, 3, activation="relu", name="c"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    mlp = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)])
    at = _page(net=UPLOAD, section=NETWORK)
    assert any(md_escape("Upload a .keras") in e for e in _errors(at))
    before = _charts(at)
    at.file_uploader(key="cnn.mfile").set_value(("m.keras", _keras_bytes(cnn_model), "x")).run()
    assert not at.exception and not _errors(at), _errors(at)
    # top-5, Grad-CAM, architecture, filters, feature maps
    assert at.selectbox(key="cnn.layer").value == "c" and _charts(at) == before + 5
    at.file_uploader(key="cnn.mfile").set_value(("mlp.keras", _keras_bytes(mlp), "x")).run()
    assert not at.exception and any("not images" in e for e in _errors(at))
    at.file_uploader(key="cnn.mfile").set_value(("junk.keras", b"PK\x03\x04junk", "x")).run()
    assert not at.exception and any("not a Keras" in e for e in _errors(at))


def _zip(classes: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for c in range(classes):
            for i in range(6):
                zf.writestr(f"class{c}/{i}.png", _png(24, 24, seed=10 * c + i))
    return buf.getvalue()


def test_a_zip_of_class_folders_becomes_the_training_set_and_one_class_is_refused():
    at = _page(section=TRAIN)
    at.selectbox(key="cnn.dataset").set_value("upload").run()
    assert any(md_escape("Upload a .zip") in e for e in _errors(at))
    at.file_uploader(key="cnn.zip_file").set_value(("one.zip", _zip(1), "application/zip")).run()
    assert not at.exception and any("class" in e for e in _errors(at))
    at.file_uploader(key="cnn.zip_file").set_value(("two.zip", _zip(2), "application/zip")).run()
    assert not at.exception
    assert any("2 classes" in c.value for c in at.caption)
    assert at.button(key="cnn-train") is not None
