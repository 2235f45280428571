"""Every page in the registry renders without an exception; the home page shows its cards;
controls round-trip through the URL."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP
from ui.registry import PAGES, topic_pages

TIMEOUT = 120


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
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


def test_home_shows_map_system_panel_and_a_card_per_topic():
    at = _app()
    assert at.title[0].value == "DL Explorer"
    assert any("Which architecture" in s.value for s in at.subheader)
    labels = {m.label for m in at.metric}
    assert {"Keras backend", "Devices", "Jobs running / queued", "Cache", "On disk"} <= labels
    links = [el for el in at.main if getattr(el, "type", "") == "page_link"]
    assert len(links) >= len(topic_pages())


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
