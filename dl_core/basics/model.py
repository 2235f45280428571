"""The model of the basics page: a small multilayer perceptron on (x, y) points.

``build_model`` maps a batch of points (n, 2) through ``PlaneFeatures`` (n, features) and the
hidden ``Dense`` layers to one output (n, 1); ``keras_code`` writes the same network as a
runnable snippet. Training is in :mod:`dl_core.basics.train`, settings in
:mod:`dl_core.basics.config`.
"""

from __future__ import annotations

from dataclasses import replace

from dl_core.basics.config import (
    OPTIMIZERS,
    Config,
)
from dl_core.errors import ConfigError


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
