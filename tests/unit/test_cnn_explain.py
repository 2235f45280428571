"""Explanations on models where the answer is known: Grad-CAM peaks on the object, nested
models give the same maps, activation maximisation raises the activation, figures."""

import keras
import numpy as np
import pytest
from keras import layers

from dl_core.cnn import analysis, plots
from dl_core.errors import UploadError

SIZE = 16
SQUARE = (slice(2, 7), slice(9, 14))  # rows 2-6, columns 9-13


def _backbone(name="backbone") -> keras.Model:
    """A bright-blob detector: channel 0 = 3×3 box mean minus 0.3, channel 1 = minus the mean."""
    inp = keras.Input((SIZE, SIZE, 1))
    conv = layers.Conv2D(2, 3, padding="same", name="conv")
    out = layers.ReLU(name="relu")(conv(inp))
    k = np.zeros((3, 3, 1, 2), np.float32)
    k[..., 0, 0], k[..., 0, 1] = 1 / 9, -1 / 9
    conv.set_weights([k, np.array([-0.3, 0.0], np.float32)])  # fires on bright blobs only
    return keras.Model(inp, out, name=name)


def _head() -> list:
    dense = layers.Dense(2, activation="softmax", name="predictions")
    dense.build((None, 2))
    dense.set_weights([np.array([[4.0, -4.0], [0.0, 0.0]], np.float32), np.zeros(2, np.float32)])
    return [layers.GlobalAveragePooling2D(name="gap"), dense]


@pytest.fixture(scope="module")
def models():
    flat_bb = _backbone()
    head = _head()
    x = flat_bb.output
    for layer in head:
        x = layer(x)
    flat = keras.Model(flat_bb.input, x, name="flat")
    nested_seq = keras.Sequential([keras.Input((SIZE, SIZE, 1)), _backbone(), *_head()])
    inp = keras.Input((SIZE, SIZE, 1))
    y = layers.Rescaling(1.0, name="identity_scale")(inp)
    inner = keras.Sequential(
        [keras.Input((SIZE, SIZE, 1)), _backbone("deep_backbone")], name="wrapper"
    )
    y = inner(y)
    for layer in _head():
        y = layer(y)
    nested_func = keras.Model(inp, y, name="doubly_nested")
    return {"flat": flat, "sequential": nested_seq, "functional": nested_func}


@pytest.fixture(scope="module")
def image():
    img = np.zeros((1, SIZE, SIZE, 1), np.float32)
    img[0, SQUARE[0], SQUARE[1]] = 1.0
    return img


def test_grad_cam_peaks_inside_the_object(models, image):
    cam = analysis.grad_cam(models["flat"], image, 0)
    assert cam.shape == (1, SIZE, SIZE) and cam.max() == pytest.approx(1.0)
    r, c = np.unravel_index(cam[0].argmax(), cam[0].shape)
    assert 2 <= r <= 6 and 9 <= c <= 13
    assert cam[0, 12:, :6].max() == 0.0  # far from the square: no evidence


def test_grad_cam_of_the_opposite_class_is_empty(models, image):
    # Class 1's score falls as the blob detector fires: no positive evidence anywhere.
    assert analysis.grad_cam(models["flat"], image, 1).max() == 0.0


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_grad_cam_works_on_models_that_wrap_a_model(models, image, kind):
    model = models[kind]
    assert analysis.last_conv_layer(model) == "relu"  # found inside the nested backbone
    np.testing.assert_allclose(
        analysis.predict(model, image), analysis.predict(models["flat"], image)
    )
    np.testing.assert_allclose(
        analysis.grad_cam(model, image, 0), analysis.grad_cam(models["flat"], image, 0), atol=1e-5
    )
    by_name = analysis.grad_cam(model, np.repeat(image, 2, axis=0), [0, 1], layer_name="conv")
    assert by_name.shape == (2, SIZE, SIZE)
    inside = np.zeros((SIZE, SIZE), bool)
    inside[SQUARE] = True
    # Before the ReLU, class 1 ("no blob") finds its evidence in the dark background.
    assert by_name[0][inside].mean() > by_name[0][~inside].mean()
    assert by_name[1][~inside].mean() > by_name[1][inside].mean()


def test_compiled_and_eager_gradients_agree(models, image, monkeypatch):
    compiled = analysis.grad_cam(models["functional"], image, 0)
    smooth = analysis.smoothgrad(models["functional"], image[0], 0, samples=4)
    grown = analysis.activation_maximisation(
        models["functional"], "conv", 0, steps=3, value_range=(0, 1)
    )
    monkeypatch.setattr(analysis, "COMPILE", False)
    again = analysis.activation_maximisation(
        models["functional"], "conv", 0, steps=3, value_range=(0, 1)
    )
    np.testing.assert_allclose(again["activation"], grown["activation"], rtol=1e-4)
    np.testing.assert_allclose(
        analysis.grad_cam(models["functional"], image, 0), compiled, atol=1e-5
    )
    np.testing.assert_allclose(
        analysis.smoothgrad(models["functional"], image[0], 0, samples=4), smooth, atol=1e-4
    )


def test_smoothgrad_is_strongest_around_the_object(models, image):
    sal = analysis.smoothgrad(models["sequential"], image[0], 0, samples=8, noise=0.05, seed=1)
    assert sal.shape == (SIZE, SIZE) and sal.min() >= 0 and sal.max() <= 1
    near = np.zeros((SIZE, SIZE), bool)
    near[1:8, 8:15] = True
    assert sal[near].mean() > 3 * sal[~near].mean()


