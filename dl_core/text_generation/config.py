"""What the text-generation page can ask for: ``Config``, its ``PRESETS`` and ``validate``."""

from __future__ import annotations

from dataclasses import dataclass

from dl_core.errors import ConfigError

CELLS = ("lstm", "gru", "rnn")
CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}
LEVELS = ("char", "word")
OPTIMIZERS = ("adam", "rmsprop", "sgd")


@dataclass(frozen=True)
class Config:
    """Every choice the page offers (seed included); JSON-serialisable for the job key.

    ``budget_s`` > 0 stops training after that many seconds of wall-clock time (the
    epochs then only bound it from above): use it to compare models at equal cost.
    ``steps_per_epoch`` 0 = about one pass over the training text (at most 200 batches).
    """

    corpus: str = "hamlet"  # a name from dl_core.assets.TEXTS; ignored for uploaded text
    level: str = "char"  # "char" or "word"
    cell: str = "lstm"  # "lstm", "gru" or "rnn" (SimpleRNN)
    layers: int = 1
    units: int = 128
    embedding: int = 32
    seq_len: int = 64
    dropout: float = 0.0
    optimizer: str = "adam"
    learning_rate: float = 1e-2
    batch_size: int = 32
    epochs: int = 8
    steps_per_epoch: int = 50
    budget_s: float = 0.0
    max_vocab: int = 100  # most distinct characters (char level), placeholder included
    max_words: int = 3000  # most distinct words (word level), placeholder included
    val_fraction: float = 0.1
    sample_len: int = 200  # length of the sample shown after each epoch
    seed: int = 0


# What a comparison may change (the second run's value): a list of options or (min, max, step).
CHOICES: list[tuple[str, str, list | tuple]] = [
    ("Cell", "cell", list(CELLS)),
    ("Units per layer", "units", [16, 32, 64, 128, 256, 384, 512, 1024]),
    ("Layers", "layers", (1, 4, 1)),
    ("Embedding size", "embedding", [8, 16, 32, 64, 128]),
    ("Sequence length (tokens)", "seq_len", (8, 400, 8)),
    ("Dropout", "dropout", (0.0, 0.5, 0.05)),
    ("Optimizer", "optimizer", list(OPTIMIZERS)),
    ("Learning rate", "learning_rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 1.0]),
    ("Batch size", "batch_size", [8, 16, 32, 64, 128, 256]),
    ("Epochs", "epochs", (1, 100, 1)),
    ("Tokens", "level", list(LEVELS)),
    ("Seed", "seed", (0, 99_999, 1)),
]

PRESETS: dict[str, Config] = {
    "tiny": Config(
        units=32,
        embedding=8,
        seq_len=24,
        batch_size=16,
        epochs=2,
        steps_per_epoch=8,
        sample_len=40,
        learning_rate=1e-2,
    ),
    "default": Config(),
    "longer": Config(epochs=24),
    # all 38 plays, a bigger model: about 10 minutes on 2 CPU cores, well under one on a GPU
    "shakespeare": Config(
        corpus="shakespeare",
        units=256,
        layers=2,
        seq_len=100,
        epochs=10,
        steps_per_epoch=100,
        batch_size=64,
        dropout=0.1,
        learning_rate=3e-3,
    ),
}


def validate(cfg: Config) -> list[str]:
    """Raise :class:`ConfigError` for impossible settings; return warnings (sentences)."""
    checks = [
        (cfg.cell in CELLS, f"Unknown cell '{cfg.cell}'; choose one of {', '.join(CELLS)}."),
        (cfg.level in LEVELS, f"Unknown tokenisation '{cfg.level}'; choose 'char' or 'word'."),
        (cfg.optimizer in OPTIMIZERS, f"Unknown optimizer '{cfg.optimizer}'."),
        (1 <= cfg.layers <= 4, "Use between 1 and 4 recurrent layers."),
        (4 <= cfg.units <= 2048, "Use between 4 and 2048 units per layer."),
        (2 <= cfg.embedding <= 1024, "Use an embedding size between 2 and 1024."),
        (2 <= cfg.seq_len <= 1000, "Use a sequence length between 2 and 1000 tokens."),
        (0 <= cfg.dropout < 0.9, "Dropout must be at least 0 and below 0.9."),
        (0 < cfg.learning_rate <= 1, "The learning rate must be above 0 and at most 1."),
        (1 <= cfg.batch_size <= 1024, "Use a batch size between 1 and 1024."),
        (1 <= cfg.epochs <= 100_000, "Use between 1 and 100 000 epochs."),
        (0 <= cfg.steps_per_epoch <= 10_000, "Use at most 10 000 steps per epoch."),
        (0 <= cfg.budget_s <= 3600, "The time budget must be between 0 and 3600 seconds."),
        (2 <= cfg.max_vocab <= 5000, "The character vocabulary cap must be between 2 and 5 000."),
        (2 <= cfg.max_words <= 50_000, "The word vocabulary cap must be between 2 and 50 000."),
        (0 < cfg.val_fraction < 0.5, "The validation share must be above 0 and below 0.5."),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)
    warnings = []
    if cfg.cell == "rnn" and cfg.seq_len > 200:
        warnings.append("A plain RNN rarely learns from more than a few dozen steps back.")
    return warnings
