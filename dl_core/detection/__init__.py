"""Object detection: find every object in an image, with a box, a class and a score.

A detector scores thousands of candidate boxes at once; non-maximum suppression (NMS) then
keeps the best box per object, and mean average precision (mAP) measures the result.
This topic trains keras-cv's YOLOv8 (Jocher et al. 2023; anchor-free head, see
:mod:`dl_core.detection.yolo`) from scratch on generated scenes whose boxes are known
exactly, and runs a pretrained MTCNN face detector (Zhang et al. 2016) on photos.

Layout, top to bottom: :mod:`.scenes` (data), :mod:`.yolo` (the model: the only module that
imports keras-cv), ``train`` (here), :mod:`.boxes` (IoU, NMS, mAP in NumPy), :mod:`.faces`
(the pretrained detector), :mod:`.plots` (figures).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from dl_core.detection.boxes import (
    COCO_THRESHOLDS,
    NMSResult,
    iou,
    iou_matrix,
    mean_average_precision,
    nms,
)
from dl_core.detection.scenes import CLASSES, make_scenes, unpad
from dl_core.errors import ConfigError

VOC_CLASSES = (
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)  # Pascal VOC, the classes of keras-cv's pretrained YOLOv8 (online only)
VAL_SEED = 424242  # the held-out scenes are the same for every run (comparable mAP)


@dataclass(frozen=True)
class Config:
    """Every choice of the "train your own detector" section."""

    image_size: int = 128  # scenes are square; a multiple of 32 (YOLOv8's largest stride)
    n_train: int = 1000  # generated training scenes (flipped/transposed at random each epoch)
    n_val: int = 200  # held-out scenes for mAP
    max_objects: int = 4
    max_occlusion: float = 0.3  # at most this share of a shape may be hidden by others
    texture: bool = True
    width: int = 16  # backbone channels: width, 2x, 4x, 8x
    depth: int = 1  # CSP blocks per stage
    epochs: int = 6
    batch_size: int = 16
    learning_rate: float = 2e-3
    time_budget_s: int = 0  # stop after this many seconds of training (0 = run all epochs)
    eager: bool = False  # run eagerly: no graph tracing (only worth it for a few steps)
    seed: int = 0


PRESETS = {
    "tiny": Config(
        image_size=64, n_train=8, n_val=8, max_objects=2, width=8, epochs=2, batch_size=8,
        eager=True,
    ),
    "default": Config(n_train=640, epochs=3),
    "longer": Config(n_train=2000, epochs=10),
}  # fmt: skip


def validate(cfg: Config) -> list[str]:
    """Raise :class:`ConfigError` for impossible settings; return warnings."""
    if cfg.image_size % 32 or not 64 <= cfg.image_size <= 256:
        raise ConfigError("The image size must be a multiple of 32 between 64 and 256 pixels.")
    if not 1 <= cfg.max_objects <= 8:
        raise ConfigError("Scenes can hold between 1 and 8 objects.")
    if not 0 <= cfg.max_occlusion <= 0.9:
        raise ConfigError("The occlusion limit must be between 0 and 0.9.")
    if not 4 <= cfg.width <= 64 or not 1 <= cfg.depth <= 3:
        raise ConfigError("The backbone width must be 4-64 channels and its depth 1-3 blocks.")
    if cfg.epochs < 1 or cfg.batch_size < 1 or cfg.n_val < 1:
        raise ConfigError("Epochs, batch size and validation scenes must be at least 1.")
    if cfg.n_train < cfg.batch_size:
        raise ConfigError(
            f"There must be at least one batch of training scenes ({cfg.batch_size}); "
            f"got {cfg.n_train}."
        )
    if not 0 < cfg.learning_rate < 1:
        raise ConfigError("The learning rate must be between 0 and 1.")
    warnings = []
    if cfg.n_train * cfg.epochs < 2000 and cfg.n_train > 64:
        warnings.append("Fewer than 2 000 scene views in total: expect a weak detector.")
    return warnings


# -- detections --------------------------------------------------------------------------------
@dataclass
class Detections:
    """Boxes (N, 4) x1 y1 x2 y2 in image pixels, scores (N,), class ids (N,)."""

    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray
    landmarks: np.ndarray | None = None  # (N, K, 2) points per box (faces), if any

    def __len__(self) -> int:
        return len(self.scores)

    def take(self, idx: np.ndarray) -> Detections:
        idx = np.asarray(idx, dtype=int)
        marks = None if self.landmarks is None else self.landmarks[idx]
        return Detections(self.boxes[idx], self.scores[idx], self.classes[idx], marks)


MAX_SIDE = 1024  # detectors run on a copy no larger than this (pixels, longest side)


def fit_within(image: np.ndarray, max_side: int = MAX_SIDE) -> tuple[np.ndarray, float]:
    """A copy of ``image`` whose longest side is at most ``max_side``, and the scale used."""
    from PIL import Image

    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale == 1.0:
        return np.asarray(image, dtype="uint8"), 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(np.asarray(image, "uint8")).resize(size)), scale


def detection_table(dets: Detections, names: list[str] | tuple[str, ...]) -> Any:
    """Detections as a table (class, score, box corners), best first."""
    import pandas as pd

    order = np.argsort(-dets.scores, kind="stable")
    b = np.round(dets.boxes[order]).astype(int).reshape(-1, 4)
    return pd.DataFrame(
        {
            "class": [names[int(c)] for c in dets.classes[order]],
            "score": np.round(dets.scores[order], 3),
            "x1": b[:, 0], "y1": b[:, 1], "x2": b[:, 2], "y2": b[:, 3],
        }
    )  # fmt: skip


def candidates(boxes: np.ndarray, scores: np.ndarray, min_score: float = 0.05) -> Detections:
    """Anchor points whose best class score is >= ``min_score``: the boxes NMS starts from.

    Args:
        boxes: (A, 4) decoded boxes of one image; scores: (A, C) class scores.
    """
    best = scores.argmax(-1)
    conf = scores.max(-1)
    keep = np.nonzero(conf >= min_score)[0]
    return Detections(boxes[keep].astype("float64"), conf[keep].astype("float64"), best[keep])


def postprocess(
    cands: Detections,
    min_score: float = 0.25,
    iou_threshold: float = 0.5,
    allowed: set[int] | None = None,
    max_detections: int = 20,
) -> tuple[Detections, NMSResult]:
    """Confidence threshold and class filter, then per-class NMS.

    Returns:
        (the candidates that passed the threshold and filter, what NMS did with them);
        ``filtered.take(result.keep)`` are the final detections.
    """
    ok = cands.scores >= min_score
    if allowed is not None:
        ok &= np.isin(cands.classes, list(allowed))
    filtered = cands.take(np.nonzero(ok)[0])
    result = nms(filtered.boxes, filtered.scores, iou_threshold, filtered.classes, max_detections)
    return filtered, result


def letterbox(image: np.ndarray, size: int) -> tuple[np.ndarray, float, tuple[int, int]]:
    """Fit an image into a size x size square (keeping its aspect ratio, grey padding).

    Returns:
        (square uint8 image, scale applied, (x, y) offset of the image in the square).
    """
    from PIL import Image

    h, w = image.shape[:2]
    scale = size / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    resized = np.asarray(Image.fromarray(np.asarray(image, "uint8")).resize((nw, nh)))
    out = np.full((size, size, 3), 114, dtype="uint8")
    ox, oy = (size - nw) // 2, (size - nh) // 2
    out[oy : oy + nh, ox : ox + nw] = resized[..., :3]
    return out, scale, (ox, oy)


def detect(model: Any, image: np.ndarray, min_score: float = 0.05) -> Detections:
    """Candidates of a trained detector on any RGB image, in that image's pixels."""
    from dl_core.detection import yolo

    size = int(model.input_shape[1] or yolo.VOC_SIZE)
    square, scale, (ox, oy) = letterbox(image, size)
    boxes, scores = yolo.raw_predictions(model, square[None])
    cands = candidates(boxes[0], scores[0], min_score)
    cands.boxes = (cands.boxes - [ox, oy, ox, oy]) / scale
    h, w = image.shape[:2]
    cands.boxes = np.clip(cands.boxes, 0, [w, h, w, h])
    return cands


