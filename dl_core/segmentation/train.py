"""The training job: a U-Net or DeepLab on scenes or silhouettes (``Config``: :mod:`.config`).

``train`` runs in a worker (:mod:`dl_core.jobs`). After every epoch it predicts the held-out
set and reports pixel accuracy, mean IoU and each class's IoU, with the predicted masks of a
few fixed held-out images as the progress preview.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np

from dl_core.budget import TimeBudget
from dl_core.errors import TrainingDiverged
from dl_core.segmentation import analysis
from dl_core.segmentation.config import PRESETS, Config, validate
from dl_core.segmentation.data import make_dataset
from dl_core.segmentation.model import (
    build_deeplab,
    build_unet,
)

N_SHOWN = 6  # held-out images whose masks are shown every epoch


def build_model(cfg: Config, n_classes: int):
    """The network ``cfg`` describes (not compiled)."""
    if cfg.architecture == "deeplab":
        return build_deeplab(
            cfg.image_size, n_classes, width=cfg.width, rates=cfg.rates, encoder=cfg.encoder
        )
    return build_unet(
        cfg.image_size,
        n_classes,
        depth=cfg.depth,
        width=cfg.width,
        skips=cfg.skips,
        upsampling=cfg.upsampling,
        encoder=cfg.encoder,
    )


def _monitor(model, xv, yv, names, cfg: Config, total_steps: int):
    """A callback: cosine learning-rate decay, held-out IoU after each epoch (into the logs),
    the time limit and a NaN check.

    The decay follows whichever runs out first, the steps or ``cfg.max_seconds``, so a
    run cut short by its time budget still ends at a low learning rate.
    """
    import keras

    budget = TimeBudget(cfg.max_seconds)

    class HeldOut(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            budget.restart()
            self.step = 0
            self.pred = np.zeros_like(yv)

        def on_train_batch_begin(self, batch, logs=None):
            done = max(self.step / total_steps, budget.fraction())
            lr = cfg.learning_rate * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, done))))
            self.model.optimizer.learning_rate.assign(lr)
            self.step += 1

        def on_train_batch_end(self, batch, logs=None):
            loss = (logs or {}).get("loss")
            if loss is not None and not np.isfinite(float(loss)):
                raise TrainingDiverged(
                    "The loss became NaN: lower the learning rate and train again."
                )
            if budget.spent():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            self.pred = analysis.predict_masks(model, xv)
            iou = analysis.per_class_iou(yv, self.pred, len(names))
            logs = logs if logs is not None else {}
            logs["val_pixel_accuracy"] = analysis.pixel_accuracy(yv, self.pred)
            logs["val_mean_iou"] = float(np.nanmean(iou))
            for name, v in zip(names, iou, strict=True):
                logs[f"iou_{name}"] = float(v)

        def preview(self, epoch):
            return analysis.preview_strip(xv[:N_SHOWN], self.pred[:N_SHOWN], len(names))

    return HeldOut()


def train(cfg: Config, data: bytes | None, report) -> dict:
    """Train the segmenter ``cfg`` describes; runs in a worker process.

    Returns the model, the per-epoch history, held-out images with true and predicted
    masks, and the final held-out per-class IoU.
    """
    import keras

    del data  # bundled data only: scenes are generated, silhouettes ship with animal-mnist
    validate(cfg)
    keras.utils.set_random_seed(cfg.seed)
    report(message="Generating data")
    x, y, names = make_dataset(cfg.dataset, cfg.n_train, cfg.image_size, cfg.seed, "train")
    xv, yv, _ = make_dataset(cfg.dataset, cfg.n_val, cfg.image_size, cfg.seed, "val")
    report(message="Building the model")
    model = build_model(cfg, len(names))
    steps = math.ceil(len(x) / cfg.batch_size)
    model.compile(
        optimizer=keras.optimizers.Adam(cfg.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="pixel_accuracy")],
    )
    monitor = _monitor(model, xv, yv, names, cfg, cfg.epochs * steps)
    t0 = time.time()
    hist = model.fit(
        x,
        y,
        batch_size=cfg.batch_size,
        epochs=cfg.epochs,
        verbose=0,
        shuffle=True,
        callbacks=[
            monitor,
            report.keras_callback(cfg.epochs, steps, preview=monitor.preview, checkpoint="model"),
        ],
    )
    seconds = time.time() - t0
    iou = analysis.per_class_iou(yv, monitor.pred, len(names))
    return {
        "model": model,
        "history": {k: [float(v) for v in vs] for k, vs in hist.history.items()},
        "class_names": names,
        "val_images": xv[: 2 * N_SHOWN],
        "val_masks": yv[: 2 * N_SHOWN],
        "val_pred": monitor.pred[: 2 * N_SHOWN],
        "per_class_iou": [None if np.isnan(v) else float(v) for v in iou],
        "val_mean_iou": float(np.nanmean(iou)),
        "val_pixel_accuracy": analysis.pixel_accuracy(yv, monitor.pred),
        "epochs_run": len(hist.history.get("loss", [])),
        "seconds": seconds,
    }


def twin(cfg: Config) -> Config:
    """The same U-Net with skip connections toggled (for the side-by-side comparison)."""
    return replace(cfg, skips=not cfg.skips)


def warmup_jobs() -> list[tuple]:
    """What ``python -m dl_core warmup`` trains so the page opens with results ready."""
    default = PRESETS["default"]
    return [
        (train, default, None, "U-Net · scenes"),
        (train, twin(default), None, "U-Net without skips · scenes"),
    ]
