"""Synthetic detection scenes whose boxes are known exactly.

Each scene is a textured background (a colour blend driven by smooth noise and a stripe
pattern) with a few shapes — circle, square, triangle, star — of random size, colour and
rotation. Shapes may overlap (later shapes occlude earlier ones) but every shape keeps at
least ``1 - max_occlusion`` of its pixels visible. A shape is drawn from a binary mask with
no anti-aliasing, and its box is the tight box of that mask: ``x2``/``y2`` are one past the
last pixel, so the box is exact to the pixel (amodal: it covers the occluded part too).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ("circle", "square", "triangle", "star")


@dataclass
class Scene:
    """One generated image with its exact annotations."""

    image: np.ndarray  # (H, W, 3) uint8
    boxes: np.ndarray  # (N, 4) float32, x1 y1 x2 y2 in pixels
    classes: np.ndarray  # (N,) int32 indices into CLASSES
    masks: np.ndarray  # (N, H, W) bool: each shape's full (unoccluded) pixels
    visible: np.ndarray  # (N, H, W) bool: the pixels of each shape that show in the image
    colours: np.ndarray  # (N, 3) uint8


def _polygon(kind: str, cx: float, cy: float, r: float, angle: float) -> list[tuple[float, float]]:
    if kind == "square":
        k = np.arange(4) * np.pi / 2 + np.pi / 4
        radii = np.full(4, r)
    elif kind == "triangle":
        k = np.arange(3) * 2 * np.pi / 3 - np.pi / 2
        radii = np.full(3, r)
    else:  # star: 5 points, inner radius 45 %
        k = np.arange(10) * np.pi / 5 - np.pi / 2
        radii = np.where(np.arange(10) % 2 == 0, r, 0.45 * r)
    k = k + angle
    return [(cx + ri * np.cos(a), cy + ri * np.sin(a)) for ri, a in zip(radii, k, strict=True)]


def shape_mask(kind: str, size: int, cx: float, cy: float, r: float, angle: float) -> np.ndarray:
    """Binary mask (size, size) of one shape, drawn without anti-aliasing."""
    img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(img)
    if kind == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=1)
    else:
        draw.polygon(_polygon(kind, cx, cy, r, angle), fill=1)
    return np.asarray(img, dtype=bool)


def mask_box(mask: np.ndarray) -> np.ndarray:
    """Tight box of a mask's pixels: x1, y1 (first pixel), x2, y2 (one past the last)."""
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype="float32")


def background(rng: np.random.Generator, size: int, texture: bool = True) -> np.ndarray:
    """A textured background: two colours blended by smooth noise plus stripes."""
    c1, c2 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    if not texture:
        return np.broadcast_to(c1.astype("uint8"), (size, size, 3)).copy()
    coarse = rng.random((6, 6)).astype("float32")
    noise = (
        np.asarray(
            Image.fromarray((coarse * 255).astype("uint8")).resize((size, size), Image.BICUBIC),
            dtype="float32",
        )
        / 255.0
    )
    theta, period = rng.uniform(0, np.pi), rng.uniform(6, 20)
    axis = np.arange(size, dtype="float32") * np.float32(2 * np.pi / period)
    ax, ay = axis * np.float32(np.cos(theta)), axis * np.float32(np.sin(theta))
    # sin(ax + ay) as outer products: a separable stripe pattern at angle theta
    phase = np.outer(np.cos(ay), np.sin(ax)) + np.outer(np.sin(ay), np.cos(ax))
    t = np.clip(0.65 * noise + 0.35 * (0.5 + 0.5 * phase), 0, 1)[..., None]
    c1, c2 = c1.astype("float32"), c2.astype("float32")
    return (c1 + (c2 - c1) * t).astype("uint8")


