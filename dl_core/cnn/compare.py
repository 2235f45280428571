"""Two trained CNNs side by side, and one CNN at any saved epoch.

- :func:`views_at`: the live views of a small CNN (first-layer or chosen filters, feature
  maps, Grad-CAM) on one test image, for a model rewound to a checkpoint
  (:func:`dl_core.checkpoints.model_at`).
- :func:`difference`: the figures that say how run B differs from run A (accuracy and loss
  deltas on one chart, the confusion-matrix difference).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

from dl_core import viz
from dl_core.cnn import analysis, layers, plots

METRICS = ("accuracy", "val_accuracy", "loss", "val_loss")


def test_image(result: Mapping[str, Any], index: int) -> np.ndarray:
    """Test image ``index`` (wrapped) of a CNN run as RGB uint8."""
    x = np.asarray(result["x_test"])
    img = x[int(index) % len(x)]
    return np.repeat(img, 3, axis=-1) if img.shape[-1] == 1 else img


def views_at(
    model: Any,
    image: np.ndarray,
    layer: str,
    class_index: int | None,
    class_names: list[str],
    k_maps: int = 16,
) -> dict[str, Any]:
    """The live views of ``model`` on one RGB uint8 ``image``.

    Args:
        layer: the convolution whose filters and feature maps to show.
        class_index: the class Grad-CAM explains (``None``: the model's top prediction).

    Returns:
        ``{"filters", "maps", "cam": Figure, "probs": (classes,), "class": int}``.
    """
    net = layers.network_inputs("trained", model, image, class_names)
    probs = analysis.predict(model, net["batch"])[0]
    cls = int(np.argmax(probs)) if class_index is None else int(class_index)
    heat = analysis.grad_cam(model, net["batch"], cls)[0]
    fmap = analysis.activations(model, net["batch"], layer)[0]
    cam = plots.plot_explanations(net["shown"], {"Grad-CAM": heat}, 0.5)
    return {
        "filters": plots.plot_filters(layers.filters(model, layer), max_filters=16),
        "maps": plots.plot_feature_maps(fmap, k_maps, cols=4),
        "cam": cam,
        "probs": probs,
        "class": cls,
        "heat": heat,
    }


def difference(
    a: Mapping[str, Any], b: Mapping[str, Any], names: tuple[str, str]
) -> list[go.Figure]:
    """How run ``b`` differs from run ``a``: metric deltas per epoch, and (when both ran
    on the same classes) the confusion-matrix difference."""
    figs = [viz.curve_deltas(a["history"], b["history"], names, METRICS)]
    if list(a["class_names"]) == list(b["class_names"]):
        figs.append(
            viz.confusion_difference(a["confusion"], b["confusion"], a["class_names"], names)
        )
    return figs
