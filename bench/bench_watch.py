"""Watching a job: CPU seconds one live progress-panel refresh costs the server.

    python -m bench watch

A job with a long history (``BENCH_WATCH_EVENTS`` batch events, default 3,000, an epoch event
every 60 of them, each with a preview array) is left "running"; one new batch event arrives
before every refresh, and a new epoch with a preview before every 10th. The panel
(``ui.jobs._panel``, what the ``st.fragment`` runs every second) is run in an AppTest script
and its CPU time measured with ``time.thread_time`` in the script thread, two ways:

- **incremental** (the live panel): reads the events after the last one seen, rebuilds the
  curves and the preview only when a new epoch or preview arrived, else replays them;
- **full redraw** (the panel before issue 25): reads every event, rebuilds both each time.

Target: ≤ 0.02 CPU-s per incremental refresh (median).
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time

import numpy as np

from bench.common import report

REFRESHES = int(os.environ.get("BENCH_WATCH_REFRESHES", 40))


def _script():
    import os
    import time

    import numpy as np
    import plotly.graph_objects as go
    import streamlit as st

    from ui import jobs as ui_jobs

    def preview(arr):  # like the basics page: a decision-boundary heatmap
        fig = go.Figure(go.Heatmap(z=np.outer(arr, arr)[:60, :60], showscale=False))
        st.plotly_chart(fig.update_layout(height=360))

    key = os.environ["BENCH_WATCH_KEY"]
    full = os.environ.get("BENCH_WATCH_FULL") == "1"
    if full:
        ui_jobs._draw_curves.clear()
        ui_jobs._draw_preview.clear()
    t0 = time.thread_time()
    ui_jobs._panel(key, ("loss", "val_loss"), preview, live=not full)
    st.session_state.setdefault("costs", []).append(time.thread_time() - t0)


def _event(con, key: str, seq: int, kind: str, epoch: int | None, home: str) -> None:
    preview = None
    if kind == "epoch":
        folder = os.path.join(home, "progress", key)
        os.makedirs(folder, exist_ok=True)
        preview = f"{seq}.npy"
        np.save(os.path.join(folder, preview), np.linspace(0, 1, 60) * seq)
    metrics = {"loss": 1.0 / seq, "val_loss": 1.2 / seq}
    con.execute(
        "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?)",
        (key, seq, time.time(), kind, seq, epoch, 100_000, json.dumps(metrics), None, preview),
    )


def measure(full: bool, n_events: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    from dl_core import jobs, testing
    from dl_core.jobs.db import _connect

    home = tempfile.mkdtemp(prefix="dl-bench-watch-")
    os.environ["DL_EXPLORER_HOME"] = home

    class Paused(jobs.Executor):
        def wake(self, key):
            pass

    jobs.set_executor(Paused())
    key = jobs.submit(testing.train, testing.Config(steps=n_events), label="watched")
    seq = 0
    with _connect() as con:
        sql = "UPDATE jobs SET state='running', started=?, worker_pid=1 WHERE key=?"
        con.execute(sql, (time.time(), key))
        con.execute("BEGIN")
        for seq in range(1, n_events + 1):
            epoch = seq // 60 if seq % 60 == 0 else None
            _event(con, key, seq, "epoch" if epoch else "batch", epoch, home)
        con.execute("COMMIT")
    os.environ["BENCH_WATCH_KEY"] = key
    os.environ["BENCH_WATCH_FULL"] = "1" if full else "0"
    at = AppTest.from_function(_script, default_timeout=120)
    at.run()  # the first look reads everything: not a refresh
    for i in range(REFRESHES):
        seq += 1
        with _connect() as con:
            epoch = seq // 60 + 1 if i % 10 == 9 else None
            _event(con, key, seq, "epoch" if epoch else "batch", epoch, home)
        at.run()
        assert not at.exception, at.exception
    jobs.set_executor(None)
    return at.session_state["costs"][1:]


def main() -> None:
    n = int(os.environ.get("BENCH_WATCH_EVENTS", 3000))
    figures: dict[str, object] = {"events in the job's history": n, "refreshes": REFRESHES}
    for name, full in (("incremental", False), ("full redraw", True)):
        costs = measure(full, n)
        figures[f"{name}: median CPU-s per refresh"] = statistics.median(costs)
        figures[f"{name}: p90 CPU-s per refresh"] = float(np.percentile(costs, 90))
        figures[f"{name}: max CPU-s per refresh"] = max(costs)
    figures["target: median incremental ≤ 0.02 CPU-s"] = (
        "met" if figures["incremental: median CPU-s per refresh"] <= 0.02 else "missed"
    )
    report("watch", figures)


if __name__ == "__main__":
    main()