def predict_scenes(
    model: Any, images: np.ndarray, min_score: float = 0.05, iou_threshold: float = 0.5,
    max_detections: int = 20,
) -> list[Detections]:  # fmt: skip
    """Final detections on square scenes of the model's size (for mAP and previews)."""
    from dl_core.detection import yolo

    boxes, scores = yolo.raw_predictions(model, images)
    out = []
    for b, s in zip(boxes, scores, strict=True):
        filtered, res = postprocess(candidates(b, s, min_score), min_score, iou_threshold,
                                    None, max_detections)  # fmt: skip
        out.append(filtered.take(res.keep))
    return out


def evaluate(
    dets: list[Detections], gt_boxes: np.ndarray, gt_classes: np.ndarray,
    thresholds: tuple[float, ...] = (0.5,),
) -> dict[str, Any]:  # fmt: skip
    """mAP of detections against padded ground truth (see :func:`boxes.mean_average_precision`)."""
    preds = [(d.boxes, d.scores, d.classes) for d in dets]
    truth = [unpad(b, c) for b, c in zip(gt_boxes, gt_classes, strict=True)]
    return mean_average_precision(preds, truth, len(CLASSES), thresholds)


HEAD_EXPLAINED = """
Older detectors (Faster R-CNN, YOLOv2-v5, RetinaNet) start from **anchor boxes**: a few
hand-picked box sizes and shapes at every grid cell, each predicting a correction. YOLOv8 is
**anchor-free**: every cell centre of three grids (strides 8, 16 and 32 pixels, for small,
medium and large objects) is an *anchor point* that predicts

* **class scores**, one sigmoid per class (no separate "objectness"), and
* **four distances** from the point to the box's left, top, right and bottom edges, each as a
  probability over 16 bins; the expected value is the distance (distribution focal loss).

A task-aligned assigner picks, for each true box, the points inside it whose score and IoU
are both high. The **box loss** (complete IoU) grows as the predicted box overlaps less, its
centre drifts and its aspect ratio differs; the **class loss** (binary cross-entropy) pushes
assigned points' scores towards their IoU and all other scores towards zero. Many points
fire on the same object, which is why NMS is needed afterwards.
"""


