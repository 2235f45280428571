"""dl_core.basics on tiny settings: data, features, lessons, training trajectory, export."""

import base64
import dataclasses
import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dl_core import basics
from dl_core.basics import analysis, plots
from dl_core.errors import ConfigError, TrainingDiverged, UploadError
from dl_core.jobs import Reporter

TINY = basics.PRESETS["tiny"]


# -- data -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", basics.DATASETS)
def test_each_dataset_has_its_shape_range_and_balance(name):
    pts, y = basics.make_dataset(name, 101, noise=0.1, seed=3)
    assert pts.shape == (101, 2) and y.shape == (101,)
    assert np.abs(pts).max() < 1.5
    if name in basics.CLASSIFICATION:
        assert set(np.unique(y)) == {0.0, 1.0}
        assert abs(int(y.sum()) - 50) <= 1  # two equal halves
    else:
        assert len(np.unique(y)) > 50
    again, _ = basics.make_dataset(name, 101, noise=0.1, seed=3)
    assert np.array_equal(pts, again)


def test_split_keeps_every_point_once():
    pts, y = basics.make_dataset("moons", 50)
    x_tr, y_tr, x_te, y_te = basics.split(pts, y, 0.3)
    assert len(x_te) == 15 and len(x_tr) == 35
    assert sorted(map(tuple, np.r_[x_tr, x_te].tolist())) == sorted(map(tuple, pts.tolist()))


def test_feature_transforms():
    f = basics.features(np.array([[0.5, -2.0]], "float32"), basics.FEATURES)
    assert np.allclose(f[0], [0.5, -2.0, 0.25, 4.0, -1.0, 1.0, 0.0], atol=1e-6)


# -- uploaded tables ---------------------------------------------------------------------------
def _table(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))


def test_table_becomes_points_and_labels_with_notes():
    frame = _table("u,v,kind\n0,10,cat\n1,20,dog\n2,nan,cat\n3,inf,dog\n4,40,dog\n")
    pts, y, info = basics.table_to_dataset(frame, "u", "v", "kind")
    assert pts.shape == (3, 2) and np.abs(pts).max() <= 0.9 + 1e-6
    assert info["task"] == "classification" and info["class_names"] == ["cat", "dog"]
    assert y.tolist() == [0, 1, 1] and info["dropped"] == 2
    assert "2 row(s)" in info["notes"][0]


@pytest.mark.parametrize(
    "text, words",
    [
        ("a,b,l\n1,2,x\n3,oops,y\n", "row 3"),  # text in a number column
        ("a,b,l\n1,2,x\n3,4,x\n", "two classes"),  # one class only
        ("a,b,l\n1,2,x\n", "at least two rows"),  # one row
        ("a,b,l\n1,2,x\n3,4,y\n5,6,z\n", "3 different text values"),  # three text classes
    ],
)
def test_bad_tables_are_refused_with_a_sentence(text, words):
    with pytest.raises(UploadError, match=words):
        basics.table_to_dataset(_table(text), "a", "b", "l")


def test_numeric_labels_make_a_regression_set_and_long_tables_are_capped():
    n = basics.data.MAX_ROWS + 10
    frame = pd.DataFrame({"a": np.arange(n), "b": np.arange(n) % 7, "t": np.arange(n) * 0.5})
    pts, y, info = basics.table_to_dataset(frame, "a", "b", "t")
    assert info["task"] == "regression" and len(y) == basics.data.MAX_ROWS
    assert y.min() == -1 and y.max() == 1
    assert any("first 5,000" in note for note in info["notes"])
    with pytest.raises(ConfigError, match="MSE"):
        basics.validate(TINY, task="regression")


def test_ten_million_row_csv_is_refused_by_size():
    from dl_core.uploads import load_csv

    with pytest.raises(UploadError, match="(?i)MB|large|limit"):
        load_csv(b"a,b,l\n" + b"1,2,0\n" * 10_000_000)


# -- lessons -------------------------------------------------------------------------------------
def test_perceptron_separates_blobs_but_not_xor():
    pts, y = basics.make_dataset("blobs", 200, 0.05)
    w, b, errors = basics.perceptron(pts, y)
    assert errors[-1] == 0 and np.all(((pts @ w + b) > 0) == (y == 1))
    pts, y = basics.make_dataset("xor", 200, 0.0)
    _, _, errors = basics.perceptron(pts, y, epochs=50)
    assert len(errors) == 50 and min(errors) > 20


@pytest.mark.parametrize("name", basics.OPTIMIZERS)
def test_each_lesson_optimizer_reduces_a_convex_loss_from_its_start(name):
    pts, y = basics.make_dataset("blobs", 200, 0.5)
    path = basics.optimizer_path(name, pts, y, start=(-8.0, -6.0), lr=0.3, steps=40)
    assert path.shape == (41, 2) and np.array_equal(path[0], [-8.0, -6.0])
    first = analysis.logistic_loss_and_grad(path[0], pts, y)[0]
    last = analysis.logistic_loss_and_grad(path[-1], pts, y)[0]
    assert last < 0.5 * first


