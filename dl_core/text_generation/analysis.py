"""Analysis of trained models: memorisation, units that track something, gradients in time."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from dl_core.text_generation.cells import NumpyLM

QUOTE_CHARS = 50  # a copied run at least this long means the model is quoting
QUOTE_SHARE = 0.5  # or more than half of the generated n-grams are copied


# -- memorisation meter ----------------------------------------------------------------------
@dataclass
class Memorisation:
    longest: str  # the longest piece of the sample that also occurs in the training text
    copied_share: float  # share of the sample's n-grams that occur in the training text
    n: int  # n-gram length in characters
    quoting: bool  # the model is reciting rather than composing

    @property
    def longest_len(self) -> int:
        return len(self.longest)

    def sentence(self) -> str:
        head = (f"Longest copied passage: {self.longest_len} characters; "
                f"{self.copied_share:.0%} of its {self.n}-character pieces occur in the training text.")  # fmt: skip
        return head + (" The model is quoting its training text." if self.quoting else "")


def memorisation(sample: str, training_text: str, n: int = 12) -> Memorisation:
    """How much of ``sample`` is copied from ``training_text``.

    The longest common substring is found by growing the current best match one
    character at a time (``str`` search is C speed), so each start position costs one
    search; the copied share counts the sample's ``n``-character pieces found verbatim.
    """
    best_start, best = 0, 0
    for i in range(len(sample)):
        while i + best < len(sample) and sample[i : i + best + 1] in training_text:
            best_start, best = i, best + 1
    pieces = [sample[i : i + n] for i in range(len(sample) - n + 1)]
    share = float(np.mean([p in training_text for p in pieces])) if pieces else 0.0
    longest = sample[best_start : best_start + best]
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
