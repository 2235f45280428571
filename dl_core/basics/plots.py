"""Figures of the basics page. Each returns a plotly Figure and never displays it."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go

from dl_core import viz
from dl_core.basics import analysis

CLASS_COLOURS = ("#5E3C99", "#E66101")  # the two ends of viz.DIVERGING (PuOr_r)
# Figures here skip plotly's validation (speed), so colour scales are given as explicit lists:
# plotly.js itself does not know the "_r" (reversed) names.
DIVERGING = plotly.colors.get_colorscale(viz.DIVERGING)
LUT = np.array(
    [[*plotly.colors.unlabel_rgb(c), 255] for c in plotly.colors.sample_colorscale(DIVERGING, 256)],
    "uint8",
)


def _png(rgba: np.ndarray) -> str:
    """An RGBA array as a PNG data URI (one image is much cheaper to draw than many heatmaps)."""
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def decision_line(surface: np.ndarray, level: float = 0.5) -> tuple[list, list]:
    """The ``level`` contour of a surface on the plane grid as x, y lists (None between pieces)."""
    from skimage.measure import find_contours

    lo, hi = analysis.EXTENT
    step = (hi - lo) / (surface.shape[0] - 1)
    xs: list = []
    ys: list = []
    for piece in find_contours(surface, level):
        xs += [*(lo + piece[:, 1] * step).round(4).tolist(), None]
        ys += [*(lo + piece[:, 0] * step).round(4).tolist(), None]
    return xs, ys


def _figure(data: list[dict], layout: dict) -> go.Figure:
    """A Figure built in one go from plain dicts (fast enough to redraw on every Play frame)."""
    return go.Figure(dict(data=data, layout={"template": {}} | layout), _validate=False)


def _plane_layout(height: int, title: str = "") -> dict:
    axis = dict(range=list(analysis.EXTENT), showgrid=False, zeroline=False)
    return dict(
        height=height,
        title=dict(text=title) if title else None,
        margin=dict(l=10, r=10, t=60 if title else 40, b=10),
        legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0, font=dict(size=11)),
        xaxis=axis | dict(title=dict(text="x"), constrain="domain"),
        yaxis=axis | dict(title=dict(text="y"), scaleanchor="x", constrain="domain"),
    )


def _points(
    x: np.ndarray, y: np.ndarray, task: str, class_names, name: str, symbol: str
) -> list[dict]:
    if len(y) == 0:
        return []
    if task == "classification":
        return [
            dict(
                type="scatter",
                x=x[y == c, 0],
                y=x[y == c, 1],
                mode="markers",
                name=f"{name}: {viz.plain(class_names[c])}",
                marker=dict(
                    color=CLASS_COLOURS[c],
                    size=6,
                    symbol=symbol,
                    line=dict(color="white", width=0.8),
                ),
            )
            for c in (0, 1)
        ]
    return [
        dict(
            type="scatter",
            x=x[:, 0],
            y=x[:, 1],
            mode="markers",
            name=name,
            marker=dict(
                color=y,
                colorscale=DIVERGING,
                cmin=-1,
                cmax=1,
                size=6,
                symbol=symbol,
                line=dict(color="black", width=0.6),
            ),
        )
    ]


def plot_boundary(
    surface: np.ndarray,
    x_train,
    y_train,
    x_test=None,
    y_test=None,
    task: str = "classification",
    class_names=("0", "1"),
    title: str = "",
    height: int = 420,
    show_test: bool = True,
) -> go.Figure:
    """The network's output over the plane (background) with the data on top.

    For classification the colour is P(class 1) and the 0.5 contour is the decision boundary.
    """
    axis = np.linspace(*analysis.EXTENT, surface.shape[0]).round(3)
    z = np.round(surface, 3)
    lo, hi = (0.0, 1.0) if task == "classification" else (-1.0, 1.0)
    data = [
        dict(
            type="heatmap",
            x=axis,
            y=axis,
            z=z,
            colorscale=DIVERGING,
            zmin=lo,
            zmax=hi,
            opacity=0.8,
            colorbar=dict(
                title=dict(text="P(class 1)" if task == "classification" else "output"),
                len=0.8,
                thickness=12,
            ),
            hovertemplate="x %{x:.2f}, y %{y:.2f}: %{z:.2f}<extra></extra>",
            name="output",
        )
    ]
    if task == "classification":
        xs, ys = decision_line(surface)
        data.append(
            dict(
                type="scatter",
                x=xs,
                y=ys,
                mode="lines",
                line=dict(color="black", width=2),
                hoverinfo="skip",
                name="boundary",
                showlegend=False,
            )
        )
    data += _points(x_train, y_train, task, class_names, "train", "circle")
    if show_test and x_test is not None:
        data += _points(x_test, y_test, task, class_names, "test", "x")
    return _figure(data, _plane_layout(height, title))


def plot_network(
    maps: Sequence[np.ndarray], weights, feature_names: Sequence[str], height: int = 380
) -> go.Figure:
    """Playground-style diagram: each neuron's output over the plane as a small tile, layers
    left to right, and the weights as lines (thickness = |w|, colour = sign).

    Args:
        maps: from :func:`analysis.neuron_maps`: per layer (neurons, r, r), inputs first.
        weights: from :func:`analysis.unflatten`: per Dense layer (kernel, bias).
        feature_names: the names of the input features (first column's labels).
    """
    r = maps[0].shape[-1]
    gap_x, gap_y = 2.5 * r, 0.35 * r
    rows = max(m.shape[0] for m in maps)
    width = len(maps) * r + (len(maps) - 1) * gap_x
    tall = int(rows * r + (rows - 1) * gap_y)
    canvas = np.zeros((tall, int(width) + 1, 4), "uint8")  # transparent between tiles
    centres = []
    for col, m in enumerate(maps):
        x0 = int(col * (r + gap_x))
        offset = (rows - m.shape[0]) * (r + gap_y) / 2
        cs = []
        for i in range(m.shape[0]):
            y0 = int(offset + i * (r + gap_y))
            tile = m[i][::-1] / (np.abs(m[i]).max() + 1e-9)  # scaled to [-1, 1]; top row = y max
            canvas[y0 : y0 + r, x0 : x0 + r] = LUT[np.round((tile + 1) * 127.5).astype(int)]
            cs.append((x0, x0 + r, y0 + r / 2))
        centres.append(cs)
    data: list[dict] = [
        dict(
            type="image",
            source=_png(canvas),
            x0=0,
            y0=0,
            dx=1,
            dy=1,
            hoverinfo="skip",
            name="neurons",
        )
    ]
    # Edges: bucket by sign and thickness so the figure has a few traces, not one per weight.
    biggest = max((np.abs(w).max() for w, _ in weights), default=1.0) + 1e-9
    buckets: dict[tuple[int, int], tuple[list, list]] = {}
    for layer, (w, _) in enumerate(weights):
        for i in range(w.shape[0]):
            for j in range(w.shape[1]):
                _, right, ya = centres[layer][i]
                left, _, yb = centres[layer + 1][j]
                level = min(4, int(abs(w[i, j]) / biggest * 5))
                xs, ys = buckets.setdefault((int(w[i, j] > 0), level), ([], []))
                xs += [right, left, None]
                ys += [ya, yb, None]
    for (pos, level), (xs, ys) in sorted(buckets.items()):
        data.append(
            dict(
                type="scatter",
                x=xs,
                y=ys,
                mode="lines",
                hoverinfo="skip",
                showlegend=False,
                name=f"{'positive' if pos else 'negative'} weights",
                opacity=0.35 + 0.13 * level,
                line=dict(color=CLASS_COLOURS[pos], width=0.5 + 1.6 * level),
            )
        )
    notes = [
        dict(x=x0 - 2, y=yc, text=name, showarrow=False, xanchor="right", font=dict(size=12))
        for (x0, _, yc), name in zip(centres[0], feature_names, strict=False)
    ]
    labels = ["inputs"] + [f"hidden {i}" for i in range(1, len(maps) - 1)] + ["output"]
    notes += [
        dict(
            x=col * (r + gap_x) + r / 2,
            y=-2,
            text=text,
            showarrow=False,
            yanchor="bottom",
            font=dict(size=12),
        )
        for col, text in enumerate(labels)
    ]
    layout = dict(
        height=height,
        margin=dict(l=5, r=5, t=25, b=5),
        plot_bgcolor="rgba(0,0,0,0)",  # the page's own background, light or dark
        annotations=notes,
        xaxis=dict(visible=False, range=[-2.2 * r, width + 2]),
        yaxis=dict(visible=False, autorange="reversed", scaleanchor="x"),
    )
    return _figure(data, layout)


def plot_losses(
    epochs,
    curves: Mapping[str, np.ndarray],
    current: float | None = None,
    height: int = 260,
    dash: Mapping[str, str] | None = None,
) -> go.Figure:
    """Loss curves against epochs (fractions for batches), a dotted line at the shown step.

    ``epochs`` is one array for all curves or a mapping with one array per curve.
    """
    data = [
        dict(
            type="scatter",
            x=epochs[name] if isinstance(epochs, Mapping) else epochs,
            y=values,
            mode="lines",
            name=name,
            line=dict(color=viz.CATEGORICAL[i % len(viz.CATEGORICAL)], dash=(dash or {}).get(name)),
        )
        for i, (name, values) in enumerate(curves.items())
    ]
    shapes = []
    if current is not None:
        shapes.append(
            dict(
                type="line",
                x0=current,
                x1=current,
                y0=0,
                y1=1,
                yref="paper",
                line=dict(color="grey", dash="dot"),
            )
        )
    layout = dict(
        height=height,
        margin=dict(l=10, r=10, t=10, b=10),
        legend=dict(orientation="h", y=-0.35),
        xaxis=dict(title=dict(text="epoch")),
        yaxis=dict(title=dict(text="loss"), rangemode="tozero"),
        shapes=shapes,
    )
    return _figure(data, layout)


@functools.lru_cache(maxsize=32)  # the same figure for the same settings; never mutated
def plot_activations(
    highlight: str = "tanh", names: Sequence[str] = ("relu", "tanh", "sigmoid", "linear", "gelu")
) -> go.Figure:
    """Each activation function (left) and its derivative (right); ``highlight`` drawn thick."""
    z = np.linspace(-4, 4, 161)
    fig = viz.subplots(rows=1, cols=2, subplot_titles=("activation φ(z)", "derivative φ′(z)"))
    for i, name in enumerate(names):
        style = dict(color=viz.CATEGORICAL[i], width=4 if name == highlight else 1.5)
        fig.add_scatter(
            x=z, y=analysis.activate(name, z), name=name, line=style, legendgroup=name, row=1, col=1
        )
        fig.add_scatter(
            x=z,
            y=analysis.derivative(name, z),
            name=name,
            line=style,
            legendgroup=name,
            showlegend=False,
            row=1,
            col=2,
        )
    fig.update_xaxes(title="z")
    fig.update_yaxes(range=[-1.6, 2.2], row=1, col=1)
    fig.update_yaxes(range=[-0.2, 1.3], row=1, col=2)
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=30, b=10))
    return fig


def plot_perceptron(cases: Mapping[str, tuple], height: int = 320) -> go.Figure:
    """The perceptron's line on each data set: ``{title: (points, labels, w, b, errors)}``."""
    fig = viz.subplots(rows=1, cols=len(cases), subplot_titles=list(cases), horizontal_spacing=0.08)
    line = np.linspace(*analysis.EXTENT, 2)
    for col, (pts, labels, w, b, _) in enumerate(cases.values(), start=1):
        for c in (0, 1):
            m = labels == c
            fig.add_scatter(
                x=pts[m, 0],
                y=pts[m, 1],
                mode="markers",
                marker=dict(color=CLASS_COLOURS[c], size=5),
                name=f"class {c}",
                showlegend=col == 1,
                row=1,
                col=col,
            )
        if abs(w[1]) > 1e-9:
            fig.add_scatter(
                x=line,
                y=-(w[0] * line + b) / w[1],
                mode="lines",
                line=dict(color="black", width=2),
                name="perceptron line",
                showlegend=col == 1,
                row=1,
                col=col,
            )
    fig.update_xaxes(range=analysis.EXTENT)
    fig.update_yaxes(range=analysis.EXTENT)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10))
    return fig


