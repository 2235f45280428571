"""Two trained detectors side by side, and one detector at any saved epoch.

- :func:`boxes_at`: the boxes a model (the final one, or one rewound to a checkpoint with
  :func:`dl_core.checkpoints.model_at`) finds on one held-out scene.
- :func:`difference`: mAP and loss deltas per epoch on one chart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

from dl_core import viz
from dl_core.detection.analysis import Detections, predict_scenes

METRICS = ("val_map50", "loss", "box_loss", "class_loss")
MIN_SCORE = 0.25  # boxes shown on the rewound scene ...
AT_LEAST = 3  # ... and at least this many of the best, so an early epoch shows its guesses


def boxes_at(model: Any, image: np.ndarray, max_boxes: int = 10) -> Detections:
    """The boxes ``model`` finds on one square scene after NMS: those scoring at least
    :data:`MIN_SCORE`, and never fewer than the :data:`AT_LEAST` best ones (an early,
    unsure model still shows where it looks), at most ``max_boxes``."""
    found = predict_scenes(model, np.asarray(image)[None], 0.0, max_detections=max_boxes)[0]
    order = np.argsort(-np.asarray(found.scores), kind="stable")
    sure = int(np.sum(np.asarray(found.scores) >= MIN_SCORE))
    return found.take(order[: max(sure, min(AT_LEAST, len(order)))])


def difference(a: Mapping[str, Any], b: Mapping[str, Any], names: tuple[str, str]) -> go.Figure:
    """Held-out mAP@0.5 and the training losses of run ``b`` minus run ``a``, per epoch."""
    return viz.curve_deltas(a["history"], b["history"], names, METRICS)
