"""How long a training job will take, said before Train (and reusable by a shared demo's queue).

One function, :func:`estimate_seconds`: this server's own last run of exactly that job when
the job database has one (its real duration here), else the figure stored below for the
topic's preset, measured with ``python -m bench defaults`` on an idle 2-core CPU.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

# Seconds on a 2-core CPU (measured at load 1-7 on 2026-12-01; tiny and longer scaled), per
# training function's module and preset, end to end
# (data, graph building, training, evaluation). Update them from ``python -m bench defaults``.
PRESET_SECONDS: dict[str, dict[str, float]] = {
    "dl_core.basics": {"tiny": 3, "default": 10, "longer": 45},
    "dl_core.cnn": {"tiny": 5, "default": 15, "longer": 120},
    "dl_core.transfer": {"tiny": 30, "default": 60, "longer": 300},  # each of the three ways
    "dl_core.detection": {"tiny": 15, "default": 80, "longer": 330},  # 79, 324 s at load 4
    "dl_core.segmentation": {"tiny": 10, "default": 70, "longer": 150},  # 68, 150 s at load 4-5
    "dl_core.text_generation": {"tiny": 5, "default": 30, "longer": 90, "shakespeare": 600},
    "dl_core.attention": {"tiny": 5, "default": 40, "longer": 150},
    "dl_core.gan.dcgan": {"tiny": 15, "default": 40, "longer": 150},
    "dl_core.gan.vae": {"tiny": 10, "default": 35, "longer": 110},
    "dl_core.dqn": {"tiny": 10, "default": 30, "longer": 120},
}


def _module(train: Callable | str) -> str:
    """The module part of the job name of ``train`` (a function, its job name or a module)."""
    from dl_core.jobs import fn_name

    name = train if isinstance(train, str) else fn_name(train)
    return name.split(":")[0]


def stored_seconds(train: Callable | str, preset: str) -> float | None:
    """The stored figure for ``preset`` of the topic that ``train`` belongs to, if any."""
    module = _module(train)
    for prefix in sorted(PRESET_SECONDS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return PRESET_SECONDS[prefix].get(preset)
    return None


def scaled_preset_seconds(fn: str, config: dict[str, Any]) -> float | None:
    """A queue's estimate before this server has run a topic: the stored figure of the preset
    closest in work to ``config`` (a job's config as a dict), scaled by the ratio of their work
    (:func:`dl_core.jobs.estimate.work`); ``None`` for a job outside the stored figures."""
    from dl_core import config as cfglib
    from dl_core import topics
    from dl_core.jobs.estimate import work

    try:
        presets = topics.trainer(fn).PRESETS
    except (ImportError, AttributeError):
        return None
    target, best = work(config), None
    for name, preset in presets.items():
        seconds = stored_seconds(fn, name)
        if seconds is None:
            continue
        ratio = target / work(cfglib.to_dict(preset))
        if best is None or abs(math.log(ratio)) < best[0]:
            best = (abs(math.log(ratio)), seconds * ratio)
    return None if best is None else best[1]


def estimate_seconds(
    train: Callable, cfg: Any, preset: str | None = None, data_fp: str | None = None
) -> float | None:
    """Expected wall time of ``train(cfg)``: this server's last finished run of the same job,
    else the stored figure for ``preset``; ``None`` when neither is known."""
    from dl_core import jobs

    past = jobs.find(train, cfg, data_fp)
    if past is not None and past.state == "done" and past.duration is not None:
        return float(past.duration)
    return stored_seconds(train, preset) if preset else None


def format_seconds(seconds: float) -> str:
    """``~40 s``, ``~3 min``."""
    if seconds < 90:
        return f"~{max(5, round(seconds / 5) * 5):.0f} s"
    return f"~{round(seconds / 60):.0f} min"


def each(train: Callable, presets: dict[str, Any]) -> dict[str, list[tuple[Callable, Any]]]:
    """``{preset: [(train, cfg)]}``: one job per preset, the usual case for :func:`preset_times`."""
    return {name: [(train, cfg)] for name, cfg in presets.items()}


def preset_times(
    jobs_per_preset: dict[str, Sequence[tuple[Callable, Any]]],
    data_fp: str | None = None,
    label: str = "Training",
) -> str:
    """One sentence for the page: how long each preset takes (the jobs of a preset add up)."""
    parts = []
    for preset, runs in jobs_per_preset.items():
        times = [estimate_seconds(train, cfg, preset, data_fp) for train, cfg in runs]
        if times and all(t is not None for t in times):
            parts.append(f"{preset} {format_seconds(sum(times))}")  # type: ignore[arg-type]
    if not parts:
        return ""
    return f"{label} time on a 2-core CPU (much less on a GPU): " + " · ".join(parts) + "."
