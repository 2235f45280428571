"""Small helpers for benchmarks: timing, machine description, printing, saving figures."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUT = Path(
    os.environ.get("DL_EXPLORER_BENCH_OUTPUT", Path(__file__).resolve().parents[1] / "bench-output")
)


def machine() -> str:
    """One line: CPU count, model name, Python, Keras backend."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPU cores ({model}), Python {platform.python_version()}, "
        f"KERAS_BACKEND={os.environ.get('KERAS_BACKEND', 'tensorflow')}"
    )


def timeit(fn: Callable[[], Any], repeat: int = 5, warmup: int = 1) -> tuple[float, float]:
    """Median and min wall time of ``fn()`` in seconds, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def report(name: str, figures: dict[str, Any]) -> dict[str, Any]:
    """Print figures as an aligned table and save them as ``bench-output/<name>.json``."""
    print(f"\n== {name} — {machine()}")
    width = max(len(k) for k in figures) if figures else 0
    for k, v in figures.items():
        text = f"{v:.4g}" if isinstance(v, float) else str(v)
        print(f"  {k:<{width}}  {text}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(
        json.dumps({"machine": machine(), **figures}, indent=2, default=str)
    )
    return figures