def test_logits_are_used_when_the_model_ends_in_softmax(models, image):
    scores = analysis._to_numpy(analysis.class_scores(models["sequential"], image))
    blob = float(np.maximum(analysis.activations(models["flat"], image, "conv"), 0)[..., 0].mean())
    np.testing.assert_allclose(scores[0], [4 * blob, -4 * blob], rtol=1e-5)


def test_activation_maximisation_increases_the_filter_activation():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((12, 12, 3)),
            layers.Conv2D(4, 3, activation="relu", name="c1"),
            layers.Conv2D(6, 3, name="c2"),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    res = analysis.activation_maximisation(model, "c2", 2, steps=12, value_range=(0, 1), seed=3)
    trace = res["activation"]
    assert len(trace) == 13 and trace[-1] > trace[0] + 0.1
    assert res["image"].shape == (12, 12, 3) and res["image"].min() >= 0 and res["image"].max() <= 1
    assert res["snapshot_steps"][0] == 0 and res["snapshot_steps"][-1] == 12
    again = analysis.activation_maximisation(model, "c2", 2, steps=12, value_range=(0, 1), seed=3)
    np.testing.assert_array_equal(again["image"], res["image"])  # seeded
    grid, curve = plots.activation_maximisation_figures(res)
    assert len(grid.data) == len(res["snapshots"]) and list(curve.data[0].y) == trace


def test_layer_helpers_expand_nested_models(models):
    table = analysis.layer_table(models["functional"])
    assert [r["name"] for r in table] == ["identity_scale", "conv", "relu", "gap", "predictions"]
    assert table[1]["shape"] == (SIZE, SIZE, 2) and table[1]["params"] == 20
    assert analysis.conv_layers(models["sequential"]) == ["conv"]
    assert analysis.filters(models["sequential"], "conv").shape == (3, 3, 1, 2)
    with pytest.raises(ValueError, match="no layer called"):
        analysis.find_layer(models["flat"], "nope")


def test_default_grad_cam_layer_is_the_end_of_the_last_residual_block():
    inp = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same", name="c1")(inp)
    y = layers.Conv2D(4, 3, padding="same", name="c2")(x)
    y = layers.BatchNormalization(name="bn")(y)
    y = layers.Add(name="add")([x, y])
    y = layers.ReLU(name="block_out")(y)
    out = layers.Dense(2, activation="softmax")(layers.GlobalAveragePooling2D()(y))
    model = keras.Model(inp, out)
    assert analysis.last_conv_layer(model) == "block_out"
    assert analysis.grad_cam(model, np.ones((1, 8, 8, 3), np.float32), 1).shape == (1, 8, 8)


def test_check_cnn_refuses_models_that_are_not_cnns():
    mlp = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    with pytest.raises(UploadError, match="not images"):
        analysis.check_cnn(mlp)
    no_conv = keras.Sequential([keras.Input((8, 8, 1)), layers.Flatten(), layers.Dense(2)])
    with pytest.raises(UploadError, match="no convolution layer"):
        analysis.check_cnn(no_conv)
    with pytest.raises(ValueError, match="no convolution layer"):
        analysis.last_conv_layer(no_conv)


def test_network_inputs_for_an_own_model_resizes_and_greys(models):
    photo = np.zeros((40, 30, 3), np.uint8)
    photo[..., 0] = 255
    net = analysis.network_inputs("upload", models["flat"], photo)
    assert net["batch"].shape == (1, SIZE, SIZE, 1)
    assert net["batch"].max() == pytest.approx(0.299, abs=1e-3)
    assert net["shown"].shape == (SIZE, SIZE, 3) and net["names"] == ["class 0", "class 1"]


def test_plot_filters_handles_every_kind_of_kernel():
    rgb = plots.plot_filters(np.random.default_rng(0).normal(size=(3, 3, 3, 8)))
    assert len(rgb.data) == 8 and rgb.data[0].type == "image"
    pointwise = plots.plot_filters(np.ones((1, 1, 16, 32)))
    assert pointwise.data[0].type == "heatmap" and np.asarray(pointwise.data[0].z).shape == (32, 16)
    depthwise = plots.plot_filters(np.ones((3, 3, 12, 1)))
    assert len(depthwise.data) == 12
    deep = plots.plot_filters(np.ones((3, 3, 20, 40)), max_filters=8, max_channels=5)
    assert len(deep.data) == 4 * 5


def test_feature_maps_are_sorted_by_activation():
    maps = np.zeros((4, 4, 5), np.float32)
    maps[..., 3], maps[..., 1] = 2.0, 1.0
    fig = plots.plot_feature_maps(maps, k=3)
    assert [a.text.split(" ·")[0] for a in fig.layout.annotations] == ["ch 3", "ch 1", "ch 0"]
    assert fig.data[0].colorscale[0][1] == "#440154"  # viridis


def test_explanation_and_architecture_figures(models):
    fig = plots.plot_explanations(np.zeros((8, 8, 3), np.uint8), {"Grad-CAM": np.eye(4)}, 0.5)
    assert len(fig.data) == 2 and [a.text for a in fig.layout.annotations] == ["image", "Grad-CAM"]
    arch = plots.plot_architecture(analysis.layer_table(models["flat"]), highlight="relu")
    assert [row[0] for row in arch.data[0].customdata] == ["conv", "relu"]
    assert list(arch.data[0].y) == [2, 2] and list(arch.data[1].y) == [SIZE, SIZE]
    assert arch.layout.shapes[0].x0 == 1  # the chosen layer is marked
