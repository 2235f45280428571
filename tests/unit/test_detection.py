"""Detection: IoU, NMS and mAP against independent reference implementations; exact scene
boxes; the face detector on real photos; the tiny YOLOv8 preset trains and detects."""

import dataclasses

import numpy as np
import pytest

from dl_core import detection as det
from dl_core import viz
from dl_core.detection import boxes as bx
from dl_core.detection import plots
from dl_core.detection.data import CLASSES, dihedral, make_scene, make_scenes, mask_box, unpad
from dl_core.errors import ConfigError


# -- reference implementations, written differently on purpose ------------------------------
def raster_iou(a, b, grid=64):
    """IoU by counting pixels of integer boxes on a grid."""
    ma = np.zeros((grid, grid), bool)
    mb = np.zeros((grid, grid), bool)
    ma[a[1] : a[3], a[0] : a[2]] = True
    mb[b[1] : b[3], b[0] : b[2]] = True
    union = (ma | mb).sum()
    return (ma & mb).sum() / union if union else 0.0


def py_iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = w * h if w > 0 and h > 0 else 0.0
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def reference_nms(boxes, scores, thr, classes=None):
    """Definition by recursion: take the best remaining box, delete its overlaps, repeat."""
    classes = [0] * len(boxes) if classes is None else list(classes)
    remaining = sorted(range(len(boxes)), key=lambda i: (-scores[i], i))
    keep = []
    while remaining:
        best = remaining.pop(0)
        keep.append(best)
        remaining = [
            i
            for i in remaining
            if classes[i] != classes[best] or py_iou(boxes[i], boxes[best]) <= thr
        ]
    return keep


def reference_ap(tp, scores, n_gt):
    """AP as a sum over recall steps of the best precision at any recall >= that step."""
    order = sorted(range(len(tp)), key=lambda i: -scores[i])
    prec, rec, hits = [], [], 0
    for k, i in enumerate(order, 1):
        hits += bool(tp[i])
        prec.append(hits / k)
        rec.append(hits / n_gt)
    total, last_r = 0.0, 0.0
    for r in sorted(set(rec)):
        if r > last_r:
            total += (r - last_r) * max(p for p, q in zip(prec, rec, strict=True) if q >= r)
            last_r = r
    return total


# -- IoU ------------------------------------------------------------------------------------
def test_iou_on_hand_made_boxes():
    assert bx.iou([0, 0, 2, 2], [0, 0, 2, 2]) == 1.0
    assert bx.iou([0, 0, 2, 2], [1, 0, 3, 2]) == pytest.approx(1 / 3)
    assert bx.iou([0, 0, 4, 4], [1, 1, 3, 3]) == pytest.approx(0.25)
    assert bx.iou([0, 0, 2, 2], [2, 0, 4, 2]) == 0.0  # touching edges do not overlap
    assert bx.iou([0, 0, 1, 1], [5, 5, 6, 6]) == 0.0
    assert bx.iou([0, 0, 0, 0], [0, 0, 0, 0]) == 0.0  # degenerate: no NaN


def test_iou_matrix_matches_pixel_counting():
    rng = np.random.default_rng(0)
    xy = rng.integers(0, 40, (30, 2))
    wh = rng.integers(1, 24, (30, 2))
    boxes = np.concatenate([xy, xy + wh], 1)
    m = bx.iou_matrix(boxes[:15], boxes[15:])
    ref = np.array([[raster_iou(a, b) for b in boxes[15:]] for a in boxes[:15]])
    np.testing.assert_allclose(m, ref, atol=1e-12)
    assert (m > 0).any() and (m == 0).any()


