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


@st.cache_data(max_entries=1, ttl=3600, show_spinner=False)
def devices() -> list[str]:
    """CPU cores and GPUs, found without importing a framework."""
    out = [f"CPU · {os.cpu_count()} cores"]
    if any(Path("/dev").glob("nvidia[0-9]*")):
        try:
            names = (
                subprocess.run(
                    ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                    capture_output=True,
                    text=True,
                    timeout=5,
                    check=False,
                )
                .stdout.strip()
                .splitlines()
            )
            out += [f"GPU · {n}" for n in names]
        except (OSError, subprocess.SubprocessError):
            out.append("GPU · present (nvidia-smi unavailable)")
    return out


@st.cache_data(max_entries=1, ttl=30, show_spinner=False)
def disk_figures() -> tuple[int, int, int]:
    """(evictable cache bytes, its bound, everything on disk under DL_EXPLORER_HOME)."""
    store = Store()
    return store.cache_bytes(), store.max_bytes, store.total_bytes()


def system_panel() -> None:
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    counts = jobs.counts()
    cache, bound, disk = disk_figures()
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric("Keras backend", backend, help=f"Keras {_version('keras')}")
    c2.metric("Devices", devices()[-1].split(" · ")[0], help="\n".join(devices()))
    c3.metric("Jobs running / queued", f"{counts['running']} / {counts['queued']}")
    c4.metric(
        "Cache",
        f"{cache / 1e6:,.0f} MB",
        help=f"What eviction may delete (results, progress previews, uploads); kept under "
        f"{bound / 1e6:,.0f} MB by deleting the least recently used.",
    )
    c5.metric(
        "On disk",
        f"{disk / 1e6:,.0f} MB",
        help="Everything under DL_EXPLORER_HOME: the cache, pinned warm-up results, "
        "downloaded weights and the jobs database.",
    )
    st.caption(
        " · ".join(devices())
        + f" · Keras {_version('keras')} · TensorFlow {_version('tensorflow')}"
    )
