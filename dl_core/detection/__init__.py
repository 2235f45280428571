"""Object detection: find every object in an image, with a box, a class and a score.

A detector scores thousands of candidate boxes at once; non-maximum suppression (NMS) then
keeps the best box per object, and mean average precision (mAP) measures the result.
This topic trains keras-cv's YOLOv8 (Jocher et al. 2023; anchor-free head, see
:mod:`dl_core.detection.model`) from scratch on generated scenes whose boxes are known
exactly, and runs a pretrained MTCNN face detector (Zhang et al. 2016) on photos.

Layout, top to bottom: :mod:`.config` (``Config``, ``PRESETS``, ``validate``), :mod:`.data`
(generated scenes), :mod:`.model` (YOLOv8: the only module that imports keras-cv),
:mod:`.train` (``train``), :mod:`.boxes` (IoU, NMS, mAP in NumPy), :mod:`.analysis` (detections,
thresholds, mAP on scenes), :mod:`.faces` (the pretrained detector), :mod:`.plots` (figures).
"""

from dl_core.detection.analysis import (
    MAX_SIDE,
    VOC_CLASSES,
    Detections,
    candidates,
    detect,
    detection_table,
    evaluate,
    fit_within,
    letterbox,
    postprocess,
    predict_scenes,
)
from dl_core.detection.boxes import COCO_THRESHOLDS, iou, iou_matrix, nms
from dl_core.detection.config import PRESETS, Config, validate
from dl_core.detection.data import CLASSES, make_scenes, unpad
from dl_core.detection.train import (
    HEAD_EXPLAINED,
    VAL_SEED,
    load_detector,
    scene_kwargs,
    train,
    validation_scenes,
    warmup_jobs,
)

__all__ = [
    "CLASSES",
    "COCO_THRESHOLDS",
    "Config",
    "Detections",
    "HEAD_EXPLAINED",
    "MAX_SIDE",
    "PRESETS",
    "VAL_SEED",
    "VOC_CLASSES",
    "candidates",
    "detect",
    "detection_table",
    "evaluate",
    "fit_within",
    "iou",
    "iou_matrix",
    "letterbox",
    "load_detector",
    "make_scenes",
    "nms",
    "postprocess",
    "predict_scenes",
    "scene_kwargs",
    "train",
    "unpad",
    "validate",
    "validation_scenes",
    "warmup_jobs",
]
