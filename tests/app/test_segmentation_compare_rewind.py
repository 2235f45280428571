"""Segmentation page: compare two runs side by side (one setting changed), a shared link
that reopens the comparison, and rewinding a run's masks to its first epoch."""

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

PAGE = "app_pages/segmentation.py"
OWN = {"preset": "tiny", "seed": "12", "epochs": "2"}  # jobs no other test trains
RUN_A = md_escape("A · Skip connections = True")
RUN_B = md_escape("B · Skip connections = False")


def _compare_skips():
    return compare_mode(
        open_page(PAGE, **OWN), "segmentation", "Skip connections", "ab_skips", False
    )


def test_compare_with_and_without_skips_shows_both_panes_and_where_masks_disagree():
    at = press(_compare_skips(), "seg-ab")
    assert not errors(at), errors(at)
    text = markdown(at)
    assert RUN_A in text and RUN_B in text
    deltas = chart(at, "ab-diff-0")
    assert {t["name"] for t in deltas["data"]} >= {"val_mean_iou", "loss"}
    assert has_chart(at, "rw-masks-0") and has_chart(at, "rw-masks-1")
    disagree = chart(at, "ab-disagree")
    titles = [a["text"] for a in disagree["layout"]["annotations"]]
    assert any(t.startswith("differ: ") for t in titles)
    masks_a = chart(at, "rw-masks-0")
    at.select_slider(key="segmentation.epoch").set_value(1).run()  # one slider, both runs
    assert not at.exception and params(at)["epoch"] == "1"
    assert chart(at, "rw-masks-0")["data"] != masks_a["data"]  # A rewound ...
    assert has_chart(at, "rw-masks-1") and has_chart(at, "ab-disagree")  # ... B beside it


def test_compare_url_with_two_configs_restores_the_segmentation_comparison():
    at = press(_compare_skips(), "seg-ab")
    again = reopen(PAGE, at, (RUN_A, RUN_B), {"ab": "1", "ab_field": "Skip connections"})
    assert again.toggle(key="segmentation.ab").value is True
    assert has_chart(again, "ab-disagree") and has_chart(again, "rw-masks-1")


def test_rewind_segmentation_to_epoch_one_shows_other_masks_than_the_last_epoch():
    at = press(open_page(PAGE, **OWN), "seg-train")
    assert not errors(at), errors(at)
    slider = at.select_slider(key="segmentation.epoch")
    assert list(slider.options) == ["1", "2"] and slider.value == 2
    last = chart(at, "rw-masks-0")
    slider.set_value(1).run()
    assert not at.exception and params(at)["epoch"] == "1"
    first = chart(at, "rw-masks-0")
    assert first["data"] != last["data"]
    # six images and their true masks stay the same at both epochs: only the predictions move
    assert first["data"][:12] == last["data"][:12]


def test_rewind_moves_the_feature_maps_to_that_epoch_too():
    at = press(open_page(PAGE, **OWN), "seg-train")
    assert not errors(at), errors(at)
    assert at.select_slider(key="segmentation.epoch").value == 2
    last = chart(at, "seg-maps")
    heading = "**Feature maps after epoch {}, encoder → decoder** (held-out image 0)"
    assert heading.format(2) in markdown(at)
    at.select_slider(key="segmentation.epoch").set_value(1).run()
    assert not at.exception and params(at)["epoch"] == "1"
    assert heading.format(1) in markdown(at)
    assert chart(at, "seg-maps")["data"] != last["data"]
