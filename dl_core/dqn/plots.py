"""Figures for the DQN page: learning curves and Q-values through an episode."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from dl_core import viz
from dl_core.dqn.data import spec
from dl_core.viz import CATEGORICAL


def plot_training(curves: dict[str, np.ndarray], env_id: str, height: int = 520) -> go.Figure:
    """Four panels against environment steps: episode return (with its moving average,
    greedy evaluations and the solved line), TD loss, mean max-Q, and ε.

    ``curves`` comes from :func:`dl_core.dqn.analysis.curves`.
    """
    ep, up, ev = curves["episodes"], curves["updates"], curves["evals"]
    solved = spec(env_id).solved
    fig = viz.subplots(
        rows=2,
        cols=2,
        shared_xaxes=True,
        vertical_spacing=0.14,
        horizontal_spacing=0.08,
        subplot_titles=(
            "Episode return",
            "TD loss",
            "Mean max-Q (replay batch)",
            "ε (exploration)",
        ),
    )
    c = CATEGORICAL
    fig.add_scatter(
        x=ep[:, 0],
        y=ep[:, 1],
        mode="markers",
        name="episode return",
        marker=dict(size=4, color=c[5], opacity=0.5),
        row=1,
        col=1,
    )
    fig.add_scatter(
        x=ep[:, 0],
        y=curves["return_average"],
        mode="lines",
        name="moving average (20)",
        line=dict(color=c[0], width=2),
        row=1,
        col=1,
    )
    fig.add_scatter(
        x=ev[:, 0],
        y=ev[:, 1],
        mode="lines+markers",
        name="greedy evaluation",
        error_y=dict(type="data", array=ev[:, 2], visible=True),
        line=dict(color=c[3], width=2, dash="dot"),
        row=1,
        col=1,
    )
    fig.add_hline(
        y=solved,
        line=dict(color=c[2], dash="dash"),
        row=1,
        col=1,
        annotation_text=f"solved ({solved:g})",
        annotation_position="bottom right",
    )
    fig.add_scatter(
        x=up[:, 0], y=up[:, 1], mode="lines", name="TD loss", line=dict(color=c[1]), row=1, col=2
    )
    fig.add_scatter(
        x=up[:, 0], y=up[:, 2], mode="lines", name="mean max-Q", line=dict(color=c[4]), row=2, col=1
    )
    eps_x, eps_y = curves["epsilon"]
    fig.add_scatter(x=eps_x, y=eps_y, mode="lines", name="ε", line=dict(color=c[7]), row=2, col=2)
    fig.update_yaxes(type="log", row=1, col=2)
    for col in (1, 2):
        fig.update_xaxes(title_text="environment step", row=2, col=col)
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.15)
    )
    return fig


def plot_episode_q(episode: dict[str, np.ndarray], action_names: list[str]) -> go.Figure:
    """Q-value of each action at every step of a recorded episode; markers show the action
    taken (hollow where ε made it random)."""
    q, actions = episode["q"], episode["actions"]
    steps = np.arange(len(actions))
    fig = go.Figure()
    for a, name in enumerate(action_names):
        colour = CATEGORICAL[a % len(CATEGORICAL)]
        fig.add_scatter(
            x=steps, y=q[:, a], mode="lines", name=f"Q(s, {name})", line=dict(color=colour)
        )
        taken = actions == a
        fig.add_scatter(
            x=steps[taken],
            y=q[taken, a],
            mode="markers",
            name=f"chose {name}",
            marker=dict(
                color=colour,
                size=5,
                symbol=np.where(episode["random"][taken], "circle-open", "circle"),
            ),
            showlegend=False,
        )
    fig.update_layout(
        height=300,
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis_title="step",
        yaxis_title="Q-value (expected discounted return)",
        legend=dict(orientation="h", y=-0.25),
    )
    return fig


def plot_q_difference(
    q_a: np.ndarray,
    q_b: np.ndarray,
    action_names: Sequence[str],
    names: tuple[str, str] = ("A", "B"),
    height: int = 320,
) -> go.Figure:
    """Agent B's Q-value minus agent A's, per action, at every step of the same episode; the
    shaded steps are where the two would choose different actions."""
    d = np.asarray(q_b, np.float64) - np.asarray(q_a, np.float64)
    steps = np.arange(len(d))
    fig = go.Figure()
    differ = np.argmax(q_a, axis=1) != np.argmax(q_b, axis=1)
    if differ.any():
        fig.add_bar(
            x=steps[differ],
            y=[float(np.abs(d).max())] * int(differ.sum()),
            base=[-float(np.abs(d).max())] * int(differ.sum()),
            marker_color="rgba(153,153,153,0.25)",
            name="different choice",
            hoverinfo="skip",
        )
    for i, action in enumerate(action_names):
        fig.add_scatter(
            x=steps,
            y=d[:, i],
            mode="lines",
            name=viz.plain(action),
            line=dict(color=viz.CATEGORICAL[i % len(viz.CATEGORICAL)]),
        )
    fig.add_hline(y=0, line_dash="dot", line_color="#999999")
    fig.update_xaxes(title="step of the episode")
    fig.update_yaxes(title=viz.plain(f"Q {names[1][:1]} − Q {names[0][:1]}"))
    title = viz.plain(f"Q-values of {names[1]} minus {names[0]} on the same frames")
    fig.update_layout(title=title, height=height, bargap=0)
    return fig
