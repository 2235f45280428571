"""The topic modules, in page order. Each one may expose ``warmup_jobs()`` returning
``[(train, cfg, data_fp_or_None, label), ...]``: what ``python -m dl_core warmup`` trains so a
hosted demo opens with results ready. Adding a topic: one line here.
"""

from __future__ import annotations

import importlib
from types import ModuleType

TOPICS: list[str] = [
    "basics", "cnn", "transfer", "detection", "segmentation", "text_generation", "attention", "gan", "dqn",
]  # fmt: skip


def modules() -> list[ModuleType]:
    return [importlib.import_module(f"dl_core.{name}") for name in TOPICS]
