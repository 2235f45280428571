"""Figures for the attention page. Each returns a plotly ``Figure`` and never displays it.

Token labels come from visitors: they are HTML-escaped (plotly renders a subset of HTML in
labels), so ``<b>`` is shown as the four characters it is.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from dl_core.attention.analysis import STATS
from dl_core.describe import attention_focus
from dl_core.viz import (
    CATEGORICAL,
    DIVERGING,
    MANY_TICKS,
    SEQUENTIAL,
    hex_colour,
    subplots,
    viridis,
)

MAX_VALUE_LABELS = 24  # write numbers in heatmap cells up to this many tokens


def label(token: str) -> str:
    """A token as plain, visible text: HTML escaped, spaces and newlines made visible."""
    shown = token.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥")
    return html.escape(shown, quote=False)


def labels(tokens: Sequence[str]) -> list[str]:
    return [label(t) for t in tokens]


def _token_axes(fig: go.Figure, tokens: Sequence[str], row=None, col=None, size=11) -> None:
    ticks = dict(
        tickmode="array",
        tickvals=list(range(len(tokens))),
        ticktext=labels(tokens),
        tickfont=dict(size=size),
        **MANY_TICKS,
    )
    fig.update_xaxes(title="attends to (key)", tickangle=-60, **ticks, row=row, col=col)
    fig.update_yaxes(title="token (query)", autorange="reversed", **ticks, row=row, col=col)


def plot_attention(
    attention: np.ndarray,
    tokens: Sequence[str],
    title: str | None = None,
    values: bool | None = None,
    height: int | None = None,
) -> go.Figure:
    """One head's attention (T, T) as a large heatmap; row = query token, column = key."""
    a = np.asarray(attention, dtype="float32")
    t = len(tokens)
    values = t <= MAX_VALUE_LABELS if values is None else values
    names = labels(tokens)
    fig = go.Figure(
        go.Heatmap(
            z=a,
            colorscale=SEQUENTIAL,
            zmin=0,
            zmax=float(max(a.max(), 1e-6)),
            texttemplate="%{z:.2f}" if values else None,
            textfont=dict(size=10),
            customdata=np.array([[[names[i], names[j]] for j in range(t)] for i in range(t)]),
            hovertemplate="%{customdata[0]} → %{customdata[1]}: %{z:.3f}<extra></extra>",
            colorbar=dict(title="weight"),
        )
    )
    _token_axes(fig, tokens, size=11 if t <= 40 else 8)
    side = height or int(min(900, max(360, 160 + 18 * t)))
    fig.update_layout(
        title=title, height=side, margin=dict(l=10, r=10, t=40 if title else 10, b=10)
    )
    return fig


