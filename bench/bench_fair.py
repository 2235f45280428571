"""The shared demo's queue under a rush: start order, estimate error, time to a position.

    python -m bench fair

Five visitors each ask for two real tiny Keras trainings (``dl_core.testing.train_mlp``,
2 to 6 epochs) within a moment, visitor A first with both of its jobs. One worker process
runs them. Printed:

- the order in which jobs started, and whether any visitor's second job started before
  every other visitor's first (target: never);
- the median |estimated − actual| / actual of the training time and of the wait, where the
  estimate is what the page showed at submission (history: three earlier runs on this
  server), target ≤ 50 %;
- per visitor, the server-side seconds from pressing Train to a status with its queue
  position and estimate (``jobs.submit`` + ``jobs.status``), target ≤ 2 s (the browser's
  rerun comes on top; see ``bench load``).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

from bench.common import report

VISITORS = ["A", "B", "C", "D", "E"]


def main() -> None:
    os.environ["DL_EXPLORER_HOME"] = tempfile.mkdtemp(prefix="dl-bench-fair-")
    os.environ["DL_EXPLORER_EXECUTOR"] = "process"
    os.environ["DL_EXPLORER_MAX_JOBS_PER_VISITOR"] = "2"
    from dl_core import jobs, testing
    from dl_core.testing import Config

    jobs.set_executor(jobs.ProcessExecutor(workers=1))
    try:
        # History: three earlier runs on this server (what estimates are made from).
        for epochs in (2, 4, 6):
            jobs.wait(jobs.submit(testing.train_mlp, Config(epochs=epochs, samples=4096, seed=99)))

        asked: dict[str, dict] = {}
        t_rush = time.time()
        for visitor in VISITORS:
            for n in range(2):
                epochs = 2 + (VISITORS.index(visitor) + 2 * n) % 5
                cfg = Config(epochs=epochs, samples=4096, seed=10 * VISITORS.index(visitor) + n)
                t0 = time.perf_counter()
                key = jobs.submit(testing.train_mlp, cfg, visitor=visitor)
                st = jobs.status(key)
                seen = time.perf_counter() - t0
                asked[key] = {
                    "visitor": visitor,
                    "n": n,
                    "seen_s": seen,
                    "wait_est": st.wait_s if st.wait_s is not None else 0.0,
                    "train_est": st.train_s,
                    "t_submit": time.time(),
                }
        for key in asked:
            jobs.wait(key, timeout=900)
        rows = [(jobs.status(k, with_events=False), a) for k, a in asked.items()]
    finally:
        jobs.set_executor(None)

    finished = [(s, a) for s, a in rows if s.started is not None]
    finished.sort(key=lambda sa: sa[0].started)
    order = [f"{a['visitor']}{a['n'] + 1}" for _, a in finished]
    firsts_done = set()
    fair = True
    for _, a in finished:
        if a["n"] == 0:
            firsts_done.add(a["visitor"])
        elif firsts_done != set(VISITORS):
            fair = False
    train_err = [
        abs(a["train_est"] - (s.finished - s.started)) / (s.finished - s.started)
        for s, a in finished
        if a["train_est"]
    ]
    wait_err = [
        abs(a["wait_est"] - (s.started - a["t_submit"])) / max(1.0, s.started - a["t_submit"])
        for s, a in finished
    ]
    report(
        "fair",
        {
            "jobs (5 visitors x 2, one worker)": len(finished),
            "rush: all submitted within (s)": round(
                max(a["t_submit"] for a in asked.values()) - t_rush, 3
            ),
            "start order": " ".join(order),
            "no second job before every first (target: yes)": "yes" if fair else "NO",
            "training-time estimate: median |est-actual|/actual (target <= 0.5)": statistics.median(
                train_err
            ),
            "wait estimate: median |est-actual|/max(1 s, actual) (target <= 0.5)": (
                statistics.median(wait_err)
            ),
            "Train -> position + estimate, server side, worst of 10 (s) (target <= 2)": max(
                a["seen_s"] for a in asked.values()
            ),
            "baseline": "none: the old queue was first come, first served (A1 A2 B1 B2 ...)",
        },
    )


if __name__ == "__main__":
    main()