def make_scene(
    rng: np.random.Generator,
    size: int = 128,
    max_objects: int = 4,
    min_objects: int = 1,
    max_occlusion: float = 0.3,
    texture: bool = True,
    min_radius: float | None = None,
    max_radius: float | None = None,
) -> Scene:
    """Draw one scene (see module docstring); the boxes are exact."""
    img = background(rng, size, texture)
    r_lo = min_radius if min_radius is not None else size * 0.08
    r_hi = max_radius if max_radius is not None else size * 0.2
    n = int(rng.integers(min_objects, max_objects + 1))
    masks: list[np.ndarray] = []
    visible: list[np.ndarray] = []
    classes: list[int] = []
    colours: list[np.ndarray] = []
    for _ in range(n):
        for _attempt in range(20):
            cls = int(rng.integers(len(CLASSES)))
            r = float(rng.uniform(r_lo, r_hi))
            cx, cy = rng.uniform(r, size - r, 2)
            mask = shape_mask(CLASSES[cls], size, cx, cy, r, float(rng.uniform(0, 2 * np.pi)))
            if mask.sum() < 9:
                continue
            covered = [v & mask for v in visible]
            if all(
                (v.sum() - c.sum()) >= (1 - max_occlusion) * m.sum()
                for v, c, m in zip(visible, covered, masks, strict=True)
            ):
                break
        else:
            continue  # no room for another shape: the scene keeps fewer objects
        local = img[mask].reshape(-1, 3).astype("float32")
        colour = rng.integers(0, 256, 3)
        for _ in range(50):  # keep the shape distinct from what lies under it
            if np.abs(local - colour).sum(1).mean() >= 150:
                break
            colour = rng.integers(0, 256, 3)
        visible = [v & ~mask for v in visible]
        masks.append(mask)
        visible.append(mask.copy())
        classes.append(cls)
        colours.append(colour.astype("uint8"))
        img[mask] = colour
    k = len(masks)
    return Scene(
        image=img,
        boxes=np.array([mask_box(m) for m in masks], dtype="float32").reshape(k, 4),
        classes=np.array(classes, dtype="int32"),
        masks=np.array(masks, dtype=bool).reshape(k, size, size),
        visible=np.array(visible, dtype=bool).reshape(k, size, size),
        colours=np.array(colours, dtype="uint8").reshape(k, 3),
    )


def make_scenes(
    n: int, seed: int, size: int = 128, max_objects: int = 4, **kwargs
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` scenes as padded arrays, the way detectors take them.

    Returns:
        images (n, size, size, 3) uint8; boxes (n, max_objects, 4) float32 and classes
        (n, max_objects) float32, padded with -1 where a scene has fewer objects.
    """
    rng = np.random.default_rng(seed)
    images = np.zeros((n, size, size, 3), dtype="uint8")
    boxes = np.full((n, max_objects, 4), -1, dtype="float32")
    classes = np.full((n, max_objects), -1, dtype="float32")
    for i in range(n):
        s = make_scene(rng, size, max_objects, **kwargs)
        images[i] = s.image
        boxes[i, : len(s.boxes)] = s.boxes
        classes[i, : len(s.classes)] = s.classes
    return images, boxes, classes


def unpad(boxes: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One padded annotation row back to (boxes (k, 4), classes (k,))."""
    keep = np.asarray(classes) >= 0
    return np.asarray(boxes)[keep], np.asarray(classes)[keep].astype(int)


def dihedral(
    images: np.ndarray, boxes: np.ndarray, classes: np.ndarray, codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Flip/transpose square images and their padded boxes exactly (data augmentation).

    Args:
        images: (N, S, S, 3); boxes: (N, K, 4) padded with -1; classes: (N, K) (-1 = padding).
        codes: (N,) ints 0..7: bit 0 = flip left-right, bit 1 = flip up-down, bit 2 = transpose.
    """
    out_i, out_b = images.copy(), boxes.copy()
    size = images.shape[1]
    for n, code in enumerate(np.asarray(codes, int)):
        img, b = out_i[n], out_b[n]
        real = classes[n] >= 0
        if code & 4:
            img = img.transpose(1, 0, 2)
            b[real] = b[real][:, [1, 0, 3, 2]]
        if code & 1:
            img = img[:, ::-1]
            b[real] = np.stack([size - b[real, 2], b[real, 1], size - b[real, 0], b[real, 3]], 1)
        if code & 2:
            img = img[::-1]
            b[real] = np.stack([b[real, 0], size - b[real, 3], b[real, 2], size - b[real, 1]], 1)
        out_i[n] = img
    return out_i, out_b
