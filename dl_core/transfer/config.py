"""Transfer learning's settings: ``Config``, its ``PRESETS`` and ``validate``."""

from __future__ import annotations

from dataclasses import dataclass

from dl_core.assets import imagenet
from dl_core.errors import ConfigError

MODES = ("feature_extraction", "fine_tuning", "scratch")
MODE_TITLES = {
    "feature_extraction": "Feature extraction",
    "fine_tuning": "Fine-tuning",
    "scratch": "From scratch",
}
BACKBONES = tuple(imagenet.IMAGENET_MODELS)
ANIMALS = ("bear", "bird", "cat", "cow", "dog", "elephant", "giraffe", "horse", "sheep", "zebra")


@dataclass(frozen=True)
class Config:
    mode: str = "feature_extraction"
    backbone: str = "efficientnet_lite0"
    dataset: str = "animal_mnist"  # or "upload" (data comes as a blob)
    classes: tuple[str, ...] = ANIMALS  # Animal-MNIST classes used
    per_class: int = 30  # Animal-MNIST images per class (train + validation)
    test_per_class: int = 0  # extra held-out Animal-MNIST images per class (benchmark)
    val_fraction: float = 0.25
    head_epochs: int = 40
    head_lr: float = 3e-3
    unfreeze_blocks: int = 2
    fine_tune_epochs: int = 10
    fine_tune_lr: float = 3e-4
    scratch_epochs: int = 10
    scratch_lr: float = 1e-3
    batch_size: int = 32
    dropout: float = 0.2
    max_seconds: float = 240.0  # training (after feature extraction) stops after this long; 0: none
    seed: int = 0


# What a comparison may change (the second run's value): a list of options or (min, max, step).
CHOICES: list[tuple[str, str, list | tuple]] = [
    ("Way", "mode", list(MODES)),
    ("Head learning rate", "head_lr", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]),
    ("Head epochs", "head_epochs", (1, 200, 1)),
    ("Dropout", "dropout", [0.0, 0.1, 0.2, 0.3, 0.5]),
    ("Blocks to unfreeze", "unfreeze_blocks", (1, 8, 1)),
    ("Fine-tuning epochs", "fine_tune_epochs", (1, 100, 1)),
    ("Fine-tuning learning rate", "fine_tune_lr", [1e-5, 3e-5, 1e-4, 3e-4, 1e-3]),
    ("Batch size", "batch_size", [4, 8, 16, 32, 64]),
    ("Seed", "seed", (0, 99_999, 1)),
]

PRESETS = {
    "tiny": Config(
        classes=("cat", "dog", "horse"),
        per_class=6,
        head_epochs=3,
        unfreeze_blocks=1,
        fine_tune_epochs=1,
        scratch_epochs=1,
        batch_size=8,
        max_seconds=0.0,
    ),
    "default": Config(per_class=20, max_seconds=45.0),  # each of the three ways
    "longer": Config(per_class=40, max_seconds=240.0),
}


def validate(cfg: Config) -> list[str]:
    """Raise :class:`ConfigError` for impossible settings; return warnings."""
    if cfg.mode not in MODES:
        raise ConfigError(f"Unknown training mode '{cfg.mode}'; choose one of {', '.join(MODES)}.")
    if cfg.backbone not in BACKBONES and cfg.backbone not in imagenet.ONLINE_MODELS:
        raise ConfigError(f"Unknown backbone '{cfg.backbone}'.")
    if cfg.dataset == "animal_mnist":
        unknown = [c for c in cfg.classes if c not in ANIMALS]
        if unknown:
            raise ConfigError(
                f"Animal-MNIST has no class {unknown[0]!r}; it has {', '.join(ANIMALS)}."
            )
        if len(set(cfg.classes)) < 2:
            raise ConfigError(
                "Pick at least two classes: a classifier needs something to tell apart."
            )
        if not 2 <= cfg.per_class <= 1000:
            raise ConfigError("Images per class must be between 2 and 1000.")
    if not 0.05 <= cfg.val_fraction <= 0.5:
        raise ConfigError("The validation share must be between 5% and 50%.")
    for name in ("head_lr", "fine_tune_lr", "scratch_lr"):
        lr = getattr(cfg, name)
        if not 1e-6 <= lr <= 1.0:
            raise ConfigError(f"A learning rate of {lr:g} is outside the sensible range 1e-6 … 1.")
    for name in ("head_epochs", "fine_tune_epochs", "scratch_epochs"):
        if not 1 <= getattr(cfg, name) <= 500:
            raise ConfigError("Epochs must be between 1 and 500.")
    if not 1 <= cfg.batch_size <= 512:
        raise ConfigError("The batch size must be between 1 and 512.")
    if not 0.0 <= cfg.dropout < 1.0:
        raise ConfigError("Dropout must be at least 0 and below 1.")
    if cfg.max_seconds != 0 and not 5 <= cfg.max_seconds <= 3600:
        raise ConfigError("The time budget must be 0 (no limit) or between 5 seconds and one hour.")
    warnings = []
    if cfg.fine_tune_lr > cfg.head_lr:
        warnings.append(
            "The fine-tuning learning rate is higher than the head's: "
            "large updates can wreck the pretrained features."
        )
    return warnings
