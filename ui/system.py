"""The small system panel: backend, devices, jobs, cache size (no TensorFlow import needed)."""

from __future__ import annotations

import functools
import importlib.metadata
import os
import subprocess
from pathlib import Path

import streamlit as st

from dl_core import jobs
from dl_core.store import Store


@functools.lru_cache(maxsize=16)
def _version(pkg: str) -> str:
    try:
        return importlib.metadata.version(pkg)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


@st.cache_data(ttl=3600, show_spinner=False)
def devices() -> list[str]:
    """CPU cores and GPUs, found without importing a framework."""
    out = [f"CPU · {os.cpu_count()} cores"]
    if any(Path("/dev").glob("nvidia[0-9]*")):
        try:
            names = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                capture_output=True, text=True, timeout=5, check=False,
            ).stdout.strip().splitlines()  # fmt: skip
            out += [f"GPU · {n}" for n in names]
        except (OSError, subprocess.SubprocessError):
            out.append("GPU · present (nvidia-smi unavailable)")
    return out


@st.cache_data(ttl=30, show_spinner=False)
def cache_bytes() -> int:
    return Store().total_bytes()


def system_panel() -> None:
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    counts = jobs.counts()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Keras backend", backend, help=f"Keras {_version('keras')}")
    c2.metric("Devices", devices()[-1].split(" · ")[0], help="\n".join(devices()))
    c3.metric("Jobs running / queued", f"{counts['running']} / {counts['queued']}")
    c4.metric("Cache on disk", f"{cache_bytes() / 1e6:,.0f} MB")
    st.caption(
        " · ".join(devices())
        + f" · Keras {_version('keras')} · TensorFlow {_version('tensorflow')}"
    )
