"""The attention page in AppTest: text in, layer/head switches, bad input as sentences, an
upload, the other sections, and a tiny transformer trained inline."""

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, RUN_TIMEOUT
from ui.figures import images_now
from ui.text import text_blocks


def _open(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.query_params.update(params)
    at.run()
    at.switch_page("app_pages/attention.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _model_view(at: AppTest) -> list[tuple[str, np.ndarray]]:
    """The model view's pictures (drawn in the first paint), as (alt text, pixels)."""
    return [(a, p) for a, p in images_now(m.value for m in at.markdown) if a.startswith("Layer ")]


def _chart(at: AppTest, key: str) -> dict:
    import json

    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        if el.proto.id and key in el.proto.id:
            return spec
    raise KeyError(key)


def _array(value) -> np.ndarray:
    """A plotly JSON array: a plain list, or a typed array {"dtype", "bdata", "shape"}."""
    if isinstance(value, dict) and "bdata" in value:
        import base64

        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        if isinstance(shape, str):
            shape = [int(n) for n in shape.split(",")]
        return flat.reshape(shape) if shape else flat
    return np.asarray(value)


def _tokens(at: AppTest) -> str:
    return text_blocks(at.html)[0]


def test_text_layers_heads_and_hiding_special_tokens():
    at = _open()
    assert _tokens(at).startswith("[CLS] the animal")
    assert len(at.get("plotly_chart")) >= 6  # model, head, big, rollout, stats, qkv, weights
    at.text_area(key="attention.text").set_value("Rivers flow quietly to the sea.").run()
    assert not at.exception
    assert "rivers flow quietly" in _tokens(at)
    at.slider(key="attention.layer").set_value(5).run()
    at.slider(key="attention.head").set_value(7).run()
    assert any("Layer 5, head 7" in s.value for s in at.subheader)
    big = _chart(at, "big")
    assert "[CLS]" in big["layout"]["xaxis"]["ticktext"]
    at.toggle(key="attention.hide").set_value(True).run()
    assert "[CLS]" not in _chart(at, "big")["layout"]["xaxis"]["ticktext"]
    at.selectbox(key="attention.focus").set_value(2).run()
    at.selectbox(key="attention.stat").set_value("sep").run()
    assert not at.exception
    assert at.query_params["head"] in (["7"], "7")


def test_bad_input_gives_sentences_and_html_stays_text():
    at = _open()
    at.text_area(key="attention.text").set_value("   ").run()
    assert not at.exception and "Type a sentence" in at.error[0].value
    at.text_area(key="attention.text").set_value("word " * 300).run()
    assert not at.exception and "limit is 256" in at.error[0].value
    at.text_area(key="attention.text").set_value("<script>alert(1)</script> 🙂 猫").run()
    assert not at.exception and not at.error
    assert "< script >" in _tokens(at)
    assert not any("<script" in h.value for h in at.html)  # shown as text, escaped
    assert any("[UNK]" in i.value for i in at.info)


def test_uploaded_text_file_is_used():
    at = _open()
    data = b"Uploaded words about elephants."
    at.file_uploader(key="attention.file").set_value(("notes.txt", data, "text/plain")).run()
    assert not at.exception
    assert "elephants" in _tokens(at)
    at.file_uploader(key="attention.file").set_value(
        ("bad.txt", b"\x00\x01\x02" * 50, "text/plain")
    ).run()
    assert not at.exception and "Showing the text in the box instead" in at.error[0].value
    assert "animal" in _tokens(at) and len(_model_view(at)) == 72  # the box's sentence, drawn


def test_compare_and_embeddings_sections():
    at = _open(view="Compare two sentences")
    assert len(at.get("plotly_chart")) == 2
    at.text_input(key="attention.b").set_value("").run()
    assert not at.exception and at.error  # the empty side says so, the other still draws
    at.segmented_control(key="attention.view").set_value("Sentence embeddings").run()
    sim = _array(_chart(at, "sim")["data"][0]["z"])
    assert sim.shape == (5, 5) and sim[0, 1] > sim[0, 2]
    at.text_area(key="attention.sents").set_value("just one").run()
    assert "at least two" in at.error[0].value


def test_tiny_transformer_trains_inline_and_scrubs_epochs():
    at = _open(preset="tiny", view="Train a tiny transformer")
    train = [b for b in at.button if b.label.startswith("Train")][0]
    train.click().run()
    assert not at.exception, [e.value for e in at.exception]
    slider = at.slider(key="attention.t_epoch")
    assert slider.value == slider.max == 2  # tiny preset: 2 epochs, plus epoch 0
    slider.set_value(0).run()
    assert not at.exception
    assert any("Sample after epoch 0" in t.value for t in at.text)
    assert len(at.get("plotly_chart")) >= 5  # scrubber view, curves, positions, causal vs bidi
