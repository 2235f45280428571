"""What the tiny-transformer section can ask for: ``Config``, its ``PRESETS`` and ``validate``."""

from __future__ import annotations

from dataclasses import dataclass

from dl_core.errors import ConfigError

CORPORA = ("hamlet", "macbeth", "romeo-and-juliet", "shakespeare")


@dataclass(frozen=True)
class Config:
    """Every choice the tiny-transformer section offers (seed included)."""

    corpus: str = "hamlet"  # a bundled text; ignored when the job gets uploaded text
    seq_len: int = 64
    layers: int = 2
    heads: int = 4
    d_model: int = 64
    positional: str = "learned"  # "learned" | "sinusoidal"
    epochs: int = 8
    steps_per_epoch: int = 120
    batch_size: int = 32
    learning_rate: float = 3e-3
    max_seconds: float = 0.0  # > 0: stop after this many seconds of training (benchmarks)
    probe: str = "To be, or not to be, that is the question."
    seed: int = 0


# What a comparison may change (the second run's value): a list of options or (min, max, step).
CHOICES: list[tuple[str, str, list | tuple]] = [
    ("Heads", "heads", [1, 2, 4]),
    ("Layers", "layers", (1, 2, 1)),
    ("Positions", "positional", ["learned", "sinusoidal"]),
    ("Model width", "d_model", [16, 32, 64, 128]),
    ("Epochs", "epochs", (1, 30, 1)),
    ("Learning rate", "learning_rate", [3e-4, 1e-3, 3e-3, 1e-2]),
    ("Context length", "seq_len", [32, 64, 128]),
    ("Seed", "seed", (0, 99_999, 1)),
]

PRESETS = {
    "tiny": Config(
        seq_len=32,
        layers=1,
        heads=2,
        d_model=32,
        epochs=2,
        steps_per_epoch=12,
        batch_size=16,
        probe="To be, or not to be.",
    ),
    "default": Config(epochs=4, steps_per_epoch=100),
    "longer": Config(epochs=12),
}


def validate(cfg: Config) -> list[str]:
    """Raise ConfigError for impossible settings; return warnings."""
    if cfg.d_model % cfg.heads:
        raise ConfigError(
            f"The model width ({cfg.d_model}) must be divisible by the number of heads "
            f"({cfg.heads})."
        )
    if not 1 <= cfg.layers <= 4 or not 1 <= cfg.heads <= 8:
        raise ConfigError("Use 1-4 layers and 1-8 heads for the tiny transformer.")
    if not 0 <= cfg.max_seconds <= 3600:
        raise ConfigError("The time budget must be between 0 and 3600 seconds.")
    if cfg.positional not in ("learned", "sinusoidal"):
        raise ConfigError("Positional encoding must be 'learned' or 'sinusoidal'.")
    if not cfg.probe.strip():
        raise ConfigError("The probe text is empty: type a short line to watch attention on.")
    if len(cfg.probe) > cfg.seq_len:
        raise ConfigError(
            f"The probe text has {len(cfg.probe)} characters; the model sees at most "
            f"{cfg.seq_len}. Shorten it or raise the context length."
        )
    return []
