"""A pretrained face detector that works offline: MTCNN from the ``mtcnn`` package.

MTCNN (Zhang et al. 2016, "Joint Face Detection and Alignment using Multi-task Cascaded
Convolutional Networks") runs three small CNNs in a cascade: P-Net proposes boxes on an image
pyramid, R-Net refines them, O-Net scores them and adds five landmarks (eyes, nose, mouth
corners). Its weights ship inside the wheel; it runs on TensorFlow, so it is imported here
only, on first use.

:func:`face_candidates` asks O-Net for its boxes *without* MTCNN's later NMS steps (IoU
threshold 1), so the page can run our own :func:`dl_core.detection.boxes.nms` on real candidates.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from dl_core.detection.boxes import nms

LANDMARKS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
MIN_FACE_SIDE = 20  # pixels; smaller faces are not searched for


@dataclass
class Faces:
    """Face candidates in one image."""

    boxes: np.ndarray  # (N, 4) x1 y1 x2 y2
    scores: np.ndarray  # (N,)
    landmarks: np.ndarray  # (N, 5, 2) x, y in LANDMARKS order


@functools.lru_cache(maxsize=1)
def face_model():
    """The MTCNN cascade (weights from the wheel; loaded once per process)."""
    from mtcnn import MTCNN

    return MTCNN(device="CPU:0")


def face_candidates(image: np.ndarray, min_score: float = 0.5) -> Faces:
    """MTCNN's final-stage face boxes before its cross-scale and later NMS steps, with scores
    >= ``min_score``.

    Args:
        image: (H, W, 3) RGB uint8.
        min_score: O-Net confidence threshold (MTCNN's own default is 0.8).
    """
    img = np.ascontiguousarray(np.asarray(image, dtype="uint8")[..., :3])
    if min(img.shape[:2]) < 12:
        return Faces(np.zeros((0, 4)), np.zeros(0), np.zeros((0, 5, 2)))
    found = face_model().detect_faces(
        img,
        box_format="xyxy",
        threshold_onet=float(min_score),
        nms_pnet2=1.0,  # keep overlapping proposals through the cascade:
        nms_rnet=1.0,  # the final NMS is ours, and visible
        nms_onet=1.0,
        min_face_size=MIN_FACE_SIDE,
    )
    if isinstance(found, dict):
        found = [found]
    boxes = np.array([f["box"] for f in found], dtype="float64").reshape(-1, 4)
    scores = np.array([f["confidence"] for f in found], dtype="float64").reshape(-1)
    marks = np.array(
        [[f["keypoints"][k] for k in LANDMARKS] for f in found], dtype="float64"
    ).reshape(-1, 5, 2)
    return Faces(boxes, scores, marks)


def detect_faces(image: np.ndarray, min_score: float = 0.8, iou_threshold: float = 0.5) -> Faces:
    """Faces after NMS (our greedy NMS on MTCNN's candidates), best first."""
    cands = face_candidates(image, min_score)
    keep = nms(cands.boxes, cands.scores, iou_threshold).keep
    return Faces(cands.boxes[keep], cands.scores[keep], cands.landmarks[keep])