# -- NMS ------------------------------------------------------------------------------------
def test_nms_keeps_best_box_per_object_and_says_who_suppressed_whom():
    boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 9], [30, 30, 40, 40], [31, 30, 41, 40]]
    scores = [0.9, 0.8, 0.95, 0.7, 0.75]
    res = bx.nms(boxes, scores, 0.5)
    assert list(res.keep) == [2, 4]
    assert list(res.suppressed_by) == [2, 2, -1, 4, -1]
    assert res.suppress_iou[0] == pytest.approx(0.9)
    assert bx.suppression_pair(res, 1) == (2, 0)  # step 1 kept box 2; box 0 overlapped it most
    assert bx.suppression_pair(res, 2) == (4, 3) and bx.suppression_pair(res, 3) is None
    assert bx.nms(boxes, scores, 1.0).keep.size == 5  # threshold 1: nothing suppressed
    # boxes of different classes never suppress each other
    assert len(bx.nms(boxes, scores, 0.5, classes=[0, 1, 0, 0, 0]).keep) == 3
    assert list(bx.nms(boxes, scores, 0.5, max_detections=1).keep) == [2]
    assert bx.nms(np.zeros((0, 4)), np.zeros(0), 0.5).keep.size == 0


@pytest.mark.parametrize("thr", [0.0, 0.3, 0.5, 0.7, 1.0])
def test_nms_agrees_with_reference_implementation(thr):
    rng = np.random.default_rng(int(thr * 10))
    centres = rng.uniform(10, 90, (5, 2))
    pts = centres[rng.integers(0, 5, 60)] + rng.normal(0, 3, (60, 2))
    wh = rng.uniform(8, 20, (60, 2))
    boxes = np.concatenate([pts - wh / 2, pts + wh / 2], 1)
    scores = rng.random(60)
    classes = rng.integers(0, 2, 60)
    for cls in (None, classes):
        got = bx.nms(boxes, scores, thr, classes=cls)
        assert list(got.keep) == reference_nms(boxes.tolist(), scores.tolist(), thr, cls)
        for i, by in enumerate(got.suppressed_by):  # every suppression is justified
            if by >= 0:
                assert scores[by] > scores[i] and py_iou(boxes[i], boxes[by]) > thr


# -- mAP ------------------------------------------------------------------------------------
def _truth(seed=0, n=12):
    _, b, c = make_scenes(n, seed, size=96, max_objects=4)
    return [unpad(bb, cc) for bb, cc in zip(b, c, strict=True)]


def test_map_is_one_for_perfect_predictions_and_lower_when_shifted():
    truth = _truth()
    perfect = [(b, np.ones(len(b)), c) for b, c in truth]
    assert bx.mean_average_precision(perfect, truth, 4)["map"] == 1.0
    assert bx.mean_average_precision(perfect, truth, 4, bx.COCO_THRESHOLDS)["map"] == 1.0
    small = [(b + [2, 0, 2, 0], np.ones(len(b)), c) for b, c in truth]  # a little off
    assert bx.mean_average_precision(small, truth, 4)["map"] > 0.8
    assert bx.mean_average_precision(small, truth, 4, bx.COCO_THRESHOLDS)["map"] < 0.9
    far = [(b + [12, 12, 12, 12], np.ones(len(b)), c) for b, c in truth]
    assert bx.mean_average_precision(far, truth, 4)["map"] < 0.5
    wrong_class = [(b, np.ones(len(b)), (c + 1) % 4) for b, c in truth]
    assert bx.mean_average_precision(wrong_class, truth, 4)["map"] == 0.0


def test_a_confident_false_positive_halves_ap():
    truth = [(np.array([[0, 0, 10, 10]]), np.array([0]))]
    preds = [(np.array([[50, 50, 60, 60], [0, 0, 10, 10]]), np.array([0.9, 0.8]), np.array([0, 0]))]
    assert bx.mean_average_precision(preds, truth, 1)["map"] == pytest.approx(0.5)


def test_average_precision_matches_reference():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(1, 30))
        tp = rng.random(n) < 0.6
        scores = rng.random(n)
        n_gt = int(tp.sum() + rng.integers(0, 4)) or 1
        assert bx.average_precision(tp, scores, n_gt) == pytest.approx(
            reference_ap(tp, scores, n_gt)
        )


