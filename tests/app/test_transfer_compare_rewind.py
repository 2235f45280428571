"""Transfer learning: compare two settings of one way (one setting changed) with accuracy
and loss deltas, the confusion-matrix difference, Grad-CAM of both on one validation image,
and a shared link that reopens the comparison."""

from streamlit.testing.v1 import AppTest

from tests.app.ab import chart, compare_mode, errors, markdown, open_page, params, press, reopen
from ui.text import md_escape

PAGE = "app_pages/transfer_learning.py"
OWN = {"preset": "tiny", "seed": "18", "ab_way": "feature_extraction"}
RUN_A = md_escape("A · Head learning rate = 0.003")
RUN_B = md_escape("B · Head learning rate = 0.01")


def _compare_head_lr() -> AppTest:
    at = compare_mode(open_page(PAGE, **OWN), "tl", "Head learning rate", "ab_head_lr", 0.01)
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
    link = {"ab": "1", "ab_head_lr": "0.01"}
    again = reopen(PAGE, _compare_head_lr(), (RUN_A, RUN_B), link)
    assert len(_cams(again)) == 2


def test_rewind_fine_tuning_to_epoch_one_redraws_grad_cam_and_the_feature_space():
    at = open_page(PAGE, preset="tiny", seed="19", inspect="fine_tuning", section="Feature space")
    train = next(b for b in at.button if b.label == "Train all three")
    if not train.disabled:
        train.click().run()
    assert not at.exception and not errors(at), errors(at)
    slider = at.select_slider(key="tl.epoch")
    assert list(slider.options) == ["1", "2", "3", "4"] and slider.value == 4  # head 3 + tune 1
    last, cam_last = chart(at, "rw-proj"), at.image[-1].value
    slider.set_value(1).run()
    assert not at.exception and params(at)["epoch"] == "1"
    first = chart(at, "rw-proj")
    assert first["data"] != last["data"]  # the top blocks moved in fine-tuning
    assert "epoch 1" in first["layout"]["title"]["text"]
    assert any(c.value.startswith("Grad-CAM for") and "epoch 1" in c.value for c in at.caption)
    assert at.image[-1].value != cam_last
