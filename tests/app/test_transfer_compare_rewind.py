"""Transfer learning: compare two settings of one way (one setting changed) with accuracy
and loss deltas, the confusion-matrix difference, Grad-CAM of both on one validation image,
and a shared link that reopens the comparison."""

from streamlit.testing.v1 import AppTest

from tests.app.ab import chart, errors, markdown, open_page, params, press
from ui.text import md_escape

PAGE = "app_pages/transfer_learning.py"
OWN = {"preset": "tiny", "seed": "18", "ab_way": "feature_extraction"}
RUN_A = md_escape("A · Head learning rate = 0.003")
RUN_B = md_escape("B · Head learning rate = 0.01")


def _compare_head_lr() -> AppTest:
    at = open_page(PAGE, **OWN)
    at.toggle(key="tl.ab").set_value(True).run()
    at.selectbox(key="tl.ab_field").set_value("Head learning rate").run()
    assert at.select_slider(key="tl.ab_head_lr").value == 0.01  # differs by default
    return press(at, "transfer.ab_train")


def _cams(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith("Grad-CAM for")]


def test_compare_two_head_learning_rates_shows_both_and_their_differences():
    at = _compare_head_lr()
    assert not errors(at), errors(at)
    text = markdown(at)
    assert RUN_A in text and RUN_B in text
    assert {t["name"] for t in chart(at, "ab-diff-0")["data"]} >= {"accuracy", "val_loss"}
    assert chart(at, "ab-diff-1")["data"][0]["zmid"] == 0  # the confusion difference
    assert len(_cams(at)) == 2
    at.slider(key="tl.ab_i").set_value(1).run()  # one choice for both panes
    assert not at.exception and all("validation image 1" in c for c in _cams(at))


def test_compare_url_with_two_configs_restores_the_transfer_comparison():
    link = params(_compare_head_lr())
    assert link["ab"] == "1" and link["ab_head_lr"] == "0.01"
    again = open_page(PAGE, **link)
    text = markdown(again)
    assert RUN_A in text and RUN_B in text and len(_cams(again)) == 2
