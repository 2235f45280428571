"""The layers of a Keras CNN, nested models included, and getting images into it.

:func:`walk` lists every layer with nested models expanded in place, so a transfer-learning
classifier (``Sequential([backbone, pooling, Dense])``) is browsed like one flat network;
:func:`network_inputs` turns an RGB photo into what a model expects (ImageNet preprocessing
for the ImageNet networks, pixels in [0, 1] for the CNNs trained on this page).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from dl_core.errors import UploadError

CONV_TYPES = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D)
_FOLLOWERS = (  # layers that finish a conv block: Grad-CAM uses the block's output
    keras.layers.BatchNormalization,
    keras.layers.ReLU,
    keras.layers.Activation,
    keras.layers.Add,
)


# -- finding layers, nested models included ------------------------------------------------------
def walk(model: keras.Model) -> list[keras.layers.Layer]:
    """Every layer, input to output, with nested models expanded in place (not listed)."""
    out: list[keras.layers.Layer] = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out.extend(walk(layer))
        elif not isinstance(layer, keras.layers.InputLayer):
            out.append(layer)
    return out


def find_layer(model: keras.Model, name: str) -> keras.layers.Layer:
    """The layer called ``name`` at any depth of ``model``.

    Raises:
        ValueError: no layer has that name.
    """
    for layer in walk(model):
        if layer.name == name:
            return layer
    raise ValueError(f"The model has no layer called '{name}'.")


def conv_layers(model: keras.Model) -> list[str]:
    """Names of the convolution layers (Conv2D, DepthwiseConv2D, SeparableConv2D), in order."""
    return [layer.name for layer in walk(model) if isinstance(layer, CONV_TYPES)]


def last_conv_layer(model: keras.Model) -> str:
    """The layer Grad-CAM uses by default: the last convolution layer (at any depth), or the
    batch-norm / residual add / activation right after it when they follow (so the map is what
    the next layers see: EfficientNet's ``top_activation``, ResNet50's ``conv5_block3_out``).

    Raises:
        ValueError: the model has no convolution layer.
    """
    layers = walk(model)
    idx = [i for i, layer in enumerate(layers) if isinstance(layer, CONV_TYPES)]
    if not idx:
        raise ValueError("The model has no convolution layer, so Grad-CAM has nothing to use.")
    i = idx[-1]
    while i + 1 < len(layers) and isinstance(layers[i + 1], _FOLLOWERS):
        i += 1
    return layers[i].name


def output_shape(layer: keras.layers.Layer) -> tuple | None:
    """A layer's output shape without the batch axis, or None when unknown."""
    try:
        return tuple(layer.output.shape[1:])
    except (AttributeError, ValueError):
        return None


def layer_table(model: keras.Model) -> list[dict[str, Any]]:
    """One row per layer (nested models expanded): name, type, output shape, parameters."""
    return [
        {
            "name": layer.name,
            "type": type(layer).__name__,
            "shape": output_shape(layer),
            "params": int(layer.count_params()) if layer.built else 0,
        }
        for layer in walk(model)
    ]


def check_cnn(model: keras.Model) -> None:
    """Raise UploadError unless ``model`` takes images and has a convolution layer."""
    shape = getattr(model, "input_shape", None)
    if not isinstance(shape, tuple) or len(shape) != 4:
        raise UploadError(
            f"This model takes inputs of shape {shape}, not images (batch, height, width, "
            "channels), so it is not a CNN this page can explore."
        )
    if not conv_layers(model):
        raise UploadError(
            "This model has no convolution layer (Conv2D, DepthwiseConv2D or SeparableConv2D), "
            "so it is not a CNN. Please upload a convolutional network."
        )


def top_channels(maps: np.ndarray, k: int = 16) -> np.ndarray:
    """Indices of the ``k`` channels of ``(h, w, C)`` maps with the highest mean activation."""
    return np.argsort(-np.asarray(maps).reshape(-1, maps.shape[-1]).mean(axis=0), kind="stable")[:k]


