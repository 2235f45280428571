"""A wall-clock training budget, shared by every topic that can stop on time.

Visitors (and ``bench/``) may give a training run a time budget: training stops after the
batch during which it ran out, keeping what it learned. ``seconds <= 0`` (or ``None``) means
no limit: tiny presets and tests use that, so they stop by epochs or steps and no test outcome
depends on the speed of the machine.

The clock is :func:`clock`, looked up on every call, so a test can replace it with a fake one
(``monkeypatch.setattr(dl_core.budget, "clock", fake)``) and check the logic without waiting.
"""

from __future__ import annotations

import time


def clock() -> float:
    """Seconds on a monotonic clock (replaced by a fake in tests)."""
    return time.monotonic()


class TimeBudget:
    """``seconds`` of training time from now (``<= 0`` or ``None``: no limit).

    ``spent()`` says whether the time is up, ``fraction()`` how much of it has passed (for
    schedules that should end when the time does), ``keras_callback()`` stops ``model.fit``
    after the batch in which it ran out and records that in ``stopped``.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = max(0.0, float(seconds or 0.0))
        self.t0 = clock()
        self.stopped = False

    @property
    def limited(self) -> bool:
        return self.seconds > 0

    def restart(self) -> None:
        """Start counting from now (e.g. when training begins after data preparation)."""
        self.t0 = clock()

    def elapsed(self) -> float:
        return clock() - self.t0

    def fraction(self) -> float:
        """Share of the budget used so far, capped at 1 (always 0 without a limit)."""
        return min(1.0, self.elapsed() / self.seconds) if self.limited else 0.0

    def spent(self) -> bool:
        return self.limited and self.elapsed() >= self.seconds

    def keras_callback(self):
        """A Keras callback that ends training after the batch in which the budget ran out."""
        import keras

        budget = self

        class _StopOnTime(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if budget.spent():
                    self.model.stop_training = True
                    budget.stopped = True

        return _StopOnTime()