# -- synthetic scenes -------------------------------------------------------------------------
def test_scene_boxes_match_the_drawn_shapes_exactly():
    rng = np.random.default_rng(1)
    n_objects = 0
    for _ in range(25):
        s = make_scene(rng, size=96, max_objects=5, max_occlusion=0.3)
        n_objects += len(s.boxes)
        for k in range(len(s.boxes)):
            np.testing.assert_array_equal(s.boxes[k], mask_box(s.masks[k]))
            assert (s.image[s.visible[k]] == s.colours[k]).all()  # what shows is that shape
            assert s.visible[k].sum() >= 0.7 * s.masks[k].sum() - 1e-9
            assert (s.visible[k] <= s.masks[k]).all()
        assert s.boxes.min() >= 0 and s.boxes.max() <= 96
    assert n_objects > 40


def test_padded_scenes_and_exact_flips():
    x, b, c = make_scenes(6, 5, size=64, max_objects=3)
    assert x.shape == (6, 64, 64, 3) and b.shape == (6, 3, 4) and c.shape == (6, 3)
    assert ((c >= 0) == (b[..., 0] >= 0)).all()
    s = make_scene(np.random.default_rng(7), size=64, max_objects=3)
    masks = np.repeat(s.masks[..., None].astype("uint8"), 3, -1)  # (N, S, S, 3)
    for code in range(8):
        for k in range(len(s.boxes)):
            img, box = dihedral(
                masks[k : k + 1], s.boxes[None, k : k + 1], np.zeros((1, 1)), np.array([code])
            )
            np.testing.assert_array_equal(box[0, 0], mask_box(img[0, ..., 0] > 0))


# -- the pretrained face detector -----------------------------------------------------------
def test_face_detector_finds_the_astronaut_and_no_face_on_the_cat():
    from dl_core.assets import load_photo
    from dl_core.detection import faces

    found = faces.detect_faces(load_photo("astronaut"))
    assert len(found.scores) == 1 and found.scores[0] > 0.9
    x1, y1, x2, y2 = found.boxes[0]
    assert 190 < (x1 + x2) / 2 < 260 and 80 < (y1 + y2) / 2 < 160  # Eileen Collins' face
    eyes = found.landmarks[0, :2]
    assert ((eyes[:, 0] > x1) & (eyes[:, 0] < x2) & (eyes[:, 1] < (y1 + y2) / 2)).all()
    cands = faces.face_candidates(load_photo("astronaut"))
    assert len(cands.scores) > 1  # overlapping candidates for NMS to remove
    assert len(faces.detect_faces(load_photo("chelsea")).scores) == 0
    assert len(faces.detect_faces(np.zeros((8, 8, 3), np.uint8)).scores) == 0


# -- postprocessing and the tiny detector -----------------------------------------------------
def test_thresholds_and_class_filter_at_the_edges():
    cands = det.Detections(
        np.array([[0, 0, 10, 10], [1, 1, 11, 11], [40, 40, 50, 50]], float),
        np.array([0.9, 0.6, 0.3]),
        np.array([0, 0, 1]),
    )
    f, r = det.postprocess(cands, min_score=0.0, iou_threshold=0.5)
    assert len(f) == 3 and len(r.keep) == 2
    f, r = det.postprocess(cands, min_score=1.0)
    assert len(f) == 0 and len(r.keep) == 0
    f, r = det.postprocess(cands, min_score=0.0, allowed={2})
    assert len(r.keep) == 0
    f, r = det.postprocess(cands, min_score=0.0, iou_threshold=0.0, allowed={0})
    assert list(f.take(r.keep).scores) == [0.9]


def test_big_photos_are_shrunk_for_detection_and_tables_sort_by_score():
    small, scale = det.fit_within(np.zeros((1000, 3000, 3), np.uint8), 1024)
    assert small.shape == (341, 1024, 3) and scale == pytest.approx(1024 / 3000)
    same, one = det.fit_within(np.zeros((50, 60, 3), np.uint8))
    assert same.shape == (50, 60, 3) and one == 1.0
    dets = det.Detections(
        np.array([[0, 0, 5, 5], [1, 2, 3, 4.4]]), np.array([0.2, 0.9]), np.array([1, 0])
    )
    table = det.detection_table(dets, ["a", "b"])
    assert list(table["class"]) == ["a", "b"] and list(table["y2"]) == [4, 5]


