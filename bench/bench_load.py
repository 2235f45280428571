"""Pages under load: does a training job starve the server? (``python -m bench load``)

A real ``streamlit run`` on loopback, visitors as Chromium (Playwright) contexts. Each visitor
opens Home, then the basics page, ``BENCH_LOAD_ROUNDS`` times (default 2); a page counts as
loaded when its title and its first figure (Home) or its Train button (basics) are drawn.
Figures, for 1, 10 and 20 visitors (``BENCH_LOAD_VISITORS``), with no job and with one job
training (basics ``default`` preset, restarted with a new seed whenever it ends, run by the
server's own worker pool):

- p50 / p95 page-load seconds, and the ratio of p95 with the job to p95 without (target <= 1.5);
- p95 at 10 and 20 visitors against p95 at 1, all with the job training (target <= 2 at 20);
- the job's throughput (batches/s, from its progress events) while visitors load pages;
- the load average (1 min) after each phase: the machine may be shared;
- the server's RSS after the warm-up visit and after all phases (``python -m bench memory``
  measures it over 100 sequential page loads);
- the server's own CPU seconds per page load (user + sys of the ``streamlit run`` process,
  from ``/proc``): the visitors' Chromium shares this machine's cores, so the seconds a
  visitor waits grow with the number of visitors for a reason a real class would not have.

The train rush (``BENCH_LOAD_RUSH`` visitors, default 10; 0 skips it): on a fresh server, each
visitor opens the basics page with its own tiny config (a different seed), waits until the
page has finished running, and all press **Train** within a moment. Printed: the seconds
from each click until that visitor's page shows its job's queue position and estimate
("N jobs ahead … trains in …") or the job running (target <= 2 s), the order in which the
jobs started, and the estimate error: the median |estimated - actual| / actual of the
training time shown at submission, and of the last one shown before the job started. The
actual times are printed too: a loaded machine slows the niced worker (see the load).

This runs once per worker-limit setting in ``BENCH_LOAD_LIMITS`` (default ``on,off``): ``on``
is the default ``DL_EXPLORER_WORKER_*`` settings, ``off`` is ``DL_EXPLORER_WORKER_NICE=0``
and ``DL_EXPLORER_WORKER_THREADS=0`` (TensorFlow takes every core, as before the limits).
The job's own slowdown from the limits is measured first, without a server or visitors: the
same job alone, limits on vs off, alternating (``BENCH_LOAD_JOB_ROUNDS``, default 2).
Parts can be skipped: ``BENCH_LOAD_JOB_ROUNDS=0``, ``BENCH_LOAD_LIMITS=`` (no page phases),
``BENCH_LOAD_NO_JOB=0`` (only the page phases with a job), ``BENCH_LOAD_RUSH=0``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import statistics
import tempfile
import threading
import time
from typing import Any

from bench.bench_memory import server_rss
from bench.common import report

LIMITS_OFF = {"DL_EXPLORER_WORKER_NICE": "0", "DL_EXPLORER_WORKER_THREADS": "0"}
PAGES = {"home": "/", "basics": "/basics"}
NO_JOB_PHASES = os.environ.get("BENCH_LOAD_NO_JOB", "1") != "0"  # 0: only phases with a job


def _env_for(limits: str) -> dict[str, str]:
    return LIMITS_OFF if limits == "off" else {}


def _job_cfg(seed: int):
    from dl_core import basics

    return dataclasses.replace(basics.PRESETS["default"], seed=seed)


def _rate(key: str) -> tuple[float, float, int] | None:
    """(first t, last t, batches between) from a job's persisted batch events."""
    from dl_core import jobs

    st = jobs.status(key)
    pts = [(e.t, e.step) for e in st.events if e.kind == "batch" and e.step]
    if len(pts) < 2:
        return None
    return pts[0][0], pts[-1][0], pts[-1][1] - pts[0][1]


