"""The shared time budget (dl_core.budget) on a fake clock: no test waits for real time."""

import dataclasses
import importlib

import numpy as np
import pytest

from dl_core import topics
from dl_core.budget import TimeBudget


@pytest.mark.parametrize("seconds", [0, 0.0, None, -5])
def test_no_budget_never_runs_out(fake_clock, seconds):
    budget = TimeBudget(seconds)
    fake_clock.advance(10**9)
    assert not budget.limited and not budget.spent() and budget.fraction() == 0.0


def test_budget_runs_out_after_its_seconds_and_restarts(fake_clock):
    budget = TimeBudget(10)
    fake_clock.advance(9.5)
    assert budget.elapsed() == 9.5 and budget.fraction() == 0.95 and not budget.spent()
    fake_clock.advance(0.5)
    assert budget.spent() and budget.fraction() == 1.0
    fake_clock.advance(100)
    assert budget.fraction() == 1.0  # capped
    budget.restart()
    assert budget.elapsed() == 0.0 and not budget.spent()


def _fit_with_ticks(budget, epochs=10):
    """A tiny model, 2 batches per epoch; the fake clock moves 1 s after every batch."""
    import keras

    from dl_core import budget as budget_module

    class Tick(keras.callbacks.Callback):  # runs before the budget's callback
        def on_train_batch_end(self, batch, logs=None):
            budget_module.clock.advance(1.0)

    x = np.linspace(-1, 1, 16, dtype="float32")[:, None]
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    hist = model.fit(
        x,
        2 * x,
        batch_size=8,
        epochs=epochs,
        verbose=0,
        callbacks=[Tick(), budget.keras_callback()],
    )
    return len(hist.history["loss"]), int(model.optimizer.iterations.numpy())


def test_keras_callback_stops_after_the_batch_that_spends_the_budget(fake_clock):
    budget = TimeBudget(3.5)
    epochs, batches = _fit_with_ticks(budget)
    assert (epochs, batches) == (2, 4) and budget.stopped  # 4 s >= 3.5 s after batch 4
    unlimited = TimeBudget(0)
    assert _fit_with_ticks(unlimited) == (10, 20) and not unlimited.stopped


def test_text_generation_stops_on_its_budget(fake_clock):
    from dl_core import text_generation as tg

    fake_clock.step = 1.0  # every read of the clock is one second later
    cfg = dataclasses.replace(tg.PRESETS["tiny"], epochs=500, budget_s=5.0)
    r = tg.train(cfg, b"It was a dark and stormy night; the rain fell in torrents. " * 40, None)
    assert r["stopped_by_budget"] and len(r["history"]["loss"]) == 1
    assert int(r["model"].optimizer.iterations.numpy()) == 5  # one clock read per batch
    assert np.isfinite(r["val_bpc"]) and r["chars_per_s"] > 0


def test_segmentation_decays_the_learning_rate_with_its_budget(fake_clock):
    from dl_core import segmentation as seg
    from dl_core.jobs import Reporter

    fake_clock.step = 1.0  # reads: start, restart, then per batch fraction() and spent()
    cfg = dataclasses.replace(seg.PRESETS["tiny"], epochs=5, max_seconds=3.0)
    out = seg.train(cfg, None, Reporter())
    model = out["model"]
    assert out["epochs_run"] == 1 and int(model.optimizer.iterations.numpy()) == 2
    lr = float(model.optimizer.learning_rate.numpy())  # the last batch began at the budget
    assert lr == pytest.approx(0.05 * cfg.learning_rate)


def _presets():
    """Every topic's PRESETS (the GAN topic has one per model module)."""
    for name in topics.TOPICS:
        parts = ["dcgan", "vae"] if name == "gan" else [""]
        for part in parts:
            mod = importlib.import_module(f"dl_core.{name}" + (f".{part}" if part else ""))
            yield mod.__name__, mod.PRESETS


def test_tiny_presets_stop_by_epochs_or_steps_not_by_time():
    budget_fields = set()
    for where, presets in _presets():
        for field in dataclasses.fields(presets["tiny"]):
            if "seconds" in field.name or field.name.endswith("budget_s"):
                budget_fields.add(f"{where}.{field.name}")
                value = getattr(presets["tiny"], field.name)
                assert not value, f"{where} tiny preset: {field.name}={value} (must be 0)"
    assert {
        "dl_core.transfer.max_seconds",
        "dl_core.text_generation.budget_s",
        "dl_core.segmentation.max_seconds",
        "dl_core.attention.max_seconds",
        "dl_core.detection.time_budget_s",
    } <= budget_fields