def test_lesson_figures():
    axis, losses, paths = analysis.loss_surface_lesson()
    fig = plots.plot_loss_surface(axis, losses, paths)
    assert fig.data[0].type == "contour" and len(paths) == 4
    assert all(np.array_equal(p[0], next(iter(paths.values()))[0]) for p in paths.values())
    fig = plots.plot_activations("relu")
    assert len(fig.data) == 10 and max(t.line.width for t in fig.data if t.name == "relu") == 4
    z = np.linspace(-3, 3, 7)
    for name in basics.ACTIVATIONS:  # derivative matches a finite difference
        num = (analysis.activate(name, z + 1e-4) - analysis.activate(name, z - 1e-4)) / 2e-4
        assert np.allclose(num[z != 0], analysis.derivative(name, z)[z != 0], atol=1e-3), name


# -- training ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained():
    cfg = dataclasses.replace(TINY, dataset="xor", features=("x", "y", "xy"), hidden=(3,), epochs=4)
    return cfg, basics.train(cfg, None, Reporter(None))


def test_train_records_a_trajectory_the_numpy_pass_reproduces(trained):
    cfg, out = trained
    steps = out["steps"]
    assert out["steps_per_epoch"] == 4 and steps[0] == 0 and steps[-1] == 16
    assert len(out["params"]) == len(steps) == 17 and np.all(np.diff(steps) > 0)
    assert out["train_loss"][-1] < out["train_loss"][0]  # xy makes XOR easy
    ours = basics.predict(
        out["params"][-1], out["layout"], out["x_test"], cfg.features, cfg.activation, True
    )
    keras_pred = out["model"].predict(out["x_test"], verbose=0)[:, 0]
    assert np.allclose(ours, keras_pred, atol=1e-5)


def test_export_reload_gives_the_same_predictions(trained, tmp_path):
    cfg, out = trained
    path = tmp_path / "m.keras"
    out["model"].save(path)
    again = basics.load_exported(path.read_bytes())
    assert np.allclose(
        again.predict(out["x_test"], verbose=0),
        out["model"].predict(out["x_test"], verbose=0),
        atol=1e-6,
    )
    scope: dict = {}
    exec(basics.keras_code(cfg), scope)  # the snippet rebuilds the same architecture
    assert scope["model"].count_params() == out["model"].count_params()


def test_step_figures(trained):
    cfg, out = trained
    step = analysis.step_state(out, cfg, 4)
    figs = plots.step_figures(out, step, cfg.features)
    assert step["stats"]["epoch"] == 1.0 and 0 <= step["stats"]["test accuracy"] <= 1
    kinds = [t.type for t in figs["boundary"].data]
    assert (
        kinds == ["heatmap", "scatter"] + ["scatter"] * 4
    )  # output, boundary line, 2 classes × 2 splits
    line = figs["boundary"].data[1]
    assert line.name == "boundary" and len(line.x) > 10  # XOR's boundary is drawn
    tiles = figs["network"].data[0]
    assert tiles.type == "image"
    png = Image.open(io.BytesIO(base64.b64decode(tiles.source.split(",", 1)[1])))
    opaque = int((np.asarray(png)[..., 3] > 0).sum())
    assert opaque == (3 + 3 + 1) * 24 * 24  # inputs x, y, xy; three hidden neurons; the output
    labels = {a.text for a in figs["network"].layout.annotations}
    assert {"x", "y", "xy", "inputs", "hidden 1", "output"} <= labels
    assert len(figs["losses"].data[0].x) == 5  # curves drawn up to the shown step


@pytest.mark.parametrize("name", basics.OPTIMIZERS)
def test_each_keras_optimizer_reduces_the_loss_of_a_perceptron(name):
    cfg = dataclasses.replace(
        TINY, dataset="blobs", hidden=(), optimizer=name, learning_rate=0.1, epochs=2
    )
    out = basics.train(cfg, None, Reporter(None))
    assert out["train_loss"][-1] < out["train_loss"][0]


def test_huge_learning_rate_is_reported_as_divergence():
    cfg = dataclasses.replace(
        TINY, optimizer="sgd", learning_rate=1000.0, activation="relu", hidden=(8, 8)
    )
    with pytest.raises(TrainingDiverged, match="learning rate"):
        basics.train(cfg, None, Reporter(None))


def test_bad_settings_raise_sentences():
    with pytest.raises(ConfigError, match="whole numbers"):
        basics.parse_hidden("4, x")
    assert basics.parse_hidden(" 6, 4 ") == (6, 4) and basics.parse_hidden("") == ()
    with pytest.raises(ConfigError, match="feature"):
        basics.validate(dataclasses.replace(TINY, features=()))
    with pytest.raises(ConfigError, match="upload"):
        basics.train(dataclasses.replace(TINY, dataset="upload"), None, Reporter(None))
    assert basics.variant(TINY, "regularisation on/off").regularization == "L2"


def test_regression_set_trains_with_mse_and_draws_values():
    cfg = dataclasses.replace(TINY, dataset="plane", loss="mse", hidden=(), learning_rate=0.1)
    out = basics.train(cfg, None, Reporter(None))
    assert out["task"] == "regression" and out["train_loss"][-1] < out["train_loss"][0]
    step = analysis.step_state(out, cfg, len(out["steps"]) - 1)
    figs = plots.step_figures(out, step, cfg.features)
    assert [t.name for t in figs["boundary"].data] == ["output", "train", "test"]  # no class line
    assert "train accuracy" not in step["stats"]
