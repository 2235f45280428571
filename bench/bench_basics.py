"""Basics page: time per Step (one epoch on 500 points) including redraw, and Play frame rate.

Measured three ways, side by side in one run:

- in the browser (what the visitor waits for): a real ``streamlit run`` with a worker process,
  Chromium clicks the player's Step and waits until the new epoch is drawn (the player redoes
  the forward pass, boundary, neuron tiles and loss curves in JavaScript); Play runs to the
  end as fast as it draws, and at the default 10 epochs/s, while frames are counted;
- on the server, for comparison: what a Step cost when the page redrew it with Python
  (NumPy forward pass plus building and serialising three plotly figures, before a rerun);
- extending past the recorded end: training seconds per epoch in the job.
"""

from __future__ import annotations

import dataclasses
import re
import statistics
import tempfile
import time

from bench.common import report, timeit

N_POINTS, TEST = 625, 0.2  # 500 training points
EPOCHS = 40
STEPS = 8


def _server_side(cfg) -> dict:
    from dl_core import basics
    from dl_core.basics import analysis, plots
    from dl_core.jobs import Reporter

    t0 = time.perf_counter()
    out = basics.train(cfg, None, Reporter(None))
    train_s = time.perf_counter() - t0
    index = [4 * out["steps_per_epoch"]]

    def redraw() -> None:
        step = analysis.step_state(out, cfg, index[0] // out["steps_per_epoch"])
        figs = plots.step_figures(out, step, cfg.features)
        for name in ("boundary", "network", "losses"):
            figs[name].to_json()

    med, best = timeit(redraw, repeat=10)
    return {
        "training points": len(out["y_train"]),
        "server: forward pass + 3 figures + JSON per Step (ms, median)": med * 1000,
        "server: same, best (ms)": best * 1000,
        f"job: training {cfg.epochs} epochs incl. compile (s)": train_s,
        "job: training per epoch (s) — what extending past the end costs": train_s / cfg.epochs,
    }


def _browser(cfg) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import (
        CHROMIUM,
        CHROMIUM_ARGS,
        free_port,
        start_server,
        wait_healthy,
    )

    home = tempfile.mkdtemp(prefix="dl-explorer-bench-")
    port = free_port()
    proc = start_server(port, home)
    figures: dict = {}
    try:
        wait_healthy(port)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(300_000)
            q = f"preset=default&n={N_POINTS}&test={TEST}&epochs={cfg.epochs}"
            q += f"&batch={cfg.batch_size}"
            page.goto(f"http://127.0.0.1:{port}/basics?{q}")
            page.locator(".st-key-basics-train button").first.click()
            t0 = time.perf_counter()
            page.get_by_text(re.compile(r"Epoch 0\.00")).wait_for()
            figures["browser: Train → first frame, incl. worker start (s)"] = (
                time.perf_counter() - t0
            )
            time.sleep(2)
            player = page.locator(".st-key-basics-player .dlx")
            button = page.locator(".st-key-basics-player button[data-act=step]")
            stats = page.locator(".st-key-basics-player .stats")
            steps, draws = [], []
            for k in range(1, STEPS + 1):
                t = time.perf_counter()
                button.click()
                stats.get_by_text(re.compile(rf"Epoch {k}\.00")).wait_for()
                page.evaluate(
                    "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
                )
                steps.append(time.perf_counter() - t)
                draws.append(float(player.get_attribute("data-draw-ms")))
            figures["browser: Step (one epoch) click → redrawn (ms, median)"] = (
                statistics.median(steps) * 1000
            )
            figures[f"browser: Step, worst of {STEPS} (ms)"] = max(steps) * 1000
            figures["browser: of which the player's JavaScript draw (ms, median)"] = (
                statistics.median(draws)
            )
            for speed, name in (("0", "as fast as it draws"), ("10", "default speed 10 epochs/s")):
                page.locator(".st-key-basics-player button[data-act=reset]").click()
                stats.get_by_text(re.compile(r"Epoch 0\.00")).wait_for()
                page.locator(".st-key-basics-player select[data-ctl=speed]").select_option(speed)
                frames = int(player.get_attribute("data-frames"))
                page.locator(".st-key-basics-player button[data-act=play]").click()
                t = time.perf_counter()
                stats.get_by_text(re.compile(rf"Epoch {cfg.epochs}\.00")).wait_for()
                played = time.perf_counter() - t
                drawn = int(player.get_attribute("data-frames")) - frames
                figures[f"browser: Play {name}, frames per second"] = drawn / played
            browser.close()
    finally:
        proc.terminate()
        proc.wait(20)
    return figures


def main() -> None:
    from dl_core import basics

    cfg = dataclasses.replace(
        basics.PRESETS["default"], n_points=N_POINTS, test_ratio=TEST, epochs=EPOCHS
    )
    figures = {
        "config": (
            f"circles, {N_POINTS} points (test {TEST:.0%}), hidden "
            f"{cfg.hidden}, batch {cfg.batch_size}"
        )
    }
    figures |= _server_side(cfg)
    figures |= _browser(cfg)
    figures["target: Step ≤ 300 ms"] = (
        "met"
        if figures["browser: Step (one epoch) click → redrawn (ms, median)"] <= 300
        else "not met"
    )
    report("basics", figures)
