"""Text, tokens and training windows for the language models.

A language model reads a text one token at a time (a character, or a word) and learns
to predict the next one. Everything here is plain Python/NumPy: the corpus, the vocabulary
(with its cap) and the training windows (``Config`` is in :mod:`.config`).
"""

from __future__ import annotations

import collections
import dataclasses
import math
import re
from dataclasses import dataclass

import numpy as np

from dl_core import assets
from dl_core.errors import ConfigError
from dl_core.text_generation.config import Config

PLACEHOLDER = "\ufffd"  # stands for characters/words outside the vocabulary
MIN_CHARS = 200  # fewer characters than this cannot train anything
SMALL_TEXT = 100_000  # below this, warn that results will be poor
LN2 = math.log(2.0)


# -- the text ---------------------------------------------------------------------------
def load_corpus(cfg: Config, data: bytes | None = None) -> str:
    """The training text: uploaded/pasted ``data`` (UTF-8, already cleaned) or ``cfg.corpus``."""
    if data is not None:
        return bytes(data).decode("utf-8")
    if cfg.corpus not in assets.TEXTS:
        raise ConfigError(f"Unknown corpus '{cfg.corpus}'; choose one of the bundled texts.")
    return assets.load_text(cfg.corpus)


def split(text: str, cfg: Config) -> tuple[str, str]:
    """(training part, validation part): the last ``val_fraction`` of the text is held out."""
    cut = int(len(text) * (1 - cfg.val_fraction))
    return text[:cut], text[cut:]


def passage(text: str, cfg: Config, n: int = 100) -> str:
    """``n`` characters of held-out text, starting at a line (for the analysis figures)."""
    held_out = split(text, cfg)[1]
    start = held_out.find("\n") + 1
    return (held_out[start:] if len(held_out) - start >= n else held_out)[:n]


_WORD = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


def tokenize(text: str, level: str) -> list[str]:
    """Characters, or words + single punctuation marks + whitespace runs (joins back exactly)."""
    return list(text) if level == "char" else _WORD.findall(text)


@dataclass
class Vocab:
    """Token <-> id. Id 0 is the placeholder for anything outside the vocabulary."""

    tokens: list[str]
    level: str = "char"

    def __post_init__(self) -> None:
        self.index = {t: i for i, t in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, text: str) -> np.ndarray:
        return np.array([self.index.get(t, 0) for t in tokenize(text, self.level)], dtype="int32")

    def decode(self, ids) -> str:
        return "".join(self.tokens[int(i)] for i in ids)

    def unknown(self, text: str) -> list[str]:
        """Tokens of ``text`` that are not in the vocabulary (each once, in order)."""
        return list(dict.fromkeys(t for t in tokenize(text, self.level) if t not in self.index))


def build_vocab(text: str, level: str = "char", max_vocab: int = 100) -> tuple[Vocab, list[str]]:
    """The ``max_vocab - 1`` most frequent tokens (ties: first seen) plus the placeholder.

    Returns:
        (vocabulary, tokens that did not fit, most frequent first).
    """
    counts = collections.Counter(tokenize(text, level))
    counts.pop(PLACEHOLDER, None)
    ranked = [t for t, _ in counts.most_common()]
    kept, dropped = ranked[: max_vocab - 1], ranked[max_vocab - 1 :]
    return Vocab([PLACEHOLDER, *sorted(kept)], level), dropped


def vocab_cap(cfg: Config) -> int:
    """The vocabulary size limit for the chosen tokenisation."""
    return cfg.max_vocab if cfg.level == "char" else cfg.max_words


@dataclass
class TextStats:
    """What the page shows about a text before training."""

    chars: int
    tokens: int
    vocab: int  # distinct tokens before the cap
    dropped: list[str]  # tokens replaced by the placeholder
    dropped_share: float  # share of the text's tokens that were replaced
    warnings: list[str]
    top: list[tuple[str, int]] = dataclasses.field(default_factory=list)  # 40 most frequent

    def unigram_logits(self) -> tuple[np.ndarray, list[str]]:
        """Log-frequencies of the most frequent tokens: a model that knows only counts."""
        return np.log([c for _, c in self.top]), [t for t, _ in self.top]


