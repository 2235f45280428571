"""Analysis on masks and trained models: IoU, predictions, feature maps, overlays, PNG masks;
the overlap of transposed convolutions and the taps of atrous ones.

Intersection over union of class c: ``IoU_c = |P_c ∩ T_c| / |P_c ∪ T_c|``; mean IoU averages
it over the classes that occur in the prediction or the truth.
"""

from __future__ import annotations

import io
import threading
import weakref

import numpy as np

from dl_core.viz import CATEGORICAL

# Background grey, then the Okabe-Ito colours (colour-blind safe).
CLASS_COLOURS = ["#CCCCCC", *[c for c in CATEGORICAL if c != "#CCCCCC"]]  # background: grey


# -- metrics ---------------------------------------------------------------------------------
def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Pixel counts (n_classes × n_classes): rows = true class, columns = predicted class."""
    t = np.asarray(y_true, np.int64).ravel()
    p = np.asarray(y_pred, np.int64).ravel()
    if t.shape != p.shape:
        raise ValueError(f"masks differ in size: {np.shape(y_true)} vs {np.shape(y_pred)}")
    return np.bincount(t * n_classes + p, minlength=n_classes**2).reshape(n_classes, n_classes)


def per_class_iou(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """IoU of each class; NaN for a class absent from both the truth and the prediction."""
    cm = confusion(y_true, y_pred, n_classes).astype("float64")
    inter = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, np.nan)


def mean_iou(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float:
    """Mean of :func:`per_class_iou` over the classes that occur."""
    iou = per_class_iou(y_true, y_pred, n_classes)
    return float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan")


def pixel_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of pixels whose predicted class is the true one."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def class_share(mask: np.ndarray, n_classes: int) -> np.ndarray:
    """Share of the image's pixels in each class (sums to 1)."""
    counts = np.bincount(np.asarray(mask, np.int64).ravel(), minlength=n_classes)[:n_classes]
    return counts / max(1, counts.sum())


# -- models ----------------------------------------------------------------------------------
def predict_masks(model, images: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """Class id per pixel, (N, H, W) uint8, for float images in [0, 1]."""
    probs = model.predict(np.asarray(images, "float32"), batch_size=batch_size, verbose=0)
    return np.argmax(probs, axis=-1).astype("uint8")


_PROBES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> {names: probe}
_PROBES_LOCK = threading.Lock()


def feature_maps(model, image: np.ndarray, names: list[str] | None = None) -> dict[str, np.ndarray]:
    """Activations of the stage layers for one image: ``{name: (h, w, channels)}``.

    ``names`` defaults to :func:`~dl_core.segmentation.model.stage_layers`.
    """
    import keras

    from dl_core.segmentation.model import stage_layers

    names = names or stage_layers(model)
    with _PROBES_LOCK:
        probes = _PROBES.setdefault(model, {})
        if tuple(names) not in probes:  # built once per model: a rewound model swaps weights
            outputs = [model.get_layer(n).output for n in names]
            probes[tuple(names)] = keras.Model(model.input, outputs)
        probe = probes[tuple(names)]
    outs = probe(np.asarray(image, "float32")[None], training=False)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    return {n: keras.ops.convert_to_numpy(o)[0] for n, o in zip(names, outs, strict=True)}


def strongest_channels(fmap: np.ndarray, k: int = 4) -> np.ndarray:
    """The ``k`` channels of an (h, w, c) map with the largest mean activation, (k, h, w)."""
    order = np.argsort(-fmap.reshape(-1, fmap.shape[-1]).mean(0), kind="stable")[:k]
    return np.moveaxis(fmap[..., order], -1, 0)


# -- images ----------------------------------------------------------------------------------
def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], "float32")


def colourise(mask: np.ndarray, n_classes: int) -> np.ndarray:
    """(H, W) class ids -> (H, W, 3) uint8 in the class colours."""
    palette = np.stack([_rgb(CLASS_COLOURS[c % len(CLASS_COLOURS)]) for c in range(n_classes)])
    return palette[np.clip(np.asarray(mask, np.int64), 0, n_classes - 1)].astype("uint8")


def overlay_mask(
    image: np.ndarray,
    mask: np.ndarray,
    n_classes: int,
    opacity: float = 0.5,
    visible: list[int] | None = None,
) -> np.ndarray:
    """Blend the class colours over an RGB image; classes not in ``visible`` stay unpainted."""
    from dl_core.viz import to_uint8

    img = to_uint8(image).astype("float32")
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, -1)
    mask = np.asarray(mask)
    if mask.shape != img.shape[:2]:
        raise ValueError(f"mask {mask.shape} and image {img.shape[:2]} differ in size")
    show = np.isin(mask, list(range(n_classes)) if visible is None else visible)[..., None]
    blend = (1 - opacity) * img + opacity * colourise(mask, n_classes)
    return np.where(show, blend, img).clip(0, 255).astype("uint8")


def preview_strip(images: np.ndarray, masks: np.ndarray, n_classes: int) -> np.ndarray:
    """Each image next to its coloured mask: (N, H, 2W, 3) uint8 (a progress preview)."""
    from dl_core.viz import to_uint8

    return np.stack(
        [
            np.concatenate([to_uint8(i), colourise(m, n_classes)], 1)
            for i, m in zip(images, masks, strict=True)
        ]
    )


def mask_png(mask: np.ndarray, class_names: list[str]) -> bytes:
    """A palette PNG of the mask: pixel value = class id, palette = the class colours."""
    from PIL import Image

    mask = np.ascontiguousarray(mask, "uint8")
    img = Image.frombytes("P", (mask.shape[1], mask.shape[0]), mask.tobytes())
    palette = [0] * 768
    for c in range(len(class_names)):
        palette[3 * c : 3 * c + 3] = [int(v) for v in _rgb(CLASS_COLOURS[c % len(CLASS_COLOURS)])]
    img.putpalette(palette)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


# -- the two upsampling ideas, as arrays (plots.plot_transposed_conv, plots.plot_atrous) ----
def transposed_overlap(n: int, kernel: int, stride: int) -> np.ndarray:
    """How many kernel taps land on each output pixel of a transposed convolution (1-D ⊗ 1-D).

    An n×n input, each pixel stamping a kernel×kernel copy ``stride`` apart: output
    ``(n-1)·stride + kernel`` wide. Uneven counts are the checkerboard artefact.
    """
    size = (n - 1) * stride + kernel
    line = np.zeros(size)
    for i in range(n):
        line[i * stride : i * stride + kernel] += 1
    return np.outer(line, line)


def atrous_taps(rate: int, size: int = 13) -> np.ndarray:
    """A size×size grid with 1 where a 3×3 kernel with dilation ``rate`` reads its input."""
    grid = np.zeros((size, size))
    c = size // 2
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            y, x = c + dy * rate, c + dx * rate
            if 0 <= y < size and 0 <= x < size:
                grid[y, x] = 1
    return grid