# -- the job alone: limits on vs off -------------------------------------------------------
def job_alone(rounds: int) -> dict[str, Any]:
    from dl_core import basics, jobs

    walls: dict[str, list[float]] = {"on": [], "off": []}
    rates: dict[str, list[float]] = {"on": [], "off": []}
    seed = 100
    for r in range(rounds):
        for limits in ("on", "off") if r % 2 == 0 else ("off", "on"):
            saved = {k: os.environ.get(k) for k in LIMITS_OFF}
            os.environ.update(_env_for(limits))
            try:
                jobs.set_executor(jobs.ProcessExecutor(workers=1))  # spawned with these settings
                warm = dataclasses.replace(basics.PRESETS["tiny"], seed=seed)
                jobs.wait(jobs.submit(basics.train, warm), timeout=600)  # a first job: traces
                seed += 1
                st = jobs.wait(jobs.submit(basics.train, _job_cfg(seed)), timeout=1200)
                assert st.state == "done", st.error
                walls[limits].append(st.finished - st.started)
                if (rate := _rate(st.key)) is not None and rate[1] > rate[0]:
                    rates[limits].append(rate[2] / (rate[1] - rate[0]))
            finally:
                jobs.set_executor(None)
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
    on, off = statistics.median(walls["on"]), statistics.median(walls["off"])
    out = {
        f"job alone: basics default, limits off (s, median of {rounds})": off,
        "job alone: same, limits on (s)": on,
        "job alone: throughput with limits / without (target >= 0.8)": off / on,
        "job alone: load average (1 min)": os.getloadavg()[0],
    }
    if rates["on"] and rates["off"]:
        out["job alone: batches/s limits off / on"] = (
            f"{statistics.median(rates['off']):.1f} / {statistics.median(rates['on']):.1f}"
        )
    return out


# -- visitors ----------------------------------------------------------------------------
async def _visitor(browser, base: str, rounds: int, times: dict[str, list[float]]) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    try:
        for _ in range(rounds):
            for name, path in PAGES.items():
                t0 = time.perf_counter()
                await page.goto(base + path, timeout=300_000, wait_until="commit")
                if name == "home":
                    await page.get_by_role("heading", name="DL Explorer").wait_for(timeout=300_000)
                    await page.locator(".js-plotly-plot").first.wait_for(timeout=300_000)
                else:
                    await page.get_by_role("heading", name="Neural-network basics").wait_for(
                        timeout=300_000
                    )
                    await page.get_by_role("button", name=re.compile(r"^Train")).first.wait_for(
                        timeout=300_000
                    )
                times[name].append(time.perf_counter() - t0)
    finally:
        await context.close()


async def _visitors(port: int, n: int, rounds: int) -> dict[str, list[float]]:
    from playwright.async_api import async_playwright

    from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS

    times: dict[str, list[float]] = {name: [] for name in PAGES}
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            base = f"http://127.0.0.1:{port}"
            await asyncio.gather(*(_visitor(browser, base, rounds, times) for _ in range(n)))
        finally:
            await browser.close()
    return times


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