def test_letterbox_keeps_aspect_ratio():
    img = np.zeros((50, 200, 3), np.uint8)
    sq, scale, (ox, oy) = det.letterbox(img, 64)
    assert sq.shape == (64, 64, 3) and scale == pytest.approx(0.32) and ox == 0 and oy == 24


def test_validate_refuses_impossible_settings():
    base = det.PRESETS["tiny"]
    for bad in (dict(image_size=100), dict(max_objects=0), dict(n_train=2), dict(learning_rate=0)):
        with pytest.raises(ConfigError):
            det.validate(dataclasses.replace(base, **bad))
    assert det.validate(base) == []


@pytest.fixture(scope="module")
def tiny_run():
    from dl_core.jobs import Reporter

    report = Reporter()
    return det.train(det.PRESETS["tiny"], None, report), report


def test_tiny_preset_trains_with_live_box_and_class_losses(tiny_run):
    out, report = tiny_run
    cfg = det.PRESETS["tiny"]
    hist = out["history"]
    assert len(hist["box_loss"]) == len(hist["class_loss"]) == len(hist["val_map50"]) == cfg.epochs
    assert all(np.isfinite(hist["box_loss"])) and all(np.isfinite(hist["class_loss"]))
    assert 0.0 <= out["map50"] <= 1.0 and 0.0 <= out["map50_95"] <= out["map50"] + 1e-9
    epochs = [e for e in report.events if e["kind"] == "epoch"]
    assert len(epochs) == cfg.epochs
    assert epochs[-1]["preview"].shape == (cfg.image_size, cfg.image_size, 3)
    assert "val_map50" in epochs[-1]["metrics"]
    assert any(e["kind"] == "batch" and "box_loss" in e["metrics"] for e in report.events)


