"""Segmentation: IoU, exact generated masks, U-Net/DeepLab shapes, skips, few-click, tiny
training."""

import dataclasses
import io
import json

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from dl_core import segmentation as seg
from dl_core.errors import ConfigError, UserError
from dl_core.jobs import Reporter


# -- metrics ---------------------------------------------------------------------------------
def test_iou_on_hand_made_masks():
    truth = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 2, 2], [2, 2, 2, 2]])
    pred = np.array([[0, 1, 1, 1], [0, 0, 1, 1], [2, 2, 2, 2], [0, 0, 2, 2]])
    iou = seg.per_class_iou(truth, pred, 4)
    assert iou[0] == pytest.approx(3 / 6)  # 3 shared, 4 true + 5 predicted - 3
    assert iou[1] == pytest.approx(4 / 5)
    assert iou[2] == pytest.approx(6 / 8)
    assert np.isnan(iou[3])  # class 3 appears nowhere: left out of the mean
    assert seg.mean_iou(truth, pred, 4) == pytest.approx((0.5 + 0.8 + 0.75) / 3)
    assert seg.mean_iou(truth, truth, 4) == 1.0
    assert seg.pixel_accuracy(truth, pred) == pytest.approx(13 / 16)
    assert seg.class_share(truth, 4).tolist() == [0.25, 0.25, 0.5, 0.0]
    with pytest.raises(ValueError):
        seg.per_class_iou(truth, pred[:2], 4)


# -- data ------------------------------------------------------------------------------------
def test_drawn_shapes_have_the_right_area_and_place():
    h = w = 200
    circle = seg.draw_shape("circle", 100, 100, 40, 0, h, w)
    assert circle.sum() == pytest.approx(np.pi * 40**2, rel=0.02)
    assert circle[100, 100] and not circle[100, 145] and not circle[0, 0]
    square = seg.draw_shape("square", 100, 100, 30, np.pi / 4, h, w)
    assert square.sum() == pytest.approx(60**2, rel=0.02)
    assert square[100, 100 + 41] and not square[100 + 30, 100 + 30]  # rotated 45°: a diamond
    tri = seg.draw_shape("triangle", 100, 100, 60, 0, h, w)
    assert tri.sum() == pytest.approx(3 * np.sqrt(3) / 4 * 60**2, rel=0.02)
    with pytest.raises(ValueError):
        seg.draw_shape("hexagon", 1, 1, 1, 0, 4, 4)


def test_generated_masks_match_the_painted_shapes():
    x, y = seg.make_scenes(20, 32, seed=3)
    assert x.shape == (20, 32, 32, 3) and y.shape == (20, 32, 32) and y.dtype == np.uint8
    assert x.min() >= 0 and x.max() <= 1 and set(np.unique(y)) <= {0, 1, 2, 3}
    assert all((m > 0).any() for m in y)  # every scene has a shape
    flat = []  # each masked region is one flat colour (touching same-class shapes aside)
    for img, m in zip(x, y, strict=True):
        for c in np.unique(m[m > 0]):
            regions, n = ndimage.label(m == c)
            flat += [img[regions == r].std(0).max() < 0.1 for r in range(1, n + 1)]
    assert np.mean(flat) > 0.9
    edge = ndimage.binary_dilation(y[0] > 0) & ~(y[0] > 0)  # just outside the shapes
    assert edge.any() and np.abs(x[0][edge].mean(0) - x[0][y[0] > 0].mean(0)).max() > 0
    x2, y2 = seg.make_scenes(20, 32, seed=3)
    assert np.array_equal(y, y2) and np.array_equal(x, x2)  # same seed, same scenes
    _, ytr, names = seg.make_dataset("scenes", 20, 32, 3, "train")
    _, yva, _ = seg.make_dataset("scenes", 20, 32, 3, "val")
    assert names == ["background", "circle", "square", "triangle"]
    assert not np.array_equal(ytr, yva)  # held-out scenes are other scenes


def test_animal_masks_are_the_thresholded_silhouettes():
    x, y, names = seg.make_dataset("animals", 12, 28, 0, "val")
    assert names == ["background", "animal"] and x.shape == (12, 28, 28, 3)
    assert set(np.unique(y)) == {0, 1}
    assert 0.05 < y.mean() < 0.8


# -- models ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("arch", "size"), [("unet", 32), ("unet", 33), ("deeplab", 33)])
def test_output_size_equals_input_size_for_odd_and_even_sizes(arch, size):
    cfg = dataclasses.replace(seg.PRESETS["tiny"], architecture=arch, image_size=size, depth=3)
    model = seg.build_model(cfg, 4)
    assert model.output.shape[1:] == (size, size, 4)
    out = np.asarray(model(np.random.default_rng(0).random((1, size, size, 3), "float32")))
    assert out.shape == (1, size, size, 4)
    assert np.allclose(out.sum(-1), 1, atol=1e-4)