class _KeepTraining:
    """Keeps one basics default job queued or running (the server's workers run it)."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _KeepTraining:
        self._thread.start()
        from dl_core import jobs

        deadline = time.time() + 300
        while time.time() < deadline:  # wait until it trains (its first batch event)
            if self.keys and any(e.kind == "batch" for e in jobs.status(self.keys[-1]).events):
                break
            time.sleep(0.2)
        return self

    def __exit__(self, *exc: Any) -> None:
        from dl_core import jobs

        self._stop.set()
        self._thread.join()
        for key in self.keys:
            jobs.cancel(key)

    def _run(self) -> None:
        from dl_core import basics, jobs

        seed = 1000
        while not self._stop.is_set():
            if not self.keys or not jobs.status(self.keys[-1], with_events=False).active:
                seed += 1
                self.keys.append(jobs.submit(basics.train, _job_cfg(seed)))
            self._stop.wait(0.5)

    def batches_per_s(self, t0: float, t1: float, wait_s: float = 60.0) -> float:
        """Batches per second over [t0, t1], from the jobs' persisted batch events.

        Batch events are written at most every half second, and fewer while the worker is
        starved, so a short window may hold fewer than two: each job's span also takes the
        last event before ``t0`` and the first after ``t1`` (waited for, at most ``wait_s``,
        while the job still runs), so the window always lies inside a measured span.
        """
        from dl_core import jobs

        deadline = time.time() + wait_s
        while time.time() < deadline:  # the events that close the window
            last = jobs.status(self.keys[-1]) if self.keys else None
            if (
                last is None
                or not last.active
                or any(e.kind == "batch" and e.t > t1 for e in last.events)
            ):
                break
            time.sleep(0.2)
        done, span = 0, 0.0
        for key in self.keys:
            pts = [(e.t, e.step) for e in jobs.status(key).events if e.kind == "batch" and e.step]
            if (rate := _span(pts, t0, t1)) is not None:
                done += rate[1]
                span += rate[0]
        return done / span if span else float("nan")


def _span(pts: list[tuple[float, int]], t0: float, t1: float) -> tuple[float, int] | None:
    """(seconds, batches) between the events that bracket [t0, t1]: the last at or before
    ``t0`` (else the first inside), the first at or after ``t1`` (else the last inside)."""
    before = [p for p in pts if p[0] <= t0]
    after = [p for p in pts if p[0] >= t1]
    inside = [p for p in pts if t0 < p[0] < t1]
    first = before[-1] if before else (inside or after or [None])[0]
    last = after[0] if after else (inside or before or [None])[-1]
    if first is None or last is None or last[0] <= first[0]:
        return None
    return last[0] - first[0], last[1] - first[1]


class _NoExecutor:
    """The bench process only queues jobs: the server's worker pool claims them."""

    def wake(self, key: str) -> None:
        pass

    def cancel(self, key: str) -> None:
        pass

    def shutdown(self) -> None:
        pass


def pages_under_load(limits: str, visitors: list[int], rounds: int) -> dict[str, Any]:
    from bench.bench_pages import cpu_seconds
    from dl_core import jobs
    from tests.browser.harness import free_port, start_server, wait_healthy

    home = tempfile.mkdtemp(prefix=f"dl-bench-load-{limits}-")
    os.environ["DL_EXPLORER_HOME"] = home
    saved = {k: os.environ.get(k) for k in LIMITS_OFF}
    os.environ.update(_env_for(limits))
    port = free_port()
    proc = start_server(port, home)
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    jobs.set_executor(_NoExecutor())  # type: ignore[arg-type]
    out: dict[str, Any] = {}
    try:
        wait_healthy(port)
        asyncio.run(_visitors(port, 1, 1))  # warm the server's caches
        rss0 = server_rss(proc.pid)
        p95_job: dict[int, dict[str, float]] = {}  # visitors -> page -> p95 with a job
        for n in visitors:
            p95: dict[str, float] = {}
            for job in (False, True) if NO_JOB_PHASES else (True,):
                tag = f"limits {limits}, {n} visitor{'s' if n > 1 else ''}, " + (
                    "one job training" if job else "no job"
                )
                cpu0 = cpu_seconds(proc.pid)
                if job:
                    with _KeepTraining() as keep:
                        t0 = time.time()
                        times = asyncio.run(_visitors(port, n, rounds))
                        rate = keep.batches_per_s(t0, time.time())
                    out[f"{tag}: job batches/s meanwhile"] = rate
                else:
                    times = asyncio.run(_visitors(port, n, rounds))
                loads = sum(len(v) for v in times.values())
                out[f"{tag}: server CPU-s per page load"] = (cpu_seconds(proc.pid) - cpu0) / loads
                for name, values in times.items():
                    out[f"{tag}: {name} p50 / p95 (s)"] = (
                        f"{_p(values, 0.5):.2f} / {_p(values, 0.95):.2f}"
                    )
                    if job:
                        if name in p95:
                            without = p95[name]
                            out[f"{tag}: {name} p95 with job / without"] = (
                                _p(values, 0.95) / without
                            )
                        p95_job.setdefault(n, {})[name] = _p(values, 0.95)
                    else:
                        p95[name] = _p(values, 0.95)
                out[f"{tag}: load average (1 min)"] = os.getloadavg()[0]
                _progress(out)
        # The issue's readiness target: p95 at n visitors <= 2x p95 at 1, both with a job.
        base = min(p95_job) if p95_job else None
        for n in [n for n in p95_job if n != base]:
            for name, value in p95_job[n].items():
                out[
                    f"limits {limits}, one job training: {name} p95 at {n} visitors / at {base}"
                ] = value / p95_job[base][name]
        # Server memory over every page view above (``python -m bench memory``: 100 loads).
        rss1 = server_rss(proc.pid)
        out[f"limits {limits}: server RSS after warm-up / at the end (MB)"] = (
            f"{rss0 / 1e6:.0f} / {rss1 / 1e6:.0f}"
        )
        out[f"limits {limits}: server RSS growth (%)"] = 100 * (rss1 - rss0) / rss0
        _progress(out)
    finally:
        jobs.set_executor(None)
        proc.terminate()
        proc.wait(30)
    return out


