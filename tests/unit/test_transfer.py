"""Transfer learning on the tiny preset: dataset checks, the three modes, BN, export."""

import dataclasses

import numpy as np
import pytest

from dl_core import transfer
from dl_core.errors import Cancelled, ConfigError, UserError
from dl_core.jobs import Reporter
from dl_core.store import unpack_arrays

TINY = transfer.PRESETS["tiny"]


@pytest.fixture(scope="module")
def fine_tuned():
    cfg = dataclasses.replace(TINY, mode="fine_tuning", unfreeze_blocks=2, fine_tune_epochs=2)
    return transfer.train(cfg, None, Reporter())


def _blobs(n, seed):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 255, size=(40, 50, 3), dtype=np.uint8) for _ in range(n)]


def test_dataset_check_finds_planted_duplicates_and_imbalance():
    images = np.stack([transfer.square(i, 64) for i in _blobs(12, 0)])
    labels = np.array([0] * 9 + [1] * 3)
    train_idx, val_idx = np.arange(0, 10), np.array([10, 11])
    images[11] = images[2]  # a validation image that is a copy of a training image
    images[10] = np.clip(images[4].astype(int) + 3, 0, 255)  # a near-copy (slightly brighter)
    check = transfer.check_dataset(images, labels, ["a", "b"], train_idx, val_idx)
    assert {(i, j) for i, j, _ in check.duplicates} == {(2, 11), (4, 10)}
    assert any("imbalanced" in w for w in check.warnings)
    assert any("Few images in b (3)" in w for w in check.warnings)
    clean = transfer.check_dataset(
        np.stack([transfer.square(i, 64) for i in _blobs(8, 1)]),
        np.array([0] * 4 + [1] * 4),
        ["a", "b"],
        np.arange(6),
        np.array([6, 7]),
    )
    assert (
        clean.duplicates == [] and clean.warnings == [] or all("Few" in w for w in clean.warnings)
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bundled_example_passes_its_own_leakage_check(seed):
    # The default example once greeted visitors with "19 validation image(s) look almost the
    # same as a training image": a hash false alarm on silhouettes, plus real repeated drawings.
    cfg = dataclasses.replace(transfer.PRESETS["default"], seed=seed)
    d = transfer.load_data(cfg, None)
    check = transfer.check_dataset(d.images, d.labels, d.class_names, d.train_idx, d.val_idx)
    assert check.duplicates == [] and check.warnings == []
    assert np.bincount(d.labels).tolist() == [cfg.per_class] * len(cfg.classes)


def test_distinct_drops_exact_and_near_copies_only():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (6, 28, 28), dtype=np.uint8)
    images[3] = images[0]  # exact copy, same class
    images[4] = np.clip(images[1].astype(int) + 4, 0, 255)  # near copy, same class
    images[5] = images[2]  # exact copy in another class
    labels = np.array([0, 0, 1, 0, 0, 0])
    assert transfer.distinct(images, labels).tolist() == [True, True, True, False, False, False]


def test_split_is_stratified_and_seeded():
    labels = np.array([0] * 8 + [1] * 4 + [2] * 2)
    tr, va = transfer.split(labels, 0.25, seed=3)
    assert set(tr) | set(va) == set(range(14)) and not set(tr) & set(va)
    assert [int((labels[va] == c).sum()) for c in range(3)] == [2, 1, 1]
    assert np.array_equal(va, transfer.split(labels, 0.25, seed=3)[1])


def test_bad_settings_and_data_give_sentences():
    with pytest.raises(ConfigError, match="at least two classes"):
        transfer.validate(dataclasses.replace(TINY, classes=("cat",)))
    with pytest.raises(ConfigError, match="learning rate"):
        transfer.validate(dataclasses.replace(TINY, head_lr=50.0))
    one_class = transfer.pack_upload(_blobs(4, 2), np.zeros(4, int), ["only"])
    with pytest.raises(UserError, match="at least two classes"):
        transfer.load_data(dataclasses.replace(TINY, dataset="upload"), one_class)
    single = transfer.pack_upload(_blobs(5, 3), np.array([0, 0, 0, 0, 1]), ["many", "lonely"])
    with pytest.raises(UserError, match="'lonely' has only 1 image"):
        transfer.load_data(dataclasses.replace(TINY, dataset="upload"), single)


def test_upload_blob_is_squared_and_kept_whole():
    packed = unpack_arrays(
        transfer.pack_upload(
            _blobs(3, 4) + [np.zeros((10, 300), np.uint8)], np.array([0, 0, 1, 1]), ["x", "y"]
        )
    )
    assert packed["images"].shape == (4, 224, 224, 3) and packed["class_names"] == ["x", "y"]


