"""Training the text model: ``train`` runs inside a job worker.

It is a plain ``model.fit`` over random windows of the text with two small callbacks (bits
per character in the logs, a wall-clock budget) plus the job reporter, which also attaches a
short sample after every epoch.

For other pages (the attention page compares its transformer with this LSTM at the same
budget): ``train(replace(PRESETS["default"], budget_s=120), None, None)["val_bpc"]``.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from dl_core.budget import TimeBudget
from dl_core.errors import TrainingDiverged
from dl_core.text_generation.analysis import validation_bpc
from dl_core.text_generation.config import CELL_NAMES, Config, validate
from dl_core.text_generation.data import (
    LN2,
    Vocab,
    build_vocab,
    describe_text,
    load_corpus,
    split,
    steps_per_epoch,
    validation_windows,
    vocab_cap,
    window_dataset,
)
from dl_core.text_generation.model import build_model, compile_model


class _Bits(keras.callbacks.Callback):
    """Adds bits per character (and elapsed seconds) to the epoch logs; stops on NaN."""

    def __init__(self, chars_per_token: float, t0: float) -> None:
        super().__init__()
        self.k, self.t0 = 1.0 / (LN2 * chars_per_token), t0

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        if not np.isfinite(logs.get("loss", 0.0)):
            raise TrainingDiverged(
                "The loss became NaN: training diverged. Lower the learning rate and try again."
            )
        for name in ("loss", "val_loss"):
            if name in logs:
                logs[name.replace("loss", "bpc")] = float(logs[name]) * self.k
        logs["seconds"] = time.time() - self.t0


def prepare(cfg: Config, data: bytes | None = None) -> dict:
    """Text, vocabulary and id arrays exactly as ``train`` uses them."""
    validate(cfg)
    text = load_corpus(cfg, data)
    describe_text(text, cfg)  # raises ConfigError for texts that cannot train
    vocab, _ = build_vocab(text, cfg.level, vocab_cap(cfg))
    train_text, val_text = split(text, cfg)
    train_ids, val_ids = vocab.encode(train_text), vocab.encode(val_text)
    if len(val_ids) <= cfg.seq_len:  # a short text: validate on the last windows we have
        val_ids = vocab.encode(text[-max(len(val_text), (cfg.seq_len + 1) * 4) :])
    x_val, y_val = validation_windows(val_ids, cfg.seq_len)
    return dict(
        text=text,
        vocab=vocab,
        train_ids=train_ids,
        x_val=x_val,
        y_val=y_val,
        chars_per_token=len(train_text) / max(1, len(train_ids)),
    )


def train(cfg: Config, data: bytes | None = None, report=None) -> dict:
    """Train a language model; returns the model, vocabulary, history and samples.

    Args:
        cfg: the settings (``cfg.budget_s`` > 0 stops after that many seconds).
        data: UTF-8 bytes of an uploaded text, or ``None`` for ``cfg.corpus``.
        report: the job reporter (``None`` when called directly).

    Returns:
        ``model``, ``vocab`` (tokens), ``level``, ``history`` (per epoch: loss, val_loss in
        nats per token, bpc, val_bpc, seconds), ``samples`` (one per epoch), ``val_bpc``
        (final), ``chars_per_s`` (training throughput) and ``seconds``.
    """
    from dl_core.jobs import Reporter
    from dl_core.text_generation.cells import NumpyLM, generate

    report = report if report is not None else Reporter(None)
    d = prepare(cfg, data)
    vocab: Vocab = d["vocab"]
    keras.utils.set_random_seed(cfg.seed)
    model = compile_model(build_model(len(vocab), cfg), cfg)
    steps = steps_per_epoch(cfg, len(d["train_ids"]))
    samples: list[str] = []

    def preview(epoch: int) -> np.ndarray:
        prompt = d["text"][: cfg.seq_len // 2] if cfg.level == "char" else ""
        lm = NumpyLM.from_model(model)
        text = "".join(generate(lm, vocab, prompt, cfg.sample_len, 0.8, seed=cfg.seed + epoch))
        samples.append(text)
        return np.array(text)

    t0 = time.time()
    budget = TimeBudget(cfg.budget_s)
    report(message=f"{len(d['train_ids']):,} training tokens, vocabulary {len(vocab)}")
    fit = model.fit(
        window_dataset(d["train_ids"], cfg),  # endless: one iterator across all epochs
        validation_data=(d["x_val"], d["y_val"]),
        epochs=cfg.epochs,
        steps_per_epoch=steps,
        shuffle=False,  # the windows are already random
        verbose=0,
        callbacks=[
            budget.keras_callback(),
            _Bits(d["chars_per_token"], t0),
            report.keras_callback(cfg.epochs, steps, preview=preview, checkpoint="model"),
        ],
    )
    seconds = time.time() - t0
    history = {k: [float(v) for v in vals] for k, vals in fit.history.items()}
    batches_done = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    val = validation_bpc(model, d["x_val"], d["y_val"], d["chars_per_token"])
    if not np.isfinite(val):
        raise TrainingDiverged(
            "Training diverged (the loss is not a number). Lower the learning rate."
        )
    name = CELL_NAMES[cfg.cell]
    return {
        "model": model,
        "vocab": vocab.tokens,
        "level": cfg.level,
        "history": history,
        "samples": samples,
        "val_bpc": val,
        "seconds": seconds,
        "cell": name,
        "chars_per_s": batches_done * cfg.batch_size * cfg.seq_len * d["chars_per_token"] / seconds,
        "stopped_by_budget": budget.stopped,
    }


def warmup_jobs() -> list[tuple]:
    from dl_core.text_generation.config import PRESETS

    return [(train, PRESETS["default"], None, "Char-LSTM · hamlet")]
