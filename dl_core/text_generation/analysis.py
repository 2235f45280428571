"""Analysis of trained models: memorisation, units that track something, gradients in time."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dl_core.text_generation.cells import NumpyLM
from dl_core.text_generation.data import LN2

if TYPE_CHECKING:  # Keras is only needed to run a model, not to import this module
    import keras

QUOTE_CHARS = 50  # a copied run at least this long means the model is quoting
QUOTE_SHARE = 0.5  # or more than half of the generated n-grams are copied


# -- memorisation meter ----------------------------------------------------------------------
class CopyIndex:
    """Every ``n``-character piece of a training text, hashed and sorted, with its position.

    Building it takes about a second for all of Shakespeare (5 M characters, ~60 MB);
    afterwards a sample is checked with binary searches instead of scanning the text.
    """

    _BASE = np.uint64(1_000_003)

    def __init__(self, text: str, n: int = 12) -> None:
        self.text, self.n = text, n
        hashes = self.hashes(text)
        order = np.argsort(hashes, kind="stable")
        self.sorted, self.pos = hashes[order], order.astype(np.int64)

    def hashes(self, text: str) -> np.ndarray:
        """Polynomial hash (mod 2^64) of every ``n``-character piece of ``text``."""
        codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
        m = len(codes) - self.n + 1
        h = np.zeros(max(m, 0), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(self.n if m > 0 else 0):
                h = h * self._BASE + codes[j : j + m]
        return h

    def lookup(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """For each piece of ``text``: the range [lo, hi) of its occurrences in ``pos``."""
        h = self.hashes(text)
        return np.searchsorted(self.sorted, h, "left"), np.searchsorted(self.sorted, h, "right")


@dataclass
class Memorisation:
    longest: str  # longest piece of the sample found verbatim in the training text ("" if < n)
    copied_share: float  # share of the sample's n-character pieces found in the training text
    n: int  # piece length in characters
    quoting: bool  # the model is reciting rather than composing

    @property
    def longest_len(self) -> int:
        return len(self.longest)

    def sentence(self) -> str:
        if not self.longest:
            return f"Original: no {self.n}-character piece of it occurs in the training text."
        head = (
            f"Longest copied passage: {self.longest_len} characters; "
            f"{self.copied_share:.0%} of its {self.n}-character pieces occur in the training text."
        )
        return head + (" The model is quoting its training text." if self.quoting else "")


def memorisation(sample: str, training: str | CopyIndex, n: int = 12) -> Memorisation:
    """How much of ``sample`` is copied from the training text (a string or its :class:`CopyIndex`).

    The copied share counts the sample's ``n``-character pieces that occur verbatim. The
    longest copied passage grows from those pieces: for each copied piece and each place
    it occurs, the match is extended character by character, and a candidate is only
    extended when it already beats the best so far (one slice comparison otherwise).
    """
    index = training if isinstance(training, CopyIndex) else CopyIndex(training, n)
    text, n = index.text, index.n
    lo, hi = index.lookup(sample)
    copied = hi > lo  # (len(sample) - n + 1,)
    best, best_i = 0, 0
    for i in np.flatnonzero(copied):
        for p in index.pos[lo[i] : min(hi[i], lo[i] + 1000)]:
            if text[p : p + best + 1] != sample[i : i + best + 1]:
                continue
            length = best + 1
            while (
                i + length < len(sample)
                and p + length < len(text)
                and text[p + length] == sample[i + length]
            ):
                length += 1
            best, best_i = length, int(i)
    share = float(copied.mean()) if len(copied) else 0.0
    longest = sample[best_i : best_i + best] if best >= n else ""
    return Memorisation(longest, share, n, best >= QUOTE_CHARS or share > QUOTE_SHARE)


# -- units that track something -----------------------------------------------------------------
def text_features(text: str) -> dict[str, np.ndarray]:
    """Per-character properties a unit might track (each an array the length of ``text``)."""
    line_pos, inside_quote, inside_bracket, speaker = [], [], [], []
    pos, q, b = 0, False, False
    lines = text.split("\n")
    for li, line in enumerate(lines):
        is_speaker = line.endswith(":") and line[:-1].strip().isupper()
        for ch in line + ("\n" if li < len(lines) - 1 else ""):
            line_pos.append(pos)
            speaker.append(is_speaker)
            if ch == '"':
                q = not q
            b = True if ch in "[(" else (False if ch in "])" else b)
            inside_quote.append(q)
            inside_bracket.append(b)
            pos = 0 if ch == "\n" else pos + 1
    chars = np.array(list(text))
    return {
        "position in line": np.array(line_pos, float),
        "inside a word": np.char.isalpha(chars).astype(float),
        "space": (chars == " ").astype(float),
        "end of line": (chars == "\n").astype(float),
        "speaker-name line": np.array(speaker, float),
        "inside quotes": np.array(inside_quote, float),
        "inside brackets": np.array(inside_bracket, float),
        "capital letter": np.char.isupper(chars).astype(float),
    }


def tracking_units(states: np.ndarray, text: str, top: int = 1) -> list[dict]:
    """For each feature of :func:`text_features`, the units whose activation follows it best.

    Args:
        states: (T, units) hidden or cell states over ``text`` (one row per character).
        text: the passage (char level).
        top: units per feature.

    Returns:
        Rows ``{"feature", "unit", "correlation"}``, strongest first; features constant on
        this passage are left out.
    """
    s = np.asarray(states, float)
    s = (s - s.mean(0)) / (s.std(0) + 1e-9)  # (T, units)
    rows = []
    for name, f in text_features(text).items():
        f = f[: len(s)]
        if f.std() == 0:
            continue
        corr = (s * ((f - f.mean()) / f.std())[:, None]).mean(0)  # (units,)
        for u in np.argsort(-np.abs(corr))[:top]:
            rows.append({"feature": name, "unit": int(u), "correlation": float(corr[u])})
    return sorted(rows, key=lambda r: -abs(r["correlation"]))


def most_active_units(states: np.ndarray, k: int = 12) -> list[int]:
    """The ``k`` units that vary most over the passage (the interesting rows of a heatmap)."""
    return [int(u) for u in np.argsort(-np.asarray(states).std(0))[:k]]


# -- gradient norms through time ---------------------------------------------------------------
def gradient_norms(model, ids: np.ndarray) -> np.ndarray:
    """‖∂ loss at the last step / ∂ input embedding at step t‖ for every t (T,).

    The loss is the cross-entropy of predicting ``ids[-1]`` from ``ids[:-1]``. The curve
    shows how much the last prediction can still learn from each earlier character: a
    plain RNN's gradient shrinks geometrically going back in time (vanishing gradients),
    an LSTM's or GRU's much less. Dropout is off (inference mode).
    """
    import keras

    ids = np.asarray(ids, "int32")
    inputs, target = ids[None, :-1], int(ids[-1])  # (1, T)
    rest = [layer for layer in model.layers[1:] if layer.name != "embedding"]
    x0 = model.get_layer("embedding")(inputs)  # (1, T, embedding)

    def loss_of(x):
        for layer in rest:
            x = layer(x, training=False)
        logits = x[0, -1]
        return keras.ops.logsumexp(logits) - logits[target]

    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend == "jax":
        import jax

        grad = jax.grad(loss_of)(x0)
    elif backend == "torch":
        x = x0.detach().requires_grad_(True)
        loss_of(x).backward()
        grad = x.grad
    else:  # TensorFlow: the one place this module needs tf itself
        import tensorflow as tf

        x0 = tf.convert_to_tensor(x0)
        with tf.GradientTape() as tape:
            tape.watch(x0)
            loss = loss_of(x0)
        grad = tape.gradient(loss, x0)
    g = keras.ops.convert_to_numpy(grad)[0]  # (T, embedding)
    return np.linalg.norm(g, axis=-1)


def states_over(lm: NumpyLM, ids: np.ndarray, layer: int = -1) -> dict[str, np.ndarray]:
    """Hidden state ``h``, cell state ``c`` (LSTM) and gates of one layer over a passage."""
    out = lm.run(ids)
    li = layer % len(lm.layers)
    return {k[: -len(str(li))]: v for k, v in out.items() if k.endswith(str(li)) and k != "logits"}


# -- bits per character of any next-token model ---------------------------------------------
def validation_bpc(
    model: keras.Model, x: np.ndarray, y: np.ndarray, chars_per_token: float = 1.0
) -> float:
    """Bits per character of ``model`` on held-out windows ``x`` -> ``y`` (ids, (n, T)).

    Any Keras model that maps ids (batch, T) to logits (batch, T, vocab) can be measured,
    so models of other pages can be compared on the same windows.
    """
    logits = model.predict(x, batch_size=64, verbose=0).astype("float64")  # (n, T, vocab)
    logits -= logits.max(axis=-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    nats = -np.take_along_axis(logp, y[..., None].astype(int), axis=-1).mean()
    return float(nats / LN2 / chars_per_token)
