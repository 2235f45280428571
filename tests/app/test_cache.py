"""ui.cache.memo: one computation per distinct arguments, by content (arrays) or identity."""

import dataclasses
from pathlib import Path

import numpy as np

from ui.cache import digest, memo

calls: list[tuple] = []


def _double(x, scale=2):
    calls.append((x, scale))
    return np.asarray(x) * scale


@dataclasses.dataclass(frozen=True)
class _Cfg:
    size: int
    names: tuple = ("a", "b")


class _Model:  # stands for a Keras model: no value hash, hashed by identity
    pass


def test_same_content_is_computed_once_and_shared():
    calls.clear()
    a = np.arange(6.0).reshape(2, 3)
    first = memo(_double, a)
    again = memo(_double, a.copy())  # equal content, another array
    assert again is first
    assert len(calls) == 1
    memo(_double, a, scale=3)
    b = a.copy()
    b[1, 2] = -1
    memo(_double, b)
    assert len(calls) == 3


def test_digest_tells_apart_dtype_shape_and_structure():
    a = np.zeros(4, np.float32)
    assert digest(a) != digest(a.astype(np.float64))
    assert digest(a) != digest(a.reshape(2, 2))
    assert digest([1, 2]) != digest((1, 2))
    assert digest({"a": 1}) != digest({"a": 2})
    assert digest(_Cfg(3)) == digest(_Cfg(3))
    assert digest(_Cfg(3)) != digest(_Cfg(4))
    assert digest(1) != digest(1.0) != digest("1")
    assert digest("1") != digest(b"1")
    assert digest(("ab", "c")) != digest(("a", "bc"))
    assert digest({1, 2}) == digest({2, 1}) != digest([1, 2])


def test_objects_without_value_hash_are_keyed_by_identity():
    m1, m2 = _Model(), _Model()
    assert digest(m1) == digest(m1)
    assert digest(m1) != digest(m2)
    assert memo(lambda m: [id(m)], m1) != memo(lambda m: [id(m)], m2)


def test_functions_with_the_same_name_in_different_scripts_do_not_collide():
    def make(n):
        ns: dict = {}
        exec(compile(f"def f():\n    return {n}\n", f"page{n}.py", "exec"), ns)  # noqa: S102
        return ns["f"]

    f1, f2 = make(1), make(2)
    assert f1.__qualname__ == f2.__qualname__
    assert memo(f1) == 1
    assert memo(f2) == 2