def plot_attention_difference(
    a: np.ndarray, b: np.ndarray, tokens: Sequence[str], names: tuple[str, str] = ("A", "B")
) -> go.Figure:
    """Attention ``b`` minus ``a`` on the same tokens, (T, T), on a diverging scale: where
    model B looks more (orange) or less (purple) than model A."""
    d = np.asarray(b, "float32") - np.asarray(a, "float32")
    t, names_t = len(tokens), labels(tokens)
    top = float(max(np.abs(d).max(), 1e-6))
    fig = go.Figure(
        go.Heatmap(
            z=d,
            colorscale=DIVERGING,
            zmid=0,
            zmin=-top,
            zmax=top,
            customdata=np.array([[[names_t[i], names_t[j]] for j in range(t)] for i in range(t)]),
            hovertemplate="%{customdata[0]} → %{customdata[1]}: %{z:+.3f}<extra></extra>",
            colorbar=dict(title=label(f"{names[1][:1]} − {names[0][:1]}")),
        )
    )
    _token_axes(fig, tokens, size=11 if t <= 40 else 8)
    side = int(min(900, max(360, 160 + 18 * t)))
    title = label(f"{names[1]} minus {names[0]}")
    fig.update_layout(title=title, height=side, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def pooled(attention: np.ndarray, max_size: int = 64) -> np.ndarray:
    """(..., T, T) maps, block-averaged to at most ``max_size`` squared when T is larger."""
    a = np.asarray(attention, dtype="float32")
    t = a.shape[-1]
    if t <= max_size:
        return a
    edges = np.linspace(0, t, max_size + 1).astype(int)
    a = np.add.reduceat(np.add.reduceat(a, edges[:-1], axis=-1), edges[:-1], axis=-2)
    return a / np.diff(edges)[:, None] / np.diff(edges)[None, :]


def tile(attention: np.ndarray, max_size: int = 64) -> np.ndarray:
    """Lay (layers, heads, T, T) maps out as one matrix, layers down and heads across, with
    a NaN gap between squares; maps longer than ``max_size`` are block-averaged to fit."""
    a = pooled(attention, max_size)
    n_layers, n_heads, t = a.shape[0], a.shape[1], a.shape[-1]
    out = np.full((n_layers * (t + 1) - 1, n_heads * (t + 1) - 1), np.nan, dtype="float32")
    for li in range(n_layers):
        for h in range(n_heads):
            out[li * (t + 1) : li * (t + 1) + t, h * (t + 1) : h * (t + 1) + t] = a[li, h]
    return out


def model_view_pictures(attention: np.ndarray, max_size: int = 64) -> list[list[np.ndarray]]:
    """Every layer's and head's map as a small viridis picture (RGB uint8, one pixel per
    token pair, 0 dark and 1 bright as in :func:`plot_model_view`), ``[layer][head]``: the
    model view drawn in the page's first paint (``ui.figures.show_matrix_now``)."""
    rgb = np.round(viridis(pooled(attention, max_size))).astype("uint8")
    return [list(layer) for layer in rgb]


def model_view_alts(attention: np.ndarray, tokens: Sequence[str]) -> list[list[str]]:
    """What each picture of :func:`model_view_pictures` shows, in words, ``[layer][head]``."""
    return [
        [f"Layer {li}, head {h}: {attention_focus(a, tokens)}" for h, a in enumerate(layer)]
        for li, layer in enumerate(np.asarray(attention))
    ]


def viridis_stops(n: int = 7) -> list[str]:
    """``n`` colours of the viridis scale, 0 to 1, as #rrggbb: a colour bar's gradient."""
    return [hex_colour(c) for c in viridis(np.linspace(0, 1, n))]


def plot_model_view(
    attention: np.ndarray,
    tokens: Sequence[str] | None = None,
    cell: int = 70,
    layer_names: Sequence[str] | None = None,
) -> go.Figure:
    """Every layer (rows) and head (columns) as small heatmaps sharing one colour scale.

    Drawn as one tiled heatmap (fast to build and to send, even for 72 heads)."""
    a = np.asarray(attention, dtype="float32")
    n_layers, n_heads = a.shape[:2]
    z = tile(a)
    t = (z.shape[1] + 1) // n_heads - 1  # tokens per square after any averaging
    rows, cols = np.indices(z.shape)
    info = np.stack([rows // (t + 1), cols // (t + 1), rows % (t + 1), cols % (t + 1)], axis=-1)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            colorscale=SEQUENTIAL,
            zmin=0,
            zmax=1,
            customdata=info,
            hoverongaps=False,
            hovertemplate="layer %{customdata[0]} head %{customdata[1]}<br>"
            "query %{customdata[2]} → key %{customdata[3]}: %{z:.2f}<extra></extra>",
            colorbar=dict(title="weight"),
        )
    )
    centre = lambda n: [i * (t + 1) + (t - 1) / 2 for i in range(n)]  # noqa: E731
    fig.update_xaxes(
        tickmode="array",
        tickvals=centre(n_heads),
        side="top",
        showgrid=False,
        ticktext=[f"head {h}" for h in range(n_heads)],
        zeroline=False,
    )
    fig.update_yaxes(
        tickmode="array",
        tickvals=centre(n_layers),
        autorange="reversed",
        ticktext=list(layer_names or [f"layer {i}" for i in range(n_layers)]),
        showgrid=False,
        zeroline=False,
        scaleanchor="x",
    )
    fig.update_layout(
        height=n_layers * cell + 60,
        margin=dict(l=10, r=10, t=30, b=10),
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return fig


def plot_head_view(
    attention: np.ndarray, tokens: Sequence[str], focus: int | None = None, min_weight: float = 0.05
) -> go.Figure:
    """Token-to-token links of one head: queries on the left, keys on the right; line
    darkness = weight. With ``focus``, only that query token's links are drawn."""
    a = np.asarray(attention, dtype="float32")
    t = len(tokens)
    names = labels(tokens)
    fig = go.Figure()
    rows = [focus] if focus is not None else range(t)
    bins = [(0.05, 0.2), (0.2, 0.4), (0.4, 0.7), (0.7, 1.01)]
    for lo, hi in bins:
        xs: list[float | None] = []
        ys: list[float | None] = []
        for i in rows:
            for j in np.nonzero((a[i] >= max(lo, min_weight)) & (a[i] < hi))[0]:
                xs += [0, 1, None]
                ys += [i, int(j), None]
        if xs:
            fig.add_scatter(
                x=xs,
                y=ys,
                mode="lines",
                hoverinfo="skip",
                name=f"weight {lo:.2g}–{min(hi, 1):.2g}",
                line=dict(color=CATEGORICAL[0], width=1 + 4 * hi),
                opacity=min(1.0, 0.15 + hi * 0.8),
            )
    top = [", ".join(f"{names[j]} {a[i, j]:.2f}" for j in np.argsort(-a[i])[:3]) for i in range(t)]
    colours = [CATEGORICAL[1] if i == focus else "#333333" for i in range(t)]
    fig.add_scatter(
        x=[0] * t,
        y=list(range(t)),
        mode="markers+text",
        text=names,
        textposition="middle left",
        marker=dict(size=10, color=CATEGORICAL[0], opacity=0.3),
        textfont=dict(color=colours, size=12),
        customdata=top,
        name="query",
        hovertemplate="%{text} looks at: %{customdata}<extra></extra>",
    )
    fig.add_scatter(
        x=[1] * t,
        y=list(range(t)),
        mode="text",
        text=names,
        textposition="middle right",
        textfont=dict(size=12),
        hoverinfo="skip",
        name="key",
    )
    fig.update_xaxes(visible=False, range=[-0.6, 1.6])
    fig.update_yaxes(visible=False, autorange="reversed")
    fig.update_layout(
        height=max(300, 22 * t + 60), showlegend=False, margin=dict(l=10, r=10, t=10, b=10)
    )
    return fig


def plot_head_stat(stats: Mapping[str, np.ndarray], name: str) -> go.Figure:
    """One per-head statistic as a layers × heads heatmap with its values written in."""
    z = np.asarray(stats[name], dtype="float32")
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"h{h}" for h in range(z.shape[1])],
            y=[f"layer {i}" for i in range(z.shape[0])],
            colorscale=SEQUENTIAL,
            texttemplate="%{z:.2f}",
            hovertemplate="%{y} %{x}: %{z:.3f}<extra></extra>",
            colorbar=dict(title=name),
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        title=STATS[name], height=80 + 40 * z.shape[0], margin=dict(l=10, r=10, t=40, b=10)
    )
    return fig


