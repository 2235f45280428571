"""Transfer learning, part 3: predict, project features, export the model, plot results."""

from __future__ import annotations

import os
import tempfile

import numpy as np
import plotly.graph_objects as go

from dl_core import viz
from dl_core.assets import imagenet
from dl_core.errors import UserError
from dl_core.transfer.config import MODE_TITLES
from dl_core.transfer.data import THUMB, Data, DatasetCheck, square


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


def export_keras(model) -> bytes:
    """The model as ``.keras`` bytes (for a download button)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        with open(path, "rb") as fh:
            return fh.read()


def export_tflite(model) -> bytes:
    """The model as a TFLite (LiteRT) flatbuffer; TensorFlow-only (a ``UserError`` if it fails)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.tflite")
        try:
            model.export(path, format="litert", verbose=False)
        except Exception as err:  # noqa: BLE001 - conversion depends on the installed TF/LiteRT
            raise UserError(
                f"TFLite conversion is not available here ({type(err).__name__}); "
                "the .keras file works everywhere Keras runs."
            ) from err
        with open(path, "rb") as fh:
            return fh.read()


def code_snippet(class_names: list[str], backbone: str) -> str:
    """A short script that loads the downloaded model and classifies one image."""
    spec = imagenet.IMAGENET_MODELS.get(backbone)
    norm = (
        f"(x - {list(spec.mean)}) / {list(spec.std)}"
        if spec
        else "keras.applications preprocess_input"
    )
    return f"""import keras, numpy as np
from PIL import Image

model = keras.saving.load_model("transfer_model.keras")
classes = {class_names!r}
img = Image.open("photo.jpg").convert("RGB")
side = min(img.size)                      # centre square, as in training
left, top = (img.width - side) // 2, (img.height - side) // 2
img = img.crop((left, top, left + side, top + side)).resize((224, 224))
x = np.asarray(img, dtype="float32")[None]
x = {norm}                                # {backbone} preprocessing
probs = model.predict(x)[0]
print(classes[int(probs.argmax())], float(probs.max()))
"""


# -- figures --------------------------------------------------------------------------------
def plot_comparison(histories: dict[str, dict], metric: str = "val_accuracy") -> go.Figure:
    """The three modes' validation accuracy per epoch on one chart."""
    fig = go.Figure()
    for i, (mode, hist) in enumerate(histories.items()):
        values = hist.get(metric, [])
        fig.add_scatter(
            x=list(range(1, len(values) + 1)),
            y=values,
            mode="lines+markers",
            name=MODE_TITLES.get(mode, mode),
            line=dict(color=viz.CATEGORICAL[i]),
        )
        for b in hist.get("phase_boundary", []):
            fig.add_vline(
                x=b + 0.5,
                line_dash="dot",
                line_color=viz.CATEGORICAL[i],
                annotation_text="unfreeze",
                annotation_position="top left",
            )
    fig.update_xaxes(title="epoch")
    fig.update_yaxes(
        title=metric.replace("_", " "), range=[0, 1.02] if "accuracy" in metric else None
    )
    fig.update_layout(
        height=340, margin=dict(l=10, r=10, t=30, b=10), title="Validation accuracy, three ways"
    )
    return fig


def plot_projection(
    points: np.ndarray, labels: np.ndarray, class_names: list[str], title: str
) -> go.Figure:
    """2-D feature projection coloured by class."""
    fig = go.Figure()
    for c, name in enumerate(class_names):
        m = labels == c
        fig.add_scatter(
            x=points[m, 0],
            y=points[m, 1],
            mode="markers",
            name=viz.plain(name),
            marker=dict(color=viz.CATEGORICAL[c % len(viz.CATEGORICAL)], size=7, opacity=0.8),
        )
    fig.update_layout(title=title, height=360, margin=dict(l=10, r=10, t=40, b=10))
    fig.update_xaxes(title="component 1")
    fig.update_yaxes(title="component 2")
    return fig


def plot_counts(check: DatasetCheck) -> go.Figure:
    names = list(check.counts)
    fig = go.Figure(
        go.Bar(
            x=[viz.plain(n) for n in names],
            y=[check.counts[n] for n in names],
            marker_color=viz.CATEGORICAL[0],
            text=[check.counts[n] for n in names],
            textposition="auto",
        )
    )
    fig.update_layout(title="Images per class", height=260, margin=dict(l=10, r=10, t=40, b=10))
    return fig


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


def plot_thumbnails(d: Data, per_class: int = 6) -> go.Figure:
    """A few images of each class, one row per class."""
    picks = [np.flatnonzero(d.labels == c)[:per_class] for c in range(len(d.class_names))]
    thumbs = [square(d.images[i], THUMB) for p in picks for i in p]
    titles = [d.class_names[d.labels[i]] for p in picks for i in p]
    return viz.image_grid(thumbs, titles, cols=per_class, cell=70, title="Thumbnails per class")


def plot_duplicates(d: Data, check: DatasetCheck, limit: int = 6) -> go.Figure:
    """Near-duplicate pairs across the split, training image then validation image."""
    pairs = check.duplicates[:limit]
    images = [d.images[k] for i, j, _ in pairs for k in (i, j)]
    titles = [f"{n} #{k}" for i, j, _ in pairs for n, k in (("train", i), ("val", j))]
    return viz.image_grid(images, titles, cols=4)


def plot_mistakes(result, limit: int = 12) -> go.Figure | None:
    """Misclassified validation images: true → predicted (probability); ``None`` if none."""
    names = result["class_names"]
    wrong = misclassified(result["labels"], result["val_idx"], result["val_probs"], limit)
    if not wrong:
        return None
    titles = [f"{names[t]}→{names[p]} {pr:.2f}" for _, t, p, pr in wrong]
    return viz.image_grid([result["thumbs"][i] for i, *_ in wrong], titles, cols=6, cell=100)


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
