"""Job progress on a page: status, progress bar, live curves, Stop; results when done.

A page computes the job key from its controls, so a refreshed page (or a shared link)
finds the same job again::

    status = ui.jobs.train_panel(cnn.train, cfg, data_fp, metrics=("loss", "val_loss"))
    if status and status.state == "done":
        result = ui.jobs.load_result(status.key)

:func:`train_panel` is the Train button (:func:`train_button`, submit on click) and the
job's panel (:func:`progress`) in one fragment: a click reruns only that fragment, so the
queue position shows at once however many pages the server is running.

The panel refreshes itself once a second while the job is queued or running (an
``st.fragment``), and reruns the whole page once when the job ends. A refresh reads only
the events it has not seen (kept per session in a bounded :class:`_Watch`), and the curves
and the preview are rebuilt only when a new epoch or preview arrived: otherwise Streamlit
replays the elements it drew last time (``st.cache_data`` element replay).

A result that cannot be loaded (evicted, missing or damaged files) never raises on a page:
:func:`load_result` forgets it and reruns, and the page offers Train again with a sentence.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dl_core import jobs
from dl_core.errors import UserError
from dl_core.jobs import Event, JobStatus, estimate, limits
from ui import visitor
from ui.errors import shown_errors
from ui.figures import show_figure
from ui.text import md_escape

STATE_ICONS = {
    "queued": ":material/hourglass_top:",
    "running": ":material/sync:",
    "done": ":material/check_circle:",
    "failed": ":material/error:",
    "cancelled": ":material/cancel:",
    "evicted": ":material/delete_sweep:",
}
MAX_EPOCH_EVENTS = 5000  # a watch keeps at most this many epoch events (curves) ...
MAX_RECENT_EVENTS = 500  # ... and this many of the latest events of any kind
_APP_RERUN = "_job_app_rerun"  # jobs a Train fragment submitted: the whole page reruns once


def train_button(
    train: Callable,
    cfg: Any,
    data_fp: str | None = None,
    *,
    label: str = "Train",
    job_label: str = "",
    key: str | None = None,
    type: str = "primary",
    container=None,
) -> JobStatus | None:
    """A button that submits ``train(cfg)``; returns the job's status (existing or new).

    Before a new job, a caption says how long it should train and how long it would wait
    in the queue (estimates from this server's past runs). A refusal (a public-demo cap,
    too many jobs of this visitor) is shown as one sentence.
    """
    return _train_button(
        train, cfg, data_fp, label=label, job_label=job_label, key=key, type=type, where=container
    )[0]


def _train_button(
    train: Callable,
    cfg: Any,
    data_fp: str | None,
    *,
    label: str,
    job_label: str,
    key: str | None,
    type: str,
    where=None,
) -> tuple[JobStatus | None, bool]:
    """:func:`train_button`, and whether this run submitted a job."""
    where = where or st
    status = jobs.status(jobs.job_key(train, cfg, data_fp), with_events=False)
    busy = status is not None and status.active
    done = status is not None and status.state == "done"
    text = label if not done else f"{label} (cached result shown)"
    clicked = where.button(
        text, type=type, disabled=busy or done, key=key, icon=":material/play_arrow:"
    )
    submitted = False
    if clicked and (k := submit(train, cfg, data_fp, label=job_label, container=where)):
        status, submitted = jobs.status(k), True
        busy = status is not None and status.active
    if not busy and not done:
        where.caption(md_escape(estimate_line(jobs.estimate_for(train, cfg))))
    return status, submitted


def train_panel(
    train: Callable,
    cfg: Any,
    data_fp: str | None = None,
    *,
    label: str = "Train",
    job_label: str = "",
    key: str | None = None,
    type: str = "primary",
    metrics: Sequence[str] | None = None,
    preview: Callable[[np.ndarray], None] | None = None,
) -> JobStatus | None:
    """:func:`train_button` then :func:`progress` for its job, as one fragment; the job's
    status as of this run (``None`` when there is none, or it was refused).

    Pressing Train reruns only this fragment, not the whole page: the visitor sees the
    job's queue position and estimate as soon as it is queued, even while a class's worth
    of pages run at once (every session's script shares one interpreter). The rest of the
    page follows when the job starts (a rerun of the whole page), as it does when the job
    ends; while the job waits in the queue, it still shows what it showed before the click.
    """
    return _train_fragment(
        train,
        cfg,
        data_fp,
        label,
        job_label,
        key,
        type,
        tuple(metrics) if metrics else None,
        preview,
    )


@st.fragment
def _train_fragment(
    train: Callable,
    cfg: Any,
    data_fp: str | None,
    label: str,
    job_label: str,
    key: str | None,
    type: str,
    metrics: Sequence[str] | None,
    preview: Callable[[np.ndarray], None] | None,
) -> JobStatus | None:
    shown = None
    with shown_errors():  # (a fragment's own rerun is outside the page's handlers)
        status, submitted = _train_button(
            train, cfg, data_fp, label=label, job_label=job_label, key=key, type=type
        )
        shown = progress(status, metrics=metrics, preview=preview)
        if submitted and shown is not None and shown.active and _fragment_run():
            # The page around this fragment still shows the idle job: the live panel reruns
            # the whole page when the job starts (not now: a new run would drop the panel's
            # lines before they reach the browser; nor while it is queued: after a class's
            # rush, each page reruns in its turn, not all at once).
            st.session_state.setdefault(_APP_RERUN, set()).add(shown.key)
    return shown


def _fragment_run() -> bool:
    """Whether this is a fragment's own rerun (not the whole page's)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def submit(
    train: Callable, cfg: Any, data_fp: str | None = None, *, label: str = "", container=None
) -> str | None:
    """Submit a job for this visitor; a refusal is shown as one sentence (returns None)."""
    try:
        return jobs.submit(train, cfg, data_fp, label=label, visitor=visitor.visitor_id())
    except UserError as err:
        (container or st).error(md_escape(str(err)), icon=":material/block:")
        return None