def describe_text(text: str, cfg: Config) -> TextStats:
    """Size, vocabulary and warnings; raises :class:`ConfigError` when it cannot train."""
    tokens = tokenize(text, cfg.level)
    counts = collections.Counter(tokens)
    vocab, dropped = build_vocab(text, cfg.level, vocab_cap(cfg))
    lost = sum(counts[t] for t in dropped)
    train_text, _ = split(text, cfg)
    n_train = len(tokenize(train_text, cfg.level))
    if len(text) < MIN_CHARS:
        raise ConfigError(
            f"The text has only {len(text):,} characters; a language model needs at least "
            f"{MIN_CHARS} (ideally over {SMALL_TEXT:,}). Please add more text."
        )
    if cfg.seq_len + 2 > n_train:
        raise ConfigError(
            f"The sequence length ({cfg.seq_len} tokens) is longer than the training part of the "
            f"text ({n_train:,} tokens). Use a shorter sequence length or more text."
        )
    warnings = []
    if len(text) < SMALL_TEXT:
        warnings.append(
            f"The text has {len(text):,} characters, fewer than {SMALL_TEXT:,}: expect poor "
            "results, and a model that mostly quotes it."
        )
    if dropped:
        shown = " ".join(repr(t)[1:-1] for t in dropped[:20]) + (" …" if len(dropped) > 20 else "")
        unit = "characters" if cfg.level == "char" else "words"
        warnings.append(
            f"The text has {len(counts):,} distinct {unit}; the {len(dropped):,} rarest "
            f"({lost / max(1, len(tokens)):.1%} of the text) are replaced by {PLACEHOLDER} "
            f"to keep the vocabulary at {vocab_cap(cfg):,}: {shown}"
        )
    return TextStats(
        len(text),
        len(tokens),
        len(counts),
        dropped,
        lost / max(1, len(tokens)),
        warnings,
        counts.most_common(40),
    )


# -- training windows ----------------------------------------------------------------------
def steps_per_epoch(cfg: Config, n_train: int) -> int:
    """Batches per epoch: ``cfg.steps_per_epoch`` or about one pass (at most 200)."""
    if cfg.steps_per_epoch:
        return cfg.steps_per_epoch
    return int(np.clip(n_train // (cfg.batch_size * cfg.seq_len), 1, 200))


def window_dataset(ids: np.ndarray, cfg: Config):
    """The training batches, endless, as a ``tf.data`` pipeline that ``model.fit`` reads.

    Batch ``i`` holds ``cfg.batch_size`` random windows of ``cfg.seq_len + 1`` ids, inputs
    (batch, seq_len) and next-token targets (same shape). The window starts are drawn from
    the seed ``(cfg.seed, i)``, so batch ``i`` is the same in every run. The windows are cut
    inside the pipeline, on its own threads: no Python runs per batch (a
    ``keras.utils.PyDataset`` ran Python for every batch through ``from_generator``, and
    drew two extra batches to infer the shapes).
    """
    import tensorflow as tf

    ids_t = tf.constant(np.asarray(ids, np.int32))
    offsets = tf.range(cfg.seq_len + 1, dtype=tf.int64)  # (seq_len + 1,)
    high = len(ids) - cfg.seq_len  # a window starting below this fits in the ids
    seed = tf.constant(cfg.seed, tf.int64)

    def batch(i):
        starts = tf.random.stateless_uniform(
            [cfg.batch_size], tf.stack([seed, i]), minval=0, maxval=high, dtype=tf.int64
        )
        w = tf.gather(ids_t, starts[:, None] + offsets[None, :])  # (batch, seq_len + 1)
        return w[:, :-1], w[:, 1:]

    return tf.data.Dataset.counter().map(batch).prefetch(2)


def batches(ids: np.ndarray, cfg: Config, n: int, start: int = 0):
    """Training batches ``start`` … ``start + n - 1`` as NumPy arrays, as ``train`` sees them."""
    yield from window_dataset(ids, cfg).skip(start).take(n).as_numpy_iterator()


def validation_windows(ids: np.ndarray, seq_len: int, max_windows: int = 128):
    """Non-overlapping windows over the held-out ids: inputs and targets (n, seq_len)."""
    n = min(max_windows, (len(ids) - 1) // seq_len)
    if n < 1:
        raise ConfigError("The validation part of the text is shorter than one sequence.")
    x = ids[: n * seq_len].reshape(n, seq_len)
    y = ids[1 : n * seq_len + 1].reshape(n, seq_len)
    return x, y
