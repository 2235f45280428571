"""Config, presets and the training job: a U-Net or DeepLab on scenes or silhouettes.

``train`` runs in a worker (:mod:`dl_core.jobs`). After every epoch it predicts the held-out
set and reports pixel accuracy, mean IoU and each class's IoU, with the predicted masks of a
few fixed held-out images as the progress preview.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np

from dl_core.errors import ConfigError, TrainingDiverged
from dl_core.segmentation import analysis
from dl_core.segmentation.data import DATASETS, make_dataset
from dl_core.segmentation.models import (
    ARCHITECTURES,
    ENCODERS,
    UPSAMPLING,
    build_deeplab,
    build_unet,
)

N_SHOWN = 6  # held-out images whose masks are shown every epoch


@dataclass(frozen=True)
class Config:
    """Every choice the segmentation page offers."""

    dataset: str = "scenes"  # "scenes" | "animals"
    architecture: str = "unet"  # "unet" | "deeplab"
    encoder: str = "scratch"  # "scratch" | "mobilenet_v2" | "efficientnet_lite0"
    image_size: int = 32
    n_train: int = 3000
    n_val: int = 200
    depth: int = 3  # U-Net levels
    width: int = 16  # filters of the first stage
    skips: bool = True  # U-Net skip connections
    upsampling: str = "transpose"  # U-Net decoder: "transpose" | "bilinear"
    rates: tuple[int, ...] = (2, 4, 6)  # DeepLab ASPP dilation rates
    epochs: int = 10
    batch_size: int = 16
    learning_rate: float = 3e-3  # peak; cosine decay to 5 % over the run
    max_seconds: float = 0.0  # stop after this long (0 = run all epochs); used by bench/
    seed: int = 0


PRESETS: dict[str, Config] = {
    "tiny": Config(image_size=24, n_train=64, n_val=16, depth=2, width=8, epochs=1, batch_size=16),
    "default": Config(epochs=4),  # about 1.5 min on 2 CPU cores
    "longer": Config(),  # 3000 images x 10 epochs: best masks, several minutes on a CPU
}


def validate(cfg: Config) -> list[str]:
    """Raise :class:`ConfigError` for impossible settings; return warnings worth showing."""
    checks = [
        (cfg.dataset in DATASETS, f"Unknown data set '{cfg.dataset}'."),
        (cfg.architecture in ARCHITECTURES, f"Unknown architecture '{cfg.architecture}'."),
        (cfg.encoder in ENCODERS, f"Unknown encoder '{cfg.encoder}'."),
        (cfg.upsampling in UPSAMPLING, f"Unknown upsampling '{cfg.upsampling}'."),
        (16 <= cfg.image_size <= 128, "Image size must be between 16 and 128 pixels."),
        (16 <= cfg.n_train <= 5000, "Use between 16 and 5 000 training images."),
        (4 <= cfg.n_val <= 1000, "Use between 4 and 1 000 held-out images."),
        (4 <= cfg.width <= 64, "Width must be between 4 and 64 filters."),
        (1 <= cfg.epochs <= 100, "Epochs must be between 1 and 100."),
        (1 <= cfg.batch_size <= 256, "Batch size must be between 1 and 256."),
        (1e-5 <= cfg.learning_rate <= 1.0, "The learning rate must be between 0.00001 and 1."),
        (1 <= len(cfg.rates) <= 4, "DeepLab needs one to four atrous rates."),
        (all(1 <= r <= 12 for r in cfg.rates), "Atrous rates must be between 1 and 12."),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)
    lo, hi = (1, 4) if cfg.encoder == "scratch" else (2, 5)
    if cfg.architecture == "unet" and not lo <= cfg.depth <= hi:
        raise ConfigError(f"U-Net depth must be between {lo} and {hi} with this encoder.")
    if cfg.architecture == "unet" and cfg.encoder == "scratch" and cfg.image_size < 2**cfg.depth:
        raise ConfigError(
            f"A depth of {cfg.depth} halves {cfg.image_size}-pixel images to nothing; "
            "use a smaller depth or larger images."
        )
    warnings = []
    if cfg.encoder != "scratch":
        warnings.append(
            "The ImageNet encoder is frozen (only the decoder learns) and sees images padded "
            "to a multiple of 32 pixels."
        )
    if (
        cfg.architecture == "deeplab"
        and cfg.encoder == "scratch"
        and max(cfg.rates) * 2 >= (cfg.image_size / 8)
    ):
        warnings.append(
            f"At {cfg.image_size} px the ASPP sees a {math.ceil(cfg.image_size / 8)}×"
            f"{math.ceil(cfg.image_size / 8)} map: a rate of {max(cfg.rates)} puts most kernel taps "
            "in the zero padding."
        )
    return warnings


def build_model(cfg: Config, n_classes: int):
    """The network ``cfg`` describes (not compiled)."""
    if cfg.architecture == "deeplab":
        return build_deeplab(
            cfg.image_size, n_classes, width=cfg.width, rates=cfg.rates, encoder=cfg.encoder
        )
    return build_unet(
        cfg.image_size, n_classes, depth=cfg.depth, width=cfg.width, skips=cfg.skips,
        upsampling=cfg.upsampling, encoder=cfg.encoder,
    )  # fmt: skip


def _monitor(model, xv, yv, names, cfg: Config, total_steps: int):
    """A callback: cosine learning-rate decay, held-out IoU after each epoch (into the logs),
    the time limit and a NaN check.

    The decay follows whichever runs out first, the steps or ``cfg.max_seconds``, so a
    run cut short by its time budget still ends at a low learning rate.
    """
    import keras

    max_seconds = cfg.max_seconds

    class HeldOut(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.t0 = time.time()
            self.step = 0
            self.pred = np.zeros_like(yv)

        def on_train_batch_begin(self, batch, logs=None):
            done = self.step / total_steps
            if max_seconds:
                done = max(done, (time.time() - self.t0) / max_seconds)
            lr = cfg.learning_rate * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, done))))
            self.model.optimizer.learning_rate.assign(lr)
            self.step += 1

        def on_train_batch_end(self, batch, logs=None):
            loss = (logs or {}).get("loss")
            if loss is not None and not np.isfinite(float(loss)):
                raise TrainingDiverged(
                    "The loss became NaN: lower the learning rate and train again."
                )
            if max_seconds and time.time() - self.t0 > max_seconds:
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
        x, y, batch_size=cfg.batch_size, epochs=cfg.epochs, verbose=0, shuffle=True,
        callbacks=[monitor, report.keras_callback(cfg.epochs, steps, preview=monitor.preview)],
    )  # fmt: skip
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