def test_frozen_backbone_has_no_trainable_weights_and_scratch_trains_everything():
    backbone = transfer._backbone("efficientnet_lite0")
    backbone.trainable = False
    assert backbone.trainable_weights == []
    clf = transfer.head(backbone.output.shape[-1], 3, 0.2, 0)
    fe = transfer.assemble(224, backbone, clf)
    assert transfer.count_params(fe)[0] == 1280 * 3 + 3
    import keras

    scratch = keras.models.clone_model(backbone)
    for layer in scratch.layers:
        layer.trainable = True
    model = transfer.assemble_scratch(224, scratch, transfer.head(1280, 3, 0.2, 0))
    trainable, total = transfer.count_params(model)
    assert total - trainable < 50_000  # only BatchNorm moving statistics are not trainable
    w_pre = backbone.get_layer("stem_conv").get_weights()[0]
    w_new = scratch.get_layer("stem_conv").get_weights()[0]
    assert not np.allclose(w_pre, w_new)  # random initialisation, not ImageNet weights


def test_fine_tuning_trains_top_blocks_with_batchnorm_in_inference_mode(fine_tuned):
    pretrained = transfer._backbone("efficientnet_lite0")
    top = fine_tuned["model"].get_layer("trainable_top")
    bn_new = top.get_layer("top_bn").get_weights()
    bn_old = pretrained.get_layer("top_bn").get_weights()
    for a, b in zip(bn_new, bn_old, strict=True):
        np.testing.assert_array_equal(a, b)  # gamma, beta, moving mean/var untouched
    assert not np.allclose(
        top.get_layer("top_conv").get_weights()[0],
        pretrained.get_layer("top_conv").get_weights()[0],
    )
    bottom = fine_tuned["model"].get_layer("frozen_bottom")
    np.testing.assert_array_equal(
        bottom.get_layer("stem_conv").get_weights()[0],
        pretrained.get_layer("stem_conv").get_weights()[0],
    )
    assert fine_tuned["trainable_params"] > 1_000_000  # block7a + top conv + head
    assert fine_tuned["history"]["phase_boundary"] == [TINY.head_epochs]
    assert fine_tuned["features_after"].shape == fine_tuned["features_before"].shape


def test_tiny_preset_learns_and_exports(fine_tuned, tmp_path):
    import keras

    loss = fine_tuned["history"]["loss"]
    assert loss[-1] < loss[0]
    model = fine_tuned["model"]
    path = tmp_path / "m.keras"
    path.write_bytes(transfer.export_keras(model))
    again = keras.saving.load_model(path)
    images = fine_tuned["thumbs"][:3]
    np.testing.assert_allclose(
        transfer.predict(again, images, "efficientnet_lite0"),
        transfer.predict(model, images, "efficientnet_lite0"),
        atol=1e-5,
    )
    probs = transfer.predict(model, images, "efficientnet_lite0")
    assert probs.shape == (3, 3) and np.allclose(probs.sum(1), 1, atol=1e-5)


def test_projection_and_figures(fine_tuned):
    pts = transfer.project(fine_tuned["features_before"])
    assert pts.shape == (len(fine_tuned["labels"]), 2)
    fig = transfer.plot_projection(pts, fine_tuned["labels"], fine_tuned["class_names"], "before")
    assert len(fig.data) == 3 and fig.layout.title.text == "before"
    comp = transfer.plot_comparison({"fine_tuning": fine_tuned["history"]})
    assert comp.data[0].name == "Fine-tuning" and len(comp.data[0].y) == fine_tuned["epochs"]


@pytest.mark.slow
def test_scratch_mode_trains_end_to_end():
    r = transfer.train(dataclasses.replace(TINY, mode="scratch"), None, Reporter())
    assert r["trainable_params"] > 3_000_000 and r["epochs"] >= 1


def test_grad_cam_works_on_the_nested_fine_tuned_model(fine_tuned):
    from dl_core.assets import imagenet
    from dl_core.cnn.analysis import grad_cam

    img = transfer.square(fine_tuned["thumbs"][0], 224)
    x = imagenet.preprocess("efficientnet_lite0", img[None], crop=1.0)
    heat = grad_cam(fine_tuned["model"], x, int(fine_tuned["labels"][0]))
    assert heat.shape == (1, 7, 7) and heat.min() >= 0 and heat.max() <= 1
    assert heat.max() > 0  # the nested top_conv was found and has a gradient


class _StopAt(Reporter):
    """Records messages; raises Cancelled at the first message starting with ``at``."""

    def __init__(self, at: str) -> None:
        super().__init__()
        self.at = at

    def __call__(self, *args, message=None, **kwargs):
        super().__call__(*args, message=message, **kwargs)
        if message and message.startswith(self.at):
            raise Cancelled("stopped by the visitor")


def test_phases_are_named_and_stop_works_inside_feature_extraction():
    stop = _StopAt("extracting features")
    cfg = dataclasses.replace(TINY, mode="fine_tuning")
    with pytest.raises(Cancelled):
        transfer.train(cfg, None, stop)
    said = [e["message"] for e in stop.events if e["message"]]
    assert said[:1] == ["loading images…"] and "loading the pretrained network…" in said
    assert said[-1] == "extracting features 8/18"  # after the first small batch of images
    phases = _StopAt("nothing")
    out = transfer.train(cfg, None, phases)
    said = [e["message"] for e in phases.events if e["message"]]
    assert said.index("training the new head…") < said.index("fine-tuning the top blocks…")
    assert out["epochs"] >= 1
