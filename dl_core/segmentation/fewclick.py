"""Few-click segmentation: strokes on a photo -> a per-pixel head on frozen ImageNet features.

The photo goes once through a frozen ImageNet network (MobileNetV2 by default); block outputs
at strides 4, 8 and 16 are upsampled to the stride-4 grid and stacked with the cell's colour,
giving every cell a feature vector φ(u). The visitor's foreground and background strokes
label a few cells, and a logistic-regression head ``p(u) = σ(wᵀφ(u) + b)`` is fitted to them
by a few hundred Adam steps on the class-balanced, L2-regularised cross-entropy. That is a
convex problem on a few hundred labelled vectors: NumPy solves it in milliseconds, so it runs
as analysis on the page rather than as a training job (a job's queue could add a minute).

Strokes arrive as pixel coordinates: :func:`segment_pixels` rasterises line segments (the
URL form, :func:`parse_strokes`); :func:`canvas_strokes` turns a drawing canvas's paths into
that URL form, so drawn strokes go into the link too.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from dl_core.errors import UserError

BACKBONE = "mobilenet_v2"
FEATURE_SIZE = 320  # the photo is resized to this square for the network (a multiple of 32)
MAX_SIDE = 640  # larger photos are shrunk to this longer side first
HEAD_STEPS = 300

_encoders: dict[tuple[str, int], object] = {}
_lock = threading.Lock()


def prepare_photo(image: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """An (H, W, 3) uint8 photo shrunk to ``max_side`` on its longer side; refuses flat images.

    Raises:
        UserError: the image is a single colour (there is nothing to separate).
    """
    from PIL import Image

    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, -1)
    if img.ndim != 3 or img.shape[-1] != 3 or min(img.shape[:2]) < 8:
        raise UserError("The image must be a colour or greyscale picture at least 8 pixels wide.")
    if float(img.astype("float32").std(axis=(0, 1)).max()) < 1.0:
        raise UserError(
            "The image is a single flat colour: there is nothing to separate. "
            "Pick a photo with an object in it."
        )
    h, w = img.shape[:2]
    if max(h, w) > max_side:
        s = max_side / max(h, w)
        img = np.asarray(
            Image.fromarray(img.astype("uint8")).resize(
                (max(1, round(w * s)), max(1, round(h * s))), Image.LANCZOS
            )
        )
    return img.astype("uint8")


def _encoder(backbone: str, size: int):
    from dl_core.segmentation.model import pretrained_encoder

    with _lock:
        if (backbone, size) not in _encoders:
            _encoders[(backbone, size)] = pretrained_encoder(backbone, size)
        return _encoders[(backbone, size)]


def pixel_features(
    image: np.ndarray, backbone: str = BACKBONE, size: int = FEATURE_SIZE
) -> np.ndarray:
    """Standardised features on the stride-4 grid, (size/4, size/4, C) float32.

    Block outputs at strides 4, 8 and 16 are bilinearly upsampled to the grid and stacked with
    the cell's mean colour (weighted ×4, so colour counts as much as a few network channels).
    """
    import keras

    img = np.asarray(image, "float32") / 255
    x = keras.ops.image.resize(img[None], (size, size), interpolation="bilinear", antialias=True)
    feats = _encoder(backbone, size)(x, training=False)
    g = size // 4
    parts = [
        keras.ops.image.resize(f, (g, g), interpolation="bilinear") for f in (feats[1:4])
    ]  # strides 4, 8, 16
    colour = keras.ops.image.resize(x, (g, g), interpolation="area")
    stacked = keras.ops.convert_to_numpy(keras.ops.concatenate(parts, axis=-1))[0]
    stacked = (stacked - stacked.mean((0, 1))) / (stacked.std((0, 1)) + 1e-6)
    colour = keras.ops.convert_to_numpy(colour)[0]
    colour = 4 * (colour - colour.mean((0, 1))) / (colour.std((0, 1)) + 1e-6)
    return np.concatenate([stacked, colour], -1).astype("float32")


# -- strokes ---------------------------------------------------------------------------------
def segment_pixels(segments: np.ndarray, shape: tuple[int, int], radius: float) -> np.ndarray:
    """Pixel coordinates (N, 2) as (x, y) covered by a brush of ``radius`` along line segments.

    ``segments`` is (K, 4): x0, y0, x1, y1 in pixels. Points outside the image are clipped.
    """
    h, w = shape
    segs = np.asarray(segments, "float64").reshape(-1, 4)
    r = max(0.0, float(radius))
    oy, ox = np.mgrid[-int(r) : int(r) + 1, -int(r) : int(r) + 1]
    disc = np.stack([ox.ravel(), oy.ravel()], 1)[(ox**2 + oy**2).ravel() <= r**2 + 1e-9]
    pts = []
    for x0, y0, x1, y1 in segs:
        n = int(np.ceil(np.hypot(x1 - x0, y1 - y0))) + 1
        t = np.linspace(0, 1, n)[:, None]
        line = np.round(np.array([x0, y0]) * (1 - t) + np.array([x1, y1]) * t).astype(int)
        pts.append((line[:, None, :] + disc[None]).reshape(-1, 2))
    if not pts:
        return np.zeros((0, 2), int)
    xy = np.unique(np.concatenate(pts), axis=0)
    xy[:, 0] = np.clip(xy[:, 0], 0, w - 1)
    xy[:, 1] = np.clip(xy[:, 1], 0, h - 1)
    return np.unique(xy, axis=0)


def parse_strokes(
    text: str, shape: tuple[int, int], radius: float = 4
) -> tuple[np.ndarray, np.ndarray]:
    """Strokes from the URL form ``{"fg": [[x0,y0,x1,y1], ...], "bg": [...]}``.

    Coordinates are fractions of the image width and height (0..1), so the same link works
    whatever size the photo is shown at. A segment may carry a fifth number, the brush
    diameter as a fraction of the image width (strokes drawn on the canvas do); without it
    the brush has ``radius`` pixels. Returns (foreground xy, background xy) in pixels.

    Raises:
        UserError: the text is not that form, or a coordinate is outside 0..1.
    """
    bad = UserError(
        'Strokes must look like {"fg": [[x0, y0, x1, y1]], "bg": [[...]]} with '
        "coordinates between 0 and 1."
    )
    h, w = shape
    out = []
    try:
        data = json.loads(text)
        for kind in ("fg", "bg"):
            segs = [np.asarray(s, "float64") for s in data.get(kind, [])]
            if any(s.shape not in ((4,), (5,)) for s in segs):
                raise bad
            if any(((s < 0) | (s > 1)).any() or not np.isfinite(s).all() for s in segs):
                raise bad
            parts = [np.zeros((0, 2), int)]
            for s in segs:
                r = s[4] * w / 2 if len(s) == 5 else radius
                parts.append(segment_pixels(s[:4] * [w - 1, h - 1, w - 1, h - 1], shape, r))
            out.append(np.unique(np.concatenate(parts), axis=0))
    except (ValueError, TypeError, AttributeError) as err:
        raise bad from err
    return out[0], out[1]


def _simplify(pts: np.ndarray, tolerance: float) -> np.ndarray:
    """Ramer-Douglas-Peucker: the fewest points within ``tolerance`` of the polyline."""
    if len(pts) < 3:
        return pts
    a, b = pts[0], pts[-1]
    d = b - a
    norm = float(np.hypot(*d))
    rel = pts - a
    dist = np.abs(d[0] * rel[:, 1] - d[1] * rel[:, 0]) / norm if norm else np.hypot(*rel.T)
    i = int(dist.argmax())
    if dist[i] <= tolerance:
        return np.vstack([a, b])
    return np.vstack([_simplify(pts[: i + 1], tolerance)[:-1], _simplify(pts[i:], tolerance)])


def canvas_strokes(
    drawing: dict | None,
    canvas_size: tuple[int, int],
    fg_colour: str,
    tolerance: float = 1.0,
) -> tuple[dict[str, list[list[float]]], int]:
    """A drawing canvas's free-drawn paths in the URL form that :func:`parse_strokes` reads.

    Paths in ``fg_colour`` are foreground, any other colour background. Each path's points
    (Fabric.js ``path`` commands, canvas pixels) are simplified to within ``tolerance``
    canvas pixels and joined into segments ``[x0, y0, x1, y1, diameter]``, all as fractions
    of the canvas (width, height), rounded to 3 decimals, so the strokes fit in a link.
    Returns ({"fg": [...], "bg": [...]}, number of objects that were not free-drawn paths
    and so were not used).
    """
    cw, ch = canvas_size
    out: dict[str, list[list[float]]] = {"fg": [], "bg": []}
    unused = 0
    for obj in (drawing or {}).get("objects", []):
        # Fabric.js 6 (streamlit-drawable-canvas >= 0.10) names the class "Path", older "path"
        if str(obj.get("type", "")).lower() != "path" or not obj.get("path"):
            unused += 1
            continue
        pts = np.array([cmd[-2:] for cmd in obj["path"] if len(cmd) >= 3], "float64")
        if len(pts) == 0:
            unused += 1
            continue
        pts = _simplify(pts, tolerance)
        if len(pts) == 1:
            pts = np.vstack([pts, pts])
        pts = np.clip(pts / [cw - 1, ch - 1], 0, 1)
        diameter = min(1.0, float(obj.get("strokeWidth", 10)) / cw)
        kind = "fg" if str(obj.get("stroke", "")).lower() == fg_colour.lower() else "bg"
        for (x0, y0), (x1, y1) in zip(pts[:-1], pts[1:], strict=True):
            out[kind].append([round(float(v), 3) for v in (x0, y0, x1, y1, diameter)])
    return out, unused


def join_strokes(*parts: str | dict | None) -> str | None:
    """Strokes in the URL form, one after the other (``None`` when there are none).

    Each part is URL text (checked as :func:`parse_strokes` would), a dict from
    :func:`canvas_strokes`, or ``None``.

    Raises:
        UserError: a text part is not the URL form.
    """
    out: dict[str, list] = {"fg": [], "bg": []}
    for part in parts:
        if part is None:
            continue
        if isinstance(part, str):
            parse_strokes(part, (2, 2))  # raises the sentence for a bad text
            part = json.loads(part)
        for kind in out:
            out[kind] += list(part.get(kind, []))
    if not out["fg"] and not out["bg"]:
        return None
    return json.dumps({k: v for k, v in out.items() if v}, separators=(",", ":"))


# -- the head --------------------------------------------------------------------------------
def fit_head(
    x: np.ndarray, y: np.ndarray, steps: int = HEAD_STEPS, lr: float = 0.05, l2: float = 1e-2
) -> tuple[np.ndarray, float, list[float]]:
    """Logistic regression by Adam on (N, C) features and 0/1 labels, classes weighted equally.

    Returns (weights (C,), bias, loss per step).
    """
    x, y = np.asarray(x, "float64"), np.asarray(y, "float64")
    weight = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum()))
    params = np.zeros(x.shape[1] + 1)
    m, v = np.zeros_like(params), np.zeros_like(params)
    losses = []
    for t in range(1, steps + 1):
        z = x @ params[:-1] + params[-1]
        p = 1 / (1 + np.exp(-np.clip(z, -30, 30)))
        losses.append(
            float(-(weight * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))).sum())
        )
        err = weight * (p - y)
        grad = np.append(x.T @ err + l2 * params[:-1], err.sum())
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        params -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return params[:-1], float(params[-1]), losses


@dataclass
class FewClickResult:
    """A few-click segmentation: probability and mask at the photo's size, and how it went."""

    prob: np.ndarray  # (H, W) float32, P(foreground)
    mask: np.ndarray  # (H, W) uint8, 1 = foreground
    n_fg: int  # labelled feature cells
    n_bg: int
    losses: list[float] = field(default_factory=list)
    train_accuracy: float = 0.0
    seconds: float = 0.0
    n_conflict: int = 0  # cells marked both ways: left out of the fit