def estimate_line(w: estimate.Wait) -> str:
    """'Trains in about 40 s · starts at once' / '... · 3 jobs ahead, starts in about 2 min'."""
    start = (
        "starts at once"
        if w.ahead == 0 or w.wait_s < 1
        else f"{w.ahead} job(s) ahead, starts in {estimate.say(w.wait_s)}"
    )
    return f"Trains in {estimate.say(w.train_s)} · {start}"


def can_stop(status: JobStatus) -> bool:
    """This visitor asked for the job, or this session is the operator.

    A job nobody asked for from a browser (the CLI, ``warmup``) can be stopped from a page
    only on a private install.
    """
    if visitor.is_operator() or visitor.visitor_id() in status.requesters:
        return True
    return not status.requesters and not limits.public()


def stop(status: JobStatus) -> bool:
    """Withdraw this visitor's request (the operator stops it outright); True if it stops."""
    return jobs.cancel(status.key, visitor.visitor_id(), operator=visitor.is_operator())


def describe(status: JobStatus) -> str:
    """One line: state, progress, time."""
    parts = [status.state]
    if status.state == "queued" and status.queue_position is not None:
        n = status.queue_position
        parts.append(f"{n} job{'s' if n != 1 else ''} ahead" if n else "starting now")
        if status.wait_s is not None and n:
            parts.append(f"starts in {estimate.say(status.wait_s)}")
        if status.train_s is not None:
            parts.append(f"trains in {estimate.say(status.train_s)}")
    if status.state == "running" and status.worker_pid is None and not status.events:
        parts.append("starting a worker")
    if status.stopping:
        parts[0] = "stopping…"
    latest = status.latest
    if status.state == "running" and latest is None and status.worker_pid is not None:
        parts.append("starting…")  # the worker is importing the topic's libraries
    elif status.state == "running" and latest is not None:
        if status.phase:  # the phase it is in, even while its batches report only numbers
            parts.append(status.phase)
        if latest.epoch is not None and latest.total:
            parts.append(f"epoch {latest.epoch}/{latest.total}")
        elif latest.step is not None and latest.total:
            parts.append(f"step {latest.step}/{latest.total}")
    if status.duration is not None:  # from the job's start, so it ticks between events
        parts.append(
            f"{status.duration:.0f} s elapsed" if status.active else f"{status.duration:.1f} s"
        )
    return " · ".join(parts)


def metric_frame(status: JobStatus, names: Sequence[str] | None = None) -> pd.DataFrame:
    """Epoch metrics as a long table (epoch, metric, value) for a curve."""
    rows = []
    for e in status.epochs():
        for k, v in e.metrics.items():
            if names is None or k in names:
                rows.append({"epoch": e.epoch, "metric": k, "value": v})
    return pd.DataFrame(rows, columns=["epoch", "metric", "value"])