def plot_qkv(q: np.ndarray, k: np.ndarray, v: np.ndarray, tokens: Sequence[str]) -> go.Figure:
    """Q, K and V of one head side by side: one row per token, one column per dimension."""
    names = labels(tokens)
    fig = subplots(
        rows=1,
        cols=3,
        subplot_titles=["Q (queries)", "K (keys)", "V (values)"],
        shared_yaxes=True,
        horizontal_spacing=0.02,
    )
    lim = float(max(np.abs(q).max(), np.abs(k).max(), np.abs(v).max(), 1e-6))
    for c, m in enumerate((q, k, v)):
        fig.add_trace(
            go.Heatmap(
                z=m,
                coloraxis="coloraxis",
                customdata=np.repeat(np.array(names)[:, None], m.shape[1], 1),
                hovertemplate="%{customdata}, dim %{x}: %{z:.2f}<extra></extra>",
            ),
            row=1,
            col=c + 1,
        )
        fig.update_xaxes(title="dimension", row=1, col=c + 1)
    fig.update_yaxes(
        autorange="reversed",
        tickmode="array",
        tickvals=list(range(len(names))),
        ticktext=names,
        tickfont=dict(size=10),
        **MANY_TICKS,
    )
    fig.update_layout(
        coloraxis=dict(
            colorscale=DIVERGING, cmid=0, cmin=-lim, cmax=lim, colorbar=dict(title="value")
        ),
        height=int(min(700, max(300, 120 + 16 * len(tokens)))),
        margin=dict(l=10, r=10, t=40, b=10),
    )
    return fig