def test_pretrained_encoder_is_frozen_and_feeds_the_decoder():
    model = seg.build_unet(40, 2, depth=3, width=8, encoder="mobilenet_v2")
    assert model.output.shape[1:] == (40, 40, 2)  # padded to 64 for the encoder, cropped back
    encoder = model.get_layer("mobilenet_v2_encoder")
    assert not encoder.trainable and encoder.count_params() > 1_500_000
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert 0 < trainable < 200_000  # only the decoder (and enc1) learn
    maps = seg.feature_maps(model, np.random.default_rng(0).random((40, 40, 3), "float32"))
    assert maps["enc2"].shape == (32, 32, 16) and maps["enc3"].shape == (16, 16, 24)
    deeplab = seg.build_deeplab(40, 2, width=8, encoder="mobilenet_v2")
    assert deeplab.output.shape[1:] == (40, 40, 2)


def test_skip_toggle_changes_the_graph():
    with_skips = seg.build_unet(32, 4, depth=3, width=8, skips=True)
    without = seg.build_unet(32, 4, depth=3, width=8, skips=False)

    def concat(m):
        return [la.name for la in m.layers if la.__class__.__name__ == "Concatenate"]

    assert concat(with_skips) == ["skip3", "skip2", "skip1"] and concat(without) == []
    assert with_skips.count_params() > without.count_params()
    assert seg.stage_layers(with_skips) == [
        "enc1",
        "enc2",
        "enc3",
        "bottleneck",
        "dec3",
        "dec2",
        "dec1",
    ]
    maps = seg.feature_maps(with_skips, np.zeros((32, 32, 3), "float32"))
    assert maps["enc1"].shape == (32, 32, 8) and maps["bottleneck"].shape == (4, 4, 64)
    bilinear = seg.build_unet(32, 4, depth=3, width=8, upsampling="bilinear")
    assert not any(la.__class__.__name__ == "Conv2DTranspose" for la in bilinear.layers)


def test_deeplab_has_one_branch_per_atrous_rate():
    model = seg.build_deeplab(32, 3, width=8, rates=(1, 3))
    assert [model.get_layer(f"aspp_rate{r}_conv").dilation_rate for r in (1, 3)] == [(1, 1), (3, 3)]
    assert "aspp_pool" in seg.stage_layers(model) and "decoder" in seg.stage_layers(model)


def test_validate_refuses_impossible_settings_with_a_sentence():
    tiny = seg.PRESETS["tiny"]
    assert seg.validate(tiny) == []
    for bad in (
        dict(depth=5),
        dict(image_size=8),
        dict(rates=()),
        dict(encoder="vgg"),
        dict(learning_rate=5.0),
        dict(image_size=16, depth=4, width=8, epochs=0),
    ):
        with pytest.raises(ConfigError):
            seg.validate(dataclasses.replace(tiny, **bad))
    assert any(
        "frozen" in w for w in seg.validate(dataclasses.replace(tiny, encoder="mobilenet_v2"))
    )


# -- training --------------------------------------------------------------------------------
def test_tiny_preset_trains_and_reports_iou_per_class():
    report = Reporter()
    out = seg.train(seg.PRESETS["tiny"], None, report)
    epochs = [e for e in report.events if e["kind"] == "epoch"]
    assert len(epochs) == 1
    metrics = epochs[0]["metrics"]
    assert {"loss", "pixel_accuracy", "val_mean_iou", "iou_background", "iou_triangle"} <= set(
        metrics
    )
    assert epochs[0]["preview"].shape == (6, 24, 48, 3)  # image | predicted mask
    assert out["val_pred"].shape == out["val_masks"].shape == (12, 24, 24)
    assert 0 <= out["val_mean_iou"] <= 1 and len(out["per_class_iou"]) == 4
    assert out["model"].output.shape[1:] == (24, 24, 4)


