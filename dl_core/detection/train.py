"""Training YOLOv8 on generated scenes (runs in a job worker): ``train`` and its helpers."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from dl_core.budget import TimeBudget
from dl_core.detection.analysis import evaluate, predict_scenes
from dl_core.detection.boxes import COCO_THRESHOLDS
from dl_core.detection.config import PRESETS, Config, validate
from dl_core.detection.data import CLASSES, make_scenes

VAL_SEED = 424242  # the held-out scenes are the same for every run (comparable mAP)

HEAD_EXPLAINED = """
Older detectors (Faster R-CNN, YOLOv2-v5, RetinaNet) start from **anchor boxes**: a few
hand-picked box sizes and shapes at every grid cell, each predicting a correction. YOLOv8 is
**anchor-free**: every cell centre of three grids (strides 8, 16 and 32 pixels, for small,
medium and large objects) is an *anchor point* that predicts

* **class scores**, one sigmoid per class (no separate "objectness"), and
* **four distances** from the point to the box's left, top, right and bottom edges, each as a
  probability over 16 bins; the expected value is the distance (distribution focal loss).

A task-aligned assigner picks, for each true box, the points inside it whose score and IoU
are both high. The **box loss** (complete IoU) grows as the predicted box overlaps less, its
centre drifts and its aspect ratio differs; the **class loss** (binary cross-entropy) pushes
assigned points' scores towards their IoU and all other scores towards zero. Many points
fire on the same object, which is why NMS is needed afterwards.
"""


# -- training ------------------------------------------------------------------------------
def scene_kwargs(cfg: Config) -> dict[str, Any]:
    return dict(
        size=cfg.image_size,
        max_objects=cfg.max_objects,
        max_occlusion=cfg.max_occlusion,
        texture=cfg.texture,
    )


def validation_scenes(cfg: Config) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The held-out scenes (the same for every seed, so runs compare)."""
    return make_scenes(cfg.n_val, VAL_SEED, **scene_kwargs(cfg))


def train(cfg: Config, data: bytes | None, report) -> dict[str, Any]:
    """Train YOLOv8 on generated scenes; mAP@0.5 on held-out scenes after every epoch.

    Runs in a worker. Progress: box and class losses every batch; each epoch adds
    ``val_map50`` (on up to 64 held-out scenes) and a preview (predictions on one fixed
    held-out scene). Returns the model, the history, the final mAP@0.5 and mAP@0.5:0.95
    on all ``n_val`` held-out scenes and a few of them for the page.

    Always in float32, whatever the global dtype policy: keras-cv's YOLOv8 loss and label
    assigner mix float32 constants with the model's outputs, and fail under the
    ``mixed_float16`` policy a GPU worker sets with ``DL_EXPLORER_MIXED_PRECISION=1``.
    """
    import keras

    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        return _train(cfg, data, report)
    finally:
        keras.config.set_dtype_policy(policy)


def _train(cfg: Config, data: bytes | None, report) -> dict[str, Any]:
    validate(cfg)
    import keras

    from dl_core.detection import model as yolo
    from dl_core.detection import plots

    report(message="generating scenes")
    x, b, c = make_scenes(cfg.n_train, cfg.seed * 7919 + 1, **scene_kwargs(cfg))
    vx, vb, vc = validation_scenes(cfg)
    keras.utils.set_random_seed(cfg.seed)
    model = yolo.build_detector(len(CLASSES), cfg.image_size, cfg.width, cfg.depth)
    data_seq = yolo.SceneBatches(x, b, c, cfg.batch_size, cfg.seed)
    steps = len(data_seq)
    yolo.compile_detector(model, cfg.learning_rate, cfg.eager, total_steps=steps * cfg.epochs)
    if not cfg.eager:
        yolo.build_training_state(model, data_seq[0])
    history: dict[str, list[float]] = {"val_map50": [], "elapsed_s": []}
    t0 = time.time()
    budget = TimeBudget(cfg.time_budget_s)
    n_eval = min(64, cfg.n_val)
    state: dict[str, Any] = {}

    class _Epoch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            state.setdefault("first_step_s", time.time() - t0)  # mostly graph compilation
            if budget.spent():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            dets = predict_scenes(self.model, vx[:n_eval])
            score = evaluate(dets, vb[:n_eval], vc[:n_eval])["map"]
            logs["val_map50"] = score
            history["val_map50"].append(score)
            history["elapsed_s"].append(time.time() - t0)
            state["preview"] = plots.draw_boxes(vx[0], dets[0], CLASSES)

    report(message="compiling the training graph" if not cfg.eager else "training")
    fit = model.fit(
        data_seq,
        epochs=cfg.epochs,
        verbose=0,
        callbacks=[
            _Epoch(),
            report.keras_callback(
                cfg.epochs, steps, lambda e: state["preview"], checkpoint="model"
            ),
        ],
    )
    for k, v in fit.history.items():
        if k not in history:
            history[k] = [float(f) for f in v]
    seconds = time.time() - t0
    dets = predict_scenes(model, vx)
    final = evaluate(dets, vb, vc, COCO_THRESHOLDS)
    return {
        "model": model,
        "history": history,
        "map50": float(np.nanmean(final["ap"][0])),
        "map50_95": final["map"],
        "ap50_per_class": [None if np.isnan(a) else float(a) for a in final["ap"][0]],
        "train_seconds": seconds,
        "first_step_s": state.get("first_step_s", seconds),
        "steps_run": int(keras.ops.convert_to_numpy(model.optimizer.iterations)),
        "epochs_run": len(history["val_map50"]),
        "val_images": vx[:8],
        "val_boxes": vb[:8],
        "val_classes": vc[:8],
    }


def load_detector(result: Any) -> Any:
    """The trained YOLOv8 from a job result (imports keras-cv first, so it deserialises)."""
    from dl_core.detection import model as yolo  # noqa: F401

    return result["model"]


def warmup_jobs() -> list[tuple]:
    return [(train, PRESETS["default"], None, "YOLOv8 · default")]
