"""The small CNN the visitor trains: images (N, H, W, C) in, class probabilities (N, K) out.

A stack of conv blocks (``Conv2D → ReLU → pooling``; filters double every block) followed
by dropout and a softmax layer: LeCun et al., "Gradient-based learning applied to document
recognition" (1998), in Keras layers only. Data in :mod:`dl_core.cnn.data`, training in
:mod:`dl_core.cnn.train`.
"""

from __future__ import annotations

from dl_core.cnn.config import (
    Config,
)


# -- model ---------------------------------------------------------------------------------
def build_model(cfg: Config, input_shape: tuple[int, int, int], num_classes: int):
    """``blocks`` × (Conv2D → ReLU → pooling), then Flatten → Dropout → Dense(softmax)."""
    import keras
    from keras import layers

    reg = keras.regularizers.L2(cfg.l2) if cfg.l2 else None
    model = keras.Sequential(name="small_cnn")
    model.add(keras.Input(input_shape, name="image"))
    for b in range(cfg.blocks):
        model.add(
            layers.Conv2D(
                cfg.filters * 2**b,
                cfg.kernel_size,
                padding="same",
                activation="relu",
                kernel_regularizer=reg,
                name=f"conv{b + 1}",
            )
        )
        if cfg.pooling == "max":
            model.add(layers.MaxPooling2D(2, name=f"pool{b + 1}"))
        elif cfg.pooling == "avg":
            model.add(layers.AveragePooling2D(2, name=f"pool{b + 1}"))
    model.add(layers.Flatten(name="flatten"))
    model.add(layers.Dropout(cfg.dropout, name="dropout"))
    model.add(
        layers.Dense(num_classes, activation="softmax", kernel_regularizer=reg, name="predictions")
    )
    return model


def optimizer(cfg: Config):
    import keras

    cls = {
        "adam": keras.optimizers.Adam,
        "sgd": keras.optimizers.SGD,
        "rmsprop": keras.optimizers.RMSprop,
    }
    kwargs = {"momentum": 0.9} if cfg.optimizer == "sgd" else {}
    return cls[cfg.optimizer](learning_rate=cfg.learning_rate, **kwargs)


def compiled_model(cfg: Config, input_shape: tuple[int, int, int], num_classes: int):
    """:func:`build_model`, seeded and compiled (what :func:`train` fits; the bench too)."""
    import keras

    keras.utils.set_random_seed(cfg.seed)
    model = build_model(cfg, input_shape, num_classes)
    model.compile(optimizer(cfg), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
