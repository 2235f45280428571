"""Two DQN agents side by side: their Q-values on the same frames.

The frames are one recorded episode of agent A (:func:`dl_core.dqn.replay.record_episode`
keeps what it saw, ``obs``); agent B's network is evaluated on exactly those observations, so
the difference is between the two value functions, not between two different games.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from dl_core import viz


def q_values(model: Any, obs: np.ndarray) -> np.ndarray:
    """``(T, actions)`` Q-values of ``model`` on the observations ``obs`` (T, size)."""
    return np.asarray(model.predict_on_batch(np.asarray(obs, np.float32)), np.float32)


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
