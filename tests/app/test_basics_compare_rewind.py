"""Basics page, Compare section: any setting changed, both runs side by side at one epoch
(one slider), a shared link that reopens the comparison, and identical settings refused."""

from streamlit.testing.v1 import AppTest

from tests.app.ab import chart, errors, has_chart, markdown, open_link, params, press
from ui.text import md_escape

PAGE = "app_pages/basics.py"
OWN = {"preset": "tiny", "seed": "13", "section": "Compare", "cmp": "another setting…"}
RUN_A, RUN_B = md_escape("A · Activation = tanh"), md_escape("B · Activation = sigmoid")


def _open(**extra) -> AppTest:
    return open_link(PAGE, **{**OWN, **extra})


def _compare_activations() -> AppTest:
    at = _open()
    at.selectbox(key="basics.ab_field").set_value("Activation").run()
    assert at.selectbox(key="basics.ab_activation").value == "sigmoid"  # differs by default
    return press(at, "basics.train2")


def test_compare_two_activations_shows_both_boundaries_and_the_difference():
    at = _compare_activations()
    assert not errors(at), errors(at)
    text = markdown(at)
    assert RUN_A in text and RUN_B in text
    curves = chart(at, "basics.fig_cmpcurves")
    assert len(curves["data"]) == 4  # train and test loss of both runs on one chart
    assert has_chart(at, "basics.fig_cmp_0") and has_chart(at, "basics.fig_cmp_1")
    deltas = [m.proto.delta for m in at.metric]
    assert len(deltas) == 2 and deltas[0].startswith(("+", "-"))


def test_rewind_both_basics_runs_to_epoch_zero_moves_both_boundaries():
    at = _compare_activations()
    last = [chart(at, f"basics.fig_cmp_{n}") for n in (0, 1)]
    assert at.slider(key="basics.epoch").value == 3  # the tiny preset's last epoch
    at.slider(key="basics.epoch").set_value(0).run()
    assert not at.exception and params(at)["epoch"] == "0"
    first = [chart(at, f"basics.fig_cmp_{n}") for n in (0, 1)]
    assert first[0]["data"] != last[0]["data"] and first[1]["data"] != last[1]["data"]


def test_compare_url_with_two_configs_restores_the_basics_comparison():
    link = params(_compare_activations())
    assert link["ab_field"] == "Activation" and link["ab_activation"] == "sigmoid"
    again = _open(**link)
    text = markdown(again)
    assert RUN_A in text and RUN_B in text
    assert has_chart(again, "basics.fig_cmp_1")


def test_compare_refuses_identical_basics_configs_with_a_sentence():
    at = _open()
    at.selectbox(key="basics.ab_field").set_value("Activation").run()
    at.selectbox(key="basics.ab_activation").set_value("tanh").run()
    assert any("exactly the same settings" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "basics.train2"]
