"""Figures for the generative page. Each returns a plotly ``Figure`` and never shows it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from dl_core.viz import CATEGORICAL, grid_image, subplots, tile  # noqa: F401 - the page's mosaics


def _line(fig, x, y, name, colour, row, dash=None):
    fig.add_scatter(
        x=x,
        y=y,
        name=name,
        mode="lines+markers",
        row=row,
        col=1,
        line=dict(color=colour, dash=dash),
    )


def plot_gan_history(
    history: Mapping[str, Sequence[float]], collapse_epochs: Sequence[int] = ()
) -> go.Figure:
    """Three panels per epoch: D and G losses; D(x) and D(G(z)); sample diversity.

    Epochs flagged as possible mode collapse get a marker on the diversity panel.
    """
    fig = subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=(
            "losses",
            "discriminator output (mean)",
            "sample diversity (1 = as varied as the data)",
        ),
    )
    x = list(range(1, len(history.get("d_loss", history.get("diversity", []))) + 1))
    for row, keys in ((1, ("d_loss", "g_loss")), (2, ("d_real", "d_fake"))):
        for i, k in enumerate(keys):
            if k in history:
                label = {"d_real": "D(x) real", "d_fake": "D(G(z)) fake"}.get(k, k)
                _line(fig, x, history[k], label, CATEGORICAL[i + 2 * (row - 1)], row)
    fig.add_hline(y=0.5, line_dash="dot", line_color="#999999", row=2, col=1)
    if "diversity" in history:
        _line(fig, x, history["diversity"], "diversity", CATEGORICAL[2], 3)
        flagged = [e for e in collapse_epochs if 1 <= e <= len(history["diversity"])]
        if flagged:
            fig.add_scatter(
                x=flagged,
                y=[history["diversity"][e - 1] for e in flagged],
                row=3,
                col=1,
                mode="markers",
                name="possible mode collapse",
                marker=dict(symbol="x", size=13, color=CATEGORICAL[3]),
            )
    fig.update_xaxes(title="epoch", row=3, col=1)
    fig.update_xaxes(tick0=1, dtick=max(1, len(x) // 8))
    fig.update_layout(
        height=560, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=-0.12)
    )
    return fig


def plot_vae_history(history: Mapping[str, Sequence[float]]) -> go.Figure:
    """The two terms of the VAE loss per epoch: reconstruction (left axis) and KL (right)."""
    fig = subplots(specs=[[{"secondary_y": True}]])
    x = list(range(1, len(history.get("loss", [])) + 1))
    fig.add_scatter(
        x=x,
        y=history.get("reconstruction", []),
        name="reconstruction",
        mode="lines+markers",
        line=dict(color=CATEGORICAL[0]),
    )
    fig.add_scatter(
        x=x,
        y=history.get("kl", []),
        name="KL",
        mode="lines+markers",
        line=dict(color=CATEGORICAL[1], dash="dash"),
        secondary_y=True,
    )
    fig.update_xaxes(title="epoch", tick0=1, dtick=max(1, len(x) // 8))
    fig.update_yaxes(title="reconstruction (nats / image)", secondary_y=False)
    fig.update_yaxes(title="KL (nats / image)", secondary_y=True)
    fig.update_layout(
        height=300, margin=dict(l=10, r=10, t=10, b=10), legend=dict(orientation="h", y=-0.25)
    )
    return fig


def plot_latent_scatter(
    coords: np.ndarray,
    labels: np.ndarray,
    class_names: Sequence[str],
    axis_titles: tuple[str, str] = ("z1", "z2"),
) -> go.Figure:
    """Latent codes in the plane, one colour per class (the model never saw the labels)."""
    fig = go.Figure()
    for c, name in enumerate(class_names):
        pick = np.asarray(labels) == c
        if pick.any():
            fig.add_scattergl(
                x=coords[pick, 0],
                y=coords[pick, 1],
                mode="markers",
                name=str(name),
                marker=dict(size=5, color=CATEGORICAL[c % len(CATEGORICAL)], opacity=0.7),
            )
    fig.update_xaxes(title=axis_titles[0])
    fig.update_yaxes(title=axis_titles[1])
    fig.update_layout(height=430, margin=dict(l=10, r=10, t=10, b=10))
    return fig
