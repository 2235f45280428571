"""What training code talks to: progress events in, Stop out."""

from __future__ import annotations

import json
import math
import threading
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
    written at most every ``min_interval`` seconds; epoch and message events always. Stop is
    looked up in the database at most every ``check_interval`` seconds. ``clock`` (seconds,
    monotonic) decides both; tests inject their own.
    A message ending in "…" names a phase (``report(message="fine-tuning…")``): the progress
    panel shows it until the next message, next to the batch and epoch counts.
    """

    def __init__(
        self,
        key: str | None = None,
        min_interval: float = 0.5,
        check_interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.key = key
        self.min_interval = min_interval
        self.check_interval = check_interval
        self.clock = clock
        self._seq = 0
        self._last_write = -math.inf
        self._last_check = -math.inf
        self._lock = threading.Lock()  # Keras may call batch hooks from a worker thread
        self.events: list[dict[str, Any]] = []  # kept in memory too (inline use, tests)
        self._checkpointer = None

    def __call__(
        self,
        step: int | None = None,
        epoch: int | None = None,
        total: int | None = None,
        metrics: Mapping[str, Any] | None = None,
        preview: np.ndarray | None = None,
        message: str | None = None,
    ) -> None:
        self.record(step, epoch, total, metrics, preview, message)
        self.check()

    def record(
        self,
        step: int | None = None,
        epoch: int | None = None,
        total: int | None = None,
        metrics: Mapping[str, Any] | None = None,
        preview: np.ndarray | None = None,
        message: str | None = None,
    ) -> bool:
        """Persist an event (batch events only when ``min_interval`` has passed); never stops.

        Returns whether the event was written.
        """
        kind = (
            "batch"
            if step is not None and epoch is None
            else ("epoch" if epoch is not None else "message")
        )
        must = kind != "batch" or preview is not None or message is not None
        with self._lock:
            now = self.clock()
            if not (must or now - self._last_write >= self.min_interval):
                return False
            clean = {k: f for k, v in (metrics or {}).items() if (f := _to_float(v)) is not None}
            self._write(kind, step, epoch, total, clean, message, preview)
            self._last_write = now
            return True

    def checkpoint(self, epoch: int, total: int, **models: Any) -> bool:
        """Save the weights of ``models`` (by the names the result gives them) after
        ``epoch`` (1-based) of ``total``, if :func:`dl_core.checkpoints.plan` keeps that
        epoch; returns whether it did. Without a job key (a bare reporter) nothing is saved.
        """
        if self.key is None or not models:
            return False
        if self._checkpointer is None:
            from dl_core.checkpoints import Checkpointer

            self._checkpointer = Checkpointer(self.key)
        return self._checkpointer(epoch, total, models)

    def due(self) -> bool:
        """Whether a batch event would be written now (lets callers skip reading metrics)."""
        return self.clock() - self._last_write >= self.min_interval

    def check(self) -> None:
        """Raise :class:`Cancelled` if Stop was pressed (looked up every ``check_interval`` s)."""
        if self.key is None:
            return
        now = self.clock()
        if now - self._last_check < self.check_interval:
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
        checkpoint: str | Mapping[str, Any] | None = None,
    ):
        """A Keras callback that reports progress and stops within one batch.

        Stop is checked before every batch (a database read at most every
        ``check_interval`` s). Batch metrics are persisted at most every ``min_interval``
        s, from a hook Keras may run off the training thread, so reporting adds no
        per-batch wait to what a plain ``model.fit`` already does; every epoch's metrics are
        always persisted.

        Args:
            epochs: total epochs (for the progress bar).
            steps_per_epoch: batches per epoch, if known.
            preview: optional ``fn(epoch) -> small array`` attached to each epoch event.
            checkpoint: the result's name for the fitted model (e.g. ``"model"``), or
                ``{result name: model}`` for parts of it (e.g. a GAN's generator): their
                weights are saved at the epochs :mod:`dl_core.checkpoints` plans, so that
                the page can rewind the run.
        """
        import keras

        reporter = self
        total = epochs * steps_per_epoch if steps_per_epoch else None

        class _Progress(keras.callbacks.Callback):
            # Keras then dispatches on_train_batch_end to a helper thread on backends that
            # allow it (as it does for a plain fit); record() holds a lock.
            async_safe = True

            def on_train_batch_begin(self, batch, logs=None):
                reporter.check()

            def on_train_batch_end(self, batch, logs=None):
                if reporter.due():
                    step = self._epoch * (steps_per_epoch or 0) + batch + 1
                    reporter.record(step=step, total=total, metrics=logs)

            def on_epoch_begin(self, epoch, logs=None):
                self._epoch = epoch

            def on_epoch_end(self, epoch, logs=None):
                arr = preview(epoch) if preview is not None else None
                reporter.record(epoch=epoch + 1, total=epochs, metrics=logs, preview=arr)
                if isinstance(checkpoint, str):
                    reporter.checkpoint(epoch + 1, epochs, **{checkpoint: self.model})
                elif checkpoint:
                    reporter.checkpoint(epoch + 1, epochs, **checkpoint)
                reporter.check()

        cb = _Progress()
        cb._epoch = 0
        return cb


def _to_float(v: Any) -> float | None:
    try:
        f = float(np.asarray(v))
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else float("nan")
