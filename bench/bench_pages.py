"""Page figures: server CPU per page view and widget change, and how fast a shared link opens.

    python -m bench pages              (BENCH_PAGES=cnn,gan to measure only some pages)

Every topic's warm-up jobs are first trained inline with the topic's ``"tiny"`` preset into a
fresh ``DL_EXPLORER_HOME``; then one real ``streamlit run`` serves that home and a headless
Chromium opens each page with ``?preset=tiny`` (a link to a finished, cached result).

Per page it prints:

- server CPU seconds (user + sys of the ``streamlit run`` process, read from ``/proc``, so
  the figure barely depends on other load on the machine) for the page's first view on this
  server, a warm view (median of fresh browser tabs after it), and a typical widget change;
- a shared link: seconds from opening the URL in a fresh tab to the first figure drawn
  (a plotly chart, an image, a chart or a canvas), median over the warm views, and to the
  page being idle (every figure drawn).
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import sys
import tempfile
import time

from bench.common import report

# Page URL path -> (what a visitor typically changes: the label of a slider, or "" for the
# first slider on the page). The slider is moved one step with the keyboard.
PAGES: dict[str, str] = {
    "": "",
    "basics": "",
    "cnn": "Output row",
    "transfer_learning": "",
    "detection": "",
    "segmentation": "Opacity",
    "text_generation": "",
    "attention": "",
    "gan": "",
    "dqn": "",
    "jobs": "",
}
WARM_VIEWS = 3
FIGURE = (
    '.js-plotly-plot, [data-testid="stImage"] img, [data-testid="stVegaLiteChart"], '
    '[data-testid="stArrowVegaLiteChart"], canvas'
)


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
    for name in (train.__module__, type(cfg).__module__):
        module = sys.modules[name]
        presets = getattr(module, "PRESETS", None)
        if presets and isinstance(presets.get("default"), type(cfg)):
            return presets
        package = sys.modules[name.rsplit(".", 1)[0]]
        presets = getattr(package, "PRESETS", None)
        if presets and isinstance(presets.get("default"), type(cfg)):
            return presets
    raise LookupError(f"no PRESETS for {type(cfg).__name__}")


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


def _open(browser, url: str, wait_idle) -> tuple[object, float, float]:
    """A fresh tab on ``url``: (context, seconds to the first figure, seconds to idle)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    page.set_default_timeout(180_000)
    t0 = time.perf_counter()
    page.goto(url)
    first = float("nan")
    try:
        page.locator(FIGURE).first.wait_for(state="visible", timeout=60_000)
        first = time.perf_counter() - t0
    except Exception:  # noqa: BLE001 - a page without figures reports nan
        pass
    wait_idle(page, quiet=1.0)
    idle = time.perf_counter() - t0 - 1.0  # minus the quiet period wait_idle waits out
    return ctx, first, idle


def _change_widget(page, label: str, wait_idle) -> bool:
    """Move a slider of the main area one step to the right (keyboard); False if none."""
    sliders = page.locator('[data-testid="stMain"] input[type="range"]')
    if label:
        sliders = page.locator(f'[data-testid="stMain"] input[type="range"][aria-label="{label}"]')
    try:
        sliders.first.wait_for(state="attached", timeout=10_000)
    except Exception:  # noqa: BLE001 - a page without sliders reports nan
        return False
    slider = sliders.first
    slider.focus()
    slider.press("ArrowRight")
    wait_idle(page, quiet=1.0)
    return True


def measure(base: str, pid: int, browser, wait_idle) -> dict[str, float]:
    figures: dict[str, float] = {}
    only = [p for p in os.environ.get("BENCH_PAGES", "").split(",") if p]
    for path, label in PAGES.items():
        if only and path not in only:
            continue
        name = path or "home"
        url = f"{base}/{path}?preset=tiny" if path else base
        c0 = cpu_seconds(pid)
        ctx, _, _ = _open(browser, url, wait_idle)
        figures[f"{name}: first view (CPU s)"] = cpu_seconds(pid) - c0
        ctx.close()
        cpus, firsts, idles = [], [], []
        for _ in range(WARM_VIEWS):
            c0 = cpu_seconds(pid)
            ctx, first, idle = _open(browser, url, wait_idle)
            cpus.append(cpu_seconds(pid) - c0)
            firsts.append(first)
            idles.append(idle)
            page = ctx.pages[0]
            if _ < WARM_VIEWS - 1:
                ctx.close()
        figures[f"{name}: warm view (CPU s)"] = statistics.median(cpus)
        c0 = cpu_seconds(pid)
        changed = _change_widget(page, label, wait_idle)
        figures[f"{name}: widget change (CPU s)"] = (
            cpu_seconds(pid) - c0 if changed else float("nan")
        )
        ctx.close()
        figures[f"{name}: shared link -> first figure (s, median)"] = statistics.median(firsts)
        figures[f"{name}: shared link -> page idle (s, median)"] = statistics.median(idles)
        print(
            f"  {name:18s} first {figures[f'{name}: first view (CPU s)']:6.2f}  warm "
            f"{figures[f'{name}: warm view (CPU s)']:6.3f}  change "
            f"{figures[f'{name}: widget change (CPU s)']:6.3f}  link->figure "
            f"{statistics.median(firsts):5.2f} s",
            flush=True,
        )
    return figures


def plain_page(browser, wait_idle) -> dict[str, float]:
    """The floor: server CPU of a warm view of a two-line Streamlit page, same browser."""
    import subprocess

    from tests.browser.harness import free_port, wait_healthy

    folder = tempfile.mkdtemp(prefix="dl-bench-plain-")
    script = os.path.join(folder, "plain.py")
    with open(script, "w") as fh:
        fh.write("import streamlit as st\n\nst.title('Plain')\nst.write('A plain page.')\n")
    port = free_port()
    flags = {"port": port, "address": "127.0.0.1", "headless": "true"}
    cmd = [sys.executable, "-m", "streamlit", "run", script]
    cmd += [a for k, v in flags.items() for a in (f"--server.{k}", str(v))]
    proc = subprocess.Popen(cmd, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_healthy(port)
        cpus = []
        for _ in range(WARM_VIEWS + 1):
            c0 = cpu_seconds(proc.pid)
            ctx, _, _ = _open(browser, f"http://127.0.0.1:{port}", wait_idle)
            cpus.append(cpu_seconds(proc.pid) - c0)
            ctx.close()
    finally:
        proc.terminate()
        proc.wait(10)
    return {"plain two-line Streamlit page: warm view (CPU s)": statistics.median(cpus[1:])}


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
            ctx, _, _ = _open(browser, base, wait_idle)  # the server's own cold start
            ctx.close()
            figures |= plain_page(browser, wait_idle)
            print(f"  plain page: warm {next(reversed(figures.values())):.3f} CPU s", flush=True)
            figures |= measure(base, proc.pid, browser, wait_idle)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    return report("pages", figures)


if __name__ == "__main__":
    main()