def plot_loss_surface(
    axis: np.ndarray, losses: np.ndarray, paths: Mapping[str, np.ndarray], height: int = 420
) -> go.Figure:
    """Contours of a 2-parameter loss with each optimizer's path from the same start."""
    fig = go.Figure(
        go.Contour(
            x=axis,
            y=axis,
            z=np.log10(losses),
            colorscale=viz.SEQUENTIAL,
            ncontours=25,
            colorbar=dict(title="log₁₀ loss", thickness=12),
            hovertemplate="w1 %{x:.1f}, w2 %{y:.1f}<extra></extra>",
        )
    )
    for i, (name, path) in enumerate(paths.items()):
        colour = viz.CATEGORICAL[(i + 1) % len(viz.CATEGORICAL)]
        fig.add_scatter(
            x=path[:, 0],
            y=path[:, 1],
            mode="lines+markers",
            name=name,
            line=dict(color=colour, width=2),
            marker=dict(size=4),
        )
    start = next(iter(paths.values()))[0] if paths else None
    if start is not None:
        fig.add_scatter(
            x=[start[0]],
            y=[start[1]],
            mode="markers",
            name="start",
            marker=dict(color="white", size=12, symbol="star", line=dict(color="black", width=1)),
        )
    fig.update_xaxes(title="w1", range=[axis[0], axis[-1]], constrain="domain")
    fig.update_yaxes(title="w2", range=[axis[0], axis[-1]], scaleanchor="x")
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=10, b=10), legend=dict(orientation="h", y=-0.15)
    )
    return fig


