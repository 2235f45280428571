"""Watching a generative model train: sample grids per epoch, diversity, divergence.

:class:`SampleMonitor` is a Keras callback shared by the GAN and the VAE. Every batch it
checks the losses (NaN, infinity or an explosion ends the job with
:class:`~dl_core.errors.TrainingDiverged`); every epoch it renders the fixed-latent sample
grid (kept for the epoch scrubber and sent as the live preview) and measures sample
diversity, so that mode collapse shows up on the curve.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

from dl_core.errors import TrainingDiverged

LOSS_LIMIT = 1e4  # a loss beyond this (or NaN) means training has blown up
COLLAPSE_DROP = 0.7  # flagged when diversity < 70 % of its best so far ...
COLLAPSE_LEVEL = 0.6  # ... and < 60 % of the training data's own diversity


def to_uint8(x: np.ndarray, low: float = 0.0) -> np.ndarray:
    """Float images in [low, 1] (low = -1 for tanh, 0 for sigmoid) -> uint8 [0, 255]."""
    scaled = (np.asarray(x, "float32") - low) / (1.0 - low)
    return np.clip(np.rint(np.nan_to_num(scaled) * 255), 0, 255).astype(np.uint8)


def diversity(images: np.ndarray) -> float:
    """Mean pairwise Euclidean distance between images (pixels scaled to [0, 1]).

    A generator that has collapsed onto a few outputs scores near 0; real data sets score
    around 8-10 on 28 x 28 digits. Compare with the training data's own value.
    """
    flat = np.asarray(images, "float64").reshape(len(images), -1) / 255.0
    sq = (flat**2).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * flat @ flat.T, 0)
    n = len(flat)
    return float(np.sqrt(d2).sum() / max(1, n * (n - 1)))


def check_finite(logs: dict | None, where: str, limit: float = LOSS_LIMIT) -> None:
    """Raise :class:`TrainingDiverged` with a sentence if any logged loss blew up."""
    for name, value in (logs or {}).items():
        v = float(np.asarray(value))
        if not np.isfinite(v) or abs(v) > limit:
            shown = "NaN" if np.isnan(v) else ("infinite" if np.isinf(v) else f"{v:.3g}")
            raise TrainingDiverged(
                f"Training diverged: {name} became {shown} {where}. The learning rate is "
                "probably too high for this model; try 0.0002-0.001 (the default is 0.0002 for "
                "the GAN, 0.001 for the VAE) and press Train again."
            )


class SampleMonitor(keras.callbacks.Callback):
    """Divergence checks every batch; samples, diversity and history every epoch.

    Args:
        render: ``() -> uint8 images`` from the fixed latent batch.
        measure: ``() -> float`` sample diversity relative to the data (1 = as varied).
        limit: the largest believable loss value (beyond it: diverged).
    """

    def __init__(
        self,
        render: Callable[[], np.ndarray],
        measure: Callable[[], float],
        limit: float = LOSS_LIMIT,
    ) -> None:
        super().__init__()
        self.render, self.measure, self.limit = render, measure, limit
        self.samples: list[np.ndarray] = []
        self.history: dict[str, list[float]] = {}
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        check_finite(logs, f"at batch {batch + 1} of epoch {self._epoch + 1}", self.limit)

    def on_epoch_end(self, epoch, logs=None):
        check_finite(logs, f"in epoch {epoch + 1}", self.limit)
        self.samples.append(self.render())
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(float(np.asarray(value)))
        div = round(self.measure(), 4)
        self.history.setdefault("diversity", []).append(div)
        if logs is not None:  # the same dict reaches the progress reporter after us
            logs["diversity"] = div

    def preview(self, epoch: int) -> np.ndarray:
        """The latest sample grid (for the job's live preview)."""
        return self.samples[-1]

    def collapse_epochs(self) -> list[int]:
        """Epochs (1-based) where diversity fell: a sign of mode collapse."""
        div = self.history.get("diversity", [])
        return flag_collapse(div)


def flag_collapse(div: list[float]) -> list[int]:
    """1-based epochs whose diversity dropped well below its best so far and below the data's."""
    flagged, best = [], 0.0
    for i, d in enumerate(div):
        best = max(best, d)
        if d < COLLAPSE_DROP * best and d < COLLAPSE_LEVEL:
            flagged.append(i + 1)
    return flagged
