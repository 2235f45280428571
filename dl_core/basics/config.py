"""What the basics page can ask for: ``Config``, its ``PRESETS`` and ``validate``."""

from __future__ import annotations

from dataclasses import dataclass

from dl_core.basics.data import DATASETS, FEATURES, MAX_ADDED, is_classification
from dl_core.errors import ConfigError

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear", "gelu")
LOSSES = ("cross-entropy", "mse")
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
REGULARIZERS = ("none", "L1", "L2")


@dataclass(frozen=True)
class Config:
    """Every choice the basics page offers."""

    dataset: str = "circles"  # one of DATASETS, or "upload" (points come with the job data)
    n_points: int = 500
    noise: float = 0.1
    test_ratio: float = 0.2
    features: tuple[str, ...] = ("x", "y")
    hidden: tuple[int, ...] = (6, 4)
    activation: str = "tanh"
    loss: str = "cross-entropy"
    optimizer: str = "adam"
    learning_rate: float = 0.03
    batch_size: int = 10
    regularization: str = "none"
    reg_rate: float = 0.001
    dropout: float = 0.0
    epochs: int = 40
    seed: int = 0
    extra: tuple[tuple[float, float, float], ...] = ()  # (x, y, target) added by clicking; train


PRESETS = {
    "tiny": Config(n_points=100, hidden=(4,), epochs=3, batch_size=20),
    "default": Config(),
    "longer": Config(epochs=200),
}


def validate(cfg: Config, task: str | None = None) -> list[str]:
    """Raise :class:`ConfigError` for impossible settings; return warnings."""
    if cfg.dataset not in DATASETS + ("upload",):
        raise ConfigError(f"Unknown data set '{cfg.dataset}'. Choose one of {', '.join(DATASETS)}.")
    if not cfg.features or any(f not in FEATURES for f in cfg.features):
        raise ConfigError(f"Pick at least one input feature among {', '.join(FEATURES)}.")
    if len(cfg.hidden) > 6 or any(not 1 <= h <= 8 for h in cfg.hidden):
        raise ConfigError("Use at most 6 hidden layers with 1 to 8 neurons each.")
    if (
        cfg.activation not in ACTIVATIONS
        or cfg.optimizer not in OPTIMIZERS
        or cfg.loss not in LOSSES
    ):
        raise ConfigError("Unknown activation, optimizer or loss.")
    if not 10 <= cfg.n_points <= 5000 and cfg.dataset != "upload":
        raise ConfigError("Use between 10 and 5,000 points.")
    if not 0.05 <= cfg.test_ratio <= 0.9:
        raise ConfigError("The test share must be between 5% and 90%.")
    if not 1 <= cfg.batch_size <= 5000 or not 1 <= cfg.epochs <= 1000:
        raise ConfigError("Batch size must be 1-5,000 and epochs 1-1,000.")
    if not 0 <= cfg.dropout < 1 or cfg.reg_rate < 0 or not cfg.learning_rate > 0:
        raise ConfigError(
            "Dropout must be in [0, 1), the regularisation rate ≥ 0, the learning rate > 0."
        )
    classification = is_classification(cfg.dataset) if task is None else task == "classification"
    if not classification and cfg.loss == "cross-entropy":
        raise ConfigError(
            "Cross-entropy needs two classes; for a regression data set choose the MSE loss."
        )
    if len(cfg.extra) > MAX_ADDED:
        raise ConfigError(f"At most {MAX_ADDED} points can be added by clicking.")
    warnings = []
    if cfg.dropout and not cfg.hidden:
        warnings.append("Dropout applies to hidden layers; with none it does nothing.")
    return warnings


# What a comparison may change (the second run's value): a list of options or (min, max, step).
CHOICES: list[tuple[str, str, list | tuple]] = [
    ("Optimizer", "optimizer", list(OPTIMIZERS)),
    ("Learning rate", "learning_rate", [0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]),
    ("Activation", "activation", list(ACTIVATIONS)),
    ("Hidden layers", "hidden", [(2,), (4,), (8,), (4, 2), (6, 4), (8, 8), (8, 6, 4)]),
    ("Loss", "loss", list(LOSSES)),
    ("Batch size", "batch_size", [1, 5, 10, 20, 50, 100, 500]),
    ("Regularisation", "regularization", list(REGULARIZERS)),
    ("Regularisation rate", "reg_rate", [0.0001, 0.001, 0.003, 0.01, 0.03, 0.1]),
    ("Dropout", "dropout", (0.0, 0.8, 0.1)),
    ("Noise", "noise", (0.0, 0.5, 0.05)),
    ("Epochs", "epochs", (1, 300, 1)),
    ("Seed", "seed", (0, 99_999, 1)),
]