def curves_figure(
    status: JobStatus, names: Sequence[str] | None = None, title: str = ""
) -> go.Figure:
    """Live learning curves from the job's epoch events (batch events when no epoch yet)."""
    fig = go.Figure()
    frame = metric_frame(status, names)
    if frame.empty:
        batches = [e for e in status.events if e.kind == "batch"]
        for name in sorted({k for e in batches for k in e.metrics} & set(names or [])) or []:
            xs = [e.step for e in batches if name in e.metrics]
            ys = [e.metrics[name] for e in batches if name in e.metrics]
            fig.add_scatter(x=xs, y=ys, mode="lines", name=name)
        fig.update_xaxes(title="step")
    else:
        for name, part in frame.groupby("metric", sort=False):
            fig.add_scatter(x=part["epoch"], y=part["value"], mode="lines+markers", name=name)
        fig.update_xaxes(title="epoch")
    fig.update_layout(
        title=title or None,
        height=260,
        margin=dict(l=10, r=10, t=30 if title else 10, b=10),
        legend=dict(orientation="h", y=-0.3),
    )
    return fig


@dataclasses.dataclass
class _Watch:
    """What one session already read of one job's events (bounded)."""

    run: tuple = ()  # (submitted, started): a resubmitted or requeued job starts a new watch
    last_seq: int = 0
    epochs: list[Event] = dataclasses.field(default_factory=list)
    recent: collections.deque = dataclasses.field(
        default_factory=lambda: collections.deque(maxlen=MAX_RECENT_EVENTS)
    )
    preview_seq: int = 0  # the latest event that carried a preview

    def add(self, events: Sequence[Event]) -> None:
        for e in events:
            self.last_seq = max(self.last_seq, e.seq)
            self.recent.append(e)
            if e.kind == "epoch" and len(self.epochs) < MAX_EPOCH_EVENTS:
                self.epochs.append(e)
            if e.preview:
                self.preview_seq = e.seq

    def view(self, status: JobStatus) -> JobStatus:
        """``status`` with the events the panel needs (epochs, then the latest ones)."""
        seen = {e.seq for e in self.epochs}
        tail = [e for e in self.recent if e.seq not in seen]
        return dataclasses.replace(status, events=sorted([*self.epochs, *tail], key=_seq))


def _seq(e: Event) -> int:
    return e.seq


def watched_status(key: str) -> JobStatus | None:
    """The job's status with its events, reading from the database only the new ones."""
    watches = st.session_state.setdefault("_job_watch", {})
    w = watches.get(key)
    new = jobs.status(key, since=w.last_seq if w else 0)
    if new is None:
        return None
    if w is not None and (w.run != (new.created, new.started) or not new.active):
        w, new = None, jobs.status(key)  # a resubmitted job, or the end: read everything once
        if new is None:
            return None
    if w is None:
        w = _Watch(run=(new.created, new.started))
    w.add(new.events)
    if new.active:
        while len(watches) >= 8 and key not in watches:  # a session watches a few jobs
            watches.pop(next(iter(watches)))
        watches[key] = w
    else:
        watches.pop(key, None)
    return w.view(new)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _draw_curves(key: str, n: int, last_seq: int, metrics: Sequence[str] | None, _st) -> None:
    """The learning curves; replayed without rebuilding while no new epoch arrived."""
    show_figure(st, curves_figure(_st, metrics), key=f"curve-{key}-{n}")


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _draw_preview(key: str, seq: int, session: str, _preview, _arr) -> None:
    """The page's preview of the latest progress array, replayed until a new one arrives."""
    _preview(_arr)


