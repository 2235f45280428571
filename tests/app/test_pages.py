"""Every page in the registry renders without an exception; the home page shows its cards;
controls round-trip through the URL."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, RUN_TIMEOUT
from ui.registry import PAGES, topic_pages
from ui.text import md_escape


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("spec", PAGES, ids=[p.path for p in PAGES])
def test_every_registered_page_renders(spec):
    at = _app()
    at.switch_page(spec.path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and at.title[0].value  # every page opens with its title
    if spec in topic_pages():  # says before Train how long each preset takes
        assert any(md_escape("time on a 2-core CPU") in c.value for c in at.caption), spec.path


def test_home_shows_map_system_panel_and_a_card_per_topic():
    at = _app()
    assert at.title[0].value == "DL Explorer"
    assert any("Which architecture" in s.value for s in at.subheader)
    labels = {m.label for m in at.metric}
    assert {"Keras backend", "Devices", "Jobs running / queued", "Cache", "On disk"} <= labels
    links = [el for el in at.main if getattr(el, "type", "") == "page_link"]
    assert len(links) >= len(topic_pages())


def test_home_tells_newcomers_where_to_start_and_the_map_links_to_pages():
    at = _app()
    assert any("New to neural networks? Start with the basics" in m.value for m in at.markdown)
    links = [el for el in at.main if getattr(el, "type", "") == "page_link"]
    assert any(
        el.proto.page == "basics" and el.proto.label == "Start with the basics" for el in links
    )
    [diagram] = [m.value for m in at.markdown if "<svg" in m.value]  # the map, inline
    assert not at.get("plotly_chart")  # Home needs no plotly.js
    for page in {p.path.removeprefix("app_pages/").removesuffix(".py") for p in topic_pages()}:
        assert f'<a href="{page}" target="_self">' in diagram, page
    assert 'aria-label="Which architecture fits which data: ' in diagram  # described
    assert "Images: CNN for classification; Images: Transfer learning for" in diagram


def _url_script():
    import streamlit as st  # AppTest runs this function's source on its own

    from ui.state import UrlState

    url = UrlState("t")
    url(st.slider, "Epochs", "epochs", 5, min_value=1, max_value=50)
    url(st.selectbox, "Optimizer", "opt", "adam", options=["sgd", "adam", "rmsprop"])
    url(st.checkbox, "Dropout", "drop", False)
    url(st.number_input, "Seed", "seed", 0, min_value=0, step=1)
    url(st.select_slider, "LR", "lr", 1e-3, options=[1e-4, 1e-3, 1e-2])
    url(st.pills, "Features", "feat", ["x", "y"], options=["x", "y", "xy"], selection_mode="multi")


def test_url_state_round_trips():
    at = AppTest.from_function(_url_script)
    at.query_params.update(
        {"epochs": "12", "opt": "sgd", "drop": "1", "seed": "7", "lr": "0.01", "feat": '["xy"]'}
    )
    at.run()
    assert not at.exception
    assert at.slider(key="t.epochs").value == 12
    assert at.selectbox(key="t.opt").value == "sgd"
    assert at.checkbox(key="t.drop").value is True
    assert at.number_input(key="t.seed").value == 7
    assert at.select_slider(key="t.lr").value == 0.01
    assert at.button_group(key="t.feat").value == ["xy"]
    at.slider(key="t.epochs").set_value(20)
    at.selectbox(key="t.opt").set_value("rmsprop")
    at.run()
    assert at.query_params["epochs"] == ["20"] or at.query_params["epochs"] == "20"
    assert "rmsprop" in str(at.query_params["opt"])


def test_bad_url_values_fall_back_to_defaults():
    at = AppTest.from_function(_url_script)
    at.query_params.update({"epochs": "9999", "opt": "<script>", "seed": "x", "lr": "nan"})
    at.run()
    assert not at.exception
    assert at.slider(key="t.epochs").value == 5
    assert at.selectbox(key="t.opt").value == "adam"
    assert at.number_input(key="t.seed").value == 0
    assert at.select_slider(key="t.lr").value == 1e-3


@pytest.mark.parametrize(
    "page, widget, label, params",
    [
        ("app_pages/cnn.py", "selectbox", "Network", {"section": "Inside a network"}),
        ("app_pages/transfer_learning.py", "selectbox", "Pretrained backbone", {}),
        ("app_pages/detection.py", "radio", "Detector", {}),
    ],
)
def test_an_offline_server_hides_online_only_networks_and_says_why(
    monkeypatch, page, widget, label, params
):
    monkeypatch.setenv("DL_EXPLORER_OFFLINE", "1")
    at = _app()
    at.switch_page(page)
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    control = next(w for w in at.get(widget) if w.label == label)
    assert not [o for o in control.options if "online" in o.lower()], control.options
    assert any("runs offline" in c.value and "hidden" in c.value for c in at.caption)