def filters(model: keras.Model, layer_name: str) -> np.ndarray:
    """A convolution layer's kernel ``(kh, kw, in_channels, filters)``; for depthwise (and
    separable) layers the depthwise kernel ``(kh, kw, channels, multiplier)``."""
    layer = find_layer(model, layer_name)
    if not isinstance(layer, CONV_TYPES):
        raise ValueError(f"'{layer_name}' is not a convolution layer.")
    kernel = layer.depthwise_kernel if hasattr(layer, "depthwise_kernel") else layer.kernel
    return _numpy(kernel).astype(np.float32)


# -- inputs for models other than the ImageNet ports -----------------------------------------
def model_input(model: keras.Model, image: np.ndarray) -> np.ndarray:
    """An RGB uint8 image as a ``(1, H, W, C)`` batch for ``model``: resized to its input
    size, greyscale when it takes one channel, pixels scaled to [0, 1] (the convention of
    the CNNs trained on this page)."""
    _, h, w, c = model.input_shape
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 2:
        img = img[..., None]
    if c == 1 and img.shape[-1] == 3:
        img = img @ np.array([[0.299], [0.587], [0.114]], dtype=np.float32)
    elif c == 3 and img.shape[-1] == 1:
        img = np.repeat(img, 3, axis=-1)
    if (h, w) != img.shape[:2]:
        img = _numpy(
            ops.image.resize(img[None], (h or img.shape[0], w or img.shape[1]), antialias=True)
        )[0]
    return (np.clip(img, 0, 255) / 255.0)[None].astype(np.float32)


def display_image(image: np.ndarray, size: int, crop: float = 1.0) -> np.ndarray:
    """The central ``crop`` square of an RGB uint8 image resized to ``size`` (what a model
    sees, for overlays); ``crop=0.875`` matches :func:`dl_core.assets.imagenet.preprocess`."""
    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    h, w = img.shape[:2]
    side = max(1, int(round(min(h, w) * crop)))
    top, left = (h - side) // 2, (w - side) // 2
    sq = img[top : top + side, left : left + side, :3].astype(np.float32)
    out = _numpy(ops.image.resize(sq[None], (size, size), antialias=True))[0]
    return np.clip(out, 0, 255).round().astype(np.uint8)


def network_inputs(
    source: str, model: keras.Model, image: np.ndarray, class_names: Sequence[str] | None = None
) -> dict[str, Any]:
    """What the page needs to explore ``model`` on one RGB uint8 ``image``.

    Args:
        source: an ImageNet model name (offline or online; its own preprocessing and the
            ImageNet class names are used) or anything else (pixels scaled to [0, 1]).
        class_names: names of the model's classes (default ``"class 0"``, ``"class 1"``...).

    Returns:
        ``{"batch": (1, H, W, C) model input, "shown": (H, W, 3) uint8 image as the model
        sees it, "names": class names, "value_range": (lo, hi) of the model's inputs}``.
    """
    from dl_core.assets import imagenet

    if source in imagenet.IMAGENET_MODELS or source in imagenet.ONLINE_MODELS:
        batch = imagenet.preprocess(source, np.asarray(image)[None])
        ends = imagenet.preprocess(source, np.array([[[[0] * 3]], [[[255] * 3]]], np.uint8))
        return {
            "batch": batch,
            "shown": display_image(image, batch.shape[1], crop=0.875),
            "names": imagenet.class_names(),
            "value_range": (float(ends.min()), float(ends.max())),
        }
    batch = model_input(model, image)
    shown = (batch[0] * 255).round().astype(np.uint8)
    n = int(model.output_shape[-1])
    return {
        "batch": batch,
        "shown": shown if shown.shape[-1] == 3 else np.repeat(shown, 3, axis=-1),
        "names": list(class_names) if class_names else [f"class {k}" for k in range(n)],
        "value_range": (0.0, 1.0),
    }


def _numpy(x: Any) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(x))