def _session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def _panel(
    key: str,
    metrics: Sequence[str] | None,
    preview: Callable[[np.ndarray], None] | None,
    live: bool = False,
    status: JobStatus | None = None,
) -> None:
    if status is None:
        status = watched_status(key) if live else jobs.status(key)
    if status is None:
        return
    seen = st.session_state.setdefault("_job_states", {})
    was = seen.get(key)
    seen[key] = status.state
    st.markdown(
        f"{STATE_ICONS.get(status.state, '')} **{md_escape(status.label or 'Job')}** — "
        + md_escape(describe(status))
    )
    if status.active:
        st.progress(status.fraction())
        if status.stopping:
            st.caption("Stopping… the job ends at its next progress report (a few seconds).")
        elif can_stop(status) and st.button("Stop", key=f"stop-{key}", icon=":material/stop:"):
            if not stop(status):
                st.toast("Your request is withdrawn; another visitor still wants this job.")
            st.rerun()
    if status.state == "failed" and status.error:
        st.error(md_escape(status.error), icon=":material/error:")
    if status.state == "cancelled":
        st.info("Stopped. Press Train to start again.", icon=":material/cancel:")
    if status.state == "evicted":
        st.info(md_escape(status.error or jobs.EVICTED_MSG), icon=":material/delete_sweep:")
    if status.events and status.state not in ("done", "evicted"):
        latest = status.latest
        if latest is not None and latest.metrics:
            shown_metrics = [
                f"{k} {v:.4g}" for k, v in latest.metrics.items() if not metrics or k in metrics
            ]
            st.caption(md_escape(" · ".join(shown_metrics)))
        epochs = status.epochs()
        if epochs:
            _draw_curves(key, len(epochs), epochs[-1].seq, metrics, status)
        if preview is not None:
            shown = [e for e in status.events if e.preview]
            if shown and (arr := jobs.preview(key, shown[-1])) is not None:
                _draw_preview(key, shown[-1].seq, _session_id(), preview, arr)
    if live and was in jobs.ACTIVE and not status.active:
        st.session_state.get(_APP_RERUN, set()).discard(key)
        st.rerun(scope="app")  # draw the results with the whole page
    if live and status.state != "queued" and key in st.session_state.get(_APP_RERUN, ()):
        st.session_state[_APP_RERUN].discard(key)  # submitted by a Train fragment's own run
        st.rerun(scope="app")  # the whole page shows the running job (as a click used to)


@st.fragment(run_every=1.0)
def _live_panel(
    key: str, metrics: Sequence[str] | None, preview: Callable[[np.ndarray], None] | None
) -> None:
    _panel(key, metrics, preview, live=True)


def progress(
    status_or_key: JobStatus | str | None,
    metrics: Sequence[str] | None = None,
    preview: Callable[[np.ndarray], None] | None = None,
) -> JobStatus | None:
    """Draw a job's panel (live while it runs); return its status as of this run."""
    if status_or_key is None:
        return None
    key = status_or_key if isinstance(status_or_key, str) else status_or_key.key
    status = jobs.status(key)
    if status is None:
        return None
    if status.active:
        _live_panel(key, tuple(metrics) if metrics else None, preview)
    else:
        _panel(key, tuple(metrics) if metrics else None, preview, status=status)
    return status


def finished(
    train: Callable, cfg: Any, data_fp: str | None = None
) -> tuple[JobStatus, jobs.Result] | tuple[None, None]:
    """The finished job that trained ``cfg`` (on ``data_fp``) and its result (loaded once per
    server, see :func:`load_result`), or ``(None, None)`` while there is none: what a page
    uses a section away from the job's Train panel (a download, another view of the model).
    """
    status = jobs.find(train, cfg, data_fp)
    if status is None or status.state != "done":
        return None, None
    return status, load_result(status.key)


@st.cache_resource(max_entries=16, show_spinner=False)
def _load_result(key: str) -> jobs.Result:
    return jobs.result(key)


def load_result(key: str) -> jobs.Result:
    """A finished job's result, loaded once per server process.

    If it cannot be loaded (evicted meanwhile, a missing or damaged file), the job is
    forgotten (:func:`dl_core.jobs.result` marks it) and the page reruns: its panel then
    says why in one sentence and Train is enabled again. Never raises on a page.
    """
    retried = st.session_state.setdefault("_result_retried", set())
    try:
        res = _load_result(key)
        if not res.store.exists(key):  # evicted since this process loaded it
            raise KeyError(key)
    except Exception:  # noqa: BLE001 - any unreadable result: say so, offer Train again
        _load_result.clear(key)
        now = jobs.status(key, with_events=False)  # marks a result that is gone
        if key in retried or now is None or now.state == "done":
            # Already reran once for it (or it cannot be marked): say so and stop the page here.
            retried.discard(key)
            st.info(md_escape(now.error if now and now.error else jobs.UNREADABLE_MSG))
            st.stop()
        retried.add(key)
        st.rerun(scope="app")  # the page draws again: its panel says why, Train is enabled
    retried.discard(key)
    return res