def step_figures(res, step: dict, features: Sequence[str], height: int = 400) -> dict:
    """The page's three figures for one recorded step of a finished training job.

    Args:
        res: the job result (data split, task, class names, losses).
        step: :func:`analysis.step_state` of that step (surface, neuron maps, weights).
        features: the job's input features (the network's first column).

    Returns:
        ``{"boundary", "network", "losses"}`` plotly figures.
    """
    index, epochs = step["index"], step["epochs"]
    names = res["class_names"] or ("0", "1")
    losses = plot_losses(
        epochs[: index + 1],
        {"train loss": res["train_loss"][: index + 1], "test loss": res["test_loss"][: index + 1]},
        current=float(epochs[index]),
        height=240,
    )
    losses.update_xaxes(range=[0, float(epochs[-1])])
    boundary = plot_boundary(
        step["surface"],
        res["x_train"],
        res["y_train"],
        res["x_test"],
        res["y_test"],
        res["task"],
        names,
        height=height,
    )
    network = plot_network(step["maps"], step["weights"], features, height=height)
    return {"boundary": boundary, "network": network, "losses": losses}


def plot_compare(curves: Mapping[str, tuple], height: int = 300) -> go.Figure:
    """Train (solid) and test (dashed) loss of several finished runs on one chart.

    Args:
        curves: :func:`analysis.loss_curves`: ``{legend name: (epochs, train, test)}``.
    """
    xs, ys, dash = {}, {}, {}
    for name, (epochs, train, test) in curves.items():
        for split, values in (("train", train), ("test", test)):
            label = f"{name} · {split}"
            xs[label], ys[label] = epochs, values
            dash[label] = "dash" if split == "test" else None
    fig = plot_losses(xs, ys, height=height, dash=dash)
    for i, trace in enumerate(fig.data):  # one colour per run, solid train / dashed test
        trace.line.color = viz.CATEGORICAL[(i // 2) % len(viz.CATEGORICAL)]
    return fig
