"""Rewind: what checkpoints cost, and how fast a moved epoch slider redraws the views.

    python -m bench rewind      (BENCH_REWIND_MOVES=10 slider moves; BENCH_REWIND_FITS=3
                                 fits with and without checkpoints; BENCH_REWIND_PARTS picks
                                 some of overhead,bytes,redraw; BENCH_REWIND_HOME reuses a
                                 home whose default jobs are already trained;
                                 BENCH_REWIND_OVERHEAD picks some of cnn,detection,transfer,vae)

1. **Training time from checkpointing**: the CNN default preset fitted ``BENCH_REWIND_FITS``
   times with checkpoints (:mod:`dl_core.checkpoints` saves every epoch) and as often
   without (the same reporter, its ``checkpoint`` switched off; progress events are written
   in both), alternating; the median ``fit_seconds`` of each and the extra share, and the
   median share of a fit spent inside ``checkpoint`` (saving is synchronous, so this is the
   time checkpoints add, measured directly: the difference of two fits is blurred by the
   machine's load). Target ≤ 5 %. Then the same for detection, transfer learning and the
   VAE with the preset ``BENCH_REWIND_OVERHEAD_PRESET`` (default ``tiny``: their default
   jobs take minutes each on 2 loaded cores); their figure is the whole ``train`` call
   (data preparation included, the same with and without checkpoints), and every label
   names its preset.
2. **Checkpoint bytes per default-preset job**, per topic: the default jobs of the topics
   that keep checkpoints (CNN, transfer learning, detection, segmentation, text generation,
   tiny transformer, DCGAN, VAE) are trained inline into a fresh ``DL_EXPLORER_HOME``
   (``BENCH_REWIND_TOPICS`` picks some; ``BENCH_REWIND_BYTES_PRESET`` another preset, named
   in the labels).
3. **Slider moved → views redrawn** in Chromium on a real ``streamlit run`` serving that
   home: the epoch slider is moved one step with the keyboard ``BENCH_REWIND_MOVES`` times
   (each to an epoch not shown before, so a checkpoint is loaded every time), and the time
   until the page shows the new figures is measured (the traces' data of the watched charts
   changed). CNN: feature maps + Grad-CAM; segmentation: the held-out masks. Median; target
   ≤ 500 ms. Needs the CNN and segmentation default jobs (part 2 trains them). Before the
   browser, the server's own work per CNN move (:func:`server_moves`), a figure that a busy
   browser on the same cores does not blur.
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


PARTS = os.environ.get("BENCH_REWIND_PARTS", "overhead,bytes,redraw").split(",")
OVERHEAD_PRESET = os.environ.get("BENCH_REWIND_OVERHEAD_PRESET", "tiny")
BYTES_PRESET = os.environ.get("BENCH_REWIND_BYTES_PRESET", "default")


# topics whose rewind does not read the checkpoint store
OTHER_REWIND = {
    "basics": "none in the store: the in-browser player replays the job's recorded history",
    "dqn": "none in the store: the result holds its networks at Config.checkpoints steps",
}


def _no_checkpoints():
    from dl_core.jobs import Reporter

    class NoCheckpoints(Reporter):
        def checkpoint(self, epoch, total, **models) -> bool:
            return False

    return NoCheckpoints


def _trainers() -> dict[str, tuple]:
    """``{topic: (train, PRESETS)}`` of the topics whose jobs keep checkpoints."""
    from dl_core import attention, cnn, detection, transfer
    from dl_core import segmentation as seg
    from dl_core import text_generation as tg
    from dl_core.gan import dcgan, train_dcgan, train_vae, vae

    return {
        "cnn": (cnn.train, cnn.PRESETS),
        "transfer": (transfer.train, transfer.PRESETS),
        "detection": (detection.train, detection.PRESETS),
        "segmentation": (seg.train, seg.PRESETS),
        "text_generation": (tg.train, tg.PRESETS),
        "attention": (attention.train, attention.PRESETS),
        "gan": (train_dcgan, dcgan.PRESETS),
        "vae": (train_vae, vae.PRESETS),
    }


def _timed_checkpoints():
    """A reporter that adds up the wall seconds spent inside ``checkpoint`` (saving is
    synchronous in the training loop, so this is the time checkpoints add to a fit)."""
    from dl_core.jobs import Reporter

    class TimedCheckpoints(Reporter):
        spent = 0.0

        def checkpoint(self, epoch, total, **models) -> bool:
            t0 = time.perf_counter()
            try:
                return super().checkpoint(epoch, total, **models)
            finally:
                self.spent += time.perf_counter() - t0

    return TimedCheckpoints


def overhead(topic: str, preset: str, seconds) -> dict[str, float]:
    """Median ``seconds(result, wall)`` of ``topic``'s ``preset`` job trained ``FITS`` times
    with checkpoints and as often without (alternating, after one warm-up fit), and the
    median share of the fits with checkpoints spent inside ``checkpoint`` (a direct figure
    that the machine's load blurs far less than the difference of two fits)."""
    train, presets = _trainers()[topic]
    cfg, no_ckpt, timed = presets[preset], _no_checkpoints(), _timed_checkpoints()

    def fit(reporter) -> float:
        t0 = time.perf_counter()
        res = train(cfg, None, reporter)
        return seconds(res, time.perf_counter() - t0)

    fit(no_ckpt(f"bench-rewind-{topic}-warmup"))  # data, graph tracing
    with_ckpt, without, inside = [], [], []
    for i in range(FITS):
        reporter = timed(f"bench-rewind-{topic}-{i}")
        with_ckpt.append(fit(reporter))
        inside.append(100 * reporter.spent / with_ckpt[-1])
        without.append(fit(no_ckpt(f"bench-rewind-{topic}-no-{i}")))
    a, b = statistics.median(with_ckpt), statistics.median(without)
    print(f"{topic} {preset}: {a:.2f} s with checkpoints, {b:.2f} s without", flush=True)
    return {
        "without": b,
        "with": a,
        "extra": 100 * (a - b) / b,
        "inside": statistics.median(inside),
    }


def checkpoint_overhead() -> dict[str, float]:
    """Extra training time from checkpoints: the CNN default's fit, then detection,
    transfer learning and the VAE (``OVERHEAD_PRESET``, the whole train call)."""
    out: dict[str, float] = {}
    topics = os.environ.get("BENCH_REWIND_OVERHEAD", "cnn,detection,transfer,vae").split(",")
    if "cnn" in topics:
        cnn = overhead("cnn", "default", lambda res, wall: res["fit_seconds"])
        out["CNN default fit, no checkpoints (s, median)"] = cnn["without"]
        out["CNN default fit, checkpoint every epoch (s, median)"] = cnn["with"]
        out["CNN default: extra training time from checkpointing (%)"] = cnn["extra"]
        out["CNN default: share of the fit spent saving checkpoints (%, median)"] = cnn["inside"]
    for topic in [t for t in ("detection", "transfer", "vae") if t in topics]:
        got = overhead(topic, OVERHEAD_PRESET, lambda res, wall: wall)
        what = f"{topic} {OVERHEAD_PRESET} train call"
        out[f"{what}, no checkpoints (s, median)"] = got["without"]
        out[f"{what}, with checkpoints (s, median)"] = got["with"]
        out[f"{topic} {OVERHEAD_PRESET}: extra training time from checkpointing (%)"] = got["extra"]
        out[f"{topic} {OVERHEAD_PRESET}: share of the call spent saving checkpoints (%)"] = got[
            "inside"
        ]
    return out


def default_jobs(home: str, preset: str = "default", topics: str | None = None) -> dict[str, str]:
    """Train the ``preset`` jobs of the topics that keep checkpoints inline into ``home``
    (``BENCH_REWIND_TOPICS``, default all of them): job keys."""
    os.environ["DL_EXPLORER_HOME"] = home
    from dl_core import jobs

    jobs.set_executor(jobs.InlineExecutor())
    keys = {}
    wanted = (topics or os.environ.get("BENCH_REWIND_TOPICS") or ",".join(_trainers())).split(",")
    for topic, (train, presets) in _trainers().items():
        if topic not in wanted:
            continue
        st = jobs.wait(jobs.submit(train, presets[preset], label=f"bench rewind {topic}"), 3600)
        if st.state != "done":
            raise RuntimeError(f"{topic}: {st.state} {st.error}")
        keys[topic] = st.key
        print(f"{topic} {preset} job trained: {st.key}", flush=True)  # a long part: progress
    jobs.set_executor(None)
    return keys


def checkpoint_bytes(keys: dict[str, str], preset: str = "default") -> dict[str, object]:
    from dl_core import checkpoints, topics

    out: dict[str, object] = {}
    names = [t.name for t in topics.TOPICS]
    names[names.index("gan") + 1 : names.index("gan") + 1] = ["vae"]  # the GAN page's 2nd job
    for name in names:
        key = keys.get(name)
        if key is None:
            out[f"checkpoint bytes, {name} {preset}"] = OTHER_REWIND.get(
                name, "not trained in this run (BENCH_REWIND_TOPICS)"
            )
            continue
        out[f"checkpoint bytes, {name} {preset}"] = checkpoints.total_bytes(key)
        out[f"checkpoints kept, {name} {preset}"] = len(checkpoints.epochs(key))
    return out


def server_moves(key: str) -> list[float]:
    """Seconds of the server's work for each CNN rewind move, without a browser: the epoch's
    checkpoint swapped into the held model, feature maps + Grad-CAM + filters computed and
    their figures built, serialised once and described (what the page's cache keeps), then
    turned into the JSON ``st.plotly_chart`` sends; one move per saved epoch but the last."""
    import plotly.io as pio

    from dl_core import checkpoints, jobs
    from dl_core.cnn import analysis
    from dl_core.cnn import compare as cnn_compare
    from ui.cache import frozen

    res = jobs.result(key)
    model = checkpoints.fresh_model(res, "model")
    names = list(res["class_names"])
    layer, image = analysis.conv_layers(model)[0], cnn_compare.test_image(res, 0)

    def move(epoch: int) -> None:
        model.set_weights(checkpoints.load(key, epoch)["model"])
        views = frozen(cnn_compare.views_at(model, image, layer, None, names))
        for fig in (views["cam"], views["filters"], views["maps"]):
            pio.to_json(fig.to_dict(), validate=False)

    epochs = checkpoints.epochs(key)
    move(epochs[-1])  # tracing, first layouts
    times = []
    for epoch in epochs[:-1][:MOVES]:
        t0 = time.perf_counter()
        move(epoch)
        times.append(time.perf_counter() - t0)
    return times


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
    figures: dict[str, object] = {"load average (1, 5, 15 min) at start": os.getloadavg()}
    if "overhead" in PARTS:
        figures |= checkpoint_overhead()
    if "bytes" in PARTS:
        t0 = time.perf_counter()
        keys = default_jobs(home, BYTES_PRESET)
        figures[f"train the {BYTES_PRESET} jobs of the topics with checkpoints (s)"] = (
            time.perf_counter() - t0
        )
        figures |= checkpoint_bytes(keys, BYTES_PRESET)
    if "redraw" not in PARTS:
        return report("rewind", figures)
    ready = default_jobs(home, "default", "cnn,segmentation")  # cache hits after part 2
    server = server_moves(ready["cnn"])
    figures[f"CNN: server work per rewind move, no browser (ms, median of {len(server)})"] = (
        1000 * statistics.median(server)
    )
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
    figures["load average (1, 5, 15 min) at the end"] = os.getloadavg()
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
