"""Two trained segmenters side by side, and one segmenter at any saved epoch.

- :func:`masks_at`: the predicted masks of the held-out images for a model rewound to a
  checkpoint (:func:`dl_core.checkpoints.model_at`).
- :func:`disagreement` / :func:`plot_disagreement`: the pixels where two runs' masks differ.
- :func:`difference`: loss and held-out IoU deltas per epoch on one chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from dl_core import viz
from dl_core.segmentation.analysis import colourise

METRICS = ("val_mean_iou", "val_pixel_accuracy", "loss")
DISAGREE = np.array([213, 94, 0], np.uint8)  # vermillion (Okabe & Ito)


def masks_at(model: Any, images: np.ndarray) -> np.ndarray:
    """Class id per pixel, ``(N, H, W)`` uint8, of float images in [0, 1] (one direct call:
    no ``predict`` loop to build for a handful of images)."""
    import keras

    probs = model(np.asarray(images, "float32"), training=False)
    return np.argmax(keras.ops.convert_to_numpy(probs), axis=-1).astype("uint8")


def disagreement(pred_a: np.ndarray, pred_b: np.ndarray) -> np.ndarray:
    """``(N, H, W)`` bool: pixels where the two runs predict different classes."""
    return np.asarray(pred_a) != np.asarray(pred_b)


def plot_disagreement(
    images: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    class_names: Sequence[str],
    names: tuple[str, str] = ("A", "B"),
    n: int = 6,
) -> go.Figure:
    """Rows: A's masks, B's masks, and the images with the pixels where they disagree
    painted vermillion (each titled with the share of disagreeing pixels)."""
    n = min(n, len(images))
    k = len(class_names)
    off = disagreement(pred_a[:n], pred_b[:n])
    marked = []
    for img, bad in zip(images[:n], off, strict=True):
        grey = viz.to_uint8(img).mean(axis=-1, keepdims=True).repeat(3, axis=-1).astype(np.uint8)
        grey[bad] = DISAGREE
        marked.append(grey)
    cells = [*[colourise(m, k) for m in pred_a[:n]], *[colourise(m, k) for m in pred_b[:n]]]
    titles = [f"{names[0]} mask" if i == 0 else "" for i in range(n)]
    titles += [f"{names[1]} mask" if i == 0 else "" for i in range(n)]
    titles += [f"differ: {d.mean():.0%}" for d in off]
    return viz.image_grid([*cells, *marked], titles=titles, cols=n, cell=110)


def difference(a: Mapping[str, Any], b: Mapping[str, Any], names: tuple[str, str]) -> go.Figure:
    """Held-out IoU, pixel accuracy and loss of run ``b`` minus run ``a``, per epoch."""
    return viz.curve_deltas(a["history"], b["history"], names, METRICS)
