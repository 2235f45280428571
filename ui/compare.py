"""Train several configs and compare them: one button, one job per config, their results.

The pages that put models side by side (optimizers on the basics page, three ways of
transfer learning, three recurrent cells) all do the same thing::

    runs = train_and_compare(tg.train, {"lstm": cfg_a, "gru": cfg_b}, data_fp,
                             button="Train both", key="textgen.compare")
    for name, status in runs.statuses.items():
        ui.jobs.progress(status)
    if runs.all_done:
        show_figure(st, plot_curves({n: r["history"] for n, r in runs.results.items()}))

Jobs are shared and cached like any other: a config trained before is a cache hit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from dl_core import jobs
from dl_core.jobs import JobStatus
from ui.errors import shown_errors
from ui.jobs import load_result, progress, submit, train_panel
from ui.state import UrlState
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


# -- A/B: one setting changed, two runs side by side ---------------------------------------
SAME_CONFIG = (
    "Both runs would have exactly the same settings: choose a second value of {label} that "
    "differs from the first run's ({value})."
)


@dataclass(frozen=True)
class AB:
    """Two configs that differ in one field: run A (the page's settings) and run B."""

    field: str
    label: str
    a: Any
    b: Any

    @property
    def names(self) -> tuple[str, str]:
        va, vb = getattr(self.a, self.field), getattr(self.b, self.field)
        return f"A · {self.label} = {va}", f"B · {self.label} = {vb}"

    @property
    def configs(self) -> dict[str, Any]:
        return dict(zip(self.names, (self.a, self.b), strict=True))


def _other(value: Any, spec: list | tuple) -> Any:
    """A second value that differs from ``value`` (the next option, or one step away)."""
    if isinstance(spec, list):
        if value in spec and len(spec) > 1:
            return spec[(spec.index(value) + 1) % len(spec)]
        return spec[0]
    lo, hi, step = spec
    up = round(value + step, 10)  # no 0.30000000000000004 from a float step
    return up if up <= hi else round(value - step, 10)


def ab_configs(
    url: UrlState,
    cfg: Any,
    choices: Sequence[tuple[str, str, list | tuple]],
    *,
    name: str = "ab",
    toggle: bool = True,
) -> AB | None:
    """The compare controls: a toggle, the setting to change and its second value.

    Run A is ``cfg`` (the page's own controls, already in the URL); run B is ``cfg`` with
    one field changed. The URL keeps the toggle (``ab=1``), the field (``ab_field``) and the
    second value (``ab_<field>``), so a shared link reopens the same comparison.

    Args:
        choices: ``(label, field, spec)`` per field the visitor may change; ``spec`` is a
            list of options or ``(min, max, step)``.

    Returns:
        ``None`` when compare mode is off, or when both configs would be identical (said
        in one sentence).

    ``toggle=False`` leaves the toggle out (a page section that is all about comparing).
    """
    if toggle and not url(st.toggle, "Compare two runs", name, False, help=md_escape(COMPARE_HELP)):
        return None
    by_label = {label: (field, spec) for label, field, spec in choices}
    left, right = st.columns(2)
    label = url(
        left.selectbox,
        "Setting to change",
        f"{name}_field",
        next(iter(by_label)),
        options=list(by_label),
    )
    field, spec = by_label[label]
    for _, other, _ in choices:  # a link carries only the second value that is in use
        if other != field:
            url.drop_param(f"{name}_{other}")
    first = getattr(cfg, field)
    wanted = f"Run B: {label}"
    if isinstance(spec, list):
        numbers = all(isinstance(v, (int, float)) for v in spec)
        widget = right.select_slider if numbers else right.selectbox
        value = url(widget, md_escape(wanted), f"{name}_{field}", _other(first, spec), options=spec)
    else:
        lo, hi, step = spec
        value = url(
            right.number_input,
            md_escape(wanted),
            f"{name}_{field}",
            _other(first, spec),
            min_value=lo,
            max_value=hi,
            step=step,
        )
    b = dataclasses.replace(cfg, **{field: value})
    if b == cfg:
        st.info(md_escape(SAME_CONFIG.format(label=label, value=first)), icon=":material/block:")
        return None
    return AB(field, label, cfg, b)


COMPARE_HELP = (
    "Train a second run that differs from these settings in one setting only (same seed, "
    "same data) and see both side by side, kept in step."
)


def panes(ab: AB, runs: Runs) -> list[tuple[Any, str, jobs.Result]]:
    """Two side-by-side columns, each headed by its run: ``[(column, name, result), ...]``
    for the runs that have finished (a page draws the same views into each)."""
    out = []
    for col, run_name in zip(st.columns(2), ab.names, strict=True):
        col.markdown(f"**{md_escape(run_name)}**")
        if run_name in runs.results:
            out.append((col, run_name, runs.results[run_name]))
    return out


def ab_progress(ab: AB, runs: Runs, progress: Callable[[JobStatus | None], Any]) -> None:
    """Each run's job panel in its own column under its name (``progress`` is
    ``ui.jobs.progress`` with the page's metrics); a run with no job says so."""
    runs_progress(runs, progress, named=True)


def runs_progress(
    runs: Runs, progress: Callable[[JobStatus | None], Any], named: bool = False
) -> None:
    """Each run's job panel in its own column, in the order of ``runs``. ``named``: each column
    headed by its run's name, and a run with no job says so; otherwise the panels only."""
    for col, (run_name, status) in zip(
        st.columns(len(runs.statuses)), runs.statuses.items(), strict=True
    ):
        with col:
            if named:
                st.markdown(f"**{md_escape(run_name)}**")
                if status is None:
                    st.caption("Not trained yet: press Train both.")
                    continue
            progress(status)


def train_both(
    ab: AB,
    train: Callable,
    data_fp: str | None = None,
    *,
    key: str,
    job_label: str,
    metrics: Sequence[str],
    validate: Callable[[Any], list[str]] | None = None,
) -> Runs:
    """A page's A/B pair: the "Train both" button (both configs checked with ``validate``
    first; locked while either job runs; jobs labelled ``"<job_label> · <run name>"``), then
    each run's job panel in its column, plotting ``metrics``. The runs found."""
    runs = train_and_compare(
        train,
        ab.configs,
        data_fp,
        button="Train both",
        key=key,
        job_label=lambda name: f"{job_label} · {name}",
        validate=validate,
        lock=True,
    )
    ab_progress(ab, runs, lambda status: progress(status, metrics=metrics))
    return runs


def train_one_or_both(
    ab: AB | None,
    train: Callable,
    cfg: Any,
    data_fp: str | None = None,
    *,
    key: str,
    ab_key: str,
    job_label: str,
    ab_label: str,
    metrics: Sequence[str],
    validate: Callable[[Any], list[str]] | None = None,
    preview: Callable[[Any], None] | None = None,
) -> tuple[JobStatus | None, Runs | None]:
    """A training page's Train panel: ``cfg``'s Train button (``key``, job ``job_label``) and
    its job panel (plotting ``metrics``, ``preview`` for the epoch previews) as
    ``(status, None)``; or, in compare mode (``ab``), both runs' (:func:`train_both` with
    ``ab_key`` and ``ab_label``) as ``(None, runs)``."""
    if ab is not None:
        both = train_both(
            ab, train, data_fp, key=ab_key, job_label=ab_label, metrics=metrics, validate=validate
        )
        return None, both
    status = train_panel(
        train, cfg, data_fp, job_label=job_label, key=key, metrics=metrics, preview=preview
    )
    return status, None