# -- few-click -------------------------------------------------------------------------------
def _two_regions(h=96, w=128):
    """Left: a blue-ish textured region; right: an orange-ish one. Mask = right half."""
    rng = np.random.default_rng(0)
    img = np.empty((h, w, 3), "uint8")
    img[:, : w // 2] = (40, 80, 200)
    img[:, w // 2 :] = (220, 140, 30)
    img = np.clip(img + rng.normal(0, 20, img.shape), 0, 255).astype("uint8")
    mask = np.zeros((h, w), "uint8")
    mask[:, w // 2 :] = 1
    return img, mask


def test_few_click_head_separates_two_regions_from_a_handful_of_marks():
    img, mask = _two_regions()
    feats = np.zeros((24, 32, 2), "float32")
    feats[:, 16:, 0] = 1  # a feature that is on in the right half only
    feats[..., 1] = np.random.default_rng(1).normal(0, 1, (24, 32))  # noise
    fg = np.array([[70, 10], [80, 60], [100, 40], [110, 90], [120, 20], [90, 80]])  # (x, y), right
    bg = np.array([[5, 50], [30, 20], [50, 90], [20, 70], [40, 5], [60, 40]])
    res = seg.segment_from_strokes(img, fg, bg, features=feats)
    assert res.n_fg == 6 and res.n_bg == 6 and res.train_accuracy == 1.0 and res.n_conflict == 0
    assert res.losses[-1] < res.losses[0] / 4
    assert seg.per_class_iou(mask, res.mask, 2)[1] > 0.95
    assert res.prob.shape == mask.shape


def test_few_click_on_pretrained_features_from_url_strokes():
    img, mask = _two_regions()
    fg, bg = seg.parse_strokes(
        '{"fg": [[0.7, 0.3, 0.9, 0.7]], "bg": [[0.1, 0.2, 0.3, 0.8]]}', mask.shape
    )
    assert mask[fg[:, 1], fg[:, 0]].all() and not mask[bg[:, 1], bg[:, 0]].any()
    res = seg.segment_from_strokes(img, fg, bg)  # MobileNetV2 features
    assert seg.per_class_iou(mask, res.mask, 2)[1] > 0.85


def test_few_click_bad_input_gives_sentences():
    img, _ = _two_regions()
    feats = np.ones((24, 32, 4), "float32")
    none = np.zeros((0, 2), int)
    with pytest.raises(UserError, match="Mark some foreground and some background"):
        seg.segment_from_strokes(img, none, none, features=feats)
    with pytest.raises(UserError, match="background too"):
        seg.segment_from_strokes(img, np.array([[5, 5]]), none, features=feats)
    with pytest.raises(UserError, match="foreground"):
        seg.segment_from_strokes(img, none, np.array([[5, 5]]), features=feats)
    both = seg.segment_from_strokes(
        img, np.array([[5, 5], [100, 50]]), np.array([[6, 6], [10, 50]]), features=feats
    )
    assert both.n_conflict == 1 and both.n_fg == 1 and both.n_bg == 1
    with pytest.raises(UserError, match="same spots"):
        seg.segment_from_strokes(img, np.array([[5, 5]]), np.array([[6, 6]]), features=feats)
    with pytest.raises(UserError, match="single flat colour"):
        seg.prepare_photo(np.full((50, 60, 3), 128, "uint8"))
    for text in ("not json", '{"fg": [[0, 0, 2, 1]]}', '{"fg": [[0, 0, 1]]}', "[1, 2]"):
        with pytest.raises(UserError, match="Strokes must look like"):
            seg.parse_strokes(text, (50, 60))
    big = seg.prepare_photo(
        np.random.default_rng(0).integers(0, 255, (1500, 3000, 3), dtype=np.uint8)
    )
    assert big.shape == (320, 640, 3)  # shrunk to 640 px on the longer side


def test_canvas_paths_become_url_strokes_of_the_right_kind():
    # streamlit-drawable-canvas 0.13 (Fabric.js 6) emits "Path"; older versions "path"
    drawing = {
        "objects": [
            {
                "type": "Path",
                "stroke": "#0072B2",
                "strokeWidth": 4,
                "path": [["M", 10, 10], ["Q", 10, 10, 20, 10], ["L", 30, 10]],
            },
            {
                "type": "path",
                "stroke": "#D55E00",
                "strokeWidth": 4,
                "path": [["M", 50, 40], ["L", 50, 60]],
            },
            {"type": "Rect", "left": 1, "top": 1},
        ]
    }
    drawn, unused = seg.canvas_strokes(drawing, (101, 81), "#0072b2")
    assert unused == 1
    assert drawn["fg"] == [[0.1, 0.125, 0.3, 0.125, 0.04]]  # 3 collinear points -> 1 segment
    assert drawn["bg"] == [[0.5, 0.5, 0.5, 0.75, 0.04]]
    text = seg.join_strokes(drawn)
    fg, bg = seg.parse_strokes(text, (41, 51))  # the image at half the canvas size
    assert set(fg[:, 1]) <= {4, 5, 6} and fg[:, 0].min() <= 5 and fg[:, 0].max() >= 15
    assert set(bg[:, 0]) <= {24, 25, 26} and bg[:, 1].min() <= 20 and bg[:, 1].max() >= 30
    assert seg.canvas_strokes(None, (100, 80), "#0072b2") == ({"fg": [], "bg": []}, 0)


def test_a_wiggly_path_is_simplified_and_strokes_join_with_a_link():
    t = np.linspace(0, 2 * np.pi, 200)
    path = [["M", 50, 50]] + [["L", 50 + 40 * np.cos(a), 50 + 40 * np.sin(a)] for a in t]
    drawing = {"objects": [{"type": "Path", "stroke": "#0072b2", "strokeWidth": 6, "path": path}]}
    drawn, _ = seg.canvas_strokes(drawing, (101, 101), "#0072b2")
    assert 8 <= len(drawn["fg"]) <= 40  # a circle within 1 px: far fewer than 200 segments
    link = '{"bg": [[0.1, 0.1, 0.2, 0.2]]}'
    joined = json.loads(seg.join_strokes(link, drawn))
    assert joined["bg"] == [[0.1, 0.1, 0.2, 0.2]] and joined["fg"] == drawn["fg"]
    assert seg.join_strokes(None, {"fg": [], "bg": []}) is None
    with pytest.raises(UserError, match="Strokes must look like"):
        seg.join_strokes("{broken", drawn)


# -- outputs and figures ---------------------------------------------------------------------
def test_mask_png_holds_class_ids_and_class_colours():
    mask = np.array([[0, 1], [2, 3]], "uint8")
    img = Image.open(io.BytesIO(seg.mask_png(mask, ["a", "b", "c", "d"])))
    assert img.mode == "P" and np.array_equal(np.asarray(img), mask)
    assert np.array_equal(np.asarray(img.convert("RGB"))[0, 1], seg.colourise(mask, 4)[0, 1])


def test_overlay_respects_opacity_and_hidden_classes():
    img = np.full((4, 4, 3), 200, "uint8")
    mask = np.zeros((4, 4), "uint8")
    mask[:2] = 1
    assert np.array_equal(seg.overlay_mask(img, mask, 2, opacity=0.0), img)
    half = seg.overlay_mask(img, mask, 2, opacity=1.0, visible=[1])
    assert np.array_equal(half[2:], img[2:]) and not np.array_equal(half[:2], img[:2])
    fig = seg.plot_overlay(
        img, mask, ["background", "object"], 0.5, [1], strokes={"foreground": np.array([[1, 1]])}
    )
    assert fig.data[0].type == "image" and [t.name for t in fig.data[1:]] == [
        "foreground strokes",
        "object",
    ]


def test_explanatory_figures_show_overlap_and_dilation():
    assert set(np.unique(seg.transposed_overlap(4, 3, 2))) == {1, 2, 4}  # checkerboard
    assert (
        set(np.unique(seg.transposed_overlap(4, 4, 2))[1:-1]) <= {2, 4}
        and seg.transposed_overlap(4, 2, 2).max() == 1
    )
    taps = seg.atrous_taps(3, 13)
    ys, xs = np.nonzero(taps)
    assert taps.sum() == 9 and sorted(set(xs)) == [3, 6, 9]
    assert len(seg.plot_transposed_conv().data) == 3 and len(seg.plot_atrous((1, 2)).data) == 2
    share = seg.plot_class_share(np.array([[0, 1], [1, 1]]), ["bg", "fg"])
    assert list(share.data[0].x) == [0.25, 0.75]
    iou = seg.plot_iou([0.5, None], ["bg", "fg"])
    assert iou.layout.yaxis.range == (0, 1)
    maps = seg.plot_feature_maps({"enc1": np.random.rand(8, 8, 5), "dec1": np.random.rand(8, 8, 2)})
    assert len(maps.data) == 8 and "enc1 8×8×5" in [a.text for a in maps.layout.annotations]
    assert json.loads(seg.plot_probability(np.random.rand(6, 8)).to_json())["data"][0]["zmax"] == 1


def test_the_online_pascal_voc_model_is_refused_offline_with_a_sentence(monkeypatch):
    from dl_core.assets import AssetUnavailable

    monkeypatch.setenv("DL_EXPLORER_OFFLINE", "1")
    with pytest.raises(AssetUnavailable, match="few-click segmentation"):
        seg.load_online_segmenter()
    assert len(seg.VOC_CLASSES) == 21 and seg.VOC_CLASSES[0] == "background"


def test_feature_maps_follow_weights_swapped_into_the_same_model():
    """The probe model is built once per model: a rewound model (weights set in place) must
    still give that epoch's maps."""
    import keras

    model = seg.build_unet(32, 3, depth=2, width=8)
    image = np.random.default_rng(1).random((32, 32, 3), "float32")
    before = seg.feature_maps(model, image)
    model.set_weights([w * 0.5 for w in model.get_weights()])
    after = seg.feature_maps(model, image)
    names = list(after)
    fresh = keras.Model(model.input, [model.get_layer(n).output for n in names])
    expected = [np.asarray(o)[0] for o in fresh(image[None], training=False)]
    assert any(not np.allclose(before[n], after[n]) for n in names)
    assert all(np.allclose(after[n], e, atol=1e-5) for n, e in zip(names, expected, strict=True))
