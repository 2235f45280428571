"""What the "train your own detector" section can ask for: ``Config``, ``PRESETS``, ``validate``."""

from __future__ import annotations

from dataclasses import dataclass

from dl_core.errors import ConfigError


@dataclass(frozen=True)
class Config:
    """Every choice of the "train your own detector" section."""

    image_size: int = 128  # scenes are square; a multiple of 32 (YOLOv8's largest stride)
    n_train: int = 1000  # generated training scenes (flipped/transposed at random each epoch)
    n_val: int = 200  # held-out scenes for mAP
    max_objects: int = 4
    max_occlusion: float = 0.3  # at most this share of a shape may be hidden by others
    texture: bool = True
    width: int = 16  # backbone channels: width, 2x, 4x, 8x
    depth: int = 1  # CSP blocks per stage
    epochs: int = 6
    batch_size: int = 16
    learning_rate: float = 2e-3
    time_budget_s: int = 0  # stop after this many seconds of training (0 = run all epochs)
    eager: bool = False  # run eagerly: no graph tracing (only worth it for a few steps)
    seed: int = 0


# (label, field, values or (min, max, step)) of the settings a comparison may change
CHOICES: list[tuple[str, str, list | tuple]] = [
    ("Learning rate", "learning_rate", [3e-4, 1e-3, 2e-3, 5e-3]),
    ("Epochs", "epochs", (1, 60, 1)),
    ("Training scenes", "n_train", [8, 16, 64, 250, 500, 640, 960, 1000, 2000, 4000]),
    ("Objects per scene (max)", "max_objects", (1, 8, 1)),
    ("Occlusion allowed", "max_occlusion", (0.0, 0.9, 0.1)),
    ("Textured backgrounds", "texture", [True, False]),
    ("Backbone width", "width", [4, 8, 16, 32]),
    ("Backbone depth", "depth", (1, 3, 1)),
    ("Image size", "image_size", [64, 96, 128]),
    ("Seed", "seed", (0, 99_999, 1)),
]

PRESETS = {
    "tiny": Config(
        image_size=64,
        n_train=8,
        n_val=8,
        max_objects=2,
        width=8,
        epochs=2,
        batch_size=8,
        eager=True,
    ),
    # about 80 s on 2 CPU cores for mAP@0.5 about 0.4 (python -m bench defaults): 96 px
    # scenes cost less a step than 128 px, a batch of 32 costs 1.4 times one of 16 (much of a
    # step is fixed overhead), and a high peak rate with warm-up and cosine decay
    # (model.compile_detector) learns the most in the 210 steps that fit
    "default": Config(image_size=96, n_train=960, epochs=7, batch_size=32, learning_rate=5e-3),
    "longer": Config(n_train=2000, epochs=10),  # 128 px, 1250 steps: mAP@0.5 0.94 in 5.5 min
}


def validate(cfg: Config) -> list[str]:
    """Raise :class:`ConfigError` for impossible settings; return warnings."""
    if cfg.image_size % 32 or not 64 <= cfg.image_size <= 256:
        raise ConfigError("The image size must be a multiple of 32 between 64 and 256 pixels.")
    if not 1 <= cfg.max_objects <= 8:
        raise ConfigError("Scenes can hold between 1 and 8 objects.")
    if not 0 <= cfg.max_occlusion <= 0.9:
        raise ConfigError("The occlusion limit must be between 0 and 0.9.")
    if not 4 <= cfg.width <= 64 or not 1 <= cfg.depth <= 3:
        raise ConfigError("The backbone width must be 4-64 channels and its depth 1-3 blocks.")
    if cfg.epochs < 1 or cfg.batch_size < 1 or cfg.n_val < 1:
        raise ConfigError("Epochs, batch size and validation scenes must be at least 1.")
    if cfg.n_train < cfg.batch_size:
        raise ConfigError(
            f"There must be at least one batch of training scenes ({cfg.batch_size}); "
            f"got {cfg.n_train}."
        )
    if not 0 < cfg.learning_rate < 1:
        raise ConfigError("The learning rate must be between 0 and 1.")
    warnings = []
    if cfg.n_train * cfg.epochs < 2000 and cfg.n_train > 64:
        warnings.append("Fewer than 2 000 scene views in total: expect a weak detector.")
    return warnings