def _cells(xy: np.ndarray, shape: tuple[int, int], grid: tuple[int, int]) -> np.ndarray:
    h, w = shape
    gh, gw = grid
    gx = np.clip((np.asarray(xy)[:, 0] + 0.5) * gw / w, 0, gw - 1).astype(int)
    gy = np.clip((np.asarray(xy)[:, 1] + 0.5) * gh / h, 0, gh - 1).astype(int)
    return np.unique(gy * gw + gx)


def segment_from_strokes(
    image: np.ndarray,
    fg_xy: np.ndarray,
    bg_xy: np.ndarray,
    *,
    features: np.ndarray | None = None,
    steps: int = HEAD_STEPS,
) -> FewClickResult:
    """Fit the per-pixel head to the marked pixels and segment the whole image.

    Args:
        image: (H, W, 3) uint8 photo (see :func:`prepare_photo`).
        fg_xy, bg_xy: (N, 2) pixel coordinates (x, y) marked foreground / background.
        features: precomputed :func:`pixel_features` of the image (computed when None).

    Raises:
        UserError: no strokes, strokes of only one kind, or strokes that all fall on the
            same cells for both kinds.
    """
    t0 = time.perf_counter()
    fg_xy, bg_xy = np.asarray(fg_xy).reshape(-1, 2), np.asarray(bg_xy).reshape(-1, 2)
    if len(fg_xy) == 0 and len(bg_xy) == 0:
        raise UserError("Mark some foreground and some background first.")
    if len(fg_xy) == 0 or len(bg_xy) == 0:
        missing = "foreground (the object)" if len(fg_xy) == 0 else "background"
        raise UserError(f"Mark some {missing} too: the head needs examples of both.")
    feats = pixel_features(image) if features is None else np.asarray(features, "float32")
    gh, gw, c = feats.shape
    shape = np.asarray(image).shape[:2]
    fg, bg = _cells(fg_xy, shape, (gh, gw)), _cells(bg_xy, shape, (gh, gw))
    both = np.intersect1d(fg, bg)
    fg, bg = np.setdiff1d(fg, both), np.setdiff1d(bg, both)
    if len(fg) == 0 or len(bg) == 0:
        raise UserError(
            "The foreground and background strokes cover the same spots; mark them apart."
        )
    flat = feats.reshape(-1, c)
    x = flat[np.concatenate([fg, bg])]
    y = np.concatenate([np.ones(len(fg)), np.zeros(len(bg))])
    w, b, losses = fit_head(x, y, steps=steps)
    grid_prob = 1 / (1 + np.exp(-np.clip(flat @ w + b, -30, 30)))
    acc = float(np.mean((grid_prob[np.concatenate([fg, bg])] > 0.5) == y))
    prob = _upsample(grid_prob.reshape(gh, gw), shape)
    return FewClickResult(
        prob=prob,
        mask=(prob > 0.5).astype("uint8"),
        n_fg=len(fg),
        n_bg=len(bg),
        losses=losses,
        train_accuracy=acc,
        seconds=time.perf_counter() - t0,
        n_conflict=len(both),
    )


def _upsample(p: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    h, w = shape
    img = Image.fromarray(p.astype("float32")).resize((w, h), Image.BILINEAR)
    return np.asarray(img, "float32")
