"""Transfer learning, part 1: settings, the data and its split, the dataset check."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
                   fine_tune_epochs=1, scratch_epochs=1, batch_size=8, max_seconds=20.0),
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
