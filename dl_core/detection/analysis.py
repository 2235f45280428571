"""Detections in NumPy: candidates, thresholds and NMS, letterboxing, mAP on scenes.

Arrays in, arrays out: a detector's raw boxes and scores become :class:`Detections`, and
held-out scenes get their mean average precision (:mod:`.boxes` does the geometry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dl_core.detection.boxes import NMSResult, mean_average_precision, nms
from dl_core.detection.data import CLASSES, unpad

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
            "x1": b[:, 0],
            "y1": b[:, 1],
            "x2": b[:, 2],
            "y2": b[:, 3],
        }
    )


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
    from dl_core.detection import model as yolo

    size = int(model.input_shape[1] or yolo.VOC_SIZE)
    square, scale, (ox, oy) = letterbox(image, size)
    boxes, scores = yolo.raw_predictions(model, square[None])
    cands = candidates(boxes[0], scores[0], min_score)
    cands.boxes = (cands.boxes - [ox, oy, ox, oy]) / scale
    h, w = image.shape[:2]
    cands.boxes = np.clip(cands.boxes, 0, [w, h, w, h])
    return cands


def predict_scenes(
    model: Any,
    images: np.ndarray,
    min_score: float = 0.05,
    iou_threshold: float = 0.5,
    max_detections: int = 20,
) -> list[Detections]:
    """Final detections on square scenes of the model's size (for mAP and previews)."""
    from dl_core.detection import model as yolo

    boxes, scores = yolo.raw_predictions(model, images)
    out = []
    for b, s in zip(boxes, scores, strict=True):
        filtered, res = postprocess(
            candidates(b, s, min_score), min_score, iou_threshold, None, max_detections
        )
        out.append(filtered.take(res.keep))
    return out


def evaluate(
    dets: list[Detections],
    gt_boxes: np.ndarray,
    gt_classes: np.ndarray,
    thresholds: tuple[float, ...] = (0.5,),
) -> dict[str, Any]:
    """mAP of detections against padded ground truth (see :func:`boxes.mean_average_precision`)."""
    preds = [(d.boxes, d.scores, d.classes) for d in dets]
    truth = [unpad(b, c) for b, c in zip(gt_boxes, gt_classes, strict=True)]
    return mean_average_precision(preds, truth, len(CLASSES), thresholds)
