"""Rewind: what checkpoints cost, and how fast a moved epoch slider redraws the views.

    python -m bench rewind      (BENCH_REWIND_MOVES=10 slider moves; BENCH_REWIND_FITS=3
                                 CNN default fits with and without checkpoints)

1. **Training time from checkpointing**: the CNN default preset fitted ``BENCH_REWIND_FITS``
   times with checkpoints (:mod:`dl_core.checkpoints` saves every epoch) and as often
   without (the same reporter, its ``checkpoint`` switched off; progress events are written
   in both), alternating; the median ``fit_seconds`` of each and the extra share. Target
   ≤ 5 %.
2. **Checkpoint bytes per default-preset job**, per topic: the default jobs of the topics
   that keep checkpoints (CNN, segmentation, text generation, tiny transformer, DCGAN) are
   trained inline into a fresh ``DL_EXPLORER_HOME`` (``BENCH_REWIND_TOPICS`` picks some).
3. **Slider moved → views redrawn** in Chromium on a real ``streamlit run`` serving that
   home: the epoch slider is moved one step with the keyboard ``BENCH_REWIND_MOVES`` times
   (each to an epoch not shown before, so a checkpoint is loaded every time), and the time
   until the page shows the new figures is measured (the traces' data of the watched charts
   changed). CNN: feature maps + Grad-CAM; segmentation: the held-out masks. Median; target
   ≤ 500 ms.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from urllib.parse import urlencode

from bench.common import report

MOVES = int(os.environ.get("BENCH_REWIND_MOVES", 10))
FITS = int(os.environ.get("BENCH_REWIND_FITS", 3))
SIGNATURE = """keys => keys.map(key => {
    const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
    if (!gd || !gd.data) return "";
    return JSON.stringify(gd.data.map(t => t.z ?? t.source ?? null));
}).join("|")"""


def checkpoint_overhead() -> dict[str, float]:
    """Median CNN default fit time with and without checkpoints (alternating runs)."""
    from dl_core import cnn
    from dl_core.jobs import Reporter

    class NoCheckpoints(Reporter):
        def checkpoint(self, epoch, total, **models) -> bool:
            return False

    cfg = cnn.PRESETS["default"]
    cnn.train(cfg, None, NoCheckpoints("bench-rewind-warmup"))  # data, graph tracing
    with_ckpt, without = [], []
    for i in range(FITS):
        with_ckpt.append(cnn.train(cfg, None, Reporter(f"bench-rewind-{i}"))["fit_seconds"])
        without.append(cnn.train(cfg, None, NoCheckpoints(f"bench-rewind-no-{i}"))["fit_seconds"])
    a, b = statistics.median(with_ckpt), statistics.median(without)
    return {
        "CNN default fit, no checkpoints (s, median)": b,
        "CNN default fit, checkpoint every epoch (s, median)": a,
        "extra training time from checkpointing (%)": 100 * (a - b) / b,
    }


def default_jobs(home: str) -> dict[str, str]:
    """Train the default presets of the topics that keep checkpoints inline into ``home``
    (``BENCH_REWIND_TOPICS``, default all of them): job keys."""
    os.environ["DL_EXPLORER_HOME"] = home
    from dl_core import cnn, jobs
    from dl_core import segmentation as seg
    from dl_core import text_generation as tg
    from dl_core.attention import tiny
    from dl_core.gan import dcgan

    jobs.set_executor(jobs.InlineExecutor())
    keys = {}
    wanted = os.environ.get("BENCH_REWIND_TOPICS", "cnn,segmentation,text_generation,attention,gan")
    for topic, train, cfg in (
        ("cnn", cnn.train, cnn.PRESETS["default"]),
        ("segmentation", seg.train, seg.PRESETS["default"]),
        ("text_generation", tg.train, tg.PRESETS["default"]),
        ("attention", tiny.train, tiny.PRESETS["default"]),
        ("gan", dcgan.train, dcgan.PRESETS["default"]),
    ):
        if topic not in wanted.split(","):
            continue
        st = jobs.wait(jobs.submit(train, cfg, label=f"bench rewind {topic}"), timeout=3600)
        if st.state != "done":
            raise RuntimeError(f"{topic}: {st.state} {st.error}")
        keys[topic] = st.key
    jobs.set_executor(None)
    return keys


def checkpoint_bytes(keys: dict[str, str]) -> dict[str, object]:
    from dl_core import checkpoints, topics

    out: dict[str, object] = {}
    for topic in topics.TOPICS:
        key = keys.get(topic.name)
        if key is None:
            out[f"checkpoint bytes, {topic.name} default"] = "not measured (no checkpoints kept)"
            continue
        n = len(checkpoints.epochs(key))
        out[f"checkpoint bytes, {topic.name} default"] = checkpoints.total_bytes(key)
        out[f"checkpoints kept, {topic.name} default"] = n
    return out


def slider_moves(page, url: str, slider: str, charts: list[str], wait_idle) -> list[float]:
    """Seconds from each keyboard move of ``slider`` to ``charts`` showing new data (leftwards
    from the last epoch; back rightwards at the first, where moves find cached views)."""
    page.goto(url)
    wait_idle(page)
    thumb = page.locator(f".st-key-{slider} input[type='range']")
    thumb.scroll_into_view_if_needed()
    times, key = [], "ArrowLeft"
    for _ in range(MOVES):
        now = float(thumb.input_value())
        lo, hi = (float(thumb.get_attribute(a)) for a in ("min", "max"))
        if now <= lo or now >= hi:
            key = "ArrowRight" if now <= lo else "ArrowLeft"
        before = page.evaluate(SIGNATURE, charts)
        thumb.focus()
        t0 = time.perf_counter()
        page.keyboard.press(key)
        page.wait_for_function(f"old => ({SIGNATURE})({charts!r}) !== old", arg=before)
        times.append(time.perf_counter() - t0)
        wait_idle(page, quiet=0.5)
    return times


def main() -> dict:
    from playwright.sync_api import sync_playwright

    from tests.browser.harness import (
        CHROMIUM,
        CHROMIUM_ARGS,
        free_port,
        start_server,
        stop_server,
        wait_healthy,
        wait_idle,
    )

    home = os.environ.get("BENCH_REWIND_HOME") or tempfile.mkdtemp(prefix="dl-bench-rewind-")
    os.environ["DL_EXPLORER_HOME"] = home
    figures: dict[str, object] = dict(checkpoint_overhead())
    t0 = time.perf_counter()
    keys = default_jobs(home)
    figures["train the default jobs of the topics with checkpoints (s)"] = time.perf_counter() - t0
    figures |= checkpoint_bytes(keys)
    port = free_port()
    proc = start_server(port, home)
    try:
        wait_healthy(port)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.set_default_timeout(180_000)
            cnn_url = f"{base}/cnn?" + urlencode({"section": "Train your own CNN"})
            cnn = slider_moves(page, cnn_url, "cnn-epoch", ["rw-maps-0", "rw-cam-0"], wait_idle)
            seg = slider_moves(
                page, f"{base}/segmentation", "segmentation-epoch", ["rw-masks-0"], wait_idle
            )
            browser.close()
    finally:
        stop_server(proc)
    figures |= {
        f"CNN: slider moved -> feature maps + Grad-CAM redrawn (ms, median of {len(cnn)})": (
            1000 * statistics.median(cnn)
        ),
        "CNN: slowest move (ms)": 1000 * max(cnn),
        f"segmentation: slider moved -> masks redrawn (ms, median of {len(seg)})": (
            1000 * statistics.median(seg)
        ),
        "segmentation: slowest move (ms)": 1000 * max(seg),
        "target": "<= 500 ms per move; <= 5 % extra training time",
    }
    return report("rewind", figures)
