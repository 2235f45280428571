"""Page figures: server CPU per page view and widget change, and how fast a shared link opens.

    python -m bench pages       (BENCH_PAGES=cnn,gan: only those pages; BENCH_PAGES_VIEWS=1:
                                 one view of each kind and one widget change, not 3)

Every topic's warm-up jobs are first trained inline with the topic's ``"tiny"`` preset into a
fresh ``DL_EXPLORER_HOME``; then one real ``streamlit run`` serves that home and a headless
Chromium opens each page with ``?preset=tiny`` (a link to a finished, cached result).

Per page it prints:

- server CPU seconds (user + sys of the ``streamlit run`` process, read from ``/proc``) for
  the page's first view on this server; a warm view by a new visitor (a fresh browser
  context: the server also sends Streamlit's JavaScript) and by a returning visitor (a new
  tab, static files cached), medians of 3; and a typical widget change (a slider moved one
  step, median of 3 moves);
- a shared link: seconds from opening the URL to the first figure drawn (a plotly chart, an
  image, a chart or a canvas; by the page's own clock, in the animation frame that first
  shows one), as a new visitor and as a returning one, and to the page being idle, medians;
- the returning view and the widget change **net of the idle server**: minus what the
  server spends anyway over the view's seconds (its CPU per second with nobody doing
  anything, measured first: Streamlit polling its config files, its HTTP server's ticks,
  the job dispatcher's poll), which more visitors at once do not multiply;
- the floors, each on its own server: the same warm views of a plain two-line Streamlit
  page (server CPU), and of a plain page with one small plotly chart (server CPU and link
  to first figure: what Streamlit and plotly.js alone cost this machine's browser).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import report
from tests.browser.harness import FIGURE_NOW

ROOT = Path(__file__).resolve().parents[1]

# Page URL path -> (what a visitor typically changes: the label of a slider, or "" for the
# first slider of the main area). The slider is moved one step with the keyboard.
PAGES: dict[str, str] = {
    "": "",
    "basics": "Noise",
    "cnn": "Output row",
    "transfer_learning": "",
    "detection": "",
    "segmentation": "Opacity",
    "text_generation": "Sample from the model after epoch",
    "attention": "",
    "gan": "",
    "dqn": "ε while replaying",
    "jobs": "",
}
WARM_VIEWS = int(os.environ.get("BENCH_PAGES_VIEWS", "3"))  # per kind of warm view
FIGURE = (
    '.js-plotly-plot, [data-testid="stImage"] img, .dlx-image-now, '
    f'{FIGURE_NOW}, [data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"], canvas'
)  # the home map (.dlx-image-now) and the figures drawn in the first paint (SVG in Markdown)

# The page's own clock for "first figure drawn": checked in every animation frame (just before
# the browser paints it), milliseconds since the navigation started. Playwright's visibility
# wait polls ever more slowly (0, 20, 50, 100, then every 500 ms), which added up to half a
# second to a page that had long finished drawing; it still gates the measurement. (The
# basics page's network player is a custom component: its canvas is in a shadow root.)
FIRST_FIGURE_CLOCK = """
(() => {
  const selector = SELECTOR;
  const all = (root) => {  // as Playwright's locators, also inside open shadow roots
    const found = [...root.querySelectorAll(selector)];
    for (const el of root.querySelectorAll("*")) {
      if (el.shadowRoot) found.push(...all(el.shadowRoot));
    }
    return found;
  };
  const look = () => {
    for (const el of all(document)) {
      const box = el.getBoundingClientRect();
      if (box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== "hidden") {
        window.__firstFigureMs = performance.now();
        return;
      }
    }
    requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();
""".replace("SELECTOR", json.dumps(FIGURE))


def tiny_jobs() -> list[tuple]:
    """Every topic's warm-up jobs, with the ``"tiny"`` preset in place of ``"default"``.

    A warm-up job's Config is the default preset with a few fields changed (a mode, a twin
    without skips...); the same fields are changed on the tiny preset.
    """
    from dl_core import topics

    out = []
    for module in topics.modules():
        for train, cfg, data_fp, label in getattr(module, "warmup_jobs", list)():
            presets = _presets_for(train, cfg)
            tiny, default = presets["tiny"], presets["default"]
            changed = {
                f.name: getattr(cfg, f.name)
                for f in dataclasses.fields(cfg)
                if getattr(cfg, f.name) != getattr(default, f.name)
            }
            out.append((train, dataclasses.replace(tiny, **changed), data_fp, f"{label} (tiny)"))
    return out


def _presets_for(train, cfg) -> dict:
    """The presets of the model ``train`` trains (its Trainer in ``dl_core.topics``)."""
    from dl_core import jobs, topics

    presets = topics.trainer(jobs.fn_name(train)).PRESETS
    if not isinstance(presets.get("default"), type(cfg)):
        raise LookupError(f"no PRESETS for {type(cfg).__name__}")
    return presets


def pretrain(home: str) -> float:
    """Train every tiny job inline into ``home``; return the seconds it took."""
    os.environ["DL_EXPLORER_HOME"] = home
    from dl_core import jobs

    jobs.set_executor(jobs.InlineExecutor())
    t0 = time.perf_counter()
    for train, cfg, data_fp, label in tiny_jobs():
        st = jobs.wait(jobs.submit(train, cfg, data_fp, label=label), timeout=1800)
        if st.state != "done":
            raise RuntimeError(f"{label}: {st.state} {st.error}")
    jobs.set_executor(None)
    return time.perf_counter() - t0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (``/proc/<pid>/stat``)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _open(target, url: str, wait_idle, figure: bool = True) -> tuple[object, float, float]:
    """Open ``url``: (the page, seconds to the first figure, seconds to idle).

    ``target`` is the browser (a new visitor: a fresh context with an empty HTTP cache, so
    the server also sends Streamlit's JavaScript) or a context (a returning visitor: a new
    tab that finds the static files in the browser's cache).
    """
    if hasattr(target, "new_context"):
        target = target.new_context(viewport={"width": 1400, "height": 1000})
    page = target.new_page()
    page.set_default_timeout(180_000)
    page.add_init_script(FIRST_FIGURE_CLOCK)
    t0 = time.perf_counter()
    page.goto(url)
    first = float("nan")
    try:
        if figure:  # a page without one would wait the whole timeout, its CPU counted
            page.locator(FIGURE).first.wait_for(state="visible", timeout=60_000)
            # Playwright may see the figure before the page's next animation frame does
            first = page.wait_for_function("window.__firstFigureMs", timeout=10_000)
            first = first.json_value() / 1000.0
    except Exception:  # noqa: BLE001 - a page without figures reports nan
        pass
    wait_idle(page, quiet=1.0)
    idle = time.perf_counter() - t0 - 1.0  # minus the quiet period wait_idle waits out
    return page, first, idle


def idle_rate(pid: int, seconds: float = 20.0) -> float:
    """The server's CPU seconds per second while nobody does anything: Streamlit polls its
    config files and ticks its HTTP server, the job dispatcher polls the queue. A view
    that takes 8 s to draw also counts 8 s of this, which serving more visitors at once
    does not multiply: the "net" figures subtract it."""
    _settle(pid)
    c0, t0 = cpu_seconds(pid), time.perf_counter()
    time.sleep(seconds)
    return (cpu_seconds(pid) - c0) / (time.perf_counter() - t0)


def _views(
    pid: int, target, url: str, n: int, wait_idle, figure: bool = True, rate: float = 0.0
) -> tuple[list, list, list, list, object]:
    """``n`` views: (CPU seconds, the same net of ``rate`` (the idle server's CPU per
    second) over each view's time, seconds to first figure, seconds to idle, last page)."""
    cpus, nets, firsts, idles, page = [], [], [], [], None
    for i in range(n):
        c0, t0 = cpu_seconds(pid), time.perf_counter()
        page, first, idle = _open(target, url, wait_idle, figure)
        cpus.append(cpu_seconds(pid) - c0)
        nets.append(cpus[-1] - rate * (time.perf_counter() - t0))
        firsts.append(first)
        idles.append(idle)
        if i < n - 1:
            page.close() if target is page.context else page.context.close()
    return cpus, nets, firsts, idles, page


def _change_widget(page, label: str, wait_idle) -> bool:
    """Move the slider labelled ``label`` (anywhere on the page), or else the first slider of
    the main area, one step to the right (keyboard), or to the left from its maximum; False
    if there is none."""
    sliders = page.locator('[data-testid="stMain"] input[type="range"]')
    if label:
        sliders = page.locator(f'input[type="range"][aria-label="{label}"]')
    try:
        sliders.first.wait_for(state="attached", timeout=10_000)
    except Exception:  # noqa: BLE001 - a page without sliders reports nan
        return False
    slider = sliders.first
    slider.focus()
    before = slider.input_value()
    slider.press("ArrowRight")
    if slider.input_value() == before:  # at its maximum (a rewind slider starts at the end)
        slider.press("ArrowLeft")
    wait_idle(page, quiet=1.0)
    return True


def _settle(pid: int, timeout: float = 30.0) -> None:
    """Wait until the server has used no CPU for a second (a slider's rerun may start late)."""
    t0, last, quiet = time.perf_counter(), cpu_seconds(pid), 0
    while quiet < 2 and time.perf_counter() - t0 < timeout:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        quiet = quiet + 1 if now - last < 0.005 else 0
        last = now


def measure(base: str, pid: int, browser, wait_idle, rate: float) -> dict[str, float]:
    figures: dict[str, float] = {}
    only = [p for p in os.environ.get("BENCH_PAGES", "").split(",") if p]
    for path, label in PAGES.items():
        if only and path not in only:
            continue
        name = path or "home"
        url = f"{base}/{path}?preset=tiny" if path else base
        first, _, _, _, page = _views(pid, browser, url, 1, wait_idle)
        page.context.close()
        new, _, firsts, idles, page = _views(pid, browser, url, WARM_VIEWS, wait_idle)
        page.close()  # the context stays: the same visitor comes back
        back, back_net, back_firsts, _, page = _views(
            pid, page.context, url, WARM_VIEWS, wait_idle, rate=rate
        )
        changes, change_nets = [], []
        for _ in range(WARM_VIEWS):  # the slider moves one step each time
            c0, t0 = cpu_seconds(pid), time.perf_counter()
            if not _change_widget(page, label, wait_idle):
                break
            _settle(pid)
            changes.append(cpu_seconds(pid) - c0)
            change_nets.append(changes[-1] - rate * (time.perf_counter() - t0))
        median = statistics.median
        page.context.close()
        row = {
            "first view (CPU s)": first[0],
            "warm view, new visitor (CPU s)": median(new),
            "warm view, returning visitor (CPU s)": median(back),
            "warm view, returning visitor, net of the idle server (CPU s)": median(back_net),
            "widget change (CPU s)": median(changes) if changes else float("nan"),
            "widget change, net of the idle server (CPU s)": (
                median(change_nets) if changes else float("nan")
            ),
            "shared link -> first figure (s, median)": median(firsts),
            "shared link -> page idle (s, median)": median(idles),
            "returning visitor: link -> first figure (s, median)": median(back_firsts),
        }
        figures |= {f"{name}: {k}": v for k, v in row.items()}
        print(f"  {name:18s} " + "  ".join(f"{v:6.3f}" for v in row.values()), flush=True)
    return figures


PLAIN = "import streamlit as st\n\nst.title('Plain')\nst.write('A plain page.')\n"
PLOTLY = (
    "import plotly.graph_objects as go\nimport streamlit as st\n\nst.title('Plain')\n"
    "st.plotly_chart(go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 3, 2])))\n"
)


def plain_page(browser, wait_idle, source: str, name: str) -> dict[str, float]:
    """A floor: the warm views of a plain Streamlit page (``source``) on its own server,
    same browser: server CPU, and with a figure the link -> first figure times."""
    import subprocess

    from tests.browser.harness import free_port, wait_healthy

    figure = "plotly" in source
    folder = tempfile.mkdtemp(prefix="dl-bench-plain-")
    # the app's own settings (no file watcher...), or the floor would count a watcher's polling
    settings = os.path.join(folder, ".streamlit")
    os.makedirs(settings)
    shutil.copy(ROOT / ".streamlit" / "config.toml", settings)
    script = os.path.join(folder, "plain.py")
    with open(script, "w") as fh:
        fh.write(source)
    port = free_port()
    flags = {"port": port, "address": "127.0.0.1", "headless": "true"}
    cmd = [sys.executable, "-m", "streamlit", "run", script]
    cmd += [a for k, v in flags.items() for a in (f"--server.{k}", str(v))]
    proc = subprocess.Popen(cmd, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_healthy(port)
        url = f"http://127.0.0.1:{port}"
        *_, page = _views(proc.pid, browser, url, 1, wait_idle, figure)  # its first view
        page.context.close()
        rate = idle_rate(proc.pid)
        new, _, firsts, _, page = _views(proc.pid, browser, url, WARM_VIEWS, wait_idle, figure)
        page.close()
        back, back_net, back_firsts, _, page = _views(
            proc.pid, page.context, url, WARM_VIEWS, wait_idle, figure, rate
        )
        page.context.close()
    finally:
        proc.terminate()
        proc.wait(10)
    out = {
        f"{name}: warm view, new visitor (CPU s)": statistics.median(new),
        f"{name}: warm view, returning visitor (CPU s)": statistics.median(back),
        f"{name}: warm view, returning visitor, net of the idle server (CPU s)": (
            statistics.median(back_net)
        ),
        f"{name}: idle server (CPU s per s)": rate,
    }
    if figure:
        out[f"{name}: shared link -> first figure (s, median)"] = statistics.median(firsts)
        out[f"{name}: returning visitor: link -> first figure (s, median)"] = statistics.median(
            back_firsts
        )
    return out


def main() -> dict:
    from playwright.sync_api import sync_playwright

    from tests.browser.harness import (
        CHROMIUM,
        CHROMIUM_ARGS,
        free_port,
        start_server,
        wait_healthy,
        wait_idle,
    )

    home = os.environ.get("BENCH_PAGES_HOME") or tempfile.mkdtemp(prefix="dl-bench-pages-")
    figures: dict[str, float] = {"pretrain tiny results inline (s)": pretrain(home)}
    port = free_port()
    proc = start_server(port, home)
    try:
        wait_healthy(port)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page, _, _ = _open(browser, base, wait_idle)  # the server's own cold start
            page.context.close()
            figures |= plain_page(browser, wait_idle, PLAIN, "plain two-line Streamlit page")
            figures |= plain_page(browser, wait_idle, PLOTLY, "plain page, one plotly chart")
            for k, v in figures.items():
                print(f"  {k}: {v:.3f}", flush=True)
            rate = figures["app: idle server (CPU s per s)"] = idle_rate(proc.pid)
            print(f"  app: idle server (CPU s per s): {rate:.4f}")
            print(
                f"  {'page':18s} first   new     back    (net)   change  (net)   "
                "link->figure  idle  returning: link->figure (s)"
            )
            figures |= measure(base, proc.pid, browser, wait_idle, rate)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    return report("pages", figures)


if __name__ == "__main__":
    main()
