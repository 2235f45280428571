"""Public-demo limits: what one job may cost when ``DL_EXPLORER_PUBLIC=1``.

A private install (the default) has no caps. A public one refuses, with a sentence naming
the cap, a setting that would make one visitor's job hold the queue for long: too many
epochs or steps, too large images or networks, a long time budget. The per-job time limit
defaults to 10 minutes there (``DL_EXPLORER_JOB_TIMEOUT_S`` still wins when set).

Caps are per Config field name, the same on every topic unless a topic lowers them in
:data:`TOPIC_CAPS`.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from dl_core.errors import UserError

PUBLIC_TIMEOUT_S = 600.0

# field: (cap, what the cap is called in the sentence)
CAPS: dict[str, tuple[float, str]] = {
    "epochs": (100, "epochs"),
    "head_epochs": (100, "epochs for the new head"),
    "fine_tune_epochs": (50, "fine-tuning epochs"),
    "scratch_epochs": (100, "epochs from scratch"),
    "steps_per_epoch": (2000, "steps per epoch"),
    "total_steps": (200_000, "environment steps"),
    "image_size": (256, "pixels per image side"),
    "batch_size": (1024, "examples per batch"),
    "max_seconds": (PUBLIC_TIMEOUT_S, "seconds of training"),
    "time_budget_s": (PUBLIC_TIMEOUT_S, "seconds of training"),
    "width": (1024, "units per layer"),
    "units": (1024, "units per layer"),
    "depth": (12, "layers"),
    "layers": (12, "layers"),
    "n_train": (60_000, "training examples"),
    "max_images": (5_000, "images"),
    "n_points": (5_000, "data points"),
}

# Per-topic caps (topic name → field → cap): lower where one unit of work costs much more,
# higher where it costs almost nothing.
TOPIC_CAPS: dict[str, dict[str, float]] = {
    "basics": {"epochs": 200},  # a tiny MLP: its longer preset (200 epochs) takes seconds
    "detection": {"epochs": 40, "image_size": 320},
    "segmentation": {"epochs": 60, "image_size": 128},
    "transfer": {"image_size": 224},
}


def public() -> bool:
    """Whether this server is a public demo (``DL_EXPLORER_PUBLIC=1``)."""
    return os.environ.get("DL_EXPLORER_PUBLIC", "0").lower() in ("1", "true", "yes", "on")


def default_timeout_s() -> float:
    """The per-job time limit: ``DL_EXPLORER_JOB_TIMEOUT_S``, else 10 min public, 30 min private."""
    env = os.environ.get("DL_EXPLORER_JOB_TIMEOUT_S")
    if env:
        return float(env)
    return PUBLIC_TIMEOUT_S if public() else 1800.0


def topic_of(fn: str) -> str:
    """``'dl_core.cnn.model:train'`` → ``'cnn'``."""
    parts = fn.split(":")[0].split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "dl_core" else parts[-1]


def check(fn: str, cfg: Any) -> None:
    """Raise :class:`UserError` naming the cap when ``cfg`` exceeds a public cap."""
    if not public() or not dataclasses.is_dataclass(cfg):
        return
    caps = {name: cap for name, (cap, _) in CAPS.items()} | TOPIC_CAPS.get(topic_of(fn), {})
    for field in dataclasses.fields(cfg):
        value = getattr(cfg, field.name)
        cap = caps.get(field.name)
        if cap is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if value > cap:
            what = CAPS[field.name][1]
            raise UserError(
                f"This public demo caps one job at {cap:g} {what} ('{field.name}'), and these "
                f"settings ask for {value:g}. Lower it and press Train again; a private "
                "install of DL Explorer has no such caps."
            )
