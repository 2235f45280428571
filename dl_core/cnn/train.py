"""Train your own small CNN: ``train`` (runs in a job worker) and ``warmup_jobs``.

The data come from :mod:`dl_core.cnn.data`, the network from :mod:`dl_core.cnn.model`.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from dl_core import viz
from dl_core.cnn.config import (
    PRESETS,
    Config,
    validate,
)
from dl_core.cnn.data import load_data, split
from dl_core.cnn.model import (
    compiled_model,
)
from dl_core.errors import TrainingDiverged


# -- train -----------------------------------------------------------------------------------
def train(cfg: Config, data: bytes | None, report) -> dict[str, Any]:
    """Fit the CNN with live progress; returns the model, curves and test-set analysis."""
    validate(cfg)
    x, y, names = load_data(cfg, data)
    validate(cfg, x.shape[1])
    (x_tr, y_tr), (x_te, y_te) = split(x, y, seed=cfg.seed)
    model = compiled_model(cfg, x.shape[1:], len(names))
    before = np.asarray(model.get_layer("conv1").get_weights()[0])
    steps = math.ceil(len(x_tr) / cfg.batch_size)
    t0 = time.perf_counter()
    hist = model.fit(
        x_tr,
        y_tr,
        validation_data=(x_te, y_te),
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        verbose=0,
        callbacks=[report.keras_callback(cfg.epochs, steps, checkpoint="model")],
    )
    fit_seconds = time.perf_counter() - t0
    history = {k: [float(v) for v in vs] for k, vs in hist.history.items()}
    if not np.all(np.isfinite(history["loss"])):
        raise TrainingDiverged("The loss became NaN: lower the learning rate and train again.")
    probs = np.asarray(model.predict(x_te, batch_size=256, verbose=0))
    pred = probs.argmax(axis=1)
    return {
        "model": model,
        "history": history,
        "class_names": names,
        "test_accuracy": float((pred == y_te).mean()),
        "fit_seconds": fit_seconds,
        "train_samples": int(len(x_tr)),
        "confusion": viz.compute_confusion(y_te, pred, len(names)),
        "x_test": (x_te * 255).round().astype(np.uint8),
        "y_test": y_te,
        "y_pred": pred,
        "filters_before": before,
        "filters_after": np.asarray(model.get_layer("conv1").get_weights()[0]),
    }


def warmup_jobs() -> list[tuple]:
    return [(train, PRESETS["default"], None, "CNN · digits")]
