"""CNN page, Train tab: compare two runs side by side (one setting changed), a shared link
that reopens the comparison, and rewinding a run to its first epoch."""

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

PAGE, TRAIN = "app_pages/cnn.py", "Train your own CNN"
OWN = {"preset": "tiny", "section": TRAIN, "seed": "11"}  # jobs no other test trains
FILTERS = "Filters (first block)"
RUN_A, RUN_B = md_escape(f"A · {FILTERS} = 4"), md_escape(f"B · {FILTERS} = 8")


def _compare_filters(**extra):
    at = compare_mode(open_page(PAGE, **OWN, **extra), "cnn", FILTERS)
    at.select_slider(key="cnn.ab_filters").set_value(8).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_compare_two_filter_counts_shows_both_panes_and_the_difference():
    at = _compare_filters()
    press(at, "cnn-train-both")
    assert not at.exception, [e.value for e in at.exception]
    assert not errors(at), errors(at)
    text = markdown(at)
    assert RUN_A in text and RUN_B in text
    deltas = chart(at, "ab-diff-0")
    assert {t["name"] for t in deltas["data"]} >= {"accuracy", "val_loss"}
    assert chart(at, "ab-diff-1")["data"][0]["type"] == "heatmap"  # confusion difference
    for side in (0, 1):  # both panes draw the same live views
        assert has_chart(at, f"rw-cam-{side}") and has_chart(at, f"rw-maps-{side}")
    # one choice applies to both panes: 4 filters in A's first layer, 8 in B's
    assert chart(at, "rw-filters-0") != chart(at, "rw-filters-1")
    at.select_slider(key="cnn.epoch").set_value(1).run()
    assert not at.exception and params(at)["epoch"] == "1"
    assert has_chart(at, "rw-cam-0") and has_chart(at, "rw-cam-1")


def test_compare_refuses_identical_configs_with_a_sentence():
    at = _compare_filters()
    at.select_slider(key="cnn.ab_filters").set_value(4).run()  # the tiny preset's own value
    assert not at.exception
    assert any("exactly the same settings" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "cnn-train-both"]


def test_compare_url_with_two_configs_restores_the_comparison():
    at = _compare_filters()
    press(at, "cnn-train-both")
    again = reopen(PAGE, at, (RUN_A, RUN_B), {"ab": "1", "ab_filters": "8"})  # cache hits
    assert again.toggle(key="cnn.ab").value is True
    assert again.select_slider(key="cnn.ab_filters").value == 8
    assert has_chart(again, "ab-diff-0") and has_chart(again, "rw-maps-1")


def test_rewind_to_epoch_one_shows_other_filters_and_maps_than_the_last_epoch():
    at = open_page(PAGE, **OWN)
    press(at, "cnn-train")
    assert not at.exception and not errors(at), errors(at)
    slider = at.select_slider(key="cnn.epoch")
    assert list(slider.options) == ["1", "2"] and slider.value == 2
    last = {k: chart(at, k) for k in ("rw-filters-0", "rw-maps-0", "rw-cam-0")}
    slider.set_value(1).run()
    assert not at.exception and params(at)["epoch"] == "1"
    first = {k: chart(at, k) for k in last}
    assert first["rw-filters-0"]["data"] != last["rw-filters-0"]["data"]
    assert first["rw-maps-0"]["data"] != last["rw-maps-0"]["data"]
    reopened = open_page(PAGE, **params(at))  # the epoch is in the link
    assert reopened.select_slider(key="cnn.epoch").value == 1
    assert chart(reopened, "rw-filters-0")["data"] == first["rw-filters-0"]["data"]
