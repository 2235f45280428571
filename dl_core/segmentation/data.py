"""Data with exact pixel masks: generated shape scenes and Animal-MNIST silhouettes.

Scenes: one or two circles, squares and triangles (random flat colour, size and rotation)
on a smooth random texture; the mask is the class of the shape drawn last at each
pixel (0 = background). Colour says nothing about the class, so a network has to learn shape.

Animals: Animal-MNIST silhouettes thresholded into a foreground mask, filled with one random
texture over another, so the model has to find the outline rather than a brightness level.
"""

from __future__ import annotations

import numpy as np

SCENE_CLASSES = ["background", "circle", "square", "triangle"]
ANIMAL_CLASSES = ["background", "animal"]
DATASETS = {"scenes": SCENE_CLASSES, "animals": ANIMAL_CLASSES}


def class_names(dataset: str) -> list[str]:
    """Class names of ``dataset`` ("scenes" or "animals"), background first."""
    return list(DATASETS[dataset])


# -- textures ------------------------------------------------------------------------------
def _texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth random pattern in [0, 1]: two gratings plus a little pixel noise, (H, W)."""
    yy, xx = np.mgrid[0:h, 0:w].astype("float32") / max(h, w)
    t = np.zeros((h, w), "float32")
    for _ in range(2):
        freq = rng.uniform(2, 9)
        angle = rng.uniform(0, np.pi)
        phase = rng.uniform(0, 2 * np.pi)
        t += np.sin(2 * np.pi * freq * (xx * np.cos(angle) + yy * np.sin(angle)) + phase)
    t = (t + 2) / 4
    return np.clip(t + rng.normal(0, 0.08, (h, w)), 0, 1).astype("float32")


def _paint(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A two-colour textured RGB canvas in [0, 1], (H, W, 3)."""
    a, b = rng.uniform(0, 1, 3), rng.uniform(0, 1, 3)
    t = _texture(rng, h, w)[..., None]
    return (a * (1 - t) + b * t).astype("float32")


# -- shapes --------------------------------------------------------------------------------
def draw_shape(
    kind: str, cx: float, cy: float, size: float, angle: float, h: int, w: int
) -> np.ndarray:
    """Boolean (H, W) mask of a shape centred at (cx, cy) in pixels, tested at pixel centres.

    ``size`` is the radius of a circle, half the side of a square and the circumradius of an
    equilateral triangle; ``angle`` (radians) rotates squares and triangles.
    """
    yy, xx = np.mgrid[0:h, 0:w].astype("float64") + 0.5
    dx, dy = xx - cx, yy - cy
    if kind == "circle":
        return dx**2 + dy**2 <= size**2
    c, s = np.cos(angle), np.sin(angle)
    u, v = c * dx + s * dy, -s * dx + c * dy  # coordinates in the shape's own frame
    if kind == "square":
        return (np.abs(u) <= size) & (np.abs(v) <= size)
    if kind == "triangle":
        inside = np.ones((h, w), bool)
        for k in range(3):  # three half-planes, edges at distance size/2 from the centre
            a = 2 * np.pi * k / 3
            inside &= np.cos(a) * u + np.sin(a) * v <= size / 2
        return inside
    raise ValueError(f"unknown shape {kind!r}")


_SIZE_SCALE = (
    1.0,
    1.0,
    0.85,
    1.4,
)  # similar areas: circle πr², square 4(.85r)², triangle 1.3(1.4r)²


def make_scenes(n: int, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` generated scenes: images (N, S, S, 3) float32 in [0, 1], masks (N, S, S) uint8.

    Each scene has one or two shapes of a random flat colour (with a little noise) on a
    textured background; a later shape covers an earlier one where they overlap.
    """
    rng = np.random.default_rng(seed)
    x = np.empty((n, size, size, 3), "float32")
    y = np.zeros((n, size, size), "uint8")
    for i in range(n):
        img = _paint(rng, size, size)
        mask = np.zeros((size, size), "uint8")
        for _ in range(rng.integers(1, 3)):
            cls = int(rng.integers(1, len(SCENE_CLASSES)))
            r = rng.uniform(0.16, 0.28) * size * _SIZE_SCALE[cls]
            cx, cy = rng.uniform(min(r, size / 2), max(size - r, size / 2), 2)
            inside = draw_shape(SCENE_CLASSES[cls], cx, cy, r, rng.uniform(0, np.pi), size, size)
            colour = rng.uniform(0, 1, 3) + rng.normal(0, 0.05, (size, size, 3))
            img[inside] = np.clip(colour, 0, 1)[inside]
            mask[inside] = cls
        x[i], y[i] = img, mask
    return x, y


def _fit_silhouettes(sil: np.ndarray, size: int) -> np.ndarray:
    """(N, 28, 28) uint8 silhouettes -> (N, size, size) float in [0, 1] (bilinear resize)."""
    from PIL import Image

    out = np.empty((len(sil), size, size), "float32")
    for i, s in enumerate(sil):
        img = Image.fromarray(np.asarray(s, "uint8")).resize((size, size), Image.BILINEAR)
        out[i] = np.asarray(img, "float32") / 255
    return out


ANIMAL_HELD_OUT = 1000  # silhouettes reserved for validation (never trained on)


def make_animals(
    n: int, size: int, seed: int = 0, split: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` textured Animal-MNIST silhouettes: images (N, S, S, 3), masks (N, S, S) uint8.

    The mask is the silhouette thresholded at half brightness (1 = animal). A fixed
    permutation reserves :data:`ANIMAL_HELD_OUT` silhouettes for ``split="val"``.
    """
    from dl_core.assets import load_images

    all_sil = load_images("animal_mnist").x
    order = np.random.default_rng(12345).permutation(len(all_sil))
    pool = order[:ANIMAL_HELD_OUT] if split == "val" else order[ANIMAL_HELD_OUT:]
    rng = np.random.default_rng(seed)
    pick = rng.choice(pool, size=min(n, len(pool)), replace=False)
    fg = _fit_silhouettes(all_sil[pick], size)
    x = np.empty((len(fg), size, size, 3), "float32")
    y = (fg >= 0.5).astype("uint8")
    for i in range(len(fg)):
        a = fg[i][..., None]
        x[i] = _paint(rng, size, size) * a + _paint(rng, size, size) * (1 - a)
    return x, y


def make_dataset(
    dataset: str, n: int, size: int, seed: int = 0, split: str = "train"
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Images, masks and class names of ``dataset`` ("scenes" or "animals").

    ``split`` ("train" or "val") draws from disjoint seeds (scenes) or disjoint silhouettes
    (animals), so held-out data is never trained on.
    """
    if split not in ("train", "val"):
        raise ValueError(f"unknown split {split!r}")
    if dataset == "scenes":
        x, y = make_scenes(n, size, 2 * seed + (1 if split == "train" else 1_000_003))
    elif dataset == "animals":
        x, y = make_animals(n, size, seed, split)
    else:
        raise ValueError(f"unknown dataset {dataset!r}")
    return x, y, class_names(dataset)
