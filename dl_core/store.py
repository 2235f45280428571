"""Artifacts on disk, keyed by job key; content-addressed data blobs; a size bound.

Layout under ``DL_EXPLORER_HOME`` (default ``~/.cache/dl-explorer``)::

    blobs/<sha256>            uploaded data, named by its content (the "fingerprint")
    artifacts/<key>/...       what a finished job produced (models, arrays, JSON)
    artifacts/<key>/.used     touched on every read: least-recently-used eviction
    artifacts/<key>/.pinned   never evicted (results made by ``python -m dl_core warmup``)
    progress/<key>/...        previews a running job reported (deleted with its artifacts)
    jobs.sqlite               job states and progress (see dl_core.jobs)

The size bound (``DL_EXPLORER_MAX_CACHE_BYTES``) counts only what eviction can delete:
unpinned artifacts, progress folders and blobs (:meth:`Store.cache_bytes`). Pinned results,
downloaded weights and the job database are on disk too (:meth:`Store.total_bytes`) but
outside the bound.

Every write goes to a temporary file in the same folder and is renamed into place,
so a reader never sees half a file and a crash leaves no corrupt artifact.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_MAX_BYTES = 5 * 1024**3


def home() -> Path:
    """The folder that holds blobs, artifacts and the job database."""
    root = Path(os.environ.get("DL_EXPLORER_HOME", Path.home() / ".cache" / "dl-explorer"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def fingerprint(data: bytes) -> str:
    """Content address of some bytes (SHA-256, hex)."""
    return hashlib.sha256(data).hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Store:
    """Blobs and artifacts under one root folder."""

    def __init__(self, root: Path | str | None = None, max_bytes: int | None = None) -> None:
        self.root = Path(root) if root is not None else home()
        self.max_bytes = max_bytes or int(
            os.environ.get("DL_EXPLORER_MAX_CACHE_BYTES", DEFAULT_MAX_BYTES)
        )
        (self.root / "blobs").mkdir(parents=True, exist_ok=True)
        (self.root / "artifacts").mkdir(parents=True, exist_ok=True)

    # -- blobs ---------------------------------------------------------------------------
    def put_blob(self, data: bytes) -> str:
        """Store bytes under their fingerprint and return it (idempotent)."""
        fp = fingerprint(data)
        path = self.root / "blobs" / fp
        if not path.exists():
            atomic_write(path, data)
        return fp

    def get_blob(self, fp: str) -> bytes:
        """The bytes stored under ``fp``; ``KeyError`` if unknown (e.g. evicted)."""
        path = self._blob_path(fp)
        if not path.exists():
            raise KeyError(fp)
        return path.read_bytes()

    def has_blob(self, fp: str) -> bool:
        return self._blob_path(fp).exists()

    def put_arrays_blob(self, **arrays: Any) -> str:
        """Pack named arrays (and JSON-able values) into one blob; return its fingerprint."""
        return self.put_blob(pack_arrays(**arrays))

    def _blob_path(self, fp: str) -> Path:
        if not fp or not all(c in "0123456789abcdef" for c in fp):
            raise KeyError(fp)
        return self.root / "blobs" / fp

    # -- artifacts -------------------------------------------------------------------------
    def artifact_dir(self, key: str) -> Path:
        if not key or "/" in key or key.startswith("."):
            raise ValueError(f"bad artifact key {key!r}")
        return self.root / "artifacts" / key

    def exists(self, key: str, name: str = "result.json") -> bool:
        return (self.artifact_dir(key) / name).exists()

    def write_bytes(self, key: str, name: str, data: bytes) -> Path:
        path = self.artifact_dir(key) / name
        atomic_write(path, data)
        return path

    def read_bytes(self, key: str, name: str) -> bytes:
        self.touch(key)
        return (self.artifact_dir(key) / name).read_bytes()

    def write_json(self, key: str, name: str, value: Any) -> Path:
        return self.write_bytes(key, name, json.dumps(value, default=_json_default).encode())

    def read_json(self, key: str, name: str) -> Any:
        return json.loads(self.read_bytes(key, name))

    def write_arrays(self, key: str, name: str, **arrays: np.ndarray) -> Path:
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        return self.write_bytes(key, name, buf.getvalue())

    def read_arrays(self, key: str, name: str) -> dict[str, np.ndarray]:
        with np.load(io.BytesIO(self.read_bytes(key, name)), allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}

    def write_model(self, key: str, name: str, model: Any) -> Path:
        """Save a Keras model as ``.keras`` atomically."""
        path = self.artifact_dir(key) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.keras")
        model.save(tmp)
        os.replace(tmp, path)
        return path

    def read_model(self, key: str, name: str, custom_objects: dict | None = None) -> Any:
        import keras

        self.touch(key)
        return keras.saving.load_model(
            self.artifact_dir(key) / name, custom_objects=custom_objects, compile=False
        )

    def touch(self, key: str) -> None:
        marker = self.artifact_dir(key) / ".used"
        if marker.parent.exists():
            marker.touch()

    def pin(self, key: str) -> None:
        """Never evict ``key`` (a warm-up result every visitor's first page view needs)."""
        if self.artifact_dir(key).is_dir():
            (self.artifact_dir(key) / ".pinned").touch()

    def pinned(self, key: str) -> bool:
        return (self.artifact_dir(key) / ".pinned").exists()

    def progress_dir(self, key: str) -> Path:
        if not key or "/" in key or key.startswith("."):
            raise ValueError(f"bad progress key {key!r}")
        return self.root / "progress" / key

    def delete(self, key: str) -> None:
        """Remove a key's artifacts and its progress folder."""
        shutil.rmtree(self.artifact_dir(key), ignore_errors=True)
        shutil.rmtree(self.progress_dir(key), ignore_errors=True)

    # -- size bound ------------------------------------------------------------------------
    def total_bytes(self) -> int:
        """Everything under the root: cache, pinned results, weights, the job database."""
        return _folder_bytes(self.root)

    def cache_bytes(self) -> int:
        """What the size bound counts: what eviction can delete (see the module docstring)."""
        evictable = sum(size for _, _, size in self.entries())
        blobs = self.root / "blobs"
        return evictable + sum(_file_bytes(p) for p in blobs.iterdir() if p.is_file())

    def entries(self) -> list[tuple[str, float, int]]:
        """(key, last used time, bytes) for every evictable key, least recently used first.

        A key's bytes are its artifact folder and its progress folder; a progress folder
        without artifacts (a failed, cancelled or running job) is an entry of its own.
        Pinned keys are left out: eviction never deletes them.
        """
        found: dict[str, tuple[float, int]] = {}
        progress = self.root / "progress"
        for d in (self.root / "artifacts").iterdir():
            if not d.is_dir() or (d / ".pinned").exists():
                continue
            marker = d / ".used"
            used = _mtime(marker) or _mtime(d)
            found[d.name] = (used, _folder_bytes(d) + _folder_bytes(progress / d.name))
        if progress.is_dir():
            for d in progress.iterdir():
                if d.is_dir() and d.name not in found and not self.pinned(d.name):
                    found[d.name] = (_mtime(d), _folder_bytes(d))
        return sorted(((k, used, size) for k, (used, size) in found.items()), key=lambda e: e[1])

    def evict(
        self,
        in_use: Iterable[str] = (),
        max_bytes: int | None = None,
        keep_blobs: Iterable[str] = (),
    ) -> list[str]:
        """Delete least-recently-used keys (then old blobs) until under ``max_bytes``.

        Keys in ``in_use`` (running or queued jobs) and pinned keys are never removed, nor
        are the blobs named in ``keep_blobs`` (the data of queued and running jobs). Only
        :meth:`cache_bytes` counts against the bound. Returns the keys and blobs deleted.
        """
        limit = max_bytes if max_bytes is not None else self.max_bytes
        keep = set(in_use)
        keep_fp = set(keep_blobs)
        total = self.cache_bytes()
        removed: list[str] = []
        for key, _, size in self.entries():
            if total <= limit:
                break
            if key in keep:
                continue
            self.delete(key)
            total -= size
            removed.append(key)
        if total > limit:
            blobs = [p for p in (self.root / "blobs").iterdir() if p.is_file()]
            for blob in sorted(blobs, key=lambda p: _mtime(p, atime=True)):
                if total <= limit:
                    break
                if blob.name in keep_fp or blob.name.startswith("."):
                    continue
                total -= _file_bytes(blob)
                blob.unlink(missing_ok=True)
                removed.append(blob.name)
        return removed


def _mtime(path: Path, atime: bool = False) -> float:
    try:
        st = path.stat()
    except OSError:
        return 0.0
    return st.st_atime if atime else st.st_mtime


def _file_bytes(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # deleted meanwhile (another process evicting)
        return 0


def _folder_bytes(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    return sum(_file_bytes(f) for f in folder.rglob("*") if f.is_file())


def pack_arrays(**values: Any) -> bytes:
    """Serialise named arrays into ``.npz`` bytes; non-array values go in as JSON."""
    arrays = {}
    meta = {}
    for name, value in values.items():
        if isinstance(value, np.ndarray):
            arrays[name] = value
        else:
            meta[name] = value
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def unpack_arrays(data: bytes) -> dict[str, Any]:
    """Inverse of :func:`pack_arrays`."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        out: dict[str, Any] = {k: npz[k] for k in npz.files if k != "__meta__"}
        if "__meta__" in npz.files:
            out.update(json.loads(npz["__meta__"].tobytes().decode()))
    return out


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