# -- training ------------------------------------------------------------------------------
def scene_kwargs(cfg: Config) -> dict[str, Any]:
    return dict(
        size=cfg.image_size, max_objects=cfg.max_objects, max_occlusion=cfg.max_occlusion,
        texture=cfg.texture,
    )  # fmt: skip


def validation_scenes(cfg: Config) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The held-out scenes (the same for every seed, so runs compare)."""
    return make_scenes(cfg.n_val, VAL_SEED, **scene_kwargs(cfg))


def train(cfg: Config, data: bytes | None, report) -> dict[str, Any]:
    """Train YOLOv8 on generated scenes; mAP@0.5 on held-out scenes after every epoch.

    Runs in a worker. Progress: box and class losses every batch; each epoch adds
    ``val_map50`` (on up to 64 held-out scenes) and a preview (predictions on one fixed
    held-out scene). Returns the model, the history, the final mAP@0.5 and mAP@0.5:0.95
    on all ``n_val`` held-out scenes and a few of them for the page.
    """
    validate(cfg)
    import keras

    from dl_core.detection import plots, yolo

    report(message="generating scenes")
    x, b, c = make_scenes(cfg.n_train, cfg.seed * 7919 + 1, **scene_kwargs(cfg))
    vx, vb, vc = validation_scenes(cfg)
    keras.utils.set_random_seed(cfg.seed)
    model = yolo.build_detector(len(CLASSES), cfg.image_size, cfg.width, cfg.depth)
    yolo.compile_detector(model, cfg.learning_rate, cfg.eager)
    data_seq = yolo.SceneBatches(x, b, c, cfg.batch_size, cfg.seed)
    steps = len(data_seq)
    history: dict[str, list[float]] = {"val_map50": [], "elapsed_s": []}
    t0 = time.time()
    n_eval = min(64, cfg.n_val)
    state: dict[str, Any] = {}

    class _Epoch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            state.setdefault("first_step_s", time.time() - t0)  # mostly graph compilation
            if cfg.time_budget_s and time.time() - t0 > cfg.time_budget_s:
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            dets = predict_scenes(self.model, vx[:n_eval])
            score = evaluate(dets, vb[:n_eval], vc[:n_eval])["map"]
            logs["val_map50"] = score
            history["val_map50"].append(score)
            history["elapsed_s"].append(time.time() - t0)
            state["preview"] = plots.draw_boxes(vx[0], dets[0], CLASSES)

    report(message="compiling the training graph" if not cfg.eager else "training")
    fit = model.fit(
        data_seq, epochs=cfg.epochs, verbose=0,
        callbacks=[_Epoch(), report.keras_callback(cfg.epochs, steps, lambda e: state["preview"])],
    )  # fmt: skip
    for k, v in fit.history.items():
        if k not in history:
            history[k] = [float(f) for f in v]
    seconds = time.time() - t0
    dets = predict_scenes(model, vx)
    final = evaluate(dets, vb, vc, COCO_THRESHOLDS)
    return {
        "model": model,
        "history": history,
        "map50": float(np.nanmean(final["ap"][0])),
        "map50_95": final["map"],
        "ap50_per_class": [None if np.isnan(a) else float(a) for a in final["ap"][0]],
        "train_seconds": seconds,
        "first_step_s": state.get("first_step_s", seconds),
        "steps_run": int(keras.ops.convert_to_numpy(model.optimizer.iterations)),
        "epochs_run": len(history["val_map50"]),
        "val_images": vx[:8],
        "val_boxes": vb[:8],
        "val_classes": vc[:8],
    }


def load_detector(result: Any) -> Any:
    """The trained YOLOv8 from a job result (imports keras-cv first, so it deserialises)."""
    from dl_core.detection import yolo  # noqa: F401

    return result["model"]


def warmup_jobs() -> list[tuple]:
    return [(train, PRESETS["default"], None, "YOLOv8 · default")]


__all__ = [
    "CLASSES", "COCO_THRESHOLDS", "Config", "Detections", "HEAD_EXPLAINED", "MAX_SIDE", "PRESETS",
    "VAL_SEED", "VOC_CLASSES", "candidates", "detect", "detection_table", "evaluate",
    "fit_within", "iou", "iou_matrix", "letterbox", "load_detector", "make_scenes", "nms",
    "postprocess", "predict_scenes", "scene_kwargs", "train", "unpad", "validate",
    "validation_scenes", "warmup_jobs",
]  # fmt: skip
