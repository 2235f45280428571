"""Training for the basics page: ``train`` (a job) and ``warmup_jobs``.

``train`` fits the MLP of :mod:`dl_core.basics.model` with Keras and records its whole
trajectory: the weights after every batch (or every few batches for long runs) and the train
and test loss at each of those snapshots. The page then plays through the recorded steps with
a NumPy forward pass (:mod:`dl_core.basics.analysis`), so Play, Pause and Step never train
in the page.
"""

from __future__ import annotations

import math

import numpy as np

from dl_core.basics import analysis
from dl_core.basics.config import (
    PRESETS,
    Config,
    validate,
)
from dl_core.basics.data import (
    CLASSIFICATION,
    add_points,
    make_dataset,
    split,
)
from dl_core.basics.model import (
    build_model,
    make_optimizer,
)
from dl_core.errors import ConfigError, TrainingDiverged

MAX_SNAPSHOTS = 6_000  # weights kept along training (the page's Step granularity)


def load_points(cfg: Config, data: bytes | None) -> tuple[np.ndarray, np.ndarray, dict]:
    """The points and targets a job trains on: generated from ``cfg`` or uploaded."""
    if data is None:
        if cfg.dataset == "upload":
            raise ConfigError("Please upload a CSV file first.")
        pts, y = make_dataset(cfg.dataset, cfg.n_points, cfg.noise, cfg.seed)
        task = "classification" if cfg.dataset in CLASSIFICATION else "regression"
        return pts, y, {"task": task, "class_names": ["0", "1"] if task == "classification" else []}
    from dl_core.store import unpack_arrays

    arrays = unpack_arrays(data)
    return (
        arrays["points"],
        arrays["targets"],
        {"task": arrays["task"], "class_names": arrays["class_names"]},
    )


def train(cfg: Config, data: bytes | None, report) -> dict:
    """Fit the MLP, recording weights and losses along the way (runs in a job worker).

    Returns:
        ``model``; ``params`` (snapshots, n_params) — weights after each recorded batch, row 0
        the initial weights; ``steps`` — the batch count of each snapshot; ``train_loss``
        and ``test_loss`` at each snapshot; the data split; ``layout``, ``task``,
        ``class_names`` and ``steps_per_epoch``.

    Raises:
        ConfigError: impossible settings. TrainingDiverged: the loss became NaN or exploded.
    """
    import keras

    pts, y, info = load_points(cfg, data)
    classification = info["task"] == "classification"
    validate(cfg, info["task"])
    x_tr, y_tr, x_te, y_te = split(pts, y, cfg.test_ratio, cfg.seed)
    x_tr, y_tr = add_points(x_tr, y_tr, cfg.extra)
    keras.utils.set_random_seed(cfg.seed)
    model = build_model(cfg, classification)
    loss = (
        keras.losses.BinaryCrossentropy()
        if cfg.loss == "cross-entropy"
        else keras.losses.MeanSquaredError()
    )
    model.compile(optimizer=make_optimizer(cfg.optimizer, cfg.learning_rate), loss=loss)
    steps_per_epoch = math.ceil(len(y_tr) / cfg.batch_size)
    stride = max(1, math.ceil(cfg.epochs * steps_per_epoch / MAX_SNAPSHOTS))
    layout = [list(w.shape) for w in model.get_weights()]
    snaps, steps = [analysis.flatten(model.get_weights())], [0]
    feats = list(cfg.features)

    def data_loss(flat: np.ndarray, x: np.ndarray, t: np.ndarray) -> float:
        return analysis.loss(
            analysis.predict(flat, layout, x, feats, cfg.activation, classification), t, cfg.loss
        )

    start_loss = data_loss(snaps[0], x_tr, y_tr)

    class Recorder(keras.callbacks.Callback):
        step = 0

        def on_train_batch_end(self, batch, logs=None):
            Recorder.step += 1
            if Recorder.step % stride == 0 or (batch + 1) == steps_per_epoch:
                snaps.append(analysis.flatten(self.model.get_weights()))
                steps.append(Recorder.step)

        def on_epoch_end(self, epoch, logs=None):
            now = data_loss(snaps[-1], x_tr, y_tr)
            if (
                not np.isfinite(snaps[-1]).all()
                or not np.isfinite(now)
                or now > max(10 * start_loss, start_loss + 5)
            ):
                raise TrainingDiverged(
                    f"Training diverged in epoch {epoch + 1}: the loss went from "
                    f"{start_loss:.3g} to "
                    f"{now:.3g}. The learning rate ({cfg.learning_rate:g}) is too high for "
                    f"{cfg.optimizer}; try 0.03 or lower."
                )

    model.fit(
        x_tr,
        y_tr,
        batch_size=cfg.batch_size,
        epochs=cfg.epochs,
        verbose=0,
        shuffle=True,
        callbacks=[
            Recorder(),
            report.keras_callback(cfg.epochs, steps_per_epoch, preview=lambda e: snaps[-1]),
        ],
    )
    params = np.stack(snaps).astype("float32")
    train_loss = np.array([data_loss(p, x_tr, y_tr) for p in params], "float32")
    test_loss = np.array([data_loss(p, x_te, y_te) for p in params], "float32")
    return {
        "model": model,
        "params": params,
        "steps": np.array(steps, "int32"),
        "train_loss": train_loss,
        "test_loss": test_loss,
        "x_train": x_tr,
        "y_train": y_tr,
        "x_test": x_te,
        "y_test": y_te,
        "layout": layout,
        "task": info["task"],
        "class_names": list(info["class_names"]),
        "steps_per_epoch": steps_per_epoch,
    }


def warmup_jobs() -> list[tuple]:
    return [(train, PRESETS["default"], None, "Basics · default")]
