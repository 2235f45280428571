"""Transfer learning: ``train`` (a job) fits a classifier on an ImageNet backbone three ways."""

from __future__ import annotations

import dataclasses
import functools
import time

import numpy as np

from dl_core.assets import imagenet
from dl_core.budget import TimeBudget
from dl_core.transfer.config import MODE_TITLES, MODES, PRESETS, Config, validate
from dl_core.transfer.data import THUMB, load_data, square
from dl_core.transfer.model import (
    _backbone,
    _freeze_bn,
    assemble,
    assemble_scratch,
    count_params,
    head,
    split_backbone,
)

# -- training -------------------------------------------------------------------------------
STOP_BATCH = 8  # images per forward pass outside fit: Stop is checked after each (~1 s on CPU)


def _batched(fn, x: np.ndarray, batch: int, report, what: str) -> np.ndarray:
    """Run ``fn`` over ``x`` in batches, reporting progress (and honouring Stop)."""
    out = []
    for i in range(0, len(x), batch):
        out.append(np.asarray(fn(x[i : i + batch])))
        report(message=f"{what} {min(i + batch, len(x))}/{len(x)}")
    return np.concatenate(out) if out else np.zeros((0,))


def _fit(
    model, inputs, *, y, split, epochs, lr, cfg, report, budget, offset=0, total=None, parts=None
):
    """One training phase: fit ``model`` on ``inputs[train]`` (``split`` = train and
    validation indices), validating on ``inputs[val]``; epochs numbered from ``offset`` + 1
    of ``total``; ``parts`` (``{layer name of the final model: model}``) are saved as
    checkpoints (:mod:`dl_core.checkpoints`) so that the page can rewind the run. The
    phases of :func:`train` bind the arguments they share once (``functools.partial``)."""
    import keras

    tr, va = split
    x, y, xv, yv = inputs[tr], y[tr], inputs[va], y[va]

    model.compile(
        keras.optimizers.Adam(lr), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    steps = int(np.ceil(len(x) / cfg.batch_size))
    progress = report.keras_callback(total or epochs, steps, checkpoint=parts)

    class Shift(keras.callbacks.Callback):  # number fine-tuning epochs after the head's
        def on_epoch_end(self, epoch, logs=None):
            progress.on_epoch_end(epoch + offset, logs)

        def on_epoch_begin(self, epoch, logs=None):
            progress.on_epoch_begin(epoch + offset, logs)

        def on_train_batch_end(self, batch, logs=None):
            progress.on_train_batch_end(batch, logs)

    hist = model.fit(
        x,
        y,
        validation_data=(xv, yv),
        epochs=epochs,
        batch_size=cfg.batch_size,
        shuffle=True,
        verbose=0,
        callbacks=[Shift(), budget.keras_callback()],
    )
    return {k: [float(v) for v in vs] for k, vs in hist.history.items()}, budget.stopped


def _merge(a: dict, b: dict) -> dict:
    return {k: a.get(k, []) + b.get(k, []) for k in sorted(set(a) | set(b))}


def train(cfg: Config, data: bytes | None, report) -> dict:
    """Train one mode; returns the model, curves, validation predictions and features."""
    import keras

    validate(cfg)
    t0 = time.time()
    budget = TimeBudget(cfg.max_seconds)  # one budget for all phases of this mode
    report(message="loading images…")
    keras.utils.set_random_seed(cfg.seed)
    d = load_data(cfg, data)
    size = imagenet.input_size(cfg.backbone)
    x = _batched(
        lambda b: imagenet.preprocess(cfg.backbone, b, crop=1.0),
        d.images,
        64,
        report,
        "preparing images",
    )
    y = d.labels
    tr, va = d.train_idx, d.val_idx
    n_classes = len(d.class_names)
    report(message="loading the pretrained network…")
    backbone = _backbone(cfg.backbone)
    fit = functools.partial(_fit, y=y, split=(tr, va), cfg=cfg, report=report, budget=budget)
    history: dict = {}
    stopped = False
    features_before = features_after = None

    if cfg.mode in ("feature_extraction", "fine_tuning"):
        backbone.trainable = False
        feats = _batched(
            lambda b: backbone(b, training=False), x, STOP_BATCH, report, "extracting features"
        )
        features_before = feats
        clf = head(feats.shape[1], n_classes, cfg.dropout, cfg.seed)
        parts = {"head": clf}
        if cfg.mode == "fine_tuning":  # the top blocks as they are before fine-tuning them
            parts["trainable_top"] = split_backbone(backbone, cfg.unfreeze_blocks)[1]
        report(message="training the new head…")
        budget.restart()  # the time budget covers training, not the feature extraction
        total = cfg.head_epochs + (cfg.fine_tune_epochs if cfg.mode == "fine_tuning" else 0)
        history, stopped = fit(
            clf, feats, epochs=cfg.head_epochs, lr=cfg.head_lr, total=total, parts=parts
        )
        model = assemble(size, backbone, clf)
        trainable = count_params(clf)[0]
        epochs = len(history.get("loss", []))
        if cfg.mode == "fine_tuning" and not stopped:
            bottom, top = split_backbone(backbone, cfg.unfreeze_blocks)
            bottom.trainable = False
            for layer in top.layers:  # shared with the frozen backbone: set each one explicitly
                layer.trainable = True
            _freeze_bn(top)
            acts = _batched(
                lambda b: bottom(b, training=False),
                x,
                STOP_BATCH,
                report,
                "caching frozen activations",
            )
            report(message="fine-tuning the top blocks…")
            inp = keras.Input(acts.shape[1:], name="activations")
            tuned = keras.Model(inp, clf(top(inp, training=False)), name="fine_tune")
            more, stopped = fit(
                tuned,
                acts,
                epochs=cfg.fine_tune_epochs,
                lr=cfg.fine_tune_lr,
                offset=epochs,
                total=total,
                parts={"head": clf, "trainable_top": top},
            )
            history = _merge(history, more)
            history["phase_boundary"] = [epochs]
            model = assemble(size, bottom, top, clf)
            trainable = count_params(tuned)[0]
            features_after = _batched(
                lambda b: top(b, training=False),
                acts,
                cfg.batch_size,
                report,
                "features after fine-tuning",
            )
    else:  # from scratch: the same architecture, random initial weights, everything trains
        fresh = keras.models.clone_model(backbone)  # new layers, freshly initialised weights
        for layer in fresh.layers:
            layer.trainable = True
        clf = head(fresh.output.shape[-1], n_classes, cfg.dropout, cfg.seed)
        model = assemble_scratch(size, fresh, clf)
        report(message="training from scratch…")
        budget.restart()
        history, stopped = fit(
            model, x, epochs=cfg.scratch_epochs, lr=cfg.scratch_lr, parts={"model": model}
        )
        trainable = count_params(model)[0]

    val_probs = _batched(
        lambda b: model(b, training=False), x[va], STOP_BATCH, report, "evaluating"
    )
    val_acc = float((val_probs.argmax(1) == y[va]).mean()) if len(va) else float("nan")
    out = {
        "model": model,
        "history": history,
        "class_names": d.class_names,
        "mode": cfg.mode,
        "val_accuracy": val_acc,
        "epochs": len(history.get("loss", [])),
        "seconds": time.time() - t0,
        "stopped_by_budget": bool(stopped),
        "trainable_params": int(trainable),
        "total_params": int(count_params(model)[1]),
        "val_idx": va,
        "train_idx": tr,
        "labels": y,
        "val_probs": val_probs.astype(np.float32),
        "thumbs": np.stack([square(im, THUMB) for im in d.images]),
    }
    if features_before is not None:
        out["features_before"] = features_before.astype(np.float16)
    if features_after is not None:
        out["features_after"] = features_after.astype(np.float16)
    if d.test_images is not None:
        tx = imagenet.preprocess(cfg.backbone, d.test_images, crop=1.0)
        probs = _batched(
            lambda b: model(b, training=False), tx, cfg.batch_size, report, "held-out test"
        )
        out["test_accuracy"] = float((probs.argmax(1) == d.test_labels).mean())
    report(message="done")
    return out


def warmup_jobs() -> list[tuple]:
    return [
        (
            train,
            dataclasses.replace(PRESETS["default"], mode=m),
            None,
            f"Transfer · {MODE_TITLES[m]}",
        )
        for m in MODES
    ]
