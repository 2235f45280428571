"""Two trained segmenters side by side, and one segmenter at any saved epoch.

- :func:`masks_at`: the predicted masks of the held-out images for a model rewound to a
  checkpoint (:func:`dl_core.checkpoints.model_at`).
- :func:`disagreement`: the pixels where two runs' masks differ (drawn by
  :func:`dl_core.segmentation.plots.plot_disagreement`).
- :func:`difference`: loss and held-out IoU deltas per epoch on one chart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

from dl_core import viz

METRICS = ("val_mean_iou", "val_pixel_accuracy", "loss")


def masks_at(model: Any, images: np.ndarray) -> np.ndarray:
    """Class id per pixel, ``(N, H, W)`` uint8, of float images in [0, 1] (one direct call:
    no ``predict`` loop to build for a handful of images)."""
    import keras

    probs = model(np.asarray(images, "float32"), training=False)
    return np.argmax(keras.ops.convert_to_numpy(probs), axis=-1).astype("uint8")


def disagreement(pred_a: np.ndarray, pred_b: np.ndarray) -> np.ndarray:
    """``(N, H, W)`` bool: pixels where the two runs predict different classes."""
    return np.asarray(pred_a) != np.asarray(pred_b)


def difference(a: Mapping[str, Any], b: Mapping[str, Any], names: tuple[str, str]) -> go.Figure:
    """Held-out IoU, pixel accuracy and loss of run ``b`` minus run ``a``, per epoch."""
    return viz.curve_deltas(a["history"], b["history"], names, METRICS)
