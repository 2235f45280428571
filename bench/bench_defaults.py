"""Presets end to end: wall time and result of each topic's ``default`` (and ``longer``).

    python -m bench defaults                        # every topic, default preset
    BENCH_TOPICS=cnn,gan BENCH_PRESETS=default,longer python -m bench defaults

Each run is ``train(PRESETS[preset], None, Reporter())`` in this process, as a worker runs
it (data, graph building, training, evaluation), so the wall time is what a visitor waits
after pressing Train. With ``BENCH_WARM=1`` each preset runs twice, after Keras is loaded
(as a worker loads it before its first job): the second runs are a warm worker's figures,
and the topic's start-up is its first preset's first run minus its second (the later
presets run on a worker that has run the topic); ``dl_core.estimates`` stores them as
``PRESET_SECONDS`` and ``START_SECONDS``.
The goal (issue 21): ``default`` under 90 s on an idle 2-core CPU
(``taskset -c 0,1`` on a bigger machine). The load average is printed before and after:
on a busy machine the times are upper bounds. Compare with ``dl_core.estimates``.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

from bench.common import report


def _final(history: dict) -> str:
    """The last value of every curve in a history dict."""
    parts = []
    for key, values in history.items():
        values = [v for v in values if v is not None]
        if values and isinstance(values[-1], (int, float)):
            parts.append(f"{key} {float(values[-1]):.3g}")
    return ", ".join(parts)


def _mode(train: Callable, mode: str) -> Callable:
    """``train`` for one transfer-learning way (keeps the module for the stored estimate)."""

    def run(cfg, data, report):
        return train(dataclasses.replace(cfg, mode=mode), data, report)

    run.__module__ = train.__module__
    return run


def _runs() -> dict[str, list[tuple[str, Callable, dict, Callable[[dict], str]]]]:
    """topic -> [(label, train, presets, result -> metric text)]."""
    from dl_core import attention, basics, cnn, detection, dqn, segmentation, transfer
    from dl_core import text_generation as tg
    from dl_core.gan import dcgan, vae
    from dl_core.gan import train as gan_train

    def way(r: dict) -> str:
        return f"val accuracy {r['val_accuracy']:.3f} after {r['epochs']} epochs"

    def yolo(r: dict) -> str:
        return f"mAP@0.5 {r['map50']:.3f}, first step (graph) {r['first_step_s']:.0f} s"

    def agent(r: dict) -> str:
        return f"best eval return {r['best_eval_return']:.0f}, solved at {r['solved_at_step']}"

    return {
        "basics": [
            (
                "basics",
                basics.train,
                basics.PRESETS,
                lambda r: f"test loss {r['test_loss'][-1]:.3f}",
            )
        ],
        "cnn": [("cnn", cnn.train, cnn.PRESETS, lambda r: f"test acc {r['test_accuracy']:.3f}")],
        "transfer": [
            (f"transfer {m}", _mode(transfer.train, m), transfer.PRESETS, way)
            for m in transfer.MODES
        ],
        "detection": [("detection", detection.train, detection.PRESETS, yolo)],
        "segmentation": [
            (
                "segmentation",
                segmentation.train,
                segmentation.PRESETS,
                lambda r: f"val mean IoU {r['val_mean_iou']:.3f}",
            )
        ],
        "text_generation": [
            ("text_generation", tg.train, tg.PRESETS, lambda r: f"val {r['val_bpc']:.3f} bits/char")
        ],
        "attention": [
            ("attention", attention.train, attention.PRESETS, lambda r: _final(r["history"]))
        ],
        "gan": [
            ("dcgan", gan_train.train_dcgan, dcgan.PRESETS, lambda r: _final(r["history"])),
            ("vae", gan_train.train_vae, vae.PRESETS, lambda r: _final(r["history"])),
        ],
        "dqn": [("dqn", dqn.train, dqn.PRESETS, agent)],
    }


def main() -> dict:
    os.environ.setdefault("DL_EXPLORER_HOME", tempfile.mkdtemp(prefix="dl-bench-defaults-"))
    from dl_core import estimates
    from dl_core.jobs import Reporter

    warm = os.environ.get("BENCH_WARM") == "1"
    if warm:
        import keras  # noqa: F401 - a worker loads Keras before its first job

    runs = _runs()
    topics = [t for t in os.environ.get("BENCH_TOPICS", ",".join(runs)).split(",") if t]
    presets = [p for p in os.environ.get("BENCH_PRESETS", "default").split(",") if p]
    figures: dict[str, Any] = {"load average before (1, 5, 15 min)": os.getloadavg()}
    for topic in topics:
        for label, train, table, metric in runs[topic]:
            for preset in presets:
                if preset not in table:
                    continue
                walls = []
                for _ in range(2 if warm else 1):
                    t0 = time.perf_counter()
                    result = train(table[preset], None, Reporter())
                    walls.append(time.perf_counter() - t0)
                stored = estimates.stored_seconds(train, preset)
                figures[f"{label} · {preset}"] = (
                    f"{walls[0]:.1f} s"
                    + (f", again {walls[1]:.1f} s" if warm else "")
                    + f" (stored estimate {stored} s) · {metric(result)}"
                )
                print(f"  {label} · {preset}: {figures[f'{label} · {preset}']}", flush=True)
                if warm and f"{label}: start-up (s)" not in figures:
                    figures[f"{label}: start-up (s)"] = (
                        f"{walls[0] - walls[1]:.2f} (stored {estimates.start_seconds(train)})"
                    )
    figures["load average after (1, 5, 15 min)"] = os.getloadavg()
    return report("defaults", figures)


if __name__ == "__main__":
    main()
