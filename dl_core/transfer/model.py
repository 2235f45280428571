"""Transfer learning, the model: the backbone cut in two, the head, the assembled classifier.

An image batch (N, S, S, 3) goes through the frozen bottom of an ImageNet backbone, its
trainable top, global pooling (N, features) and the head to class probabilities (N, K).
Training is in :mod:`dl_core.transfer.train`.
"""

from __future__ import annotations

import numpy as np

from dl_core.assets import imagenet


# -- models ---------------------------------------------------------------------------------
def _backbone(name: str):
    """The pretrained network without its ImageNet classifier (pooled features out)."""
    import keras

    if name in imagenet.ONLINE_MODELS:
        full = imagenet.load_online(name)
        return keras.Model(full.input, full.layers[-2].output, name=f"{name}_features")
    full = imagenet.imagenet_model(name, fresh=True)
    return keras.Model(full.input, full.get_layer("avg_pool").output, name=f"{name}_features")


def split_backbone(backbone, unfreeze_blocks: int):
    """Cut the backbone before its top ``unfreeze_blocks`` blocks.

    Returns (frozen bottom, trainable top).
    """
    import keras

    groups = [g for g in imagenet.blocks(backbone) if g[1]]
    n = max(1, min(unfreeze_blocks, len(groups) - 1))
    first = backbone.get_layer(groups[-n][1][0])
    cut = first.input
    bottom = keras.Model(backbone.input, cut, name="frozen_bottom")
    top = keras.Model(cut, backbone.output, name="trainable_top")
    return bottom, top


def head(n_features: int, n_classes: int, dropout: float, seed: int):
    import keras

    inputs = keras.Input((n_features,), name="features")
    x = keras.layers.Dropout(dropout, seed=seed, name="head_dropout")(inputs)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="head_softmax")(x)
    return keras.Model(inputs, outputs, name="head")


def _freeze_bn(model) -> None:
    """BatchNorm in inference mode: frozen layers use ImageNet statistics, never batch ones."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


def assemble(image_size: int, *parts):
    """One model, image -> probabilities, from nested parts: what is evaluated, explained
    (Grad-CAM finds the last convolution inside the nested backbone) and exported."""
    import keras

    inputs = keras.Input((image_size, image_size, 3), name="image")
    x = inputs
    for part in parts:
        x = part(x)
    return keras.Model(inputs, x, name="transfer_model")


def count_params(model) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    total = int(sum(np.prod(w.shape) for w in model.weights))
    return trainable, total


def assemble_scratch(image_size: int, backbone, clf):
    """From scratch: BatchNorm learns its statistics, so the backbone runs in training mode."""
    import keras

    inputs = keras.Input((image_size, image_size, 3), name="image")
    return keras.Model(inputs, clf(backbone(inputs)), name="transfer_model")
