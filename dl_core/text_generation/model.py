"""The text model: embedding -> recurrent layers -> next-token logits.

Ids (batch, T) -> embedding (batch, T, E) -> recurrent layers (batch, T, units) -> logits
(batch, T, vocab). Training is in :mod:`dl_core.text_generation.train`; bits per character
of any such model in :func:`dl_core.text_generation.analysis.validation_bpc`.
"""

from __future__ import annotations

import keras

from dl_core.text_generation.config import Config


def build_model(vocab_size: int, cfg: Config) -> keras.Model:
    """Embedding -> ``cfg.layers`` x (SimpleRNN | LSTM | GRU, dropout) -> Dense logits.

    Layers are named ``embedding``, ``rnn_0``..., ``logits`` (the analysis reads them back).
    Initialisers are seeded, so the same ``cfg.seed`` gives the same starting weights.
    """
    layer = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
    s = cfg.seed * 100
    ids = keras.Input(shape=(None,), dtype="int32", name="ids")  # (batch, T)
    x = keras.layers.Embedding(
        vocab_size,
        cfg.embedding,
        name="embedding",
        embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=s),
    )(ids)  # (batch, T, embedding)
    for i in range(cfg.layers):
        x = layer[cfg.cell](
            cfg.units,
            return_sequences=True,
            name=f"rnn_{i}",
            kernel_initializer=keras.initializers.GlorotUniform(seed=s + 2 * i + 1),
            recurrent_initializer=keras.initializers.Orthogonal(seed=s + 2 * i + 2),
        )(x)  # (batch, T, units)
        if cfg.dropout:
            x = keras.layers.Dropout(cfg.dropout, seed=s + 50 + i, name=f"dropout_{i}")(x)
    logits = keras.layers.Dense(
        vocab_size, name="logits", kernel_initializer=keras.initializers.GlorotUniform(seed=s + 99)
    )(x)  # (batch, T, vocab)
    return keras.Model(ids, logits, name=f"char_{cfg.cell}")


def compile_model(model: keras.Model, cfg: Config) -> keras.Model:
    opt = {
        "adam": keras.optimizers.Adam,
        "rmsprop": keras.optimizers.RMSprop,
        "sgd": keras.optimizers.SGD,
    }[cfg.optimizer]
    # The step size decays as η / (1 + t / 2000) over batches t: a short run learns at full
    # speed, a long one settles. With a constant η = 1e-2 a 5-minute GRU run on Shakespeare
    # collapsed after 2 minutes (2.66 → 3.7 validation bits/char, bench/bench_text_generation.py).
    rate = keras.optimizers.schedules.InverseTimeDecay(
        cfg.learning_rate, decay_steps=2000, decay_rate=1.0
    )
    model.compile(
        optimizer=opt(learning_rate=rate, clipnorm=5.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model
