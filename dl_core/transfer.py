"""Transfer learning: teach a pretrained ImageNet network the visitor's own classes.

Three ways, same data, same split, same seed (Yosinski et al., "How transferable are
features in deep neural networks?", 2014; the Keras transfer-learning guide):

- **feature extraction** — the backbone is frozen; only a new softmax head is trained on
  its pooled features: ``y = softmax(W · φ(x) + b)``;
- **fine-tuning** — after the head is trained, the top N blocks of the backbone are
  unfrozen and trained together with it at a lower learning rate; BatchNorm layers stay in
  inference mode (their statistics are ImageNet's and a few images would ruin them);
- **from scratch** — the same architecture from random initialisation.

Because the frozen part of the backbone never changes and there is no augmentation, its
output is computed once per image and cached: training then only runs the trainable part.
This is exactly the same model and the same gradients, at a fraction of the cost.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from dl_core import viz
from dl_core.assets import imagenet, load_images
from dl_core.errors import ConfigError, UserError
from dl_core.store import pack_arrays, unpack_arrays

MODES = ("feature_extraction", "fine_tuning", "scratch")
MODE_TITLES = {
    "feature_extraction": "Feature extraction",
    "fine_tuning": "Fine-tuning",
    "scratch": "From scratch",
}
BACKBONES = tuple(imagenet.IMAGENET_MODELS)
ANIMALS = ("bear", "bird", "cat", "cow", "dog", "elephant", "giraffe", "horse", "sheep", "zebra")
MIN_PER_CLASS = 5  # below this a class gets a warning: too few to learn from and validate on
THUMB = 64


# -- configuration --------------------------------------------------------------------------
@dataclass(frozen=True)
class Config:
    mode: str = "feature_extraction"
    backbone: str = "efficientnet_lite0"
    dataset: str = "animal_mnist"  # or "upload" (data comes as a blob)
    classes: tuple[str, ...] = ANIMALS  # Animal-MNIST classes used
    per_class: int = 30  # Animal-MNIST images per class (train + validation)
    test_per_class: int = 0  # extra held-out Animal-MNIST images per class (benchmark)
    val_fraction: float = 0.25
    head_epochs: int = 40
    head_lr: float = 3e-3
    unfreeze_blocks: int = 2
    fine_tune_epochs: int = 10
    fine_tune_lr: float = 3e-4
    scratch_epochs: int = 10
    scratch_lr: float = 1e-3
    batch_size: int = 32
    dropout: float = 0.2
    max_seconds: float = 240.0  # training stops (keeping what it learned) after this long
    seed: int = 0


PRESETS = {
    "tiny": Config(classes=("cat", "dog", "horse"), per_class=6, head_epochs=3, unfreeze_blocks=1,
                   fine_tune_epochs=1, scratch_epochs=1, batch_size=8, max_seconds=60),
    "default": Config(),
}  # fmt: skip


def validate(cfg: Config) -> list[str]:
    """Raise :class:`ConfigError` for impossible settings; return warnings."""
    if cfg.mode not in MODES:
        raise ConfigError(f"Unknown training mode '{cfg.mode}'; choose one of {', '.join(MODES)}.")
    if cfg.backbone not in BACKBONES and cfg.backbone not in imagenet.ONLINE_MODELS:
        raise ConfigError(f"Unknown backbone '{cfg.backbone}'.")
    if cfg.dataset == "animal_mnist":
        unknown = [c for c in cfg.classes if c not in ANIMALS]
        if unknown:
            raise ConfigError(
                f"Animal-MNIST has no class {unknown[0]!r}; it has {', '.join(ANIMALS)}."
            )
        if len(set(cfg.classes)) < 2:
            raise ConfigError(
                "Pick at least two classes: a classifier needs something to tell apart."
            )
        if not 2 <= cfg.per_class <= 1000:
            raise ConfigError("Images per class must be between 2 and 1000.")
    if not 0.05 <= cfg.val_fraction <= 0.5:
        raise ConfigError("The validation share must be between 5% and 50%.")
    for name in ("head_lr", "fine_tune_lr", "scratch_lr"):
        lr = getattr(cfg, name)
        if not 1e-6 <= lr <= 1.0:
            raise ConfigError(f"A learning rate of {lr:g} is outside the sensible range 1e-6 … 1.")
    for name in ("head_epochs", "fine_tune_epochs", "scratch_epochs"):
        if not 1 <= getattr(cfg, name) <= 500:
            raise ConfigError("Epochs must be between 1 and 500.")
    if not 1 <= cfg.batch_size <= 512:
        raise ConfigError("The batch size must be between 1 and 512.")
    if not 0.0 <= cfg.dropout < 1.0:
        raise ConfigError("Dropout must be at least 0 and below 1.")
    if not 5 <= cfg.max_seconds <= 3600:
        raise ConfigError("The time budget must be between 5 seconds and one hour.")
    warnings = []
    if cfg.fine_tune_lr > cfg.head_lr:
        warnings.append(
            "The fine-tuning learning rate is higher than the head's: large updates can wreck the pretrained features."
        )
    return warnings


# -- data -----------------------------------------------------------------------------------
@dataclass
class Data:
    """Images (uint8, square), labels, class names, and a fixed stratified split."""

    images: np.ndarray  # (N, S, S, 3) uint8
    labels: np.ndarray  # (N,) int64
    class_names: list[str]
    train_idx: np.ndarray
    val_idx: np.ndarray
    test_images: np.ndarray | None = None
    test_labels: np.ndarray | None = None


def square(image: np.ndarray, size: int = 224) -> np.ndarray:
    """Centre-crop to a square and resize to ``size`` (uint8 RGB)."""
    from PIL import Image

    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    h, w = img.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = img[top : top + side, left : left + side]
    return np.asarray(Image.fromarray(crop).resize((size, size), Image.BILINEAR), dtype=np.uint8)


def pack_upload(
    images: list[np.ndarray], labels: np.ndarray, class_names: list[str], size: int = 224
) -> bytes:
    """Uploaded images as one blob: squared, resized, with labels and class names."""
    if len(images) == 0:
        raise UserError("There are no images to train on yet.")
    x = np.stack([square(i, size) for i in images])
    return pack_arrays(
        images=x, labels=np.asarray(labels, dtype=np.int64), class_names=list(class_names)
    )


def split(labels: np.ndarray, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split: at least one validation image per class that has two or more."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_val = int(round(len(idx) * val_fraction))
        n_val = min(max(n_val, 1 if len(idx) >= 2 else 0), len(idx) - 1)
        val += idx[:n_val].tolist()
        train += idx[n_val:].tolist()
    return np.sort(np.array(train, dtype=np.int64)), np.sort(np.array(val, dtype=np.int64))


def load_data(cfg: Config, data: bytes | None) -> Data:
    """The bundled example set or the uploaded blob, split with ``cfg.seed``."""
    if cfg.dataset == "upload":
        if data is None:
            raise UserError("Upload images (or a zip of class folders) first.")
        packed = unpack_arrays(data)
        x, y, names = packed["images"], packed["labels"], list(packed["class_names"])
        test_x = test_y = None
    elif cfg.dataset == "animal_mnist":
        ds = load_images(
            "animal_mnist", per_class=cfg.per_class + cfg.test_per_class, seed=cfg.seed
        )
        keep = [ds.class_names.index(c) for c in cfg.classes]
        names = [ds.class_names[k] for k in keep]
        mask = np.isin(ds.y, keep)
        raw_x, raw_y = ds.x[mask], np.array([keep.index(v) for v in ds.y[mask]], dtype=np.int64)
        # The first per_class of each class are for training/validation, the rest held out.
        order = np.argsort(raw_y, kind="stable")
        raw_x, raw_y = raw_x[order], raw_y[order]
        rank = np.concatenate([np.arange((raw_y == c).sum()) for c in range(len(names))])
        pool, held = rank < cfg.per_class, rank >= cfg.per_class
        x = np.stack([square(255 - i, 224) for i in raw_x[pool]])  # dark shapes on white
        y = raw_y[pool]
        test_x = np.stack([square(255 - i, 224) for i in raw_x[held]]) if held.any() else None
        test_y = raw_y[held] if held.any() else None
    else:
        raise ConfigError(f"Unknown dataset '{cfg.dataset}'.")
    counts = np.bincount(y, minlength=len(names))
    if len(names) < 2 or (counts > 0).sum() < 2:
        raise UserError("Transfer learning needs at least two classes with images.")
    if counts.min() < 2:
        raise UserError(
            f"Class '{names[int(counts.argmin())]}' has only {counts.min()} image(s); each class needs at least two (one to train on, one to check)."
        )
    train_idx, val_idx = split(y, cfg.val_fraction, cfg.seed)
    return Data(x, y, names, train_idx, val_idx, test_x, test_y)


@dataclass
class DatasetCheck:
    """What to know about a dataset before training on it."""

    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    duplicates: list[tuple[int, int, int]] = field(
        default_factory=list
    )  # (train i, val j, distance)


def dhash(image: np.ndarray, size: int = 8) -> int:
    """Difference hash: 64 bits saying whether each pixel is brighter than its right neighbour."""
    from PIL import Image

    grey = (
        Image.fromarray(np.asarray(image, dtype=np.uint8))
        .convert("L")
        .resize((size + 1, size), Image.BILINEAR)
    )
    px = np.asarray(grey, dtype=np.int16)
    bits = (px[:, 1:] > px[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def check_dataset(images: np.ndarray, labels: np.ndarray, class_names: list[str], train_idx: np.ndarray,
                  val_idx: np.ndarray, max_distance: int = 4) -> DatasetCheck:  # fmt: skip
    """Counts per class, imbalance and too-few warnings, near-duplicates across the split."""
    counts = {name: int((labels == i).sum()) for i, name in enumerate(class_names)}
    check = DatasetCheck(counts)
    few = [f"{n} ({c})" for n, c in counts.items() if c < MIN_PER_CLASS]
    if few:
        check.warnings.append(
            f"Few images in {', '.join(few)}: aim for at least {MIN_PER_CLASS} per class (10–30 is better)."
        )
    nonzero = [c for c in counts.values() if c]
    if nonzero and max(nonzero) >= 3 * min(nonzero):
        check.warnings.append(
            f"The classes are imbalanced (largest {max(nonzero)}, smallest {min(nonzero)} images): the model will favour the large ones and accuracy will flatter it."
        )
    hashes = np.array([dhash(im) for im in images], dtype=np.uint64)
    for j in val_idx:
        dist = np.array([bin(int(h) ^ int(hashes[j])).count("1") for h in hashes[train_idx]])
        if len(dist) and dist.min() <= max_distance:
            i = int(train_idx[int(dist.argmin())])
            check.duplicates.append((i, int(j), int(dist.min())))
    if check.duplicates:
        check.warnings.append(
            f"{len(check.duplicates)} validation image(s) look almost the same as a training image: validation accuracy will be optimistic."
        )
    return check


# -- models ---------------------------------------------------------------------------------
def _backbone(name: str):
    """The pretrained network without its ImageNet classifier (pooled features out)."""
    import keras

    if name in imagenet.ONLINE_MODELS:
        full = imagenet.load_online(name)
        return keras.Model(full.input, full.layers[-2].output, name=f"{name}_features")
    full = imagenet.imagenet_model(name, fresh=True)
    return keras.Model(full.input, full.get_layer("avg_pool").output, name=f"{name}_features")


def split_backbone(backbone, unfreeze_blocks: int):
    """Cut the backbone before its top ``unfreeze_blocks`` blocks: (frozen bottom, trainable top)."""
    import keras

    groups = [g for g in imagenet.blocks(backbone) if g[1]]
    n = max(1, min(unfreeze_blocks, len(groups) - 1))
    first = backbone.get_layer(groups[-n][1][0])
    cut = first.input
    bottom = keras.Model(backbone.input, cut, name="frozen_bottom")
    top = keras.Model(cut, backbone.output, name="trainable_top")
    return bottom, top


def head(n_features: int, n_classes: int, dropout: float, seed: int):
    import keras

    inputs = keras.Input((n_features,), name="features")
    x = keras.layers.Dropout(dropout, seed=seed, name="head_dropout")(inputs)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="head_softmax")(x)
    return keras.Model(inputs, outputs, name="head")


def _freeze_bn(model) -> None:
    """BatchNorm in inference mode: frozen layers use ImageNet statistics, never batch ones."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


