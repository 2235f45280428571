"""Train your own small CNN: data, model, ``train`` (runs in a job worker).

A stack of conv blocks (``Conv2D → ReLU → pooling``; filters double every block) followed
by dropout and a softmax layer: LeCun et al., "Gradient-based learning applied to document
recognition" (1998), in Keras layers only (any backend).

Data: the bundled digits (8×8), MNIST-5k, Animal-MNIST (28×28), or a visitor's zip of
class folders packed by the page with ``Store.put_arrays_blob(x=, y=, class_names=)``.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from dl_core import viz
from dl_core.cnn.config import (
    PRESETS,
    Config,
    validate,
)
from dl_core.errors import ConfigError, TrainingDiverged


# -- data ----------------------------------------------------------------------------------
def load_data(cfg: Config, data: bytes | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(x, y, class_names)``: ``x`` float32 ``(N, H, W, C)`` in [0, 1], ``y`` int64."""
    if cfg.dataset == "upload":
        if data is None:
            raise ConfigError("Upload a zip of class folders first (one folder per class).")
        from dl_core.store import unpack_arrays

        packed = unpack_arrays(data)
        x, y, names = packed["x"], np.asarray(packed["y"], np.int64), list(packed["class_names"])
    else:
        from dl_core.assets import load_images

        ds = load_images(cfg.dataset, per_class=cfg.per_class or None, seed=cfg.seed)
        x, y, names = ds.x, ds.y, ds.class_names
    if len(set(np.asarray(y).tolist())) < 2:
        raise ConfigError("Training a classifier needs at least two classes with images.")
    x = np.asarray(x, dtype=np.float32) / 255.0
    if x.ndim == 3:
        x = x[..., None]
    return x, np.asarray(y, np.int64), names


def split(x: np.ndarray, y: np.ndarray, test_fraction: float = 0.2, seed: int = 0):
    """A stratified, seeded train/test split: ``((x_train, y_train), (x_test, y_test))``."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), bool)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        test[idx[: max(1, int(round(len(idx) * test_fraction)))]] = True
    order = rng.permutation(len(y))
    tr, te = order[~test[order]], order[test[order]]
    return (x[tr], y[tr]), (x[te], y[te])


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


# -- train -----------------------------------------------------------------------------------
def train(cfg: Config, data: bytes | None, report) -> dict[str, Any]:
    """Fit the CNN with live progress; returns the model, curves and test-set analysis."""
    validate(cfg)
    x, y, names = load_data(cfg, data)
    validate(cfg, x.shape[1])
    (x_tr, y_tr), (x_te, y_te) = split(x, y, seed=cfg.seed)
    model = compiled_model(cfg, x.shape[1:], len(names))
    before = np.asarray(model.get_layer("conv1").get_weights()[0])
    steps = math.ceil(len(x_tr) / cfg.batch_size)
    t0 = time.perf_counter()
    hist = model.fit(
        x_tr,
        y_tr,
        validation_data=(x_te, y_te),
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        verbose=0,
        callbacks=[report.keras_callback(cfg.epochs, steps, checkpoint="model")],
    )
    fit_seconds = time.perf_counter() - t0
    history = {k: [float(v) for v in vs] for k, vs in hist.history.items()}
    if not np.all(np.isfinite(history["loss"])):
        raise TrainingDiverged("The loss became NaN: lower the learning rate and train again.")
    probs = np.asarray(model.predict(x_te, batch_size=256, verbose=0))
    pred = probs.argmax(axis=1)
    return {
        "model": model,
        "history": history,
        "class_names": names,
        "test_accuracy": float((pred == y_te).mean()),
        "fit_seconds": fit_seconds,
        "train_samples": int(len(x_tr)),
        "confusion": viz.compute_confusion(y_te, pred, len(names)),
        "x_test": (x_te * 255).round().astype(np.uint8),
        "y_test": y_te,
        "y_pred": pred,
        "filters_before": before,
        "filters_after": np.asarray(model.get_layer("conv1").get_weights()[0]),
    }


def accuracy_interval(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of an accuracy measured as ``correct`` out of ``n``."""
    if n <= 0:
        return 0.0, 1.0
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def small_sample_note(correct: int, n: int, enough: int = 100) -> str | None:
    """A caveat for an accuracy measured on few test images (``None`` from ``enough`` on)."""
    if n >= enough:
        return None
    lo, hi = accuracy_interval(correct, n)
    return (
        f"Measured on only {n} test image(s): the accuracy on new images could be anywhere "
        f"from {lo:.0%} to {hi:.0%} (95 % interval). Use more images for a firmer number."
    )


def warmup_jobs() -> list[tuple]:
    return [(train, PRESETS["default"], None, "CNN · digits")]
