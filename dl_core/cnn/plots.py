"""Figures of the CNN page. Each ``plot_*`` returns a plotly Figure and never shows it.

Colour scales are colour-blind safe (``viz.SEQUENTIAL`` for activations and magnitudes,
``viz.DIVERGING`` centred on zero for weights and signed outputs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from dl_core import viz


def convolution_pictures(
    grey: np.ndarray, kernel: np.ndarray, out: np.ndarray, pooled: np.ndarray | None
) -> dict[str, Any]:
    """The panels of "Convolution by hand", for the page's first paint: the input, output and
    pooled output as RGB pictures (grey from darkest to lightest; signed maps
    purple-white-orange on a symmetric range that ignores outliers), the kernel as
    ``kernel_colours`` (#rrggbb) and ``kernel_text`` (its values, written in when at most 5×5)."""
    g = np.asarray(grey, dtype=np.float32)
    lo, hi = float(g.min()), float(g.max())
    pictures: dict[str, Any] = {"input": viz.colour_scale((g - lo) / (hi - lo or 1.0), "gray")}
    for name, z in (("output", out), ("pooled", pooled)):
        if z is not None:
            z = np.asarray(z, dtype=np.float32)
            lim = float(np.percentile(np.abs(z), 99.5)) or 1.0
            pictures[name] = viz.colour_scale((z / lim + 1) / 2, viz.DIVERGING)
    k = np.asarray(kernel, dtype=np.float32)
    lim = float(np.abs(k).max()) or 1.0
    rgb = viz.colour_scale((k / lim + 1) / 2, viz.DIVERGING)
    pictures["kernel_colours"] = [[viz.hex_colour(c) for c in row] for row in rgb]
    written = k.shape[0] <= 5
    pictures["kernel_text"] = [[f"{v:.2g}" if written else "" for v in row] for row in k]
    return pictures


def convolution_boxes(
    shape: tuple[int, ...], k: int, at: tuple[int, int], top_left: tuple[int, int]
) -> tuple[tuple, tuple]:
    """The boxes drawn over :func:`convolution_pictures`, as ``ui.figures.boxes_svg`` boxes: the
    ``k``×``k`` input window (its part inside an input of ``shape``) and the output pixel."""
    (r, c), (i, j) = top_left, at
    h, w = shape[:2]
    colour = viz.CATEGORICAL[1]
    window = (max(c, 0), max(r, 0), min(c + k, w), min(r + k, h), "", colour, "solid")
    return window, (j, i, j + 1, i + 1, "", colour, "solid")


def plot_top_classes(
    decoded: Sequence[tuple[int, str, float]], title: str = "Top-5 classes"
) -> go.Figure:
    """Bars of the top classes ``[(index, name, probability), ...]``, most likely on top."""
    return viz.bars([p for _, _, p in decoded], [f"{n} ({i})" for i, n, _ in decoded], title=title)


def plot_filters(kernel: np.ndarray, max_filters: int = 32, max_channels: int = 8) -> go.Figure:
    """What a convolution layer looks for.

    ``kernel`` is ``(kh, kw, in, out)``. First layers (3 input channels) are drawn as colour
    patches, one per filter; 1×1 (pointwise) layers as an ``out × in`` weight matrix; other
    layers as a grid, one row per filter and one column per input channel.
    """
    k = np.asarray(kernel, dtype=np.float32)
    kh, kw, cin, cout = k.shape
    if kh == 1 and kw == 1:
        return viz.heatmap(
            k[0, 0, :64, :64].T,
            title="1×1 filters: weight of each input channel (columns) in each filter (rows)",
            colorscale=viz.DIVERGING,
            zmid=0.0,
            height=360,
        )
    if cin == 3 and cout > 1:
        n = min(cout, max_filters)
        lim = np.abs(k).max(axis=(0, 1, 2), keepdims=True) + 1e-12
        patches = [(k[..., f] / lim[..., f] + 1) / 2 for f in range(n)]  # weights -> [0, 1] colours
        return viz.image_grid(
            patches,
            titles=[f"#{f}" for f in range(n)],
            cols=16,
            cell=60,
            title="Colour filters (grey = 0, bright = positive weight per colour)",
        )
    if cout == 1:  # depthwise: one kernel per channel
        k = np.moveaxis(k, 2, 3)  # (kh, kw, 1, channels)
        cin, cout = 1, k.shape[-1]
    rows, cols = min(cout, max_filters // 2 or 1), min(cin, max_channels)
    lim = float(np.abs(k).max()) or 1.0
    grid = viz.grid_layout(("plot_filters", rows, cols), lambda: _filter_grid(rows, cols))
    cells = [
        {
            "type": "heatmap",
            "z": k[:, :, c, f],
            "colorscale": viz.DIVERGING,
            "zmin": -lim,
            "zmax": lim,
            "showscale": False,
            "hovertemplate": f"filter {f}, in {c}: %{{z:.3g}}<extra></extra>",
        }
        for f in range(rows)
        for c in range(cols)
    ]
    return viz._layout(viz.from_grid(grid, cells), None, grid[0]["height"])


def _filter_grid(rows: int, cols: int) -> go.Figure:
    """The empty figure of :func:`plot_filters`' grid: one row per filter, one column per
    input channel."""
    fig = viz.subplots(
        rows=rows,
        cols=cols,
        horizontal_spacing=0.01,
        vertical_spacing=0.01,
        row_titles=[f"#{f}" for f in range(rows)],
        column_titles=[f"in {c}" for c in range(cols)] if cols > 1 else None,
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    return viz._layout(fig, None, 40 + 44 * rows)


def filters_caption(shape: Sequence[int]) -> str:
    """How :func:`plot_filters` draws a kernel of this shape, in one sentence."""
    kh, kw, cin, cout = shape
    if kh == 1 and kw == 1:
        return "1×1 filters: orange positive, purple negative weights."
    if cin == 3 and cout > 1:
        return (
            "Each tile is one filter's weights on the red, green and blue input: grey is 0, a "
            "bright colour a positive weight on that colour, its complement a negative one."
        )
    return "Orange positive, purple negative weights."


def plot_feature_maps(maps: np.ndarray, k: int = 16, cols: int = 8) -> go.Figure:
    """The ``k`` most active channels of ``(h, w, C)`` feature maps, strongest first."""
    from dl_core.cnn.analysis import top_channels

    order = top_channels(maps, k)
    titles = [f"ch {c} · {maps[..., c].mean():.2f}" for c in order]
    return _titled(
        viz.image_grid(
            [maps[..., c] for c in order],
            titles=titles,
            cols=cols,
            colorscale=viz.SEQUENTIAL,
            cell=90,
        )
    )


def plot_architecture(table: Sequence[dict[str, Any]], highlight: str | None = None) -> go.Figure:
    """The network as a strip, input to output: the spatial side of each layer's output
    (line, left axis) shrinks while its channels (bars, right axis) grow. Hover for names."""
    rows = [r for r in table if r["shape"] and len(r["shape"]) == 3]
    x = list(range(len(rows)))
    info = [[viz.plain(r["name"]), r["type"], "×".join(str(v) for v in r["shape"])] for r in rows]
    hover = "%{customdata[0]} (%{customdata[1]})<br>output %{customdata[2]}<extra></extra>"
    fig = viz.subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(
        x=x,
        y=[r["shape"][2] for r in rows],
        name="channels",
        customdata=info,
        hovertemplate=hover,
        marker_color=viz.CATEGORICAL[5],
        secondary_y=True,
    )
    fig.add_scatter(
        x=x,
        y=[r["shape"][0] for r in rows],
        name="side (pixels)",
        mode="lines",
        customdata=info,
        hovertemplate=hover,
        line=dict(color=viz.CATEGORICAL[0], width=3),
        line_shape="hv",
        secondary_y=False,
    )
    names = [r["name"] for r in rows]
    if highlight in names:
        fig.add_vline(
            x=names.index(highlight), line=dict(color=viz.CATEGORICAL[3], width=2, dash="dot")
        )
    fig.update_xaxes(title="layer (input → output)")
    fig.update_yaxes(title="output side (pixels)", rangemode="tozero", secondary_y=False)
    most = max([r["shape"][2] for r in rows] or [1])
    ticks = [v for v in (1, 4, 16, 64, 256, 1024, 4096) if v <= most * 2]
    fig.update_yaxes(
        title="channels",
        type="log",
        tickvals=ticks,
        showgrid=False,
        range=[0, np.log10(most * 1.2)],
        secondary_y=True,
    )
    fig.update_layout(legend=dict(orientation="h", y=1.15), bargap=0.1)
    return viz._layout(fig, None, 280)


def plot_explanations(
    image: np.ndarray, maps: dict[str, np.ndarray], alpha: float = 0.5
) -> go.Figure:
    """The image, then each explanation map (``{"Grad-CAM": (h, w), ...}``) overlaid in viridis."""
    panels = [viz.to_uint8(image)] + [viz.overlay(image, m, alpha) for m in maps.values()]
    return _titled(viz.image_grid(panels, titles=["image", *maps], cols=len(panels), cell=240))


def activation_maximisation_figures(result: dict[str, Any]) -> tuple[go.Figure, go.Figure]:
    """The synthesised input at a few steps, and the filter's mean activation per step."""
    shots = [viz.to_uint8(s) for s in result["snapshots"]]
    titles = [f"step {s}" for s in result["snapshot_steps"]]
    grid = _titled(viz.image_grid(shots, titles=titles, cols=len(shots), cell=130))
    curve = viz.curves(
        {"mean activation": result["activation"]}, x_title="step", y_title="activation", height=220
    )
    return grid, curve


def dataset_pictures(
    x: np.ndarray, y: np.ndarray, class_names: Sequence[str], per_class: int = 2
) -> list[tuple[str, np.ndarray]]:
    """A few training images of each class, as (class name, uint8 picture) for a gallery
    drawn in the page's first paint (``ui.figures.show_gallery_now``)."""
    picks = [i for c in range(len(class_names)) for i in np.flatnonzero(y == c)[:per_class]]
    out = []
    for i in picks:
        img = viz.to_uint8(x[i])
        out.append(
            (str(class_names[y[i]]), img[..., 0] if img.ndim == 3 and img.shape[-1] == 1 else img)
        )
    return out


def plot_misclassified(
    x: np.ndarray, y: np.ndarray, pred: np.ndarray, class_names: Sequence[str], k: int = 16
) -> go.Figure:
    """Up to ``k`` test images the model got wrong, titled "true → predicted"."""
    wrong = np.flatnonzero(np.asarray(y) != np.asarray(pred))[:k]
    titles = [f"{class_names[y[i]]} → {class_names[pred[i]]}" for i in wrong]
    return _titled(viz.image_grid([x[i] for i in wrong], titles=titles, cols=8, cell=80))


def _titled(fig: go.Figure) -> go.Figure:
    """Room above the first row of a titled grid (``viz.image_grid`` leaves 10 px)."""
    return fig.update_layout(margin=dict(t=30), height=(fig.layout.height or 0) + 20)


def plot_accuracy(history: dict[str, Sequence[float]]) -> go.Figure:
    """Training and validation accuracy per epoch, legend below the axes."""
    acc = {k: history[k] for k in ("accuracy", "val_accuracy") if k in history}
    fig = viz.curves(acc, y_title="accuracy", height=380)
    return fig.update_layout(legend=dict(orientation="h", y=-0.25))


def plot_filters_before_after(before: np.ndarray, after: np.ndarray, n: int = 8) -> go.Figure:
    """First-layer filters at initialisation (top row) and after training (bottom row),
    channel-averaged, each pair on one symmetric scale."""
    n = min(n, before.shape[-1])
    b, a = before.mean(axis=2), after.mean(axis=2)  # (kh, kw, filters)
    fig = viz.subplots(
        rows=2,
        cols=n,
        row_titles=["before", "after"],
        horizontal_spacing=0.01,
        vertical_spacing=0.04,
    )
    for f in range(n):
        lim = float(max(np.abs(b[..., f]).max(), np.abs(a[..., f]).max())) or 1.0
        for r, z in ((1, b[..., f]), (2, a[..., f])):
            fig.add_trace(
                go.Heatmap(
                    z=z,
                    colorscale=viz.DIVERGING,
                    zmin=-lim,
                    zmax=lim,
                    showscale=False,
                    hovertemplate=f"filter {f}: %{{z:.3g}}<extra></extra>",
                ),
                r,
                f + 1,
            )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    return viz._layout(fig, None, 220)
