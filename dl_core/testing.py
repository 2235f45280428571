"""Small jobs that exercise the job system (tests and ``bench/``), not a topic.

``train`` counts steps with an optional sleep, crash (``os._exit``) or exception, so the
worker pool's behaviour can be checked end to end; ``train_mlp`` is a tiny real Keras fit.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from dl_core.errors import ConfigError


@dataclass(frozen=True)
class Config:
    steps: int = 5
    sleep_s: float = 0.0
    crash_at: int = -1  # step at which the process exits hard (simulates a segfault/OOM kill)
    raise_at: int = -1  # step at which a Python exception is raised
    user_error: bool = False
    report: bool = True  # False: a loop that never reports (cannot be stopped politely)
    seed: int = 0
    epochs: int = 2  # train_mlp only
    samples: int = 512  # train_mlp only


PRESETS = {"tiny": Config(), "default": Config(steps=20)}


def train(cfg: Config, data: bytes | None, report) -> dict:
    """Count to ``cfg.steps``; returns the data length and an array."""
    if cfg.user_error:
        raise ConfigError("Steps must be positive.")
    total = 0
    for step in range(1, cfg.steps + 1):
        if step == cfg.crash_at:
            os._exit(3)
        if step == cfg.raise_at:
            raise RuntimeError(f"boom at step {step}")
        if cfg.sleep_s:
            time.sleep(cfg.sleep_s)
        total += step
        if cfg.report:
            report(step=step, total=cfg.steps, metrics={"total": total})
    report(epoch=1, total=1, metrics={"total": total}, preview=np.arange(4))
    return {
        "total": total,
        "data_len": len(data or b""),
        "squares": np.arange(cfg.steps) ** 2,
        "pid": os.getpid(),
    }


def train_mlp(cfg: Config, data: bytes | None, report) -> dict:
    """A tiny Keras MLP on synthetic data: the smallest real training job."""
    import keras

    rng = np.random.default_rng(cfg.seed)
    x = rng.normal(size=(cfg.samples, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    keras.utils.set_random_seed(cfg.seed)
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    steps = int(np.ceil(cfg.samples / 32))
    hist = model.fit(
        x,
        y,
        epochs=cfg.epochs,
        batch_size=32,
        verbose=0,
        callbacks=[report.keras_callback(cfg.epochs, steps)],
    )
    return {
        "model": model,
        "history": {k: [float(v) for v in vs] for k, vs in hist.history.items()},
    }


def worker_info(cfg: Config, data: bytes | None, report) -> dict:
    """The CPU limits the process running this job has (niceness, cores, thread variables)."""
    from dl_core.jobs import cpu

    report(epoch=1, total=1, metrics={})
    return cpu.current() | {"pid": os.getpid()}
