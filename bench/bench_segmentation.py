"""Segmentation figures for the closing note, measured side by side in one run.

1. U-Net default on the generated scenes: held-out mean IoU (200 scenes) after a 3-minute
   training budget, with and without skip connections (same budget, same data; the epoch
   count is left open so each network trains for the whole budget).
2. Few-click segmentation on a bundled-photo composite with an exact reference mask (the
   scikit-image horse silhouette filled with the cat photo, pasted on the rocket photo):
   seconds from strokes to mask (new photo: features + head; refine: head only) and object
   IoU after 3 + 3 strokes, then after each refinement round (one stroke on the largest
   wrong region of each kind, as a visitor would add).

``python -m bench segmentation`` (set ``SEG_BENCH_BUDGET_S`` to change the 180 s budget).
"""

from __future__ import annotations

import dataclasses
import os
import time

import numpy as np

from bench.common import report


def reference_composite() -> tuple[np.ndarray, np.ndarray]:
    """(image, mask): the horse silhouette cut out of ``chelsea`` and pasted on ``rocket``."""
    from PIL import Image

    from dl_core.assets import load_photo

    bg = load_photo("rocket")
    h, w = bg.shape[:2]
    horse = np.asarray(Image.fromarray(load_photo("horse")).convert("L").resize((w // 2, h // 2)))
    mask = np.zeros((h, w), bool)
    top, left = h // 3, w // 4
    mask[top : top + h // 2, left : left + w // 2] = horse < 128
    fur = np.asarray(Image.fromarray(load_photo("chelsea")).resize((w, h)))
    return np.where(mask[..., None], fur, bg).astype("uint8"), mask


def strokes_from_mask(mask: np.ndarray, k: int, seed: int, length: float = 40) -> np.ndarray:
    """``k`` straight strokes (x0, y0, x1, y1) well inside ``mask``, as a visitor would draw."""
    from scipy import ndimage

    inner = ndimage.binary_erosion(mask, iterations=10)
    ys, xs = np.nonzero(inner)
    rng = np.random.default_rng(seed)
    segs = []
    while len(segs) < k:
        i = rng.integers(len(xs))
        d = np.hypot(xs - xs[i], ys - ys[i])
        near = np.nonzero((d > length / 2) & (d < length))[0]
        if not len(near):
            continue
        j = rng.choice(near)
        t = np.linspace(0, 1, 50)
        line_x = np.round(xs[i] + t * (xs[j] - xs[i])).astype(int)
        line_y = np.round(ys[i] + t * (ys[j] - ys[i])).astype(int)
        if inner[line_y, line_x].all():  # the whole stroke stays inside, as a visitor's would
            segs.append([xs[i], ys[i], xs[j], ys[j]])
    return np.array(segs, "float64")


def refine_stroke(error: np.ndarray, length: float = 30) -> np.ndarray | None:
    """One stroke inside the largest connected region of ``error`` (a visitor fixing a mistake)."""
    from scipy import ndimage

    labels, n = ndimage.label(error)
    if n == 0:
        return None
    biggest = labels == (1 + np.argmax(ndimage.sum(error, labels, range(1, n + 1))))
    if ndimage.binary_erosion(biggest, iterations=10).sum() < 20:
        return None
    return strokes_from_mask(biggest, 1, 0, length)


def few_click(rounds: int = 3) -> dict:
    from dl_core import segmentation as seg

    image, mask = reference_composite()
    photo = seg.prepare_photo(image)
    fg_segs, bg_segs = strokes_from_mask(mask, 3, 0), strokes_from_mask(~mask, 3, 1)
    px = lambda segs: seg.segment_pixels(segs, mask.shape, 4)  # noqa: E731
    seg.pixel_features(photo)  # load and clone the encoder once (the page keeps it warm)
    t0 = time.perf_counter()
    feats = seg.pixel_features(photo)
    res = seg.segment_from_strokes(photo, px(fg_segs), px(bg_segs), features=feats)
    cold = time.perf_counter() - t0
    out = {
        "few-click: photo size": f"{photo.shape[1]}x{photo.shape[0]}",
        "few-click: seconds strokes->mask, new photo (features + head)": cold,
    }
    warm = []
    for r in range(rounds + 1):
        iou = seg.per_class_iou(mask.astype("uint8"), res.mask, 2)
        n = f"{len(fg_segs)} + {len(bg_segs)}"
        out[f"few-click: object IoU vs reference, {n} strokes"] = float(iou[1])
        if r == rounds:
            break
        fp, fn = (res.mask == 1) & ~mask, (res.mask == 0) & mask
        if (s := refine_stroke(fp)) is not None:
            bg_segs = np.vstack([bg_segs, s])
        if (s := refine_stroke(fn)) is not None:
            fg_segs = np.vstack([fg_segs, s])
        t0 = time.perf_counter()
        res = seg.segment_from_strokes(photo, px(fg_segs), px(bg_segs), features=feats)
        warm.append(time.perf_counter() - t0)
    out["few-click: seconds strokes->mask, refine (head only, median)"] = float(np.median(warm))
    return out


def unet_budget(budget: float) -> dict:
    from dl_core import segmentation as seg
    from dl_core.jobs import Reporter

    out = {}
    for skips in (True, False):
        # Epochs are left open: both runs train for the whole budget (the learning rate
        # anneals by elapsed time), so the faster no-skip network gets its extra steps.
        cfg = dataclasses.replace(
            seg.PRESETS["default"], skips=skips, max_seconds=budget, epochs=100
        )
        res = seg.train(cfg, None, Reporter())
        tag = "U-Net with skips" if skips else "U-Net without skips"
        out[f"{tag}: held-out mean IoU (200 scenes)"] = res["val_mean_iou"]
        out[f"{tag}: pixel accuracy"] = res["val_pixel_accuracy"]
        out[f"{tag}: epochs done / seconds"] = f"{res['epochs_run']} / {res['seconds']:.0f}"
    return out


def main() -> None:
    budget = float(os.environ.get("SEG_BENCH_BUDGET_S", 180))
    figures = {"training budget (s)": budget, **few_click(), **unet_budget(budget)}
    report("segmentation", figures)


if __name__ == "__main__":
    main()
