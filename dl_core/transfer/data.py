"""Transfer learning, part 1: the data and its split, the dataset check (settings: ``.config``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dl_core.assets import load_images
from dl_core.errors import ConfigError, UserError
from dl_core.store import pack_arrays, unpack_arrays
from dl_core.transfer.config import Config

MIN_PER_CLASS = 5  # below this a class gets a warning: too few to learn from and validate on
THUMB = 64


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


def distinct(images: np.ndarray, labels: np.ndarray, max_pixel_diff: float = 12.0) -> np.ndarray:
    """Mask keeping the first of each group of (near-)identical images.

    Animal-MNIST holds some drawings twice, exactly or nearly (mean difference of a few grey
    levels): kept, they would land on both sides of the split and fail :func:`check_dataset`.
    Compared at half resolution, within a class, plus exact copies across classes.
    """
    flat = images.reshape(len(images), -1)
    keep = np.zeros(len(images), bool)
    keep[np.unique(flat, axis=0, return_index=True)[1]] = True
    x = np.asarray(images, np.float32)
    if x.ndim == 4:
        x = x.mean(-1)
    h, w = x.shape[1] // 2 * 2, x.shape[2] // 2 * 2
    half = x[:, :h, :w].reshape(len(x), h // 2, 2, w // 2, 2).mean((2, 4)).reshape(len(x), -1)
    for c in np.unique(labels):
        kept: list[int] = []
        for k in np.flatnonzero((labels == c) & keep):
            if kept and np.abs(half[kept] - half[k]).mean(1).min() <= max_pixel_diff:
                keep[k] = False
            else:
                kept.append(int(k))
    return keep


def load_data(cfg: Config, data: bytes | None) -> Data:
    """The bundled example set or the uploaded blob, split with ``cfg.seed``."""
    if cfg.dataset == "upload":
        if data is None:
            raise UserError("Upload images (or a zip of class folders) first.")
        packed = unpack_arrays(data)
        x, y, names = packed["images"], packed["labels"], list(packed["class_names"])
        test_x = test_y = None
    elif cfg.dataset == "animal_mnist":
        wanted = cfg.per_class + cfg.test_per_class
        ds = load_images("animal_mnist", per_class=wanted + max(8, wanted // 4), seed=cfg.seed)
        keep = [ds.class_names.index(c) for c in cfg.classes]
        names = [ds.class_names[k] for k in keep]
        first = distinct(ds.x, ds.y)
        rank_all = np.zeros(len(ds.y), np.int64)
        for c in np.unique(ds.y):
            where = np.flatnonzero((ds.y == c) & first)
            rank_all[where] = np.arange(len(where))
        mask = np.isin(ds.y, keep) & first & (rank_all < wanted)
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
            f"Class '{names[int(counts.argmin())]}' has only {counts.min()} "
            "image(s); each class needs at least two (one to train on, one to check)."
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


def _small_grey(image: np.ndarray, size: int = 32) -> np.ndarray:
    from PIL import Image

    img = Image.fromarray(np.asarray(image, dtype=np.uint8)).convert("L")
    return np.asarray(img.resize((size, size), Image.BILINEAR), dtype=np.float32)


def check_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    class_names: list[str],
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    max_distance: int = 4,
    max_pixel_diff: float = 8.0,
) -> DatasetCheck:
    """Counts per class, imbalance and too-few warnings, near-duplicates across the split.

    A pair is a near-duplicate when its difference hashes are at most ``max_distance`` bits
    apart *and* its 32 x 32 greyscale versions differ by at most ``max_pixel_diff`` (of 255)
    on average: the hash alone calls any two dark shapes on white "the same".
    """
    counts = {name: int((labels == i).sum()) for i, name in enumerate(class_names)}
    check = DatasetCheck(counts)
    few = [f"{n} ({c})" for n, c in counts.items() if c < MIN_PER_CLASS]
    if few:
        check.warnings.append(
            f"Few images in {', '.join(few)}: aim for at least "
            f"{MIN_PER_CLASS} per class (10–30 is better)."
        )
    nonzero = [c for c in counts.values() if c]
    if nonzero and max(nonzero) >= 3 * min(nonzero):
        check.warnings.append(
            f"The classes are imbalanced (largest {max(nonzero)}, "
            f"smallest {min(nonzero)} images): the model will favour "
            "the large ones and accuracy will flatter it."
        )
    hashes = np.array([dhash(im) for im in images], dtype=np.uint64)
    small: dict[int, np.ndarray] = {}

    def grey(k: int) -> np.ndarray:
        if k not in small:
            small[k] = _small_grey(images[k])
        return small[k]

    for j in val_idx:
        dist = np.array([bin(int(h) ^ int(hashes[j])).count("1") for h in hashes[train_idx]])
        for pos in np.flatnonzero(dist <= max_distance)[np.argsort(dist[dist <= max_distance])]:
            i = int(train_idx[pos])
            if np.abs(grey(i) - grey(int(j))).mean() <= max_pixel_diff:
                check.duplicates.append((i, int(j), int(dist[pos])))
                break
    if check.duplicates:
        check.warnings.append(
            f"{len(check.duplicates)} validation image(s) look "
            "almost the same as a training image: validation accuracy will be optimistic."
        )
    return check