# -- the train rush ------------------------------------------------------------------------
RUSH_SEEN = re.compile(r"\d+ jobs? ahead|starting now|starting a worker|running|done")


async def _rush_visitor(browser, url: str, ready: asyncio.Barrier, out: list[float]) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    try:
        await page.goto(url, timeout=600_000)
        train = page.get_by_role("button", name=re.compile(r"^Train")).first
        await train.wait_for(timeout=600_000)
        await page.get_by_text(re.compile(r"^Trains in ")).first.wait_for(timeout=600_000)
        await _idle(page)  # the page has finished running (a visitor reads it, then clicks)
        await ready.wait()  # every visitor's page is ready: all press Train within a moment
        t0 = time.perf_counter()
        await train.click()
        await page.get_by_text(RUSH_SEEN).first.wait_for(timeout=600_000)
        out.append(time.perf_counter() - t0)
    finally:
        await context.close()


async def _idle(page, quiet_s: float = 1.0, limit_s: float = 600.0) -> None:
    """Until Streamlit's "running" indicator has been gone for ``quiet_s`` (bounded)."""
    deadline, since = time.monotonic() + limit_s, None
    while time.monotonic() < deadline:
        if await page.locator('[data-testid="stStatusWidget"]').count():
            since = None
        elif since is None:
            since = time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
        await asyncio.sleep(0.1)


async def _rush(port: int, n: int) -> list[float]:
    from playwright.async_api import async_playwright

    from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS

    seen: list[float] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            ready = asyncio.Barrier(n)
            urls = [f"http://127.0.0.1:{port}/basics?preset=tiny&seed={700 + i}" for i in range(n)]
            await asyncio.gather(*(_rush_visitor(browser, u, ready, seen) for u in urls))
        finally:
            await browser.close()
    return seen


