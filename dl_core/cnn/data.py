"""The data of the small CNN the visitor trains: images in, a seeded stratified split out.

Data: the bundled digits (8×8), MNIST-5k, Animal-MNIST (28×28), or a visitor's zip of
class folders packed by the page with ``Store.put_arrays_blob(x=, y=, class_names=)``.
"""

from __future__ import annotations

import numpy as np

from dl_core.cnn.config import (
    Config,
)
from dl_core.errors import ConfigError


# -- data ----------------------------------------------------------------------------------
def load_data(cfg: Config, data: bytes | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(x, y, class_names)``: ``x`` float32 ``(N, H, W, C)`` in [0, 1], ``y`` int64."""
    if cfg.dataset == "upload":
        if data is None:
            raise ConfigError("Upload a zip of class folders first (one folder per class).")
        from dl_core.store import unpack_arrays

        packed = unpack_arrays(data)
        x, y, names = packed["x"], np.asarray(packed["y"], np.int64), list(packed["class_names"])
    else:
        from dl_core.assets import load_images

        ds = load_images(cfg.dataset, per_class=cfg.per_class or None, seed=cfg.seed)
        x, y, names = ds.x, ds.y, ds.class_names
    if len(set(np.asarray(y).tolist())) < 2:
        raise ConfigError("Training a classifier needs at least two classes with images.")
    x = np.asarray(x, dtype=np.float32) / 255.0
    if x.ndim == 3:
        x = x[..., None]
    return x, np.asarray(y, np.int64), names


def split(x: np.ndarray, y: np.ndarray, test_fraction: float = 0.2, seed: int = 0):
    """A stratified, seeded train/test split: ``((x_train, y_train), (x_test, y_test))``."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), bool)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        test[idx[: max(1, int(round(len(idx) * test_fraction)))]] = True
    order = rng.permutation(len(y))
    tr, te = order[~test[order]], order[test[order]]
    return (x[tr], y[tr]), (x[te], y[te])
