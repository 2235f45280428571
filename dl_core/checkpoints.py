"""Light checkpoints along training, so that a page can rewind a run to any saved epoch.

Training code never writes them itself: the reporter does (``report.keras_callback(...,
checkpoint="model")`` for a Keras ``fit``, or ``report.checkpoint(epoch, total, model=m)``
from a hand-written loop). Each checkpoint is the weights of the named models at the end of
one epoch, as one uncompressed ``.npz`` (no graph, no optimizer state: cheap to write)::

    artifacts/<key>/checkpoints/0001.npz     arrays "model/0", "model/1", ... (get_weights())

They live in the job's artifact folder, so eviction and ``Store.delete`` remove them with
the job, a pinned warm-up job keeps them, and the job key does not change.

Which epochs: every epoch for a small model; otherwise about :data:`POINTS` epochs spread
over the run, always the first and the last (:func:`plan`). A job's checkpoints stay under
:data:`MAX_BYTES` (:func:`thin` drops inner ones if a run writes more than planned).
A model at a saved epoch is the job's final model file loaded afresh with that epoch's
weights (:func:`model_at`).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dl_core.store import Store

MAX_BYTES = 50 * 1024**2  # per job, all its checkpoints together
POINTS = 10  # epochs kept for a model too large to keep every epoch
EVERY_EPOCH_MAX = 60  # a run up to this many epochs keeps every one when they fit
FOLDER = "checkpoints"


def spread(epochs: Sequence[int], n: int) -> list[int]:
    """``n`` of ``epochs`` (sorted) evenly spread, always the first and the last."""
    epochs = sorted(set(epochs))
    if n >= len(epochs):
        return epochs
    if n <= 1:
        return epochs[-1:]
    idx = np.unique(np.round(np.linspace(0, len(epochs) - 1, n)).astype(int))
    return [epochs[i] for i in idx]


def plan(
    total_epochs: int,
    bytes_each: int,
    max_bytes: int = MAX_BYTES,
    points: int = POINTS,
) -> list[int]:
    """The epochs (1-based) a run of ``total_epochs`` saves when one checkpoint is
    ``bytes_each`` bytes: every epoch if they all fit (and the run is short), else
    ``points`` spread over the run; never more than ``max_bytes`` together (at least the
    last epoch is kept)."""
    epochs = list(range(1, max(total_epochs, 1) + 1))
    fits = max(1, max_bytes // max(bytes_each, 1))
    every = total_epochs <= EVERY_EPOCH_MAX and total_epochs <= fits
    return spread(epochs, len(epochs) if every else min(points, fits))


def thin(sizes: Mapping[int, int], max_bytes: int = MAX_BYTES) -> list[int]:
    """Which saved epochs (``{epoch: bytes}``) to delete so that the rest fit ``max_bytes``:
    inner ones first, keeping the rest evenly spread; the first and last stay while they
    fit (the last one always)."""
    kept = sorted(sizes)
    while len(kept) > 1 and sum(sizes[e] for e in kept) > max_bytes:
        kept = spread(kept, len(kept) - 1)
    return [e for e in sorted(sizes) if e not in kept]


def _weights(model: Any) -> list[np.ndarray]:
    return [np.asarray(w) for w in model.get_weights()]


def _pack(models: Mapping[str, Any]) -> bytes:
    arrays = {
        f"{name}/{i}": w for name, model in models.items() for i, w in enumerate(_weights(model))
    }
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # uncompressed: weights barely compress and time matters here
    return buf.getvalue()


def _write(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (a reader sees the whole file or none), without
    the fsync of :func:`dl_core.store.atomic_write`: a checkpoint lost in a crash is only a
    missing epoch, and syncing every epoch would slow training down."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp) if os.path.exists(tmp) else None
        raise


class Checkpointer:
    """Writes one job's checkpoints as training goes (used by the reporter)."""

    def __init__(self, key: str, store: Store | None = None, max_bytes: int = MAX_BYTES) -> None:
        self.key = key
        self.store = store or Store()
        self.max_bytes = max_bytes
        self.folder = self.store.artifact_dir(key) / FOLDER
        self._planned: list[int] | None = None
        self._sizes: dict[int, int] = {}
        shutil.rmtree(self.folder, ignore_errors=True)  # a rerun of the job starts afresh

    def __call__(self, epoch: int, total: int, models: Mapping[str, Any]) -> bool:
        """Save ``models``' weights after ``epoch`` (1-based) of ``total`` if the plan keeps
        that epoch; returns whether it did."""
        if self._planned is None:
            size = sum(w.nbytes for m in models.values() for w in _weights(m))
            self._planned = plan(total, size, self.max_bytes)
        if epoch not in self._planned and epoch != total:
            return False
        data = _pack(models)
        _write(self.folder / f"{epoch:04d}.npz", data)
        self._sizes[epoch] = len(data)
        for gone in thin(self._sizes, self.max_bytes):
            (self.folder / f"{gone:04d}.npz").unlink(missing_ok=True)
            del self._sizes[gone]
        return True


def epochs(key: str, store: Store | None = None) -> list[int]:
    """The epochs a job has checkpoints for (sorted; empty if none)."""
    folder = (store or Store()).artifact_dir(key) / FOLDER
    if not folder.is_dir():
        return []
    found = []
    for p in folder.glob("*.npz"):
        if p.stem.isdigit():
            found.append(int(p.stem))
    return sorted(found)


def total_bytes(key: str, store: Store | None = None) -> int:
    """Bytes of a job's checkpoints together."""
    folder = (store or Store()).artifact_dir(key) / FOLDER
    return sum(p.stat().st_size for p in folder.glob("*.npz")) if folder.is_dir() else 0


def load(key: str, epoch: int, store: Store | None = None) -> dict[str, list[np.ndarray]]:
    """``{model name: weights}`` saved after ``epoch``; ``KeyError`` if there is none."""
    store = store or Store()
    path = store.artifact_dir(key) / FOLDER / f"{int(epoch):04d}.npz"
    if not path.exists():
        raise KeyError(f"no checkpoint at epoch {epoch}")
    store.touch(key)
    out: dict[str, list[tuple[int, np.ndarray]]] = {}
    with np.load(path, allow_pickle=False) as npz:
        for name in npz.files:
            model, _, i = name.rpartition("/")
            out.setdefault(model, []).append((int(i), npz[name]))
    return {m: [w for _, w in sorted(ws, key=lambda t: t[0])] for m, ws in out.items()}


def fresh_model(result: Any, name: str, custom_objects: dict | None = None) -> Any:
    """A new copy of the model ``name`` of a finished job's ``result`` (its saved file loaded
    again: changing its weights leaves the result's own copy untouched)."""
    import keras

    return keras.saving.load_model(
        result.model_path(name), custom_objects=custom_objects, compile=False
    )


def model_at(result: Any, name: str, epoch: int, custom_objects: dict | None = None) -> Any:
    """The model ``name`` of a finished job's ``result`` as it was after ``epoch``: the saved
    model file loaded afresh (the result's own copy stays untouched) with that epoch's
    weights."""
    weights = load(result.key, epoch, result.store)
    if name not in weights:
        raise KeyError(f"no checkpoint of {name!r} at epoch {epoch}")
    model = fresh_model(result, name, custom_objects)
    model.set_weights(weights[name])
    return model
