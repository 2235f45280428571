"""A finished job's output, saved into and loaded from the store.

``train()`` returns a dict. Each value is saved by its kind:

- a Keras model        -> ``<name>.keras``
- a list of models     -> ``<name>.<i>.keras`` (e.g. checkpoints along training)
- a NumPy array        -> inside ``arrays.npz``
- anything JSON-able   -> inside ``result.json`` (written last: its presence means "complete")

:class:`Result` gives the same dict back; models and arrays load lazily on first access.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from dl_core.store import Store


def _is_model(value: Any) -> bool:
    return hasattr(value, "save") and hasattr(value, "layers")


def save_result(store: Store, key: str, out: Mapping[str, Any]) -> None:
    """Write a ``train()`` output dict under ``key`` (see module docstring)."""
    values: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    models: dict[str, Any] = {}
    for name, value in out.items():
        if _is_model(value):
            models[name] = store.write_model(key, f"{name}.keras", value).name
        elif isinstance(value, (list, tuple)) and value and all(_is_model(v) for v in value):
            models[name] = [
                store.write_model(key, f"{name}.{i}.keras", v).name for i, v in enumerate(value)
            ]
        elif isinstance(value, np.ndarray):
            arrays[name] = value
        else:
            values[name] = value
    if arrays:
        store.write_arrays(key, "arrays.npz", **arrays)
    manifest = {"values": values, "arrays": sorted(arrays), "models": models}
    store.write_json(key, "result.json", manifest)


class Result(Mapping[str, Any]):
    """Read-only mapping over a finished job's artifacts."""

    def __init__(self, store: Store, key: str, check: bool = False) -> None:
        """Open ``key``'s result. ``check``: read the arrays now and test every model file's
        archive, so that a missing or damaged file fails here (where the caller can offer a
        retrain) instead of later, in the middle of drawing a page."""
        self.store = store
        self.key = key
        manifest = store.read_json(key, "result.json")
        self._values: dict[str, Any] = manifest["values"]
        self._array_names: list[str] = list(manifest["arrays"])
        self._model_files: dict[str, Any] = manifest["models"]
        self._arrays: dict[str, np.ndarray] | None = None
        self._models: dict[str, Any] = {}
        if check:
            self._check()

    def _check(self) -> None:
        if self._array_names:
            self._arrays = self.store.read_arrays(self.key, "arrays.npz")
            missing = set(self._array_names) - set(self._arrays)
            if missing:
                raise KeyError(f"arrays missing from the result: {sorted(missing)}")
        for files in self._model_files.values():
            for name in files if isinstance(files, list) else [files]:
                with zipfile.ZipFile(self.store.artifact_dir(self.key) / name) as archive:
                    if (bad := archive.testzip()) is not None:
                        raise ValueError(f"damaged model file {name} ({bad})")

    def __getitem__(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        if name in self._array_names:
            if self._arrays is None:
                self._arrays = self.store.read_arrays(self.key, "arrays.npz")
            return self._arrays[name]
        if name in self._model_files:
            if name not in self._models:
                files = self._model_files[name]
                if isinstance(files, list):
                    self._models[name] = [self.store.read_model(self.key, f) for f in files]
                else:
                    self._models[name] = self.store.read_model(self.key, files)
            return self._models[name]
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        yield from self._values
        yield from self._array_names
        yield from self._model_files

    def __len__(self) -> int:
        return len(self._values) + len(self._array_names) + len(self._model_files)

    def model_path(self, name: str) -> Any:
        """Path of a saved model file (for a download button)."""
        return self.store.artifact_dir(self.key) / self._model_files[name]