def test_reruns_skip_the_keras_reset_and_the_full_gc():
    import tomllib
    from pathlib import Path

    from streamlit.runtime.scriptrunner import script_runner

    from ui import runtime

    runtime.tune()
    assert script_runner._clean_problem_modules is runtime._close_matplotlib_figures
    config = tomllib.loads((Path(__file__).parents[2] / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


def _image_script():
    import numpy as np

    from ui.figures import show_image

    rng = np.random.default_rng(0)
    show_image(
        __import__("streamlit"), rng.integers(0, 255, (40, 600, 3), dtype=np.uint8), width=180
    )


def test_a_numpy_image_is_encoded_once_not_on_every_rerun(monkeypatch):
    from streamlit.elements.lib import image_utils
    from streamlit.testing.v1 import AppTest

    encoded = []
    original = image_utils._np_array_to_bytes

    def counting(array, output_format="JPEG"):
        encoded.append(array.shape)
        return original(array, output_format)

    monkeypatch.setattr(image_utils, "_np_array_to_bytes", counting)
    at = AppTest.from_function(_image_script)
    at.run()
    at.run()
    at.run()
    assert not at.exception
    assert encoded == [(40, 600, 3)]  # three runs, one encoding


def test_encoded_image_is_what_st_image_would_send(monkeypatch):
    """The bytes handed to st.image are those Streamlit makes of the array itself: same
    format, same range handling, same shrinking to the width."""
    from streamlit.elements.lib import image_utils
    from streamlit.elements.lib.layout_utils import create_layout_config

    from ui.figures import encoded_image

    sent: list[bytes] = []

    class _Files:
        def add(self, data, mimetype, image_id):
            sent.append(data)
            return "/media/x"

    class _Runtime:
        @staticmethod
        def exists():
            return True

        @staticmethod
        def get_instance():
            return type("R", (), {"media_file_mgr": _Files()})()

    monkeypatch.setattr(image_utils, "runtime", _Runtime)
    rng = np.random.default_rng(1)
    cases = [
        (rng.integers(0, 255, (30, 40, 3), dtype=np.uint8), "content", {}),
        (rng.integers(0, 255, (30, 40, 4), dtype=np.uint8), "stretch", {}),  # alpha: PNG
        (rng.random((50, 500)) * 1.4 - 0.2, 180, {"clamp": True}),  # shrunk, clamped
        (rng.integers(0, 255, (20, 20, 3), dtype=np.uint8), 64, {"channels": "BGR"}),
    ]
    for array, width, kw in cases:
        layout = create_layout_config(width=width, allow_content_width=True)
        sent.clear()
        image_utils.image_to_url(
            array,
            layout,
            kw.get("clamp", False),
            kw.get("channels", "RGB"),
            "auto",
            "id",
        )
        assert encoded_image(array, width, **kw) == sent[0]
        sent.clear()
        image_utils.image_to_url(
            encoded_image(array, width, **kw), layout, False, "RGB", "auto", "id"
        )
        assert sent[0] == encoded_image(array, width, **kw)  # passed on unchanged


def test_compiled_page_scripts_outlive_the_last_session(monkeypatch):
    """Streamlit clears its compiled scripts whenever no session is left; with no file
    watcher nothing can make them stale, so the next visitor does not compile them again."""
    from streamlit import config
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    from ui import runtime

    path = Path(__file__).resolve()
    cache = ScriptCache()
    first = cache.get_bytecode(str(path))
    monkeypatch.setattr(config, "get_option", lambda name: "none")
    assert runtime.keep_compiled_scripts(cache)
    cache.clear()  # what the session manager does when the last session disconnects
    assert cache.get_bytecode(str(path)) is first

    watched = ScriptCache()
    compiled = watched.get_bytecode(str(path))
    monkeypatch.setattr(config, "get_option", lambda name: "poll")
    assert not runtime.keep_compiled_scripts(watched)
    watched.clear()
    assert watched.get_bytecode(str(path)) is not compiled


def _picture(hovertemplate=None):
    import plotly.graph_objects as go

    z = np.random.default_rng(2).integers(0, 256, (12, 20, 3)).astype(np.uint8)
    return go.Figure(go.Image(z=z, hovertemplate=hovertemplate)), z


def test_a_cached_figure_sends_its_pictures_as_png_with_the_same_pixels():
    import base64
    import io

    from PIL import Image

    fig, z = _picture()
    sent = memo(lambda: fig)  # what st.plotly_chart serialises
    trace = sent.to_dict()["data"][0]
    assert "z" not in trace and trace["source"].startswith("data:image/png;base64,")
    png = base64.b64decode(trace["source"].split(",", 1)[1])
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), z)
    assert "image" in sent._description  # described from the pixels, before the change

    coloured, _ = _picture(hovertemplate="rgb %{color}<extra></extra>")
    kept = memo(lambda: coloured)  # its hover reads the colour: plotly needs the values
    assert "z" in kept.to_dict()["data"][0] and "source" not in kept.to_dict()["data"][0]


def test_a_cached_figure_is_described_as_the_figure_it_was():
    import plotly.graph_objects as go

    from dl_core.describe import describe_figure

    def figure():
        z = np.random.default_rng(3).integers(0, 256, (6, 6, 3)).astype(np.uint8)
        fig = go.Figure(go.Image(z=z))
        fig.add_heatmap(z=[[1, 2], [3, 9]], x=["a", "b"], y=["s", "t"], xaxis="x2", yaxis="y2")
        fig.add_bar(x=["cat", "cow"], y=[0.7, 0.1], xaxis="x3", yaxis="y3")
        return fig

    assert memo(figure)._description == describe_figure(figure())