def plot_query_weights(
    scores: np.ndarray, probs: np.ndarray, tokens: Sequence[str], i: int
) -> go.Figure:
    """For query token ``i``: its scaled scores q·k/√d and the softmax weights, per key token."""
    names = labels(tokens)
    x = list(range(len(tokens)))
    fig = subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=[f"q·k / √d for '{names[i]}'", "softmax → attention weights"],
    )
    fig.add_bar(x=x, y=scores, marker_color=CATEGORICAL[1], row=1, col=1, name="score")
    fig.add_bar(x=x, y=probs, marker_color=CATEGORICAL[0], row=2, col=1, name="weight")
    fig.update_xaxes(
        tickmode="array", tickvals=x, ticktext=names, tickangle=-60, **MANY_TICKS, row=2, col=1
    )
    fig.update_layout(height=420, showlegend=False, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def plot_similarity(sim: np.ndarray, sentences: Sequence[str]) -> go.Figure:
    """Cosine similarity between sentence embeddings (N, N)."""
    short = [label(s if len(s) <= 40 else s[:39] + "…") for s in sentences]
    n = len(sentences)
    fig = go.Figure(
        go.Heatmap(
            z=sim,
            x=list(range(n)),
            y=list(range(n)),
            colorscale=SEQUENTIAL,
            zmin=0,
            zmax=1,
            texttemplate="%{z:.2f}",
            colorbar=dict(title="cosine"),
            hovertemplate="%{z:.3f}<extra></extra>",
        )
    )
    ticks = dict(tickmode="array", tickvals=list(range(n)), ticktext=short, **MANY_TICKS)
    fig.update_xaxes(tickangle=-30, **ticks)
    fig.update_yaxes(autorange="reversed", **ticks)
    fig.update_layout(height=140 + 45 * n, margin=dict(l=10, r=10, t=10, b=10))
    return fig


def plot_positions(pos: np.ndarray) -> go.Figure:
    """Position encodings (position × dimension) and how similar positions are to each other."""
    p = np.asarray(pos, dtype="float32")
    unit = p / np.clip(np.linalg.norm(p, axis=1, keepdims=True), 1e-12, None)
    fig = subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.2,
        subplot_titles=["encoding: position × dimension", "cosine similarity of positions"],
    )
    lim = float(max(np.abs(p).max(), 1e-6))
    fig.add_trace(
        go.Heatmap(
            z=p,
            colorscale=DIVERGING,
            zmid=0,
            zmin=-lim,
            zmax=lim,
            colorbar=dict(x=0.4, thickness=12, title="value"),
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Heatmap(
            z=unit @ unit.T,
            colorscale=DIVERGING,
            zmid=0,
            zmin=-1,
            zmax=1,
            colorbar=dict(title="cosine"),
        ),
        row=1,
        col=2,
    )
    fig.update_xaxes(title="dimension", row=1, col=1)
    fig.update_xaxes(title="position", row=1, col=2)
    fig.update_yaxes(title="position", autorange="reversed")
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=40, b=10))
    return fig
