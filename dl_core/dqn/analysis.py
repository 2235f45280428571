"""DQN training curves, arrays in and arrays out: the stored history unpacked, the moving
average of episode returns, and ε over environment steps, for :mod:`dl_core.dqn.plots`."""

from __future__ import annotations

import numpy as np

from dl_core.dqn.train import EPISODE, EVAL, UPDATE


def unpack_history(arr: np.ndarray) -> dict[str, np.ndarray]:
    """(n, 5) history → ``episodes`` (step, return, length, ε), ``updates`` (step, loss,
    mean max-Q, ε), ``evals`` (step, mean return, std)."""
    arr = np.asarray(arr, np.float32).reshape(-1, 5)
    pick = lambda kind, cols: arr[arr[:, 0] == kind][:, cols]  # noqa: E731
    return {
        "episodes": pick(EPISODE, [1, 2, 3, 4]),
        "updates": pick(UPDATE, [1, 2, 3, 4]),
        "evals": pick(EVAL, [1, 2, 3]),
    }


def moving_average(x: np.ndarray, window: int = 20) -> np.ndarray:
    """Trailing mean over the last ``window`` values (shorter at the start)."""
    x = np.asarray(x, np.float64)
    if len(x) == 0:
        return x
    c = np.cumsum(np.insert(x, 0, 0.0))
    idx = np.arange(1, len(x) + 1)
    lo = np.maximum(0, idx - window)
    return (c[idx] - c[lo]) / (idx - lo)


def curves(history: np.ndarray, window: int = 20) -> dict[str, np.ndarray]:
    """What the learning-curve figure draws, from a job's (n, 5) ``history``.

    Returns:
        :func:`unpack_history`'s ``episodes``, ``updates``, ``evals``; ``return_average``
        (episodes,) the moving average of episode returns; ``epsilon`` (2, m): ε against the
        environment step, from episodes and updates in step order.
    """
    h = unpack_history(history)
    ep, up = h["episodes"], h["updates"]
    steps = np.concatenate([ep[:, 0], up[:, 0]])
    order = np.argsort(steps)
    eps = np.concatenate([ep[:, 3], up[:, 3]])[order]
    return h | {
        "return_average": moving_average(ep[:, 1], window),
        "epsilon": np.stack([steps[order], eps]),
    }