def assemble(image_size: int, *parts):
    """One model, image -> probabilities, from nested parts: what is evaluated, explained
    (Grad-CAM finds the last convolution inside the nested backbone) and exported."""
    import keras

    inputs = keras.Input((image_size, image_size, 3), name="image")
    x = inputs
    for part in parts:
        x = part(x)
    return keras.Model(inputs, x, name="transfer_model")


def count_params(model) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    total = int(sum(np.prod(w.shape) for w in model.weights))
    return trainable, total


# -- training -------------------------------------------------------------------------------
def _batched(fn, x: np.ndarray, batch: int, report, what: str) -> np.ndarray:
    """Run ``fn`` over ``x`` in batches, reporting progress (and honouring Stop)."""
    out = []
    for i in range(0, len(x), batch):
        out.append(np.asarray(fn(x[i : i + batch])))
        report(message=f"{what} {min(i + batch, len(x))}/{len(x)}")
    return np.concatenate(out) if out else np.zeros((0,))


def _budget_callback(seconds: float, t0: float):
    """A Keras callback that ends training (keeping the weights) after ``seconds``."""
    import keras

    class Budget(keras.callbacks.Callback):
        stopped = False

        def on_train_batch_end(self, batch, logs=None):
            if time.time() - t0 > seconds:
                self.model.stop_training = True
                self.stopped = True

    return Budget()


