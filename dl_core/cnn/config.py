"""What the "Train your own CNN" tab can ask for: ``Config``, its ``PRESETS`` and ``validate``."""

from __future__ import annotations

import math
from dataclasses import dataclass

from dl_core.errors import ConfigError

DATASETS = ("digits", "mnist5k", "animal_mnist", "upload")
OPTIMIZERS = ("adam", "sgd", "rmsprop")
POOLINGS = ("max", "avg", "none")
UPLOAD_SIZE = 32  # uploaded images are resized to UPLOAD_SIZE × UPLOAD_SIZE


@dataclass(frozen=True)
class Config:
    """Every choice of the "Train your own CNN" tab (seed included)."""

    dataset: str = "digits"
    blocks: int = 2
    filters: int = 32  # in the first block; doubled in each next block
    kernel_size: int = 3
    pooling: str = "max"
    dropout: float = 0.2
    l2: float = 0.0
    optimizer: str = "adam"
    learning_rate: float = 0.003
    epochs: int = 20
    batch_size: int = 32
    per_class: int = 0  # 0 = every image; else a balanced subset
    seed: int = 0


# What the page offers for each Config field: a list of options or (min, max, step).
CHOICES: list[tuple[str, str, list | tuple]] = [
    ("Dataset", "dataset", list(DATASETS)),
    ("Conv blocks", "blocks", (1, 4, 1)),
    ("Filters (first block)", "filters", [2, 4, 8, 16, 32, 64]),
    ("Kernel size", "kernel_size", [1, 3, 5, 7]),
    ("Pooling", "pooling", list(POOLINGS)),
    ("Dropout", "dropout", (0.0, 0.8, 0.05)),
    ("L2 penalty", "l2", [0.0, 1e-5, 1e-4, 1e-3, 1e-2]),
    ("Optimizer", "optimizer", list(OPTIMIZERS)),
    ("Learning rate", "learning_rate", [1e-4, 3e-4, 0.001, 0.003, 0.01, 0.03, 0.1]),
    ("Epochs", "epochs", (1, 50, 1)),
    ("Batch size", "batch_size", [16, 32, 64, 128]),
    ("Seed", "seed", (0, 10_000, 1)),
]

PRESETS: dict[str, Config] = {
    "tiny": Config(blocks=1, filters=4, epochs=2, per_class=30),
    "default": Config(),
    "longer": Config(dataset="mnist5k", blocks=3, epochs=15),
}


def validate(cfg: Config, image_side: int | None = None) -> list[str]:
    """Raise ConfigError for impossible settings; return warnings (sentences).

    Args:
        image_side: side of the training images, when known (8 for digits, 28 for MNIST).
    """
    if cfg.dataset not in DATASETS:
        raise ConfigError(f"Unknown dataset '{cfg.dataset}'; choose one of {', '.join(DATASETS)}.")
    if cfg.optimizer not in OPTIMIZERS or cfg.pooling not in POOLINGS:
        raise ConfigError(
            "Choose an optimizer (adam, sgd, rmsprop) and a pooling (max, avg, none)."
        )
    if (
        not 1 <= cfg.blocks <= 4
        or not 1 <= cfg.filters <= 128
        or cfg.kernel_size not in (1, 3, 5, 7)
    ):
        raise ConfigError("Use 1-4 blocks, 1-128 filters and a kernel size of 1, 3, 5 or 7.")
    if not 0 <= cfg.dropout < 1 or cfg.l2 < 0 or not 0 < cfg.learning_rate <= 1:
        raise ConfigError("Dropout must be in [0, 1), L2 at least 0, the learning rate in (0, 1].")
    if cfg.epochs < 1 or cfg.batch_size < 1:
        raise ConfigError("Epochs and batch size must be at least 1.")
    side = image_side or {"digits": 8, "mnist5k": 28, "animal_mnist": 28}.get(
        cfg.dataset, UPLOAD_SIZE
    )
    if cfg.pooling != "none" and side // 2**cfg.blocks < 1:
        raise ConfigError(
            f"{cfg.blocks} pooling blocks halve a {side}×{side} image to nothing; use at most "
            f"{int(math.log2(side))} blocks or no pooling."
        )
    warnings = []
    if cfg.learning_rate >= 0.05 and cfg.optimizer != "sgd":
        warnings.append("A learning rate this high often makes Adam and RMSprop diverge.")
    return warnings
