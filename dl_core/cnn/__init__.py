"""Convolutional networks: the convolution by hand, a pretrained ImageNet network opened up
(filters, feature maps, Grad-CAM, SmoothGrad, activation maximisation), and a small CNN the
visitor trains.

- :mod:`dl_core.cnn.convolution`: the operation in NumPy, kernels, output sizes.
- :mod:`dl_core.cnn.config`: ``Config``, ``PRESETS``, ``validate``.
- :mod:`dl_core.cnn.data`: the data sets and the train/test split.
- :mod:`dl_core.cnn.model`: the model and its optimizer.
- :mod:`dl_core.cnn.train`: ``train`` (a job) and ``warmup_jobs``.
- :mod:`dl_core.cnn.layers`: the layers of any Keras CNN (nested models expanded), filters,
  and turning a photo into a model's input.
- :mod:`dl_core.cnn.analysis`: analysis on any Keras CNN, nested models included —
  :func:`grad_cam`, :func:`smoothgrad`, :func:`activation_maximisation`, feature maps;
  the accuracy's interval on few test images.
- :mod:`dl_core.cnn.plots`: the page's ``plot_*`` figures.

Grad-CAM from another page (e.g. transfer learning, where the ImageNet network is a layer)::

    from dl_core.cnn import grad_cam            # = dl_core.cnn.analysis.grad_cam
    heat = grad_cam(model, batch, class_index)  # (N, h, w) in [0, 1]; batch preprocessed
    overlay = viz.overlay(image_uint8, heat[0], alpha=0.5)

``layer_name=None`` picks the last convolution at any depth (after its batch-norm/activation);
pass a layer name (searched inside nested models too) to choose another one.

LeCun et al. 1998 (LeNet); Selvaraju et al. 2017 (Grad-CAM); Smilkov et al. 2017
(SmoothGrad); Olah et al. 2017 (Feature Visualization).
"""

from dl_core.cnn.config import (
    CHOICES,
    DATASETS,
    OPTIMIZERS,
    POOLINGS,
    PRESETS,
    UPLOAD_SIZE,
    Config,
    validate,
)
from dl_core.cnn.data import load_data
from dl_core.cnn.model import build_model
from dl_core.cnn.train import train, warmup_jobs

__all__ = [
    "CHOICES",
    "DATASETS",
    "OPTIMIZERS",
    "POOLINGS",
    "PRESETS",
    "UPLOAD_SIZE",
    "Config",
    "build_model",
    "load_data",
    "train",
    "validate",
    "warmup_jobs",
    "grad_cam",
]


def __getattr__(name: str):
    # analysis imports Keras (seconds): load it on first use.
    if name in ("grad_cam", "smoothgrad", "activation_maximisation", "last_conv_layer"):
        from dl_core.cnn import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
