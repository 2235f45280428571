"""The small CNN (tiny preset): data, settings, training; the pretrained network explained."""

import numpy as np
import pytest

from dl_core import cnn, config
from dl_core.cnn import analysis as explain
from dl_core.cnn import plots
from dl_core.errors import ConfigError
from dl_core.jobs import Reporter
from dl_core.store import pack_arrays


@pytest.fixture(scope="module")
def tiny_result():
    report = Reporter()
    return cnn.train(cnn.PRESETS["tiny"], None, report), report


def test_tiny_training_reduces_loss_and_reports_progress(tiny_result):
    result, report = tiny_result
    loss = result["history"]["loss"]
    assert len(loss) == cnn.PRESETS["tiny"].epochs and loss[-1] < loss[0]
    epochs = [e for e in report.events if e["kind"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2] and "val_accuracy" in epochs[-1]["metrics"]


def test_training_result_holds_what_the_page_draws(tiny_result):
    r, _ = tiny_result
    n_test = len(r["y_test"])
    assert r["confusion"].shape == (10, 10) and r["confusion"].sum() == n_test
    assert r["test_accuracy"] == pytest.approx(float((r["y_pred"] == r["y_test"]).mean()))
    assert r["x_test"].dtype == np.uint8 and r["x_test"].shape == (n_test, 8, 8, 1)
    assert r["filters_before"].shape == r["filters_after"].shape == (3, 3, 1, 4)
    assert not np.allclose(r["filters_before"], r["filters_after"])  # training moved them
    wrong = plots.plot_misclassified(r["x_test"], r["y_test"], r["y_pred"], r["class_names"])
    assert len(wrong.data) == min(16, int((r["y_pred"] != r["y_test"]).sum()))
    assert len(plots.plot_filters_before_after(r["filters_before"], r["filters_after"]).data) == 8


def test_the_trained_model_can_be_explained(tiny_result):
    r, _ = tiny_result
    model = r["model"]
    batch = r["x_test"][:2].astype(np.float32) / 255
    assert explain.last_conv_layer(model) == "conv1"
    assert explain.grad_cam(model, batch, 3).shape == (2, 8, 8)
    res = explain.activation_maximisation(model, "conv1", 0, steps=5, value_range=(0, 1))
    assert res["activation"][-1] > res["activation"][0]


def test_config_round_trips_through_json():
    cfg = cnn.Config(dataset="mnist5k", blocks=3, l2=1e-4)
    assert config.from_dict(cnn.Config, config.to_dict(cfg)) == cfg


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"blocks": 4}, "halve"),
        ({"optimizer": "adagrad"}, "optimizer"),
        ({"dropout": 1.0}, "Dropout"),
        ({"learning_rate": 0.0}, "learning rate"),
        ({"dataset": "cifar"}, "Unknown dataset"),
    ],
)
def test_impossible_settings_give_a_sentence(changes, words):
    with pytest.raises(ConfigError, match=words):
        cnn.validate(cnn.Config(**changes))


def test_no_pooling_allows_many_blocks_and_high_rates_warn():
    assert cnn.validate(cnn.Config(blocks=4, pooling="none")) == []
    assert cnn.validate(cnn.Config(learning_rate=0.1))  # a warning, not an error


def test_uploaded_arrays_are_used_and_a_single_class_is_refused():
    x = np.random.default_rng(0).integers(0, 255, (12, 32, 32, 3), dtype=np.uint8)
    blob = pack_arrays(x=x, y=np.repeat([0, 1], 6), class_names=["cats", "dogs"])
    xs, ys, names = cnn.load_data(cnn.Config(dataset="upload"), blob)
    assert xs.shape == (12, 32, 32, 3) and xs.max() <= 1 and names == ["cats", "dogs"]
    one = pack_arrays(x=x, y=np.zeros(12, int), class_names=["cats"])
    with pytest.raises(ConfigError, match="two classes"):
        cnn.load_data(cnn.Config(dataset="upload"), one)
    with pytest.raises(ConfigError, match="Upload a zip"):
        cnn.load_data(cnn.Config(dataset="upload"), None)


def test_split_is_stratified_and_seeded():
    y = np.repeat(np.arange(4), 10)
    x = np.arange(40)[:, None]
    (_, ytr), (xte, yte) = cnn.data.split(x, y, 0.2, seed=5)
    assert np.bincount(yte).tolist() == [2, 2, 2, 2] and len(ytr) == 32
    (_, _), (xte2, _) = cnn.data.split(x, y, 0.2, seed=5)
    np.testing.assert_array_equal(xte, xte2)


def test_pretrained_network_sees_the_cat_and_grad_cam_works_through_a_wrapper():
    import keras

    from dl_core.assets import imagenet, load_photo

    model = imagenet.imagenet_model("efficientnet_lite0")
    net = explain.network_inputs("efficientnet_lite0", model, load_photo("chelsea"))
    probs = explain.predict(model, net["batch"])
    assert imagenet.decode(probs)[0][0][0] in range(281, 286)  # a cat class
    assert net["shown"].shape == (224, 224, 3) and net["value_range"][0] < 0 < net["value_range"][1]
    cam = explain.grad_cam(model, net["batch"], 282)
    # The transfer-learning shape: the ImageNet network as the first layer of a Sequential.
    backbone = keras.Model(model.input, model.get_layer("top_activation").output, name="base")
    wrapped = keras.Sequential([keras.Input((224, 224, 3)), backbone, *model.layers[-3:]])
    np.testing.assert_allclose(explain.predict(wrapped, net["batch"]), probs, atol=1e-5)
    np.testing.assert_allclose(explain.grad_cam(wrapped, net["batch"], 282), cam, atol=1e-4)
    assert cam.shape == (1, 7, 7) and cam.max() == pytest.approx(1.0)


@pytest.mark.parametrize("preset", sorted(cnn.PRESETS))
def test_every_preset_value_is_offered_by_the_page_controls(preset):
    cfg = cnn.PRESETS[preset]
    for _, field, spec in cnn.CHOICES:
        value = getattr(cfg, field)
        if isinstance(spec, tuple):
            assert spec[0] <= value <= spec[1], field
        else:
            assert value in spec, field
    assert {f for _, f, _ in cnn.CHOICES} == set(cnn.Config.__dataclass_fields__) - {"per_class"}


def test_a_small_test_set_gets_an_interval_and_filter_captions_match_the_drawing():
    from dl_core.cnn import plots
    from dl_core.cnn.analysis import accuracy_interval, small_sample_note

    lo, hi = accuracy_interval(2, 2)
    assert hi == 1.0 and 0.15 < lo < 0.4  # "100 %" on 2 images says little
    note = small_sample_note(2, 2)
    assert note and "only 2 test image(s)" in note and "100%" in note
    assert small_sample_note(950, 1000) is None
    assert "red, green and blue" in plots.filters_caption((3, 3, 3, 32))
    assert "orange" not in plots.filters_caption((3, 3, 3, 32))
    assert "Orange positive" in plots.filters_caption((3, 3, 16, 32))
