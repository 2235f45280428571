"""A tiny causal transformer (a character-level GPT) trained live, with its attention kept.

Vaswani et al. 2017, "Attention Is All You Need"; Radford et al. 2018/2019 (GPT: a decoder
with a causal mask, pre-norm blocks). 1-2 blocks of masked multi-head self-attention and a
small MLP learn to predict the next character of Shakespeare or the visitor's text. After
every epoch the attention maps of a fixed probe text are saved, so the page can scrub
through training and watch heads learn patterns such as "look at the previous character".
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from dl_core import assets, uploads
from dl_core.attention.config import CORPORA, PRESETS, Config, validate
from dl_core.budget import TimeBudget
from dl_core.errors import ConfigError, TrainingDiverged

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


# -- training -----------------------------------------------------------------------------
class _Probe(keras.callbacks.Callback):
    """After each epoch: probe attention, a short sample; stops on NaN."""

    def __init__(self, probe_ids, vocab, cfg):
        super().__init__()
        self.probe_ids, self.vocab, self.cfg = probe_ids, vocab, cfg
        self.maps, self.samples = [], []

    def snapshot(self):
        self.maps.append(attention_maps(self.model, self.probe_ids))
        prompt = self.cfg.probe[: max(1, len(self.cfg.probe) // 2)]
        self.samples.append(prompt + sample(self.model, self.vocab, prompt, 80, 0.8, self.cfg.seed))

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            raise TrainingDiverged("The loss became NaN: lower the learning rate and try again.")
        self.snapshot()


def train(cfg: Config, data: bytes | None, report) -> dict[str, Any]:
    """Train the tiny causal transformer; keep probe attention after every epoch."""
    validate(cfg)
    keras.utils.set_random_seed(cfg.seed)
    text, vocab = make_vocab(load_corpus(cfg, data))
    ids = encode(text, vocab)
    split = int(len(ids) * 0.9)
    rng = np.random.default_rng(cfg.seed)
    xv, yv = windows(ids[split:], max(4 * cfg.batch_size, 64), cfg.seq_len, rng)
    model = build_model(cfg, len(vocab))
    model.compile(
        optimizer=keras.optimizers.AdamW(cfg.learning_rate, weight_decay=0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    probe = _Probe(encode(cfg.probe, vocab), vocab, cfg)
    probe.set_model(model)
    probe.snapshot()  # epoch 0: before any training
    progress = report.keras_callback(
        cfg.epochs,
        cfg.steps_per_epoch,
        preview=lambda e: probe.maps[-1][:, :, :, :],
        checkpoint="model",
    )
    budget = TimeBudget(cfg.max_seconds)  # the epoch ends after the batch that spends it
    hist = model.fit(
        Windows(ids[:split], cfg, rng),
        epochs=cfg.epochs,
        validation_data=(xv, yv),
        verbose=0,
        callbacks=[probe, progress, budget.keras_callback()],
    )
    return {
        "model": model,
        "attention": np.stack(probe.maps),  # (epochs + 1, layers, heads, P, P)
        "positions": positions(model),
        "history": {k: [float(v) for v in vals] for k, vals in hist.history.items()},
        "samples": probe.samples,
        "vocab": vocab,
        "probe": cfg.probe,
        "chars": len(text),
    }


def warmup_jobs() -> list[tuple]:
    return [(train, PRESETS["default"], None, "Tiny transformer · default")]
