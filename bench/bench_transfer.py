"""Transfer learning figures (issues 4 and 22).

    python -m bench transfer

Animal-MNIST, 10 classes × 30 training images (+10 validation each), evaluated on 500
held-out images: accuracy and wall time for feature extraction, fine-tuning and from
scratch, trained as the page trains them (``dl_core.transfer.train``), then the latency of
classifying one uploaded image with the trained model.

The three ways get the **same training time budget** and an **open epoch count** (the most
the page allows, 500): each trains until the budget runs out (or 500 epochs end). The budget
covers training only, as on the page: preparing the images and the one-off forward pass
through the frozen backbone (feature extraction and fine-tuning cache it) are outside it and
reported in the wall time. Fine-tuning first trains the new head for the page's default head
epochs (40; a head on cached features costs little), then fine-tunes the top blocks for the
rest of the same budget. ``TRANSFER_BENCH_BUDGET_S`` sets the budget (default: the default
preset's, 45 s).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time

import numpy as np

from bench.common import report, timeit

OPEN_EPOCHS = 500  # the most the page accepts: in practice, until the budget runs out


def main() -> dict:
    os.environ.setdefault("DL_EXPLORER_HOME", tempfile.mkdtemp(prefix="dl-bench-transfer-"))
    from dl_core import transfer
    from dl_core.assets import load_photo
    from dl_core.jobs import Reporter

    default = transfer.PRESETS["default"]
    budget = float(os.environ.get("TRANSFER_BENCH_BUDGET_S", default.max_seconds))
    base = dataclasses.replace(
        default, per_class=40, val_fraction=0.25, test_per_class=50, max_seconds=budget
    )
    epochs = {
        "feature_extraction": dict(head_epochs=OPEN_EPOCHS),
        "fine_tuning": dict(head_epochs=default.head_epochs, fine_tune_epochs=OPEN_EPOCHS),
        "scratch": dict(scratch_epochs=OPEN_EPOCHS),
    }
    figures: dict = {
        "comparison": (
            f"same training budget for each way: {budget:g} s (training only); open epochs "
            f"(up to {OPEN_EPOCHS}); fine-tuning = {default.head_epochs} head epochs, then "
            "the top blocks for the rest of the budget"
        )
    }
    results = {}
    for mode in transfer.MODES:
        t0 = time.perf_counter()
        r = transfer.train(dataclasses.replace(base, mode=mode, **epochs[mode]), None, Reporter())
        wall = time.perf_counter() - t0
        results[mode] = r
        history = r["history"]
        figures[f"{mode}: held-out accuracy (500 images)"] = r["test_accuracy"]
        figures[f"{mode}: epochs trained / stopped by the budget"] = (
            f"{r['epochs']} / {r['stopped_by_budget']}"
            + (
                f" (head {history['phase_boundary'][0]}, fine-tuning "
                f"{r['epochs'] - history['phase_boundary'][0]})"
                if "phase_boundary" in history
                else ""
            )
        )
        figures[f"{mode}: wall time incl. data and features (s)"] = wall
        figures[f"{mode}: trainable parameters"] = r["trainable_params"]
    fe, sc = results["feature_extraction"], results["scratch"]
    figures["error rate ratio, from scratch / feature extraction (same budget)"] = (
        1 - sc["test_accuracy"]
    ) / max(1e-9, 1 - fe["test_accuracy"])
    model = results["fine_tuning"]["model"]
    photo = load_photo("horse")
    med, best = timeit(
        lambda: transfer.predict(model, photo[None], base.backbone), repeat=10, warmup=2
    )
    figures["inference, one uploaded photo, median (ms)"] = 1000 * med
    figures["inference, one uploaded photo, best (ms)"] = 1000 * best
    figures["classes"] = ", ".join(fe["class_names"])
    figures["load average (1 min) at the end"] = os.getloadavg()[0]
    assert np.isfinite(med)
    return report("transfer", figures)


if __name__ == "__main__":
    main()
