"""Transfer learning: the page's figures. Each ``plot_*`` draws what it is given and returns a
plotly Figure (the numbers come from :mod:`dl_core.transfer.analysis`).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dl_core import viz
from dl_core.transfer.config import MODE_TITLES
from dl_core.transfer.data import THUMB, Data, DatasetCheck, square


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


def thumbnail_rows(d: Data, per_class: int = 6) -> list[tuple[str, np.ndarray, str]]:
    """A few images of each class as pictures: per class (name, a strip of its first images,
    alt text). Every strip is ``per_class`` images wide (transparent where a class has fewer), so
    that rows drawn at the same width show the images at the same size."""
    rows = []
    for c, name in enumerate(d.class_names):
        picks = np.flatnonzero(d.labels == c)[:per_class]
        if not len(picks):
            continue
        strip = viz.tile(np.stack([square(d.images[i], THUMB) for i in picks]), cols=per_class)
        full = np.zeros((strip.shape[0], per_class * (THUMB + 2) + 2, 4), np.uint8)
        full[:, : strip.shape[1]] = strip
        rows.append((name, full, f"{len(picks)} example images of the class {name}"))
    return rows


def plot_duplicates(d: Data, check: DatasetCheck, limit: int = 6) -> go.Figure:
    """Near-duplicate pairs across the split, training image then validation image."""
    pairs = check.duplicates[:limit]
    images = [d.images[k] for i, j, _ in pairs for k in (i, j)]
    titles = [f"{n} #{k}" for i, j, _ in pairs for n, k in (("train", i), ("val", j))]
    return viz.image_grid(images, titles, cols=4)


def plot_mistakes(
    thumbs: np.ndarray, wrong: list[tuple[int, int, int, float]], class_names: list[str]
) -> go.Figure | None:
    """Misclassified validation images: true → predicted (probability); ``None`` if none.

    ``wrong`` comes from :func:`dl_core.transfer.analysis.misclassified`.
    """
    if not wrong:
        return None
    names = class_names
    titles = [f"{names[t]}→{names[p]} {pr:.2f}" for _, t, p, pr in wrong]
    return viz.image_grid([thumbs[i] for i, *_ in wrong], titles, cols=6, cell=100)
