"""What training code talks to: progress events in, Stop out."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from dl_core.errors import Cancelled
from dl_core.jobs.db import _connect
from dl_core.store import home


# -- the reporter that training code talks to -----------------------------------------------
class Reporter:
    """Persists progress events and raises :class:`Cancelled` when the job must stop.

    Call it from training code: ``report(step=i, total=n, metrics={"loss": 0.3})``, or
    ``report(epoch=e, total=epochs, metrics=logs, preview=small_array)``. Batch events are
    written at most every ``min_interval`` seconds; epoch and message events always. A
    message ending in "…" names a phase (``report(message="fine-tuning…")``): the progress
    panel shows it until the next message, next to the batch and epoch counts.
    """

    def __init__(self, key: str | None = None, min_interval: float = 0.5) -> None:
        self.key = key
        self.min_interval = min_interval
        self._seq = 0
        self._last_write = 0.0
        self._last_check = 0.0
        self.events: list[dict[str, Any]] = []  # kept in memory too (inline use, tests)

    def __call__(
        self,
        step: int | None = None,
        epoch: int | None = None,
        total: int | None = None,
        metrics: Mapping[str, Any] | None = None,
        preview: np.ndarray | None = None,
        message: str | None = None,
    ) -> None:
        kind = (
            "batch"
            if step is not None and epoch is None
            else ("epoch" if epoch is not None else "message")
        )
        clean = {k: _to_float(v) for k, v in (metrics or {}).items() if _to_float(v) is not None}
        now = time.time()
        must = kind != "batch" or preview is not None or message is not None
        if must or now - self._last_write >= self.min_interval:
            self._write(kind, step, epoch, total, clean, message, preview)
            self._last_write = now
        self.check()

    def check(self) -> None:
        """Raise :class:`Cancelled` if Stop was pressed (checked at most 4 times a second)."""
        if self.key is None:
            return
        now = time.time()
        if now - self._last_check < 0.25:
            return
        self._last_check = now
        with _connect() as con:
            row = con.execute(
                "SELECT cancel_requested FROM jobs WHERE key=?", (self.key,)
            ).fetchone()
        if row is not None and row[0]:
            raise Cancelled("timed out" if row[0] == 2 else "stopped by the visitor")

    def _write(self, kind, step, epoch, total, metrics, message, preview) -> None:
        self._seq += 1
        event = dict(
            kind=kind, step=step, epoch=epoch, total=total, metrics=metrics, message=message
        )
        self.events.append(event | {"preview": preview})
        if self.key is None:
            return
        name = None
        if preview is not None:
            folder = home() / "progress" / self.key
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{self._seq}.npy"
            np.save(folder / name, np.asarray(preview))
        with _connect() as con:
            con.execute(
                "INSERT OR REPLACE INTO events VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    self.key,
                    self._seq,
                    time.time(),
                    kind,
                    step,
                    epoch,
                    total,
                    json.dumps(metrics),
                    message,
                    name,
                ),
            )

    def keras_callback(
        self,
        epochs: int,
        steps_per_epoch: int | None = None,
        preview: Callable[[int], Any] | None = None,
    ):
        """A Keras callback that reports every batch and epoch and stops within one batch.

        Args:
            epochs: total epochs (for the progress bar).
            steps_per_epoch: batches per epoch, if known.
            preview: optional ``fn(epoch) -> small array`` attached to each epoch event.
        """
        import keras

        reporter = self

        class _Progress(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                total = epochs * steps_per_epoch if steps_per_epoch else None
                step = self._epoch * (steps_per_epoch or 0) + batch + 1
                reporter(step=step, total=total, metrics=logs)

            def on_epoch_begin(self, epoch, logs=None):
                self._epoch = epoch

            def on_epoch_end(self, epoch, logs=None):
                arr = preview(epoch) if preview is not None else None
                reporter(epoch=epoch + 1, total=epochs, metrics=logs, preview=arr)

        cb = _Progress()
        cb._epoch = 0
        return cb


def _to_float(v: Any) -> float | None:
    try:
        f = float(np.asarray(v))
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else float("nan")