def test_decoding_matches_keras_cv_and_detect_works_on_any_image(tiny_run):
    from dl_core.detection import model as yolo

    model = tiny_run[0]["model"]
    x = tiny_run[0]["val_images"][:2].astype("float32")
    raw = model(x, training=False)["boxes"].numpy()
    np.testing.assert_allclose(yolo.decode(raw, 64), yolo.keras_cv_decode(model, raw), atol=1e-3)
    photo = np.random.default_rng(0).integers(0, 255, (90, 150, 3)).astype("uint8")
    cands = det.detect(model, photo, min_score=0.0)
    assert len(cands) == sum((64 // s) ** 2 for s in yolo.STRIDES)  # one per anchor point
    assert (cands.boxes >= 0).all() and (cands.boxes[:, [0, 2]] <= 150).all()
    assert (cands.boxes[:, [1, 3]] <= 90).all()


def test_a_new_detector_starts_with_background_scores():
    """Ultralytics' head start: keras-cv's zero biases score every anchor point 0.5."""
    from dl_core.detection import model as yolo

    model = yolo.build_detector(len(CLASSES), 64, width=4)
    out = model(np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)), training=False)
    scores = np.asarray(out["classes"])
    cells = sum((64 // s) ** 2 for s in yolo.STRIDES)
    assert scores.shape == (2, cells, len(CLASSES))
    assert scores.mean() < 0.1  # about 5 objects' worth of score over the whole grid


def test_the_learning_rate_warms_up_then_decays_along_a_cosine():
    from dl_core.detection import model as yolo

    model = yolo.build_detector(len(CLASSES), 64, width=4)
    yolo.compile_detector(model, 5e-3, total_steps=100)
    rate = model.optimizer.learning_rate
    schedule = model.optimizer._learning_rate  # the schedule behind the current rate
    at = [float(schedule(step)) for step in (0, 5, 10, 55, 100)]
    assert at[0] == pytest.approx(5e-4) and at[1] == pytest.approx(2.75e-3)  # linear warm-up
    assert at[2] == pytest.approx(5e-3) and at[4] == pytest.approx(2.5e-4)  # peak, then 5 %
    assert at[3] == pytest.approx(5e-3 * (0.05 + 0.95 * 0.5), rel=1e-3)  # half-way down
    assert float(rate) == pytest.approx(5e-4)  # the optimizer follows it from step 0
    yolo.compile_detector(model, 5e-3)  # no step count: a constant rate
    assert float(model.optimizer.learning_rate) == pytest.approx(5e-3)


# -- figures ----------------------------------------------------------------------------------
def test_figures_show_boxes_scores_and_nms_steps():
    s = make_scene(np.random.default_rng(2), size=96, max_objects=3, min_objects=3)
    dets = det.Detections(s.boxes.astype(float), np.linspace(0.9, 0.5, len(s.boxes)), s.classes)
    fig = plots.plot_detections(s.image, dets, CLASSES)
    boxes = [t for t in fig.data if t.type == "scatter" and t.fill == "toself"]
    assert len(boxes) == len(s.boxes)
    assert any("0.90" in str(t.text) for t in boxes)
    assert len(fig.layout.annotations) == len(s.boxes)
    truth = (s.boxes[:1], s.classes[:1])
    landmarks = np.array([[[10.0, 20.0], [30.0, 40.0]]] * len(s.boxes))
    marks, points, legend = plots.detection_marks(dets, CLASSES, landmarks, truth)
    assert marks[0][4:] == ("", "#FFFFFF", "dotted")  # the true box first, under the others
    found = marks[1:]
    assert [m[4] for m in found] == [
        f"{CLASSES[c]} {p:.2f}" for c, p in zip(s.classes, dets.scores, strict=True)
    ]
    assert all(
        m[6] == "solid" and m[5] == viz.CATEGORICAL[c]
        for m, c in zip(found, s.classes, strict=True)
    )
    assert found[0][:4] == tuple(map(float, s.boxes[0])) and len(points) == 2 * len(s.boxes)
    assert dict(legend)["landmarks"] == viz.CATEGORICAL[1]
    assert [n for n, _ in legend][:-1] == list(dict.fromkeys(CLASSES[c] for c in s.classes))

    cands = det.Detections(
        np.array([[0, 0, 30, 30], [2, 2, 32, 32], [60, 60, 90, 90]], float),
        np.array([0.9, 0.8, 0.7]),
        np.array([0, 0, 1]),
    )
    res = bx.nms(cands.boxes, cands.scores, 0.5, cands.classes)
    first = plots.plot_nms(s.image, cands, res, CLASSES, step=1)
    assert "1 kept, 1 suppressed" in first.layout.title.text
    texts = [str(t.text) for t in first.data]
    assert any(t.startswith("suppressed") for t in texts) and any("waiting" in t for t in texts)
    final = plots.plot_nms(s.image, cands, res, CLASSES)
    assert "2 kept, 1 suppressed" in final.layout.title.text

    images, scene_boxes, scene_classes = make_scenes(4, 0, size=64)
    pictures = plots.scene_pictures(images, scene_boxes, scene_classes, CLASSES)
    assert len(pictures) == 4 and all(p.shape == (64, 64, 3) for _, p in pictures)
    first, n = pictures[0], len(unpad(scene_boxes[0], scene_classes[0])[1])
    assert len(first[0].split(", ")) == n and set(first[0].split(", ")) <= set(CLASSES)
    assert not np.array_equal(first[1], images[0])  # the boxes are burnt in
    assert [c for _, c in plots.box_legend(CLASSES)][:2] == [viz.CATEGORICAL[0], viz.CATEGORICAL[1]]
    anchors = plots.plot_anchor_points(s.image, s.boxes[0], stride=16)
    assert len(anchors.data[1].x) + len(anchors.data[2].x) == (96 // 16) ** 2
    assert plots.plot_iou([0, 0, 2, 2], [1, 0, 3, 2], 1 / 3).layout.title.text == "IoU = 0.33"
    curve = plots.plot_map_curve({"elapsed_s": [1.0, 2.0], "val_map50": [0.1, 0.5]})
    assert list(curve.data[0].y) == [0.1, 0.5] and "mAP" in curve.layout.yaxis.title.text
