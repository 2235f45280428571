"""Train several configs and compare them: one button, one job per config, their results.

The pages that put models side by side (optimizers on the basics page, three ways of
transfer learning, three recurrent cells) all do the same thing::

    runs = train_and_compare(tg.train, {"lstm": cfg_a, "gru": cfg_b}, data_fp,
                             button="Train both", key="textgen.compare")
    for name, status in runs.statuses.items():
        ui.jobs.progress(status)
    if runs.all_done:
        st.plotly_chart(plot_curves({n: r["history"] for n, r in runs.results.items()}))

Jobs are shared and cached like any other: a config trained before is a cache hit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from dl_core import jobs
from dl_core.jobs import JobStatus
from ui.errors import shown_errors
from ui.jobs import load_result, submit
from ui.text import md_escape


@dataclass
class Runs:
    """The jobs of a comparison, by name: their statuses and the finished ones' results."""

    statuses: dict[str, JobStatus | None]
    results: dict[str, jobs.Result]

    @property
    def all_done(self) -> bool:
        return bool(self.statuses) and len(self.results) == len(self.statuses)

    @property
    def busy(self) -> bool:
        return any(s is not None and s.active for s in self.statuses.values())


def find_runs(train: Callable, configs: Mapping[str, Any], data_fp: str | None = None) -> Runs:
    """The existing jobs of ``configs`` (``None`` where never submitted) and loaded results."""
    statuses = {name: jobs.find(train, cfg, data_fp) for name, cfg in configs.items()}
    results = {
        name: load_result(s.key)
        for name, s in statuses.items()
        if s is not None and s.state == "done"
    }
    return Runs(statuses, results)


def train_and_compare(
    train: Callable,
    configs: Mapping[str, Any],
    data_fp: str | None = None,
    *,
    button: str = "Train all",
    key: str | None = None,
    job_label: str | Callable[[str], str] = "",
    validate: Callable[[Any], list[str]] | None = None,
    offer: bool = True,
    disabled: bool = False,
    lock: bool = False,
    type: str = "secondary",
    icon: str = ":material/compare_arrows:",
) -> Runs:
    """A button that submits ``train(cfg)`` for every config; then :func:`find_runs`.

    Args:
        configs: the configs to compare, by a name the page shows.
        job_label: the label of each job in the jobs list (a function of the name, or one
            text for all).
        validate: checks each config before anything is submitted; a ``ConfigError`` is
            shown as one sentence, warnings as warnings (each once).
        offer: ``False`` hides the button (e.g. no data yet); existing runs are still found.
        disabled: shows the button greyed out; ``lock`` also while any of the jobs runs.
    """
    runs = find_runs(train, configs, data_fp)
    disabled = disabled or (lock and runs.busy)
    if offer and st.button(button, key=key, type=type, icon=icon, disabled=disabled):
        with shown_errors():
            warnings: list[str] = []
            for cfg in configs.values():
                if validate is not None:
                    warnings += [w for w in validate(cfg) if w not in warnings]
            for name, cfg in configs.items():
                label = job_label(name) if callable(job_label) else job_label
                submit(train, cfg, data_fp, label=label)  # as this visitor
            for w in warnings:
                st.warning(md_escape(w))
            runs = find_runs(train, configs, data_fp)
    return runs
