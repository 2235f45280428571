"""Tiny transformer: compare two runs (one setting changed) with their attention on the same
probe side by side and its difference, one epoch slider for both, a shared link, and the
rewound attention at epoch 1 against the last epoch."""

from streamlit.testing.v1 import AppTest

from tests.app.ab import (
    chart,
    compare_mode,
    errors,
    has_chart,
    markdown,
    open_link,
    params,
    press,
    reopen,
)
from ui.text import md_escape

PAGE = "app_pages/attention.py"
OWN = {"preset": "tiny", "view": "Train a tiny transformer", "seed": "15"}
RUN_A, RUN_B = md_escape("A · Positions = learned"), md_escape("B · Positions = sinusoidal")


def _compare_positions() -> AppTest:
    at = open_link(PAGE, **OWN)
    at = compare_mode(at, "attention", "Positions", "ab_positional", "sinusoidal")
    return press(at, "attention.ab_train")


def test_compare_learned_and_sinusoidal_positions_shows_both_and_the_attention_difference():
    at = _compare_positions()
    assert not errors(at), errors(at)
    text = markdown(at)
    assert RUN_A in text and RUN_B in text
    assert {t["name"] for t in chart(at, "ab-diff-0")["data"]} == {"loss", "val_loss"}
    assert has_chart(at, "ab-attn-0") and has_chart(at, "ab-attn-1")
    diff = chart(at, "ab-attn-diff")
    assert diff["data"][0]["type"] == "heatmap" and diff["data"][0]["zmid"] == 0
    assert len([t for t in at.text if t.value.startswith("Sample after epoch 2")]) == 2
    at.slider(key="attention.t_epoch").set_value(1).run()  # one slider, both runs
    assert not at.exception and params(at)["t_epoch"] == "1"
    assert len([t for t in at.text if t.value.startswith("Sample after epoch 1")]) == 2
    assert chart(at, "ab-attn-diff")["data"] != diff["data"]


def test_compare_url_with_two_configs_restores_the_attention_comparison():
    link = {"ab": "1", "ab_positional": "sinusoidal"}
    again = reopen(PAGE, _compare_positions(), (RUN_A, RUN_B), link, open_link)
    assert has_chart(again, "ab-attn-diff")


def test_rewind_attention_to_epoch_one_differs_from_the_last_epoch():
    at = _compare_positions()
    last = chart(at, "ab-attn-0")
    at.slider(key="attention.t_epoch").set_value(1).run()
    assert chart(at, "ab-attn-0")["data"] != last["data"]
