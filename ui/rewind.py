"""Rewind a finished run to any saved epoch: one slider (kept in the URL), models from the
job's checkpoints (:mod:`dl_core.checkpoints`).

A page draws its live views from the model this returns instead of the final one::

    epoch = epoch_slider(url, [status.key])
    if epoch is not None:
        model = model_at(status.key, "model", epoch)
        ... the page's figures from ``model`` ...

With two runs (compare mode) the slider offers the epochs both have, so one slider moves
both runs to the same epoch.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import streamlit as st

from dl_core import checkpoints, jobs
from dl_core.errors import UserError
from ui.state import UrlState
from ui.text import md_escape

NO_CHECKPOINTS = (
    "This run has no saved checkpoints (it was trained before they were kept), so it cannot "
    "be rewound; the views show its final epoch."
)
GONE = "The checkpoint of epoch {epoch} is no longer on the server; train again to rewind."


def saved_epochs(keys: Sequence[str]) -> list[int]:
    """The epochs every one of ``keys`` has a checkpoint for."""
    common: set[int] | None = None
    for key in keys:
        found = set(checkpoints.epochs(key))
        common = found if common is None else common & found
    return sorted(common or ())


def epoch_slider(
    url: UrlState,
    keys: Sequence[str],
    name: str = "epoch",
    label: str = "Rewind to epoch",
    container: Any = None,
) -> int | None:
    """A slider over the saved epochs of ``keys`` (URL parameter ``name``); the chosen epoch,
    or ``None`` (with a caption) when the runs have no checkpoints in common."""
    where = container or st
    epochs = saved_epochs(keys)
    if not epochs:
        where.caption(md_escape(NO_CHECKPOINTS))
        return None
    if len(epochs) == 1:
        where.caption(md_escape(f"One checkpoint saved: epoch {epochs[0]}."))
        return epochs[0]
    key = url.key(name)
    if key in st.session_state and st.session_state[key] not in epochs:
        st.session_state[key] = epochs[-1]  # another run, other saved epochs
    epoch = url(
        where.select_slider,
        md_escape(label),
        name,
        epochs[-1],
        options=epochs,
        help="The views below are redrawn from the weights saved at the end of this epoch.",
    )
    return int(epoch)


@st.cache_resource(max_entries=12, show_spinner="Loading the checkpoint…")
def _model_at(key: str, name: str, epoch: int) -> Any:
    return checkpoints.model_at(jobs.result(key), name, epoch)


@st.cache_resource(max_entries=8, show_spinner="Loading the model…")
def _holder(key: str, name: str) -> tuple[Any, threading.Lock]:
    """One model per job and name whose weights are swapped per epoch, and its lock."""
    res = jobs.result(key)
    return checkpoints.fresh_model(res, name), threading.Lock()


@contextlib.contextmanager
def weights_at(key: str, name: str, epoch: int) -> Iterator[Any]:
    """Model ``name`` of the finished job ``key`` holding the weights of ``epoch``, for the
    duration of the block (one model per job, its weights swapped under a lock: no model to
    load or function to trace again for each epoch). Cache what you compute by (key,
    epoch), not by the model. A checkpoint that is gone becomes a sentence (``UserError``).
    """
    try:
        model, lock = _holder(key, name)
        weights = checkpoints.load(key, int(epoch))[name]
    except (KeyError, OSError, ValueError) as err:
        raise UserError(GONE.format(epoch=int(epoch))) from err
    with lock:
        model.set_weights(weights)
        yield model


def model_at(key: str, name: str, epoch: int) -> Any:
    """Model ``name`` of the finished job ``key`` as it was after ``epoch`` (loaded once per
    server process). A checkpoint that is gone becomes a sentence (``UserError``)."""
    try:
        return _model_at(key, name, int(epoch))
    except (KeyError, OSError, ValueError) as err:
        raise UserError(GONE.format(epoch=int(epoch))) from err
