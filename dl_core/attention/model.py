"""A tiny causal transformer (a character-level GPT): the model, its attention, sampling.

Vaswani et al. 2017, "Attention Is All You Need"; Radford et al. 2018/2019 (GPT: a decoder
with a causal mask, pre-norm blocks). Ids (batch, T) -> token + position embedding
(batch, T, d_model) -> 1-2 blocks of masked multi-head self-attention and a small MLP
(batch, T, d_model) -> next-character logits (batch, T, vocab). Data in
:mod:`dl_core.attention.data`, training (with the attention kept after every epoch) in
:mod:`dl_core.attention.train`.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from dl_core.attention.config import Config
from dl_core.attention.data import encode
from dl_core.errors import ConfigError


# -- model --------------------------------------------------------------------------------
def sinusoidal(length: int, dim: int) -> np.ndarray:
    """Vaswani et al.'s fixed positional encoding (length, dim)."""
    pos = np.arange(length)[:, None]
    i = np.arange(dim)[None, :]
    angle = pos / np.power(10000.0, (2 * (i // 2)) / dim)
    return np.where(i % 2 == 0, np.sin(angle), np.cos(angle)).astype("float32")


@keras.saving.register_keras_serializable(package="dl_explorer")
class TokenAndPosition(keras.layers.Layer):
    """Character embedding plus a learned or sinusoidal position encoding."""

    def __init__(self, vocab_size, seq_len, d_model, positional="learned", **kw):
        super().__init__(**kw)
        self.vocab_size, self.seq_len, self.d_model = vocab_size, seq_len, d_model
        self.positional = positional
        self.token = keras.layers.Embedding(vocab_size, d_model, name="token")
        if positional == "learned":
            self.position = keras.layers.Embedding(seq_len, d_model, name="position")

    def build(self, input_shape):
        self.token.build(input_shape)
        if self.positional == "learned":
            self.position.build((self.seq_len,))

    def positions(self):
        """The position encoding matrix (seq_len, d_model)."""
        if self.positional == "learned":
            return self.position.embeddings
        return ops.convert_to_tensor(sinusoidal(self.seq_len, self.d_model))

    def call(self, ids):
        t = ops.shape(ids)[1]
        return self.token(ids) + self.positions()[None, :t, :]

    def get_config(self):
        return super().get_config() | dict(
            vocab_size=self.vocab_size,
            seq_len=self.seq_len,
            d_model=self.d_model,
            positional=self.positional,
        )


@keras.saving.register_keras_serializable(package="dl_explorer")
class CausalBlock(keras.layers.Layer):
    """Pre-norm block: x + MHA(LN(x)) with a causal mask, then x + MLP(LN(x))."""

    def __init__(self, d_model, heads, **kw):
        super().__init__(**kw)
        self.d_model, self.heads = d_model, heads
        self.ln1 = keras.layers.LayerNormalization(epsilon=1e-5)
        self.attn = keras.layers.MultiHeadAttention(heads, d_model // heads)
        self.ln2 = keras.layers.LayerNormalization(epsilon=1e-5)
        self.mlp1 = keras.layers.Dense(4 * d_model, activation="gelu")
        self.mlp2 = keras.layers.Dense(d_model)

    def build(self, input_shape):
        self.ln1.build(input_shape)
        self.attn.build(input_shape, input_shape)
        self.ln2.build(input_shape)
        self.mlp1.build(input_shape)
        self.mlp2.build((*input_shape[:-1], 4 * self.d_model))

    def call(self, x, return_attention=False):
        h = self.ln1(x)
        a, probs = self.attn(h, h, use_causal_mask=True, return_attention_scores=True)
        x = x + a
        x = x + self.mlp2(self.mlp1(self.ln2(x)))
        return (x, probs) if return_attention else x  # probs: (batch, heads, T, T)

    def get_config(self):
        return super().get_config() | dict(d_model=self.d_model, heads=self.heads)


def build_model(cfg: Config, vocab_size: int) -> keras.Model:
    """Embedding + position -> ``layers`` causal blocks -> LayerNorm -> next-char logits."""
    ids = keras.Input((None,), dtype="int32", name="ids")
    x = TokenAndPosition(vocab_size, cfg.seq_len, cfg.d_model, cfg.positional, name="embed")(ids)
    for i in range(cfg.layers):
        x = CausalBlock(cfg.d_model, cfg.heads, name=f"block_{i}")(x)
    x = keras.layers.LayerNormalization(epsilon=1e-5, name="ln_f")(x)
    logits = keras.layers.Dense(vocab_size, name="logits")(x)
    return keras.Model(ids, logits, name="tiny_transformer")


# -- analysis -----------------------------------------------------------------------------
def attention_maps(model: keras.Model, ids: np.ndarray) -> np.ndarray:
    """Attention probabilities of every block for one sequence: (layers, heads, T, T)."""
    x = model.get_layer("embed")(ops.convert_to_tensor(np.asarray(ids, "int32")[None, :]))
    maps = []
    blocks = [layer for layer in model.layers if isinstance(layer, CausalBlock)]
    for block in blocks:
        x, probs = block(x, return_attention=True)
        maps.append(ops.convert_to_numpy(probs)[0])
    return np.stack(maps).astype("float32")


def positions(model: keras.Model) -> np.ndarray:
    """The model's position encodings (seq_len, d_model)."""
    return ops.convert_to_numpy(model.get_layer("embed").positions()).astype("float32")


def sample(
    model: keras.Model,
    vocab: str,
    prompt: str,
    length: int = 200,
    temperature: float = 0.8,
    seed: int = 0,
) -> str:
    """Continue ``prompt`` by ``length`` characters, drawing from softmax(logits / temperature)."""
    if temperature <= 0:
        raise ConfigError("Temperature must be above 0.")
    rng = np.random.default_rng(seed)
    seq_len = model.get_layer("embed").seq_len
    ids = list(encode(prompt or vocab[0], vocab))
    out = []
    window = np.zeros((1, seq_len), "int32")  # fixed shape: one compiled predict function
    for _ in range(length):
        ctx = ids[-seq_len:]
        window[0, : len(ctx)] = ctx  # causal mask: the zeros after the context are never seen
        logits = np.asarray(model.predict_on_batch(window))[0, len(ctx) - 1]
        logits = logits.astype("float64") / temperature
        p = np.exp(logits - logits.max())
        nxt = int(rng.choice(len(p), p=p / p.sum()))
        ids.append(nxt)
        out.append(vocab[nxt])
    return "".join(out)
