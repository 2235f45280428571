"""Detection page: compare two tiny YOLOv8 runs side by side (one setting changed), a shared
link that reopens the comparison, and rewinding a run's boxes to its first epoch."""

from tests.app.ab import (
    chart,
    compare_mode,
    errors,
    has_chart,
    markdown,
    open_page,
    params,
    press,
    reopen,
)
from ui.text import md_escape

PAGE = "app_pages/detection.py"
OWN = {"preset": "tiny", "seed": "12", "epochs": "2"}  # jobs no other test trains
RUN_A = md_escape("A · Learning rate = 0.002")
RUN_B = md_escape("B · Learning rate = 0.005")


def _compare_learning_rates():
    at = open_page(PAGE, **OWN)
    return compare_mode(at, "detection", "Learning rate", "ab_learning_rate", 0.005)


def _boxes(fig: dict) -> list:
    """The detected boxes' traces of a rewind chart (not the image, not the true boxes)."""
    return [t for t in fig["data"] if t.get("type") != "image" and "true" not in t.get("text", "")]


def test_compare_two_learning_rates_shows_both_panes_deltas_and_boxes_on_one_scene():
    at = press(_compare_learning_rates(), "det-ab")
    assert not errors(at), errors(at)
    text = markdown(at)
    assert RUN_A in text and RUN_B in text
    deltas = chart(at, "det-ab-diff")
    assert {t["name"] for t in deltas["data"]} >= {"val_map50", "loss"}
    a, b = chart(at, "rw-boxes-0"), chart(at, "rw-boxes-1")
    image_a = next(t for t in a["data"] if t.get("type") == "image")
    image_b = next(t for t in b["data"] if t.get("type") == "image")
    assert image_a == image_b  # the same held-out scene on both sides
    assert _boxes(a) and _boxes(b)
    at.select_slider(key="detection.epoch").set_value(1).run()  # one slider, both runs
    assert not at.exception and params(at)["epoch"] == "1"
    assert chart(at, "rw-boxes-0")["data"] != a["data"]  # A rewound ...
    assert chart(at, "rw-boxes-1")["data"] != b["data"]  # ... and B with it
    assert "epoch 1" in chart(at, "rw-boxes-1")["layout"]["title"]["text"]


def test_compare_url_with_two_configs_restores_the_detection_comparison():
    at = press(_compare_learning_rates(), "det-ab")
    again = reopen(PAGE, at, (RUN_A, RUN_B), {"ab": "1", "ab_field": "Learning rate"})
    assert again.toggle(key="detection.ab").value is True
    assert has_chart(again, "det-ab-diff") and has_chart(again, "rw-boxes-1")


def test_rewind_detection_to_epoch_one_shows_other_boxes_than_the_last_epoch():
    at = press(open_page(PAGE, **OWN), "det-train")  # run A of the comparison: a cache hit
    assert not errors(at), errors(at)
    slider = at.select_slider(key="detection.epoch")
    assert list(slider.options) == ["1", "2"] and slider.value == 2
    last = chart(at, "rw-boxes-0")
    slider.set_value(1).run()
    assert not at.exception and params(at)["epoch"] == "1"
    first = chart(at, "rw-boxes-0")
    assert _boxes(first) != _boxes(last)
    # the scene and its true boxes stay the same at both epochs: only the predictions move
    assert [t for t in first["data"] if t not in _boxes(first)] == [
        t for t in last["data"] if t not in _boxes(last)
    ]
