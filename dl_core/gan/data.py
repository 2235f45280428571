"""Training images for the generative models: a bundled set or a visitor's upload.

Every model here sees images as ``uint8`` arrays ``(N, H, W, C)`` with ``C`` = 1 (greyscale)
or 3 (colour), resized to a square ``image_size``; each model scales them to its own range
(the GAN's generator ends in ``tanh`` -> [-1, 1], the VAE's decoder in a sigmoid -> [0, 1]).
"""

from __future__ import annotations

import numpy as np

from dl_core import assets, uploads
from dl_core.errors import ConfigError, UploadError
from dl_core.store import Store, pack_arrays, unpack_arrays

DATASETS = ("digits", "mnist5k", "animal_mnist", "fashion_mnist", "upload")
IMAGE_SIZES = (28, 32, 64)
MIN_IMAGES = 16  # fewer than this and a generative model can only memorise
UPLOAD_SIZE = 64  # uploads are decoded once at this size; training resizes them further


def available_datasets() -> list[str]:
    """Bundled image sets installed on this machine, then ``"upload"``."""
    names = [n for n in DATASETS[:-1] if assets.is_available(n)]
    return [*names, "upload"]


def pack_upload(images: np.ndarray, labels: np.ndarray, class_names: list[str]) -> bytes:
    """Bytes of an uploaded image set, ready for ``Store.put_blob`` (the job's data)."""
    check_count(len(images))
    return pack_arrays(
        x=np.asarray(images, np.uint8),
        y=np.asarray(labels, np.int64),
        class_names=list(class_names),
    )


def check_count(n: int) -> None:
    """Refuse image sets too small to learn a distribution from."""
    if n < MIN_IMAGES:
        raise UploadError(
            f"Your upload has {n} usable image{'s' if n != 1 else ''}, but a generative model "
            f"needs at least {MIN_IMAGES} (a few hundred give much better results). "
            "Please add more images and upload the zip again."
        )


def resize(images: np.ndarray, size: int, channels: int) -> np.ndarray:
    """``(N, H, W)`` or ``(N, H, W, C)`` uint8 -> ``(N, size, size, channels)`` uint8."""
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[..., None]
    if x.shape[-1] == 3 and channels == 1:  # ITU-R 601 luma
        x = (x.astype("float32") @ np.array([0.299, 0.587, 0.114], "float32"))[..., None]
    elif x.shape[-1] == 1 and channels == 3:
        x = np.repeat(x, 3, axis=-1)
    x = x.astype("float32")
    if x.shape[1:3] != (size, size):
        from PIL import Image

        x = np.stack(
            [
                np.stack(
                    [
                        np.asarray(
                            Image.fromarray(img[..., c]).resize((size, size), Image.BILINEAR)
                        )
                        for c in range(img.shape[-1])
                    ],
                    axis=-1,
                )
                for img in x
            ]
        )
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def load(
    dataset: str,
    image_size: int,
    channels: int,
    max_images: int,
    seed: int,
    data: bytes | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Images ``(N, S, S, C)`` uint8, integer labels and class names for a config.

    Args:
        dataset: one of :data:`DATASETS`; ``"upload"`` reads ``data`` (see :func:`pack_upload`).
        image_size: side of the square images the models see.
        channels: 1 (greyscale) or 3 (colour).
        max_images: keep at most this many (a balanced random subset of a bundled set).
        seed: which subset.
        data: the packed upload, for ``dataset="upload"``.
    """
    if dataset == "upload":
        if data is None:
            raise ConfigError("Upload a zip of images first, or pick a bundled data set.")
        packed = unpack_arrays(data)
        x, y, names = packed["x"], packed["y"], list(packed["class_names"])
        if len(x) > max_images:
            keep = np.random.default_rng(seed).permutation(len(x))[:max_images]
            x, y = x[keep], y[keep]
    elif dataset in DATASETS:
        per_class = max(1, int(np.ceil(max_images / 10)))
        ds = assets.load_images(dataset, per_class=per_class, seed=seed)
        x, y, names = ds.x[:max_images], ds.y[:max_images], ds.class_names
    else:
        raise ConfigError(f"Unknown data set '{dataset}'; choose one of {', '.join(DATASETS)}.")
    check_count(len(x))
    return resize(x, image_size, channels), np.asarray(y, np.int64), names


def store_upload(zip_bytes: bytes) -> tuple[str, uploads.ImageDataset]:
    """Decode a visitor's zip of images and keep it as a job-ready blob.

    Folders are optional for a generative model: one folder (or several, which become
    classes for the colours of the VAE scatter) is fine. Every image is converted to RGB and
    resized to :data:`UPLOAD_SIZE`; files that are not usable images are listed in
    ``skipped``.

    Returns:
        (fingerprint of the packed arrays in the store, the decoded dataset).

    Raises:
        UploadError: not a zip, unsafe, no usable images, or fewer than :data:`MIN_IMAGES`.
    """
    ds = uploads.load_image_zip(
        zip_bytes, size=(UPLOAD_SIZE, UPLOAD_SIZE), min_classes=1, loose_class="images"
    )
    fp = Store().put_blob(pack_upload(ds.as_array(), ds.labels, ds.class_names))
    return fp, ds
