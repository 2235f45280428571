"""Figures for the text-generation page (plotly, returned, never shown)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from dl_core import viz
from dl_core.text_generation.cells import next_distribution

CELL_COLOURS = {
    "LSTM": viz.CATEGORICAL[0],
    "GRU": viz.CATEGORICAL[1],
    "SimpleRNN": viz.CATEGORICAL[3],
}


def show_char(ch: str) -> str:
    """A visible stand-in for whitespace in axis labels (``<``, ``&`` escaped for plotly)."""
    return {"\n": "⏎", " ": "␣", "\t": "⇥"}.get(ch) or viz.plain(ch)


def token_shares(
    top: Sequence[tuple[str, int]], total: int, level: str = "char"
) -> list[tuple[str, float]]:
    """The most frequent tokens (``TextStats.top``) and their share of the text, as (label,
    share) for a bar chart drawn in the page's first paint (``ui.figures.show_bars_now``):
    whitespace shown by a visible stand-in, other text as it is (the chart escapes it)."""
    blank = {"\n": "⏎", " ": "␣", "\t": "⇥"}
    label = (lambda t: blank.get(t, t)) if level == "char" else (lambda t: repr(t)[1:-1])
    return [(label(t), c / max(1, total)) for t, c in top]


def plot_temperature(
    logits: np.ndarray, tokens: Sequence[str], temperatures: Sequence[float], top: int = 12
) -> go.Figure:
    """Next-token probabilities at several temperatures (the same logits, reshaped)."""
    order = np.argsort(-np.asarray(logits))[:top]
    labels = [show_char(tokens[i]) for i in order]
    fig = go.Figure()
    for j, t in enumerate(temperatures):
        p = next_distribution(logits, t)
        fig.add_bar(x=labels, y=p[order], name=f"T = {t:g}", marker_color=viz.CATEGORICAL[j % 10])
    fig.update_xaxes(title="next token (the likeliest first)", type="category")
    fig.update_yaxes(title="probability", range=[0, 1])
    fig.update_layout(
        barmode="group",
        height=300,
        margin=dict(l=10, r=10, t=10, b=10),
        legend=dict(orientation="h", y=1.12),
    )
    return fig


def plot_curves(
    histories: Mapping[str, Mapping[str, Sequence[float]]], x: str = "seconds"
) -> go.Figure:
    """Training (dashed) and validation (solid) bits per character, one colour per model."""
    fig = go.Figure()
    for j, (name, h) in enumerate(histories.items()):
        colour = CELL_COLOURS.get(name, viz.CATEGORICAL[j % 10])
        xs = h.get(x) if x == "seconds" else list(range(1, len(h.get("bpc", [])) + 1))
        for metric, dash, label in (("bpc", "dash", "train"), ("val_bpc", "solid", "validation")):
            if metric in h:
                fig.add_scatter(
                    x=xs,
                    y=h[metric],
                    mode="lines+markers",
                    name=f"{name} · {label}",
                    line=dict(color=colour, dash=dash),
                )
    fig.update_xaxes(
        title="training time (s)" if x == "seconds" else "epoch",
        dtick=None if x == "seconds" else 1,
    )
    fig.update_yaxes(title="bits per character (lower is better)")
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=10, b=10))
    return fig


def plot_gradient_norms(norms: Mapping[str, np.ndarray]) -> go.Figure:
    """‖∂loss_T/∂x_t‖ against how many steps back t is, log scale, one line per cell."""
    fig = go.Figure()
    for j, (name, g) in enumerate(norms.items()):
        g = np.asarray(g, float)
        back = np.arange(len(g))[::-1]  # steps before the prediction
        fig.add_scatter(
            x=back,
            y=np.maximum(g, 1e-30),
            mode="lines",
            name=name,
            line=dict(color=CELL_COLOURS.get(name, viz.CATEGORICAL[j % 10])),
        )
    fig.update_xaxes(title="steps back from the predicted character", autorange="reversed")
    fig.update_yaxes(title="gradient norm (log scale)", type="log", exponentformat="power")
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=10, b=10))
    return fig


def _char_axis(fig: go.Figure, chars: Sequence[str], **where) -> None:
    step = -(-len(chars) // 140)  # every character up to 140 of them, then every 2nd...
    fig.update_xaxes(
        tickmode="array",
        tickvals=list(range(0, len(chars), step)),
        ticktext=[show_char(c) for c in chars[::step]],
        tickangle=0,
        tickfont=dict(family="monospace", size=10 if len(chars) <= 100 else 8),
        **viz.MANY_TICKS,
        **where,
    )


def plot_states(
    states: np.ndarray, chars: Sequence[str], units: Sequence[int], title: str = "hidden state"
) -> go.Figure:
    """Heatmap: selected units (rows) over the characters of a passage (columns)."""
    z = np.asarray(states)[:, list(units)].T  # (units, T)
    hover = np.array([[show_char(c) for c in chars]] * len(units))
    fig = go.Figure(
        go.Heatmap(
            z=z,
            y=[f"unit {u}" for u in units],
            colorscale=viz.DIVERGING,
            zmid=0,
            customdata=hover,
            colorbar=dict(title=title),
            hovertemplate="%{y}, '%{customdata}': %{z:.2f}<extra></extra>",
        )
    )
    _char_axis(fig, chars)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(height=80 + 22 * len(units), margin=dict(l=10, r=10, t=10, b=10))
    return fig


def plot_gates(
    gates: Mapping[str, np.ndarray], chars: Sequence[str], units: Sequence[int]
) -> go.Figure:
    """One heatmap per gate (input/forget/output or update/reset): units × characters, in [0, 1]."""
    names = list(gates)
    fig = viz.subplots(
        rows=len(names),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        subplot_titles=[f"{n} gate" for n in names],
    )
    hover = np.array([[show_char(c) for c in chars]] * len(units))
    for r, name in enumerate(names, start=1):
        fig.add_trace(
            go.Heatmap(
                z=np.asarray(gates[name])[:, list(units)].T,
                y=[f"unit {u}" for u in units],
                colorscale=viz.SEQUENTIAL,
                zmin=0,
                zmax=1,
                customdata=hover,
                showscale=r == 1,
                colorbar=dict(title="gate"),
                hovertemplate=f"{name}, %{{y}}, '%{{customdata}}': %{{z:.2f}}<extra></extra>",
            ),
            row=r,
            col=1,
        )
        fig.update_yaxes(autorange="reversed", type="category", row=r, col=1)
        if r < len(names):  # the shared x axis is labelled once, under the last gate
            fig.update_xaxes(ticks="", showticklabels=False, row=r, col=1)
    _char_axis(fig, chars, row=len(names), col=1)
    fig.update_layout(
        height=60 + len(names) * (30 + 18 * len(units)), margin=dict(l=10, r=10, t=30, b=10)
    )
    return fig


def plot_unit_trace(
    states: np.ndarray, chars: Sequence[str], unit: int, feature: np.ndarray, feature_name: str
) -> go.Figure:
    """One unit's activation against the feature it tracks, character by character."""
    fig = go.Figure()
    fig.add_scatter(
        y=np.asarray(states)[:, unit],
        mode="lines",
        name=f"unit {unit}",
        line=dict(color=viz.CATEGORICAL[0]),
    )
    f = np.asarray(feature, float)[: len(states)]
    f = (f - f.min()) / (f.max() - f.min() + 1e-12) * 2 - 1
    fig.add_scatter(
        y=f,
        mode="lines",
        name=f"{feature_name} (scaled)",
        line=dict(color=viz.CATEGORICAL[1], dash="dot"),
    )
    _char_axis(fig, chars)
    fig.update_yaxes(title="activation")
    fig.update_layout(
        height=260, margin=dict(l=10, r=10, t=10, b=10), legend=dict(orientation="h", y=1.15)
    )
    return fig
