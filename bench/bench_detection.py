"""Detection figures: YOLOv8 (small, keras-cv) mAP on 200 held-out generated scenes after a
fixed training time, and inference latency per image for it and for the MTCNN face detector.

``python -m bench detection`` (``DETECTION_BUDGET_S`` changes the 300 s training budget).
The budget is wall time from the start of ``model.fit``, graph compilation included.
"""

from __future__ import annotations

import dataclasses
import os
import time

import numpy as np

from bench.common import report, timeit


def main() -> None:
    from dl_core import detection as det
    from dl_core.assets import load_photo
    from dl_core.detection import faces
    from dl_core.jobs import Reporter

    budget = int(os.environ.get("DETECTION_BUDGET_S", 300))
    cfg = dataclasses.replace(
        det.PRESETS["default"], n_train=2000, n_val=200, epochs=1000, time_budget_s=budget
    )
    t0 = time.time()
    out = det.train(cfg, None, Reporter())
    wall = time.time() - t0
    hist = out["history"]
    model = out["model"]

    scene = out["val_images"][0]
    photo = load_photo("astronaut")

    def yolo_once():
        cands = det.detect(model, scene)
        det.postprocess(cands, 0.25, 0.5)

    yolo_med, yolo_min = timeit(yolo_once, repeat=20, warmup=3)
    faces.detect_faces(photo)
    face_med, face_min = timeit(lambda: faces.detect_faces(photo), repeat=10, warmup=2)
    figures = {
        "config": f"image {cfg.image_size}px, width {cfg.width}, depth {cfg.depth}, batch "
        f"{cfg.batch_size}, lr {cfg.learning_rate}, {cfg.n_train} training scenes",
        "training budget (s, incl. graph compile)": budget,
        "training wall time used (s)": round(out["train_seconds"], 1),
        "epochs completed": out["epochs_run"],
        "training steps completed": out["steps_run"],
        "first step done at (s, graph compile)": round(out["first_step_s"], 1),
        "mAP@0.5, 200 held-out scenes": round(out["map50"], 3),
        "mAP@0.5:0.95, 200 held-out scenes": round(out["map50_95"], 3),
        "AP@0.5 per class": dict(zip(det.CLASSES, out["ap50_per_class"], strict=True)),
        "mAP@0.5 (64 scenes) by epoch end (s)": [
            (round(t), round(m, 3))
            for t, m in zip(hist["elapsed_s"], hist["val_map50"], strict=True)
        ],
        "YOLOv8 latency per 128px image, median (ms)": round(1000 * yolo_med, 1),
        "YOLOv8 latency, min (ms)": round(1000 * yolo_min, 1),
        "MTCNN latency on astronaut 512x512, median (ms)": round(1000 * face_med, 1),
        "MTCNN latency, min (ms)": round(1000 * face_min, 1),
        "bench wall time (s)": round(wall + 0.0, 1),
        "threads": f"TF intra/inter defaults, os.cpu_count()={os.cpu_count()}",
    }
    assert np.isfinite(out["map50"])
    report("detection", figures)


if __name__ == "__main__":
    main()
