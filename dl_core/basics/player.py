"""What the in-browser player needs to replay a finished training job.

The page's Play / Step / Reset run in the visitor's browser (``ui/components/mlp_player.js``):
the job recorded the weights after every batch, and the browser redoes the cheap part (the
forward pass over the plane, the neuron tiles, the losses at each snapshot) for each frame.
A Step is then a few milliseconds of JavaScript instead of a round trip to the server.

This module turns a job result into that payload: JSON-safe lists and base64 float32 blobs.
"""

from __future__ import annotations

import base64

import numpy as np

from dl_core.basics import analysis, plots
from dl_core.basics.data import MAX_ADDED

MAX_VALUES = 400_000  # snapshot × parameter floats sent to the browser (1.6 MB as float32)


def encode(array: np.ndarray) -> str:
    """A float array as base64 of its little-endian float32 bytes (``Float32Array`` in JS)."""
    return base64.b64encode(np.ascontiguousarray(array, "<f4").tobytes()).decode("ascii")


def decode(text: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """The inverse of :func:`encode`."""
    out = np.frombuffer(base64.b64decode(text), "<f4")
    return out.reshape(shape) if shape else out


def keep_snapshots(
    steps: np.ndarray, steps_per_epoch: int, n_params: int, limit: int = MAX_VALUES
) -> np.ndarray:
    """Indices of the snapshots to send: all of them when they fit in ``limit`` floats; else
    every epoch's end plus evenly spaced batches in between (first and last always kept)."""
    n = len(steps)
    budget = max(2, limit // max(1, n_params))
    if n <= budget:
        return np.arange(n)
    ends = np.flatnonzero((steps % max(1, steps_per_epoch)) == 0)
    keep = set(ends.tolist()) | {0, n - 1}
    spare = budget - len(keep)
    if spare > 0:
        keep |= set(np.linspace(0, n - 1, spare).round().astype(int).tolist())
    idx = np.array(sorted(keep))
    if len(idx) > budget:  # more epochs than the budget: thin the epochs evenly
        idx = idx[np.linspace(0, len(idx) - 1, budget).round().astype(int)]
    return np.unique(idx)


SPEEDS = (0, 2, 5, 10, 30)  # the player's speed choices, epochs per second (0: as fast as it draws)


def _plane(x_train, y_train, x_test, y_test, task: str, class_names) -> dict:
    """The part both the player and the data editor draw: the data on the plane, the colours."""

    def pts(x) -> list[float]:
        return np.round(np.asarray(x, "float64").reshape(-1), 4).tolist()

    return {
        "task": task,
        "classNames": [str(c) for c in (class_names or ["0", "1"])],
        "xTrain": pts(x_train),
        "yTrain": _values(y_train),
        "xTest": pts(x_test),
        "yTest": _values(y_test),
        "extent": list(analysis.EXTENT),
        "lut": base64.b64encode(plots.LUT.tobytes()).decode("ascii"),
        "colours": list(plots.CLASS_COLOURS),
    }


def _values(x) -> list[float]:
    return np.round(np.asarray(x, "float64"), 5).tolist()


def with_view(
    data: dict,
    *,
    start: int = 0,
    by: str = "epoch",
    speed: int = 10,
    playing: bool = False,
    can_extend: bool = True,
) -> dict:
    """A player payload with where to start and how to play (values from a link are kept in
    range: the step among the recorded ones, a known step mode and speed)."""
    return data | {
        "start": int(np.clip(start, 0, len(data["steps"]) - 1)),
        "by": by if by in ("batch", "epoch") else "epoch",
        "speed": int(speed) if speed in SPEEDS else 10,
        "playing": bool(playing),
        "canExtend": bool(can_extend),
    }


def payload(
    res,
    cfg,
    job_id: str,
    *,
    start: int = 0,
    by: str = "epoch",
    speed: int = 10,
    playing: bool = False,
    can_extend: bool = True,
    limit: int = MAX_VALUES,
) -> dict:
    """Everything the player draws, for the job result ``res`` trained with ``cfg``.

    Args:
        res: the result of :func:`dl_core.basics.train` (params, steps, losses, data split).
        cfg: the job's Config (features, activation, loss).
        job_id: the job's key; the player starts afresh only when it changes.
        start, by, speed, playing, can_extend: as :func:`with_view`; ``start`` is an index
            into the *kept* snapshots.
    """
    params, steps = np.asarray(res["params"]), np.asarray(res["steps"])
    spe = int(res["steps_per_epoch"])
    idx = keep_snapshots(steps, spe, params.shape[1], limit)
    data = _plane(
        res["x_train"],
        res["y_train"],
        res["x_test"],
        res["y_test"],
        res["task"],
        res["class_names"],
    )
    data |= {
        "id": job_id,
        "layout": [list(map(int, s)) for s in res["layout"]],
        "features": list(cfg.features),
        "activation": cfg.activation,
        "loss": cfg.loss,
        "nParams": int(params.shape[1]),
        "params": encode(params[idx]),
        "steps": steps[idx].astype(int).tolist(),
        "spe": spe,
        "trainLoss": _values(np.asarray(res["train_loss"])[idx]),
        "testLoss": _values(np.asarray(res["test_loss"])[idx]),
    }
    return with_view(data, start=start, by=by, speed=speed, playing=playing, can_extend=can_extend)


def editor_payload(shown, added, data_id: str, surface: np.ndarray | None = None) -> dict:
    """What the click-to-add data editor draws.

    Args:
        shown: ``(x_train, y_train, x_test, y_test, task, class_names)`` without added points.
        added: the points added so far, ``(x, y, target)`` each.
        data_id: identifies the underlying data; the editor starts afresh when it changes.
        surface: optionally a trained network's output over the plane (r, r), row 0 at y min.
    """
    return _plane(*shown) | {
        "mode": "edit",
        "id": data_id,
        "added": [list(p) for p in added],
        "max": MAX_ADDED,
        "surface": encode(surface) if surface is not None else None,
    }
