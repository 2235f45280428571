"""Transfer learning figures (issue 4).

    python -m bench transfer

Animal-MNIST, 10 classes × 30 training images (+10 validation each), evaluated on 500
held-out images: accuracy and wall time for feature extraction, fine-tuning and from
scratch, trained as the page trains them (``dl_core.transfer.train``, the default preset);
then the latency of classifying one uploaded image with the trained model.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time

import numpy as np

from bench.common import report, timeit


def main() -> dict:
    os.environ.setdefault("DL_EXPLORER_HOME", tempfile.mkdtemp(prefix="dl-bench-transfer-"))
    from dl_core import transfer
    from dl_core.assets import load_photo
    from dl_core.jobs import Reporter

    base = dataclasses.replace(
        transfer.PRESETS["default"], per_class=40, val_fraction=0.25, test_per_class=50
    )
    figures: dict = {}
    results = {}
    for mode in transfer.MODES:
        t0 = time.perf_counter()
        r = transfer.train(dataclasses.replace(base, mode=mode), None, Reporter())
        wall = time.perf_counter() - t0
        results[mode] = r
        figures[f"{mode}: held-out accuracy (500 images)"] = r["test_accuracy"]
        figures[f"{mode}: wall time incl. data and features (s)"] = wall
        figures[f"{mode}: epochs / stopped by time budget"] = (
            f"{r['epochs']} / {r['stopped_by_budget']}"
        )
        figures[f"{mode}: trainable parameters"] = r["trainable_params"]
    fe, sc = results["feature_extraction"], results["scratch"]
    figures["error rate ratio, from scratch / feature extraction"] = (
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
    assert np.isfinite(med)
    return report("transfer", figures)


if __name__ == "__main__":
    main()
