"""Box arithmetic every detector needs, in NumPy: IoU, non-maximum suppression, mAP.

Boxes are ``(x1, y1, x2, y2)`` in pixels, ``x2 > x1`` and ``y2 > y1``, (N, 4) float arrays.

- IoU (intersection over union) of two boxes: area of the overlap / area of the union.
- NMS (greedy non-maximum suppression, as in R-CNN and every YOLO): sort candidates by
  score; keep the best; drop every remaining candidate whose IoU with it exceeds a
  threshold; repeat with the next survivor. :func:`nms` also records *who suppressed whom*,
  which the page draws.
- AP (average precision, PASCAL VOC 2010+ "all-point" interpolation): rank one class's
  detections over all images by score, match each to the best still-unmatched ground-truth
  box with IoU >= t, and take the area under the precision-recall curve after making
  precision monotone. mAP averages AP over classes; COCO's mAP@0.5:0.95 also averages
  over t = 0.50, 0.55, ..., 0.95 (Everingham et al. 2010; Lin et al. 2014).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def as_boxes(boxes: np.ndarray | Sequence) -> np.ndarray:
    """Boxes as a float64 (N, 4) array (an empty input gives shape (0, 4))."""
    arr = np.asarray(boxes, dtype="float64")
    return arr.reshape(-1, 4)


def area(boxes: np.ndarray) -> np.ndarray:
    """Area of each box; degenerate boxes have area 0.  # (N,)"""
    b = as_boxes(boxes)
    return np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``a`` with every box in ``b``.  # (len(a), len(b))"""
    a, b = as_boxes(a), as_boxes(b)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    union = area(a)[:, None] + area(b)[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two boxes ``(x1, y1, x2, y2)``."""
    return float(iou_matrix(a, b)[0, 0])


# -- non-maximum suppression ---------------------------------------------------------------
@dataclass
class NMSResult:
    """What greedy NMS did, step by step.

    Attributes:
        keep: indices of kept boxes, best score first.
        order: indices of all candidates in the order NMS visited them (by score).
        suppressed_by: for each candidate, the index of the kept box that removed it,
            or -1 if it was kept.
        suppress_iou: for each candidate, the IoU with its suppressor (0 if kept).
    """

    keep: np.ndarray
    order: np.ndarray
    suppressed_by: np.ndarray
    suppress_iou: np.ndarray


def nms(
    boxes: np.ndarray,
    scores: np.ndarray,
    iou_threshold: float = 0.5,
    classes: np.ndarray | None = None,
    max_detections: int | None = None,
) -> NMSResult:
    """Greedy non-maximum suppression; boxes of different classes never suppress each other.

    A candidate is removed when its IoU with a higher-scoring kept box of the same class is
    strictly greater than ``iou_threshold`` (so a threshold of 1 keeps everything and 0
    keeps only boxes that do not overlap any better box at all).

    Args:
        boxes: (N, 4) candidates.
        scores: (N,) confidences.
        iou_threshold: overlap above which the lower-scoring box goes.
        classes: optional (N,) class ids (per-class NMS); None = class-agnostic.
        max_detections: keep at most this many (the best ones).
    """
    b = as_boxes(boxes)
    s = np.asarray(scores, dtype="float64").reshape(-1)
    n = len(b)
    cls = np.zeros(n, int) if classes is None else np.asarray(classes).reshape(-1)
    order = np.argsort(-s, kind="stable")
    suppressed_by = np.full(n, -1, dtype=int)
    suppress_iou = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    keep: list[int] = []
    ious = iou_matrix(b, b)
    same = cls[:, None] == cls[None, :]
    for i in order:
        if not alive[i]:
            continue
        if max_detections is not None and len(keep) >= max_detections:
            alive[i] = False  # over the budget: dropped, not suppressed by anyone
            continue
        keep.append(int(i))
        alive[i] = False
        hit = alive & same[i] & (ious[i] > iou_threshold)
        suppressed_by[hit] = i
        suppress_iou[hit] = ious[i][hit]
        alive &= ~hit
    return NMSResult(np.array(keep, dtype=int), order.astype(int), suppressed_by, suppress_iou)


def suppression_pair(result: NMSResult, step: int) -> tuple[int, int] | None:
    """(kept box of NMS step ``step`` (1-based), the box it suppressed with the largest IoU),
    or None when that step suppressed nothing."""
    if step < 1 or step > len(result.keep):
        return None
    kept = int(result.keep[step - 1])
    victims = np.nonzero(result.suppressed_by == kept)[0]
    if victims.size == 0:
        return None
    return kept, int(victims[np.argmax(result.suppress_iou[victims])])


# -- mean average precision ----------------------------------------------------------------
def match_detections(
    det_boxes: np.ndarray, det_scores: np.ndarray, gt_boxes: np.ndarray, iou_threshold: float
) -> np.ndarray:
    """True-positive flags for one image and one class, in descending score order.

    Each detection (best score first) takes the unmatched ground-truth box it overlaps
    most, if that IoU is >= ``iou_threshold``; otherwise it is a false positive.
    """
    order = np.argsort(-np.asarray(det_scores, dtype="float64"), kind="stable")
    ious = iou_matrix(as_boxes(det_boxes)[order], gt_boxes)
    taken = np.zeros(ious.shape[1], dtype=bool)
    tp = np.zeros(len(order), dtype=bool)
    for k in range(len(order)):
        if ious.shape[1] == 0:
            break
        cand = np.where(taken, -1.0, ious[k])
        j = int(np.argmax(cand))
        if cand[j] >= iou_threshold:
            taken[j] = True
            tp[k] = True
    return tp


def average_precision(tp: np.ndarray, scores: np.ndarray, n_gt: int) -> float:
    """Area under the monotone precision-recall curve (all-point interpolation).

    Args:
        tp: true-positive flag of each detection (pooled over images).
        scores: their confidences.
        n_gt: number of ground-truth boxes of this class.

    Returns:
        AP in [0, 1]; NaN when there is no ground truth and no detection.
    """
    if n_gt == 0:
        return float("nan") if len(tp) == 0 else 0.0
    order = np.argsort(-np.asarray(scores, dtype="float64"), kind="stable")
    hits = np.asarray(tp, dtype="float64")[order]
    ctp, cfp = np.cumsum(hits), np.cumsum(1 - hits)
    recall = ctp / n_gt
    precision = ctp / np.maximum(ctp + cfp, 1e-12)
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[1.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]  # precision envelope: best precision at >= recall
    steps = np.where(r[1:] != r[:-1])[0]
    return float(np.sum((r[steps + 1] - r[steps]) * p[steps + 1]))


def mean_average_precision(
    predictions: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    ground_truth: Sequence[tuple[np.ndarray, np.ndarray]],
    n_classes: int,
    iou_thresholds: Sequence[float] = (0.5,),
) -> dict[str, object]:
    """mAP over a data set.

    Args:
        predictions: per image ``(boxes (N,4), scores (N,), classes (N,))``.
        ground_truth: per image ``(boxes (M,4), classes (M,))``.
        n_classes: number of classes.
        iou_thresholds: e.g. ``(0.5,)`` for mAP@0.5, ``np.arange(0.5, 0.96, 0.05)`` for COCO.

    Returns:
        ``{"map": float, "ap": (T, C) array of AP per threshold and class (NaN = class absent),
        "iou_thresholds": list}``.
    """
    if len(predictions) != len(ground_truth):
        raise ValueError("predictions and ground_truth must have one entry per image")
    ap = np.full((len(iou_thresholds), n_classes), np.nan)
    for t, thr in enumerate(iou_thresholds):
        for c in range(n_classes):
            tps, scs, n_gt = [], [], 0
            for (pb, ps, pc), (gb, gc) in zip(predictions, ground_truth, strict=True):
                pm = np.asarray(pc).reshape(-1) == c
                gm = np.asarray(gc).reshape(-1) == c
                g = as_boxes(gb)[gm]
                n_gt += len(g)
                s = np.asarray(ps, dtype="float64").reshape(-1)[pm]
                tps.append(match_detections(as_boxes(pb)[pm], s, g, thr))
                scs.append(np.sort(s)[::-1])
            ap[t, c] = average_precision(np.concatenate(tps), np.concatenate(scs), n_gt)
    valid = ap[~np.isnan(ap)]
    return {
        "map": float(valid.mean()) if valid.size else 0.0,
        "ap": ap,
        "iou_thresholds": [float(t) for t in iou_thresholds],
    }


COCO_THRESHOLDS = tuple(float(t) for t in np.round(np.arange(0.5, 0.951, 0.05), 2))