def _fit(model, x, y, xv, yv, *, epochs, lr, cfg, report, t0, offset=0, total=None):
    import keras

    model.compile(
        keras.optimizers.Adam(lr), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    steps = int(np.ceil(len(x) / cfg.batch_size))
    budget = _budget_callback(cfg.max_seconds, t0)
    progress = report.keras_callback(total or epochs, steps)

    class Shift(keras.callbacks.Callback):  # number fine-tuning epochs after the head's
        def on_epoch_end(self, epoch, logs=None):
            progress.on_epoch_end(epoch + offset, logs)

        def on_epoch_begin(self, epoch, logs=None):
            progress.on_epoch_begin(epoch + offset, logs)

        def on_train_batch_end(self, batch, logs=None):
            progress.on_train_batch_end(batch, logs)

    hist = model.fit(x, y, validation_data=(xv, yv), epochs=epochs, batch_size=cfg.batch_size,
                     shuffle=True, verbose=0, callbacks=[Shift(), budget])  # fmt: skip
    return {k: [float(v) for v in vs] for k, vs in hist.history.items()}, budget.stopped


def _merge(a: dict, b: dict) -> dict:
    return {k: a.get(k, []) + b.get(k, []) for k in sorted(set(a) | set(b))}


def train(cfg: Config, data: bytes | None, report) -> dict:
    """Train one mode; returns the model, curves, validation predictions and features."""
    import keras

    validate(cfg)
    t0 = time.time()
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
    backbone = _backbone(cfg.backbone)
    history: dict = {}
    stopped = False
    features_before = features_after = None

    if cfg.mode in ("feature_extraction", "fine_tuning"):
        backbone.trainable = False
        feats = _batched(
            lambda b: backbone(b, training=False), x, cfg.batch_size, report, "extracting features"
        )
        features_before = feats
        clf = head(feats.shape[1], n_classes, cfg.dropout, cfg.seed)
        total = cfg.head_epochs + (cfg.fine_tune_epochs if cfg.mode == "fine_tuning" else 0)
        history, stopped = _fit(clf, feats[tr], y[tr], feats[va], y[va], epochs=cfg.head_epochs,
                                lr=cfg.head_lr, cfg=cfg, report=report, t0=t0, total=total)  # fmt: skip
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
                cfg.batch_size,
                report,
                "caching frozen activations",
            )
            inp = keras.Input(acts.shape[1:], name="activations")
            tuned = keras.Model(inp, clf(top(inp, training=False)), name="fine_tune")
            more, stopped = _fit(tuned, acts[tr], y[tr], acts[va], y[va], epochs=cfg.fine_tune_epochs,
                                 lr=cfg.fine_tune_lr, cfg=cfg, report=report, t0=t0,
                                 offset=epochs, total=total)  # fmt: skip
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
        history, stopped = _fit(model, x[tr], y[tr], x[va], y[va], epochs=cfg.scratch_epochs,
                                lr=cfg.scratch_lr, cfg=cfg, report=report, t0=t0)  # fmt: skip
        trainable = count_params(model)[0]

    val_probs = _batched(
        lambda b: model(b, training=False), x[va], cfg.batch_size, report, "evaluating"
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


def assemble_scratch(image_size: int, backbone, clf):
    """From scratch: BatchNorm learns its statistics, so the backbone runs in training mode."""
    import keras

    inputs = keras.Input((image_size, image_size, 3), name="image")
    return keras.Model(inputs, clf(backbone(inputs)), name="transfer_model")


def warmup_jobs() -> list[tuple]:
    return [(train, Config(mode=m), None, f"Transfer · {MODE_TITLES[m]}") for m in MODES]


# -- analysis -------------------------------------------------------------------------------
def predict(model, images: np.ndarray, backbone: str) -> np.ndarray:
    """Class probabilities for uint8 RGB images of any size (squared like the training set)."""
    x = imagenet.preprocess(
        backbone, np.stack([square(i, imagenet.input_size(backbone)) for i in images]), crop=1.0
    )
    return np.asarray(model(x, training=False))


def project(features: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """2-D projection of feature vectors (PCA by SVD; UMAP when installed and asked for)."""
    f = np.asarray(features, dtype=np.float32)
    if method == "umap":
        try:
            import umap  # type: ignore[import-not-found]

            return umap.UMAP(random_state=seed).fit_transform(f)
        except ImportError:
            pass
    f = f - f.mean(axis=0)
    _, _, vt = np.linalg.svd(f, full_matrices=False)
    return f @ vt[:2].T


def export_keras(model) -> bytes:
    """The model as ``.keras`` bytes (for a download button)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        with open(path, "rb") as fh:
            return fh.read()


def export_tflite(model) -> bytes:
    """The model as a TFLite (LiteRT) flatbuffer; TensorFlow-only (a ``UserError`` if it fails)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.tflite")
        try:
            model.export(path, format="litert", verbose=False)
        except Exception as err:  # noqa: BLE001 - conversion depends on the installed TF/LiteRT
            raise UserError(
                f"TFLite conversion is not available here ({type(err).__name__}); the .keras file works everywhere Keras runs."
            ) from err
        with open(path, "rb") as fh:
            return fh.read()


def code_snippet(class_names: list[str], backbone: str) -> str:
    """A short script that loads the downloaded model and classifies one image."""
    spec = imagenet.IMAGENET_MODELS.get(backbone)
    norm = (
        f"(x - {list(spec.mean)}) / {list(spec.std)}"
        if spec
        else "keras.applications preprocess_input"
    )
    return f"""import keras, numpy as np
from PIL import Image

model = keras.saving.load_model("transfer_model.keras")
classes = {class_names!r}
img = Image.open("photo.jpg").convert("RGB")
side = min(img.size)                      # centre square, as in training
left, top = (img.width - side) // 2, (img.height - side) // 2
img = img.crop((left, top, left + side, top + side)).resize((224, 224))
x = np.asarray(img, dtype="float32")[None]
x = {norm}                                # {backbone} preprocessing
probs = model.predict(x)[0]
print(classes[int(probs.argmax())], float(probs.max()))
"""


# -- figures --------------------------------------------------------------------------------
def plot_comparison(histories: dict[str, dict], metric: str = "val_accuracy") -> go.Figure:
    """The three modes' validation accuracy per epoch on one chart."""
    fig = go.Figure()
    for i, (mode, hist) in enumerate(histories.items()):
        values = hist.get(metric, [])
        fig.add_scatter(x=list(range(1, len(values) + 1)), y=values, mode="lines+markers",
                        name=MODE_TITLES.get(mode, mode), line=dict(color=viz.CATEGORICAL[i]))  # fmt: skip
        for b in hist.get("phase_boundary", []):
            fig.add_vline(x=b + 0.5, line_dash="dot", line_color=viz.CATEGORICAL[i],
                          annotation_text="unfreeze", annotation_position="top left")  # fmt: skip
    fig.update_xaxes(title="epoch")
    fig.update_yaxes(
        title=metric.replace("_", " "), range=[0, 1.02] if "accuracy" in metric else None
    )
    fig.update_layout(
        height=340, margin=dict(l=10, r=10, t=30, b=10), title="Validation accuracy, three ways"
    )
    return fig


def plot_projection(
    points: np.ndarray, labels: np.ndarray, class_names: list[str], title: str
) -> go.Figure:
    """2-D feature projection coloured by class."""
    fig = go.Figure()
    for c, name in enumerate(class_names):
        m = labels == c
        fig.add_scatter(x=points[m, 0], y=points[m, 1], mode="markers", name=name,
                        marker=dict(color=viz.CATEGORICAL[c % len(viz.CATEGORICAL)], size=7, opacity=0.8))  # fmt: skip
    fig.update_layout(title=title, height=360, margin=dict(l=10, r=10, t=40, b=10))
    fig.update_xaxes(title="component 1")
    fig.update_yaxes(title="component 2")
    return fig


def plot_counts(check: DatasetCheck) -> go.Figure:
    names = list(check.counts)
    fig = go.Figure(go.Bar(x=names, y=[check.counts[n] for n in names], marker_color=viz.CATEGORICAL[0],
                           text=[check.counts[n] for n in names], textposition="auto"))  # fmt: skip
    fig.update_layout(title="Images per class", height=260, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def misclassified(
    result_labels: np.ndarray, val_idx: np.ndarray, val_probs: np.ndarray, limit: int = 12
) -> list[tuple[int, int, int, float]]:
    """(image index, true class, predicted class, predicted probability), most confident first."""
    pred = val_probs.argmax(1)
    wrong = [
        (int(i), int(result_labels[i]), int(p), float(pr[p]))
        for i, p, pr in zip(val_idx, pred, val_probs, strict=True)
        if p != result_labels[i]
    ]
    return sorted(wrong, key=lambda w: -w[3])[:limit]


def to_png(image: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(viz.to_uint8(image)).save(buf, format="PNG")
    return buf.getvalue()
