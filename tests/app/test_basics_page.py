"""The basics page in AppTest: controls, a CSV upload, a tiny training run, Step/Reset, export."""

import json

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, RUN_TIMEOUT

PAGE = "app_pages/basics.py"


def _page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.query_params.update({"preset": "tiny", **params})
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_first_load_shows_the_data_and_the_lessons(fresh_home):
    # a first visit: an empty store, whatever other tests trained before this one
    at = _page()
    assert at.title[0].value == "Neural-network basics"
    data = _component(at)  # the data, in the click-to-add editor
    assert data["mode"] == "edit" and len(data["yTrain"]) == 80 and len(data["yTest"]) == 20
    assert at.slider(key="basics.epochs").value == 3  # the tiny preset from the URL
    at.segmented_control(key="basics.section").set_value("Lessons").run()
    charts = [el for el in at.main if getattr(el, "type", "") == "plotly_chart"]
    assert len(charts) >= 3  # activations, perceptron, loss surface
    assert any("XOR" in c.value for c in at.caption)


def _component(at: AppTest) -> dict:
    """The payload the in-browser player or data editor got (they run in the browser: see the
    browser test)."""
    (el,) = [el for el in at.main if getattr(el, "type", "") == "bidi_component"]
    assert el.proto.component_name == "dl_explorer.mlp_player"
    return json.loads(el.proto.json)


def _player(at: AppTest) -> dict:
    data = _component(at)
    assert data.get("mode") != "edit"
    return data


def test_points_added_in_the_link_are_drawn_and_trained_on():
    at = _page(add="0.1,0.2,1;0.3,-0.3,0;oops;5,5,7")
    editor = _component(at)
    assert editor["added"] == [
        [0.1, 0.2, 1.0],
        [0.3, -0.3, 0.0],
        [1.2, 1.2, 1.0],
    ]  # kept on the plane
    assert len(editor["yTrain"]) == 80  # the generated points, drawn apart from the added ones
    _button(at, "basics.train").click().run()
    data = _player(at)
    assert len(data["yTrain"]) == 83 and data["xTrain"][-6:-4] == [0.1, 0.2]
    at.toggle(key="basics.edit").set_value(
        True
    ).run()  # back to the editor, over the trained output
    editor = _component(at)
    assert editor["mode"] == "edit" and editor["surface"] and len(editor["added"]) == 3


def test_train_shows_the_player_where_the_link_says_and_exports():
    at = _page(hidden="3", data="xor", feat='["x","y","xy"]', step="5", by="batch", speed="30")
    _button(at, "basics.train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not _errors(at)
    data = _player(at)
    assert data["steps"] == list(range(13)) and data["spe"] == 4  # 80 points / 20, 3 epochs
    assert (data["start"], data["by"], data["speed"]) == (5, "batch", 30)  # from the link
    assert data["features"] == ["x", "y", "xy"] and data["layout"][0] == [3, 3]
    assert len(data["trainLoss"]) == 13 and data["trainLoss"][-1] < data["trainLoss"][0]
    at.segmented_control(key="basics.section").set_value("Export").run()
    assert any("keras.layers.Dense(3, activation='tanh')" in c.value for c in at.code)


def test_bad_settings_and_csv_uploads_give_sentences():
    at = _page(hidden="4,x")
    assert any("whole numbers separated by commas" in e for e in _errors(at))
    at = _page(src="CSV")
    at.file_uploader(key="basics.csv").set_value(
        ("points.csv", b"a,b,label\n1,2,cat\n3,x,dog\n", "text/csv")
    ).run()
    assert any("must hold numbers" in e and "row 3" in e for e in _errors(at))
    at.file_uploader(key="basics.csv").set_value(
        ("one.csv", b"a,b,label\n1,2,cat\n3,4,cat\n", "text/csv")
    ).run()
    assert any("two classes" in e for e in _errors(at))


def test_csv_upload_trains(tmp_path):
    rows = "\n".join(
        f"{i % 7 / 7:.3f},{(i * 3) % 11 / 11:.3f},{'a' if i % 2 else 'b'}" for i in range(60)
    )
    at = _page(src="CSV")
    at.file_uploader(key="basics.csv").set_value(
        ("mine.csv", f"u,v,kind\n{rows}\nnan,1,a\n".encode(), "text/csv")
    ).run()
    assert not _errors(at), _errors(at)
    assert any(
        "left out" in i.value for i in at.info
    )  # the NaN row is reported, not dropped silently
    _button(at, "basics.train").click().run()
    assert not at.exception and not _errors(at)
    data = _player(at)
    assert data["classNames"] == ["a", "b"] and len(data["yTrain"]) == 48  # 60 rows, 20 % test


def test_compare_two_optimizers_overlays_their_curves():
    at = _page(cmp="sgd", section="Compare")
    _button(at, "basics.train2").click().run()
    assert not at.exception, [e.value for e in at.exception]
    specs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    curves = next(s for s in specs if any(" · test" in t.get("name", "") for t in s["data"]))
    assert len(curves["data"]) == 4  # train and test loss of both runs
    assert {t["name"].split(" (")[0] for t in curves["data"]} == {"sgd", "adam"}
    names = [
        el for el in at.markdown if el.value.startswith("**sgd") or el.value.startswith("**adam")
    ]
    assert len(names) == 2  # one boundary per run, titled by its settings
    at.selectbox(key="basics.cmp").set_value(
        "adam"
    ).run()  # the current setting: nothing to compare
    assert any("current setting" in i.value for i in at.info)


def test_train_20_more_epochs_extends_the_recording():
    at = _page(epochs="1")
    _button(at, "basics.train").click().run()
    assert len(_player(at)["steps"]) == 5  # 1 epoch of 4 batches
    _button(at, "basics.more").click().run()  # a new job with 20 more epochs
    assert not at.exception, [e.value for e in at.exception]
    assert at.slider(key="basics.epochs").value == 21
    assert at.query_params["epochs"] in (["21"], "21")
    at.run()
    assert _player(at)["steps"][-1] == 84  # the inline executor has trained it
