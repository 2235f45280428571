"""Figures for the segmentation page. Every function returns a plotly Figure; none displays it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from dl_core import viz
from dl_core.segmentation.analysis import (
    CLASS_COLOURS,
    atrous_taps,
    class_share,
    colourise,
    overlay_mask,
    strongest_channels,
    transposed_overlap,
)


def _legend(fig: go.Figure, class_names: Sequence[str], classes: Sequence[int] | None = None):
    for c in classes if classes is not None else range(len(class_names)):
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=class_names[c],
            marker=dict(size=12, symbol="square", color=CLASS_COLOURS[c % len(CLASS_COLOURS)]),
        )
    fig.update_layout(legend=dict(orientation="h", y=-0.02, yanchor="top"), showlegend=True)
    return fig


def samples_picture(
    images: np.ndarray, masks: np.ndarray, class_names: Sequence[str], n: int = 8
) -> np.ndarray:
    """Images (top row) and their true masks in the class colours (bottom row), as one picture
    (RGBA, transparent gaps) enlarged by whole pixels: for a page to show before plotly.js has
    loaded (``ui.figures.show_image_now``, with :func:`class_legend`)."""
    n = min(n, len(images))
    cells = [viz.to_uint8(i) for i in images[:n]]
    cells += [colourise(m, len(class_names)) for m in masks[:n]]
    cells = [np.repeat(c[..., None], 3, axis=-1) if c.ndim == 2 else c[..., :3] for c in cells]
    return viz.grid_image(np.stack(cells), cols=n, min_width=720)


def class_legend(class_names: Sequence[str]) -> list[tuple[str, str]]:
    """(class name, its colour) for every class, as the masks colour them."""
    return [(n, CLASS_COLOURS[c % len(CLASS_COLOURS)]) for c, n in enumerate(class_names)]


def plot_predictions(
    images: np.ndarray, truth: np.ndarray, pred: np.ndarray, class_names: Sequence[str], n: int = 6
) -> go.Figure:
    """Rows: held-out images, true masks, predicted masks."""
    n = min(n, len(images))
    k = len(class_names)
    cells = [
        *images[:n],
        *[colourise(m, k) for m in truth[:n]],
        *[colourise(m, k) for m in pred[:n]],
    ]
    titles = [
        *(["held-out image"] + [""] * (n - 1)),
        *(["true mask"] + [""] * (n - 1)),
        *(["predicted mask"] + [""] * (n - 1)),
    ]
    fig = viz.image_grid(cells, titles=titles, cols=n, cell=110)
    return _legend(fig, class_names)


def plot_overlay(
    image: np.ndarray,
    mask: np.ndarray,
    class_names: Sequence[str],
    opacity: float = 0.5,
    visible: Sequence[int] | None = None,
    strokes: Mapping[str, np.ndarray] | None = None,
    title: str | None = None,
) -> go.Figure:
    """The mask blended over the image (only ``visible`` classes), optional stroke points."""
    k = len(class_names)
    shown = list(range(k)) if visible is None else list(visible)
    fig = go.Figure(go.Image(z=overlay_mask(image, mask, k, opacity, shown), name="overlay"))
    colours = {"foreground": CLASS_COLOURS[1], "background": "#D55E00"}
    for name, xy in (strokes or {}).items():
        xy = np.asarray(xy).reshape(-1, 2)
        if len(xy) > 4000:  # draw a subsample of long strokes
            xy = xy[np.linspace(0, len(xy) - 1, 4000).astype(int)]
        fig.add_scatter(
            x=xy[:, 0],
            y=xy[:, 1],
            mode="markers",
            name=f"{name} strokes",
            marker=dict(size=3, color=colours.get(name, "#000000")),
        )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    _legend(fig, class_names, shown)
    h, w = np.asarray(image).shape[:2]
    fig.update_layout(
        title=title,
        height=int(min(480, 90 + 330 * h / max(w, 1))),
        margin=dict(l=0, r=0, t=40 if title else 5, b=30),
    )
    return fig


def plot_class_share(mask: np.ndarray, class_names: Sequence[str]) -> go.Figure:
    """Share of the pixels in each class, as horizontal bars in the class colours."""
    share = class_share(mask, len(class_names))
    fig = go.Figure(
        go.Bar(
            x=share,
            y=list(class_names),
            orientation="h",
            marker_color=[CLASS_COLOURS[c % len(CLASS_COLOURS)] for c in range(len(class_names))],
            text=[f"{s:.1%}" for s in share],
            textposition="auto",
        )
    )
    fig.update_xaxes(title="share of pixels", tickformat=".0%", range=[0, 1])
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=80 + 30 * len(class_names), margin=dict(l=10, r=10, t=10, b=10))
    return fig


def plot_iou(per_class: Sequence[float | None], class_names: Sequence[str]) -> go.Figure:
    """Held-out IoU of each class, with the mean as a dashed line."""
    vals = [np.nan if v is None else float(v) for v in per_class]
    fig = go.Figure(
        go.Bar(
            x=list(class_names),
            y=vals,
            marker_color=[CLASS_COLOURS[c % len(CLASS_COLOURS)] for c in range(len(class_names))],
            text=[f"{v:.2f}" for v in vals],
            textposition="auto",
        )
    )
    fig.add_hline(y=float(np.nanmean(vals)), line_dash="dash", annotation_text="mean IoU")
    fig.update_yaxes(title="IoU on held-out images", range=[0, 1])
    fig.update_layout(height=280, margin=dict(l=10, r=10, t=10, b=10))
    return fig


def plot_feature_maps(maps: Mapping[str, np.ndarray], k: int = 4, cell: int = 80) -> go.Figure:
    """One row per stage (encoder → decoder): its ``k`` most active channels as heatmaps."""
    cells, titles = [], []
    for name, fmap in maps.items():
        chans = strongest_channels(fmap, k)
        for i in range(k):
            if i < len(chans):
                cells.append(chans[i])
                h, w, c = fmap.shape
                titles.append(f"{name} {h}×{w}×{c}" if i == 0 else "")
            else:
                cells.append(np.zeros(fmap.shape[:2]))
                titles.append("")
    fig = viz.image_grid(cells, titles=titles, cols=k, cell=cell, colorscale=viz.SEQUENTIAL)
    fig.update_layout(margin=dict(l=10, r=10, t=30, b=10))
    return fig


def plot_transposed_conv(
    n: int = 4, stride: int = 2, kernels: Sequence[int] = (2, 3, 4)
) -> go.Figure:
    """Overlap counts of stride-2 transposed convolutions with several kernel sizes."""
    fig = viz.subplots(
        1, len(kernels), subplot_titles=[f"kernel {k}, stride {stride}" for k in kernels]
    )
    vmax = max(transposed_overlap(n, k, stride).max() for k in kernels)
    for j, k in enumerate(kernels, 1):
        z = transposed_overlap(n, k, stride)
        fig.add_heatmap(
            z=z,
            zmin=0,
            zmax=vmax,
            colorscale=viz.SEQUENTIAL,
            showscale=j == len(kernels),
            text=z.astype(int),
            texttemplate="%{text}",
            row=1,
            col=j,
            colorbar=dict(title="taps"),
        )
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{j if j > 1 else ''}", row=1, col=j)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(height=280, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def plot_atrous(rates: Sequence[int] = (1, 2, 4), size: int = 13) -> go.Figure:
    """Where a 3×3 atrous kernel reads its input at each dilation rate (same 9 weights)."""
    fig = viz.subplots(
        1, len(rates), subplot_titles=[f"rate {r}: sees {2 * r + 1}×{2 * r + 1}" for r in rates]
    )
    for j, r in enumerate(rates, 1):
        fig.add_heatmap(
            z=atrous_taps(int(r), size),
            zmin=0,
            zmax=1,
            showscale=False,
            row=1,
            col=j,
            colorscale=[[0, "#f0f0f0"], [1, viz.CATEGORICAL[0]]],
            xgap=1,
            ygap=1,
        )
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{j if j > 1 else ''}", row=1, col=j)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def plot_probability(prob: np.ndarray) -> go.Figure:
    """P(foreground) per pixel from the few-click head."""
    fig = viz.heatmap(prob, colorscale=viz.SEQUENTIAL, colorbar_title="P(fg)")
    fig.data[0].update(zmin=0, zmax=1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    h, w = prob.shape
    fig.update_layout(height=int(min(480, 40 + 400 * h / max(w, 1))))
    return fig


def plot_head_loss(losses: Sequence[float]) -> go.Figure:
    """The few-click head's training loss per Adam step."""
    return viz.curves({"loss": list(losses)}, x_title="step", y_title="cross-entropy", height=220)


DISAGREE = np.array([213, 94, 0], np.uint8)  # vermillion (Okabe & Ito)


def plot_disagreement(
    images: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    class_names: Sequence[str],
    names: tuple[str, str] = ("A", "B"),
    n: int = 6,
) -> go.Figure:
    """Rows: A's masks, B's masks, and the images with the pixels where they disagree
    painted vermillion (each titled with the share of disagreeing pixels)."""
    n = min(n, len(images))
    k = len(class_names)
    off = np.asarray(pred_a[:n]) != np.asarray(pred_b[:n])
    marked = []
    for img, bad in zip(images[:n], off, strict=True):
        grey = viz.to_uint8(img).mean(axis=-1, keepdims=True).repeat(3, axis=-1).astype(np.uint8)
        grey[bad] = DISAGREE
        marked.append(grey)
    cells = [*[colourise(m, k) for m in pred_a[:n]], *[colourise(m, k) for m in pred_b[:n]]]
    titles = [f"{names[0]} mask" if i == 0 else "" for i in range(n)]
    titles += [f"{names[1]} mask" if i == 0 else "" for i in range(n)]
    titles += [f"differ: {d.mean():.0%}" for d in off]
    return viz.image_grid([*cells, *marked], titles=titles, cols=n, cell=110)
