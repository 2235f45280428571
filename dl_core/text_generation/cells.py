"""Inside the cells: the trained weights run again in NumPy, one step at a time.

Keras' LSTM and GRU layers return only their outputs, not their gates, so
:class:`NumpyLM` re-implements the three cells from the layers' weights (the same
equations Keras uses; a unit test checks the logits match ``model.predict``):

- SimpleRNN: ``h = tanh(x W + h U + b)``
- LSTM (Hochreiter & Schmidhuber 1997): ``i, f, o = σ(...)``, ``c = f ⊙ c + i ⊙ tanh(...)``,
  ``h = o ⊙ tanh(c)`` (Keras gate order i, f, c, o)
- GRU (Cho et al. 2014, Keras ``reset_after=True``): ``z, r = σ(...)``,
  ``ĥ = tanh(x W_h + r ⊙ (h U_h + b_h))``, ``h = z ⊙ h + (1 - z) ⊙ ĥ``

The same stepper samples text (fast: no framework call per character), records hidden
and cell states and gates for the heatmaps, and finds units that track something
(LSTMVis, Strobelt et al. 2017; Karpathy et al. 2015, "Visualizing and understanding
recurrent networks"). :func:`gradient_norms` shows why plain RNNs forget (Bengio et al.
1994; Pascanu et al. 2013).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from dl_core.errors import ConfigError
from dl_core.text_generation.data import Vocab

GATES = {"LSTM": ("input", "forget", "output"), "GRU": ("update", "reset"), "SimpleRNN": ()}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # = 1 / (1 + e^-x), without overflow


@dataclass
class Layer:
    kind: str  # "SimpleRNN" | "LSTM" | "GRU"
    W: np.ndarray  # (inputs, k * units)
    U: np.ndarray  # (units, k * units)
    b: np.ndarray  # (k * units,) or, for GRU, (2, 3 * units)

    @property
    def units(self) -> int:
        return self.U.shape[0]

    def zero_state(self) -> dict[str, np.ndarray]:
        z = np.zeros(self.units)
        return {"h": z, "c": z.copy()} if self.kind == "LSTM" else {"h": z}

    def step(self, x: np.ndarray, state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """One time step; returns the new state and, for LSTM/GRU, the gate activations."""
        h, n = state["h"], self.units
        if self.kind == "SimpleRNN":
            return {"h": np.tanh(x @ self.W + h @ self.U + self.b)}
        if self.kind == "LSTM":
            a = x @ self.W + h @ self.U + self.b  # (4 units): i, f, c, o
            i, f, o = _sigmoid(a[:n]), _sigmoid(a[n : 2 * n]), _sigmoid(a[3 * n :])
            c = f * state["c"] + i * np.tanh(a[2 * n : 3 * n])
            return {"h": o * np.tanh(c), "c": c, "input": i, "forget": f, "output": o}
        xs = x @ self.W + self.b[0]  # (3 units): z, r, h
        hs = h @ self.U + self.b[1]
        z = _sigmoid(xs[:n] + hs[:n])
        r = _sigmoid(xs[n : 2 * n] + hs[n : 2 * n])
        cand = np.tanh(xs[2 * n :] + r * hs[2 * n :])
        return {"h": z * h + (1 - z) * cand, "update": z, "reset": r}


@dataclass
class NumpyLM:
    """A trained language model's weights, run step by step in NumPy (float64)."""

    embedding: np.ndarray  # (vocab, embedding)
    layers: list[Layer]
    dense_w: np.ndarray  # (units, vocab)
    dense_b: np.ndarray  # (vocab,)

    @classmethod
    def from_model(cls, model) -> NumpyLM:
        """Read the weights of a model made by
        :func:`~dl_core.text_generation.model.build_model`."""
        emb = model.get_layer("embedding").get_weights()[0]
        layers = []
        for layer in model.layers:
            if layer.name.startswith("rnn_"):
                kind = type(layer).__name__
                if kind == "GRU" and not getattr(layer.cell, "reset_after", True):
                    raise ConfigError(
                        "Only GRUs with reset_after=True (the Keras default) are supported."
                    )
                W, U, b = (np.asarray(w, dtype="float64") for w in layer.get_weights())
                layers.append(Layer(kind, W, U, b))
        dw, db = model.get_layer("logits").get_weights()
        return cls(
            np.asarray(emb, "float64"), layers, np.asarray(dw, "float64"), np.asarray(db, "float64")
        )

    @property
    def kind(self) -> str:
        return self.layers[0].kind

    def zero_state(self) -> list[dict[str, np.ndarray]]:
        return [layer.zero_state() for layer in self.layers]

    def step(self, token: int, states: list[dict]) -> tuple[np.ndarray, list[dict]]:
        """Feed one token id; return the next-token logits (vocab,) and the new states."""
        x = self.embedding[token]
        new = []
        for layer, state in zip(self.layers, states, strict=True):
            s = layer.step(x, state)
            new.append(s)
            x = s["h"]
        return x @ self.dense_w + self.dense_b, new

    def run(self, ids: np.ndarray) -> dict[str, np.ndarray]:
        """Feed a passage; per time step: logits (T, vocab) and, per layer ``l``, ``h{l}``,
        ``c{l}`` (LSTM) and the gates (``input{l}``, ``forget{l}``...), each (T, units)."""
        states = self.zero_state()
        out: dict[str, list] = {"logits": []}
        for t in ids:
            logits, states = self.step(int(t), states)
            out["logits"].append(logits)
            for li, s in enumerate(states):
                for name, value in s.items():
                    out.setdefault(f"{name}{li}", []).append(value)
        return {k: np.array(v) for k, v in out.items()}


