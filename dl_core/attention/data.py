"""The tiny transformer's data: a text, its character vocabulary, ids and random windows.

Text -> ids (len,) int32 -> windows: inputs (n, seq_len) and next-character targets
(n, seq_len).
"""

from __future__ import annotations

import keras
import numpy as np

from dl_core import assets, uploads
from dl_core.attention.config import CORPORA, Config
from dl_core.errors import ConfigError

MAX_VOCAB = 96


# -- data ---------------------------------------------------------------------------------
def load_corpus(cfg: Config, data: bytes | None) -> str:
    """The training text: the visitor's (uploaded bytes) or a bundled play."""
    if data is not None:
        text = uploads.load_text(data)
    elif cfg.corpus in assets.TEXTS:
        text = assets.load_text(cfg.corpus)
    else:
        raise ConfigError(f"Unknown text '{cfg.corpus}'. Choose one of {', '.join(CORPORA)}.")
    if len(text) < 20 * cfg.seq_len:
        raise ConfigError(
            f"The text has {len(text):,} characters; the tiny transformer needs at least "
            f"{20 * cfg.seq_len:,} to learn from. Paste or upload more text."
        )
    return text


def make_vocab(text: str) -> tuple[str, str]:
    """(text with rare characters replaced, vocabulary string; index = token id)."""
    text, _ = uploads.cap_vocabulary(text, MAX_VOCAB)
    return text, "".join(sorted(set(text)))


def encode(text: str, vocab: str) -> np.ndarray:
    """Characters to ids; characters outside ``vocab`` map to the first (usually ``\\n``)."""
    index = {c: i for i, c in enumerate(vocab)}
    return np.fromiter((index.get(c, 0) for c in text), dtype="int32", count=len(text))


def windows(ids: np.ndarray, n: int, seq_len: int, rng: np.random.Generator):
    """``n`` random (input, next-char target) windows of length ``seq_len``."""
    starts = rng.integers(0, len(ids) - seq_len - 1, size=n)
    idx = starts[:, None] + np.arange(seq_len + 1)[None, :]
    chunk = ids[idx]
    return chunk[:, :-1], chunk[:, 1:]


class Windows(keras.utils.PyDataset):
    """Fresh random training windows every batch (``steps`` batches make an epoch)."""

    def __init__(self, ids: np.ndarray, cfg: Config, rng: np.random.Generator) -> None:
        super().__init__()
        self.ids, self.cfg, self.rng = ids, cfg, rng

    def __len__(self) -> int:
        return self.cfg.steps_per_epoch

    def __getitem__(self, i: int):
        return windows(self.ids, self.cfg.batch_size, self.cfg.seq_len, self.rng)
