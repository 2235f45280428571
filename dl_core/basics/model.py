"""Model and training for the basics page (``Config`` is in :mod:`dl_core.basics.config`).

``train`` fits a small multilayer perceptron with Keras and records its whole trajectory:
the weights after every batch (or every few batches for long runs) and the train and
test loss at each of those snapshots. The page then plays through the recorded steps with
a NumPy forward pass (:mod:`dl_core.basics.analysis`), so Play, Pause and Step never train
in the page.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from dl_core.basics import analysis
from dl_core.basics.config import (
    OPTIMIZERS,
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
from dl_core.errors import ConfigError, TrainingDiverged

MAX_SNAPSHOTS = 6_000  # weights kept along training (the page's Step granularity)


def parse_hidden(text: str) -> tuple[int, ...]:
    """'6, 4' → (6, 4); '' → () (no hidden layer: a perceptron / logistic regression).

    Raises:
        ConfigError: anything but whole numbers separated by commas.
    """
    parts = [p.strip() for p in str(text).replace(";", ",").split(",")]
    try:
        return tuple(int(p) for p in parts if p)
    except ValueError:
        raise ConfigError(
            "'Neurons per hidden layer' must be whole numbers separated by commas, like '6, "
            f"4'; got '{text[:40]}'."
        ) from None


COMPARISONS = ("sgd", "momentum", "rmsprop", "adam", "regularisation on/off")


def variant(cfg: Config, other: str) -> Config:
    """The configuration to compare with: another optimizer, or regularisation toggled.

    Toggling turns L2 (rate 0.003) and dropout 0.2 on when ``cfg`` has neither, and both off
    when it has either.
    """
    if other in OPTIMIZERS:
        return replace(cfg, optimizer=other)
    if cfg.regularization != "none" or cfg.dropout:
        return replace(cfg, regularization="none", dropout=0.0)
    return replace(cfg, regularization="L2", reg_rate=0.003, dropout=0.2)


def describe(cfg: Config) -> str:
    """A few words that tell two configurations apart (legend text)."""
    reg = (
        "no regularisation"
        if cfg.regularization == "none"
        else f"{cfg.regularization} {cfg.reg_rate:g}"
    )
    drop = f", dropout {cfg.dropout:g}" if cfg.dropout else ""
    return f"{cfg.optimizer} (lr {cfg.learning_rate:g}), {reg}{drop}"


def build_model(cfg: Config, classification: bool = True):
    """The MLP: features of (x, y) → hidden Dense layers (+ dropout) → one output."""
    import keras

    from dl_core.basics.layers import PlaneFeatures

    reg = {"L1": keras.regularizers.L1, "L2": keras.regularizers.L2}.get(cfg.regularization)
    layers = [keras.Input((2,)), PlaneFeatures(cfg.features, name="features")]
    for i, units in enumerate(cfg.hidden):
        layers.append(
            keras.layers.Dense(
                units,
                activation=cfg.activation,
                name=f"hidden_{i + 1}",
                kernel_regularizer=reg(cfg.reg_rate) if reg and cfg.reg_rate else None,
            )
        )
        if cfg.dropout:
            layers.append(keras.layers.Dropout(cfg.dropout, seed=cfg.seed + i))
    layers.append(
        keras.layers.Dense(1, activation="sigmoid" if classification else "linear", name="output")
    )
    return keras.Sequential(layers, name="mlp")


def make_optimizer(name: str, learning_rate: float):
    import keras

    if name == "sgd":
        return keras.optimizers.SGD(learning_rate)
    if name == "momentum":
        return keras.optimizers.SGD(learning_rate, momentum=0.9)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    return keras.optimizers.Adam(learning_rate)


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


def load_exported(data: bytes):
    """Load a ``.keras`` file this page exported (registers :class:`PlaneFeatures` first)."""
    from dl_core.basics import layers  # noqa: F401
    from dl_core.uploads import load_keras_model

    return load_keras_model(data, name="model.keras")


def keras_code(cfg: Config, classification: bool = True) -> str:
    """A short, runnable Keras snippet that rebuilds and trains this network."""
    reg = {"L1": "keras.regularizers.L1", "L2": "keras.regularizers.L2"}.get(cfg.regularization)
    reg_arg = f", kernel_regularizer={reg}({cfg.reg_rate:g})" if reg and cfg.reg_rate else ""
    lines = [
        "import math, keras",
        "from keras import ops",
        "",
        "@keras.saving.register_keras_serializable(package='dl_explorer')",
        "class PlaneFeatures(keras.layers.Layer):",
        "    def __init__(self, names, **kw):",
        "        super().__init__(**kw); self.names = list(names)",
        "    def call(self, p):",
        "        x, y = p[:, 0:1], p[:, 1:2]",
        "        f = {'x': x, 'y': y, 'x²': x * x, 'y²': y * y, 'xy': x * y,",
        "             'sin x': ops.sin(math.pi * x), 'sin y': ops.sin(math.pi * y)}",
        "        return ops.concatenate([f[n] for n in self.names], axis=-1)",
        "    def get_config(self):",
        "        return super().get_config() | {'names': self.names}",
        "",
        "model = keras.Sequential([",
        "    keras.Input((2,)),",
        f"    PlaneFeatures({list(cfg.features)!r}),",
    ]
    for units in cfg.hidden:
        lines.append(f"    keras.layers.Dense({units}, activation={cfg.activation!r}{reg_arg}),")
        if cfg.dropout:
            lines.append(f"    keras.layers.Dropout({cfg.dropout:g}),")
    lines.append(
        f"    keras.layers.Dense(1, activation={'sigmoid' if classification else 'linear'!r}),"
    )
    lines.append("])")
    opt = {
        "sgd": f"keras.optimizers.SGD({cfg.learning_rate:g})",
        "momentum": f"keras.optimizers.SGD({cfg.learning_rate:g}, momentum=0.9)",
        "rmsprop": f"keras.optimizers.RMSprop({cfg.learning_rate:g})",
        "adam": f"keras.optimizers.Adam({cfg.learning_rate:g})",
    }[cfg.optimizer]
    loss = "'binary_crossentropy'" if cfg.loss == "cross-entropy" else "'mse'"
    lines += [
        f"model.compile(optimizer={opt}, loss={loss})",
        "# points: (n, 2) array in [-1, 1]; targets: (n,) 0/1 labels (or numbers for MSE)",
        f"# model.fit(points, targets, batch_size={cfg.batch_size}, epochs={cfg.epochs})",
        "# or load the trained one: keras.saving.load_model('basics_model.keras')",
    ]
    return "\n".join(lines)


def warmup_jobs() -> list[tuple]:
    return [(train, PRESETS["default"], None, "Basics · default")]