class _Estimates(threading.Thread):
    """Each queued job's training estimate (what its visitor's page shows) while it waits:
    the first seen (``train_s``) and the last before it started (``last_s``: it may have
    learnt from the jobs that finished meanwhile)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.train_s: dict[str, float] = {}
        self.last_s: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        from dl_core import jobs

        while not self.stop.is_set():
            for job in jobs.list_jobs(limit=200):
                if job.state == "queued":
                    s = jobs.status(job.key, with_events=False)
                    if s is not None and s.state == "queued" and s.train_s:
                        self.train_s.setdefault(job.key, s.train_s)
                        self.last_s[job.key] = s.train_s
            self.stop.wait(0.2)


def train_rush(n: int) -> dict[str, Any]:
    """N visitors press Train on N different tiny configs at once, on a fresh server."""
    from dl_core import jobs
    from tests.browser.harness import free_port, start_server, wait_healthy

    home = tempfile.mkdtemp(prefix="dl-bench-rush-")
    os.environ["DL_EXPLORER_HOME"] = home
    port = free_port()
    proc = start_server(port, home)
    jobs.set_executor(_NoExecutor())  # type: ignore[arg-type]
    estimates = _Estimates()
    try:
        wait_healthy(port)
        asyncio.run(_visitors(port, 1, 1))  # warm the server's caches
        estimates.start()
        seen = asyncio.run(_rush(port, n))
        deadline = time.time() + 1800
        while time.time() < deadline and any(j.active for j in jobs.list_jobs(limit=200)):
            time.sleep(0.5)
        estimates.stop.set()
        estimates.join()
        done = sorted(jobs.list_jobs(limit=200), key=lambda j: j.started or float("inf"))
    finally:
        jobs.set_executor(None)
        proc.terminate()
        proc.wait(30)
    errors, last_errors = (
        [
            abs(seen[j.key] - (j.finished - j.started)) / (j.finished - j.started)
            for j in done
            if j.state == "done" and j.key in seen and j.started and j.finished
        ]
        for seen in (estimates.train_s, estimates.last_s)
    )
    actual = [j.finished - j.started for j in done if j.state == "done" and j.started]
    return {
        f"train rush, {n} visitors: seconds from Train to position + estimate (p50 / max)": (
            f"{_p(seen, 0.5):.2f} / {max(seen):.2f}"
        ),
        f"train rush, {n} visitors: within 2 s (target: all)": f"{sum(t <= 2 for t in seen)}/{n}",
        f"train rush, {n} visitors: jobs done": f"{sum(j.state == 'done' for j in done)}/{n}",
        "train rush: start order (config seeds)": " ".join(
            str(j.config.get("seed", "?")) if isinstance(j.config, dict) else "?" for j in done
        ),
        "train rush: median |estimated - actual| / actual training time (target <= 0.5)": (
            statistics.median(errors) if errors else float("nan")
        ),
        "train rush: the same, with the last estimate shown before the job started": (
            statistics.median(last_errors) if last_errors else float("nan")
        ),
        "train rush: jobs with an estimate seen while queued": f"{len(errors)}/{n}",
        "train rush: actual training seconds (min / median / max)": (
            f"{min(actual):.2f} / {statistics.median(actual):.2f} / {max(actual):.2f}"
            if actual
            else "none"
        ),
        "train rush: load average (1 min)": os.getloadavg()[0],
    }


def main() -> dict:
    os.environ.setdefault("DL_EXPLORER_HOME", tempfile.mkdtemp(prefix="dl-bench-load-"))
    rounds = int(os.environ.get("BENCH_LOAD_ROUNDS", 2))
    visitors = [int(v) for v in os.environ.get("BENCH_LOAD_VISITORS", "1,10,20").split(",")]
    figures: dict[str, Any] = {
        "worker limits (on)": _describe_limits(),
    }
    if job_rounds := int(os.environ.get("BENCH_LOAD_JOB_ROUNDS", 2)):
        figures |= job_alone(job_rounds)
    _progress(figures)
    rush = int(os.environ.get("BENCH_LOAD_RUSH", 10))
    if rush:
        try:
            figures |= train_rush(rush)
        except Exception as err:  # noqa: BLE001 - keep the figures measured so far
            figures["train rush: error"] = f"{type(err).__name__}: {str(err)[:300]}"
        _progress(figures)
    for limits in filter(None, os.environ.get("BENCH_LOAD_LIMITS", "on,off").split(",")):
        try:
            figures |= pages_under_load(limits.strip(), visitors, rounds)
        except Exception as err:  # noqa: BLE001 - keep the figures measured so far
            figures[f"limits {limits}: error"] = f"{type(err).__name__}: {str(err)[:300]}"
    return report("load", figures)


_printed: set[str] = set()


def _progress(figures: dict[str, Any]) -> None:
    """Print figures as they come, so a long run that fails still tells what it measured."""
    for k, v in figures.items():
        if k not in _printed:
            _printed.add(k)
            print(f"  .. {k}: {v:.4g}" if isinstance(v, float) else f"  .. {k}: {v}", flush=True)


def _describe_limits() -> str:
    from dl_core.jobs import cpu

    s = cpu.settings()
    return (
        f"nice +{s.nice}, {s.threads or 'TF default'} intra-op / {s.inter_op or 'TF default'} "
        f"inter-op threads, cores {list(s.cpus) if s.cpus else 'all'} "
        f"(of {len(cpu.available_cpus())})"
    )


if __name__ == "__main__":
    main()
