"""Transfer learning, arrays in and arrays out: predictions, a 2-D projection of features,
the misclassified validation images, the results table.
"""

from __future__ import annotations

import numpy as np

from dl_core.assets import imagenet
from dl_core.transfer.config import MODE_TITLES
from dl_core.transfer.data import square


# -- analysis -------------------------------------------------------------------------------
def predict(model, images: np.ndarray, backbone: str) -> np.ndarray:
    """Class probabilities for uint8 RGB images of any size (squared like the training set)."""
    x = imagenet.preprocess(
        backbone, np.stack([square(i, imagenet.input_size(backbone)) for i in images]), crop=1.0
    )
    return np.asarray(model(x, training=False))


def project(features: np.ndarray) -> np.ndarray:
    """2-D projection of feature vectors: their first two principal components (SVD)."""
    f = np.asarray(features, dtype=np.float32)
    f = f - f.mean(axis=0)
    _, _, vt = np.linalg.svd(f, full_matrices=False)
    return f @ vt[:2].T


def misclassified(
    result_labels: np.ndarray, val_idx: np.ndarray, val_probs: np.ndarray, limit: int = 12
) -> list[tuple[int, int, int, float]]:
    """(image index, true class, predicted class, predicted probability), most confident first."""
    pred = val_probs.argmax(1)
    wrong = [
        (int(i), int(result_labels[i]), int(p), float(pr[p]))
        for i, p, pr in zip(val_idx, pred, val_probs, strict=True)
        if p != result_labels[i]
    ]
    return sorted(wrong, key=lambda w: -w[3])[:limit]


def results_table(results: dict) -> list[dict]:
    """One row per finished way: accuracy, epochs, time, trainable parameters."""
    rows = []
    for mode, r in results.items():
        row = {"way": MODE_TITLES[mode], "validation accuracy": r["val_accuracy"]}
        if "test_accuracy" in r:
            row["held-out accuracy"] = r["test_accuracy"]
        row |= {
            "epochs": r["epochs"],
            "time (s)": round(r["seconds"], 1),
            "trainable parameters": r["trainable_params"],
            "stopped by time budget": r["stopped_by_budget"],
        }
        rows.append(row)
    return rows
