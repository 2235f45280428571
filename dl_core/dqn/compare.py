"""Two DQN agents side by side: their Q-values on the same frames (drawn by
:func:`dl_core.dqn.plots.plot_q_difference`).

The frames are one recorded episode of agent A (:func:`dl_core.dqn.replay.record_episode`
keeps what it saw, ``obs``); agent B's network is evaluated on exactly those observations, so
the difference is between the two value functions, not between two different games.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def q_values(model: Any, obs: np.ndarray) -> np.ndarray:
    """``(T, actions)`` Q-values of ``model`` on the observations ``obs`` (T, size)."""
    return np.asarray(model.predict_on_batch(np.asarray(obs, np.float32)), np.float32)
