"""Training the tiny transformer: ``train`` runs inside a job worker and keeps, after every
epoch, the attention maps of a fixed probe text (so the page can scrub through training).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from dl_core.attention.config import PRESETS, Config, validate
from dl_core.attention.data import Windows, encode, load_corpus, make_vocab, windows
from dl_core.attention.model import (
    attention_maps,
    build_model,
    positions,
    sample,
)
from dl_core.budget import TimeBudget
from dl_core.errors import TrainingDiverged


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