# -- sampling ------------------------------------------------------------------------------
def next_distribution(logits: np.ndarray, temperature: float, top_k: int = 0) -> np.ndarray:
    """Softmax of ``logits / temperature`` over the ``top_k`` largest (0 = all).

    Temperature 0 puts all probability on the most likely token (greedy decoding).
    """
    logits = np.asarray(logits, dtype="float64")
    if temperature < 0:
        raise ConfigError("The temperature cannot be negative (0 means always the likeliest).")
    if temperature == 0:
        p = np.zeros_like(logits)
        p[int(np.argmax(logits))] = 1.0
        return p
    z = logits / temperature
    if 0 < top_k < len(z):
        z = np.where(z >= np.partition(z, -top_k)[-top_k], z, -np.inf)
    z = z - z.max()
    p = np.exp(z)
    return p / p.sum()


def generate(
    lm: NumpyLM,
    vocab: Vocab,
    prompt: str,
    length: int,
    temperature: float = 1.0,
    top_k: int = 0,
    seed: int = 0,
) -> Iterator[str]:
    """Yield ``length`` sampled tokens (as text) after reading ``prompt``; for streaming.

    An empty prompt starts after a newline (or the placeholder if there is none). Tokens
    of the prompt outside the vocabulary are read as the placeholder.
    """
    if length < 0 or length > 100_000:
        raise ConfigError("The sample length must be between 0 and 100 000 tokens.")
    rng = np.random.default_rng(seed)
    ids = vocab.encode(prompt) if prompt else np.array([vocab.index.get("\n", 0)])
    states = lm.zero_state()
    logits = None
    for t in ids:
        logits, states = lm.step(int(t), states)
    for _ in range(length):
        p = next_distribution(logits, temperature, top_k)
        token = int(np.argmax(p)) if temperature == 0 else int(rng.choice(len(p), p=p))
        yield vocab.tokens[token]
        logits, states = lm.step(token, states)


def parse_temperatures(text: str) -> list[float]:
    """``"0.5, 1, 1.5"`` -> ``[0.5, 1.0, 1.5]``; a sentence for anything else."""
    parts = [p for p in re.split(r"[,;\s]+", str(text).strip()) if p]
    if not parts:
        raise ConfigError("Give at least one temperature, for example 0.5, 1.0, 1.5.")
    try:
        temps = [float(p) for p in parts]
    except ValueError as err:
        raise ConfigError(f"Temperatures must be numbers like 0.5, 1.0 (got '{text}').") from err
    if len(temps) > 6:
        raise ConfigError("Compare at most 6 temperatures at once.")
    if any(not np.isfinite(t) or t < 0 or t > 100 for t in temps):
        raise ConfigError("Temperatures must lie between 0 (greedy) and 100.")
    return temps


def temperature_note(temperature: float) -> str:
    """What to expect at this temperature (one short line)."""
    if temperature == 0:
        return "0: always the likeliest token (greedy) — often loops"
    if temperature < 0.5:
        return f"{temperature:g}: cautious, repetitive"
    if temperature <= 1.2:
        return (
            f"{temperature:g}: the model's own distribution"
            if temperature == 1
            else f"{temperature:g}: balanced"
        )
    if temperature <= 3:
        return f"{temperature:g}: adventurous, more spelling errors"
    return f"{temperature:g}: nearly uniform — noise"
