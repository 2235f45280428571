"""Start a real ``streamlit run`` and drive Chromium: shared by browser tests and bench/.

Waits end on a state (healthy, idle, a text shown); their ceilings (``tests.timeouts``) only
stop a hang and scale with ``DL_EXPLORER_TEST_SLOWDOWN``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

from tests.processes import stop_processes
from tests.timeouts import UI_S, ceiling, ceiling_ms, wait_until

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("DL_EXPLORER_TEST_OUTPUT", ROOT / "test-output")) / "screenshots"
CHROMIUM = os.environ.get("DL_EXPLORER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, home: str) -> subprocess.Popen:
    env = os.environ | {
        "DL_EXPLORER_HOME": home,
        "DL_EXPLORER_EXECUTOR": "process",
        "DL_EXPLORER_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
        # a job's own time limit is a ceiling too (30 min unless set)
        "DL_EXPLORER_JOB_TIMEOUT_S": os.environ.get("DL_EXPLORER_JOB_TIMEOUT_S")
        or str(ceiling(1800)),
    }
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "streamlit_app.py"),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
    ]
    with open(Path(home) / "server.log", "w") as log:  # the server keeps its own copy
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop_server(proc: subprocess.Popen) -> None:
    """End the server and every process it started (its job workers), by PID."""
    try:
        tree = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        tree = []
    proc.terminate()
    try:
        proc.wait(ceiling(30))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    stop_processes(tree)


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def wait_healthy(port: int, seconds: float = UI_S) -> float:
    """Wait until the server answers its health check; return how long that took."""
    t0 = time.monotonic()
    wait_until(lambda: _healthy(port), seconds, "streamlit to become healthy")
    return time.monotonic() - t0


def wait_idle(page, seconds: float = UI_S, quiet: float = 1.5) -> None:
    """Wait until Streamlit has finished running the script (status widget gone for a while).

    ``quiet`` (scaled like the ceilings) is how long the app must stay idle to count as done.
    """
    page.wait_for_selector('[data-testid="stApp"]', timeout=ceiling_ms(seconds))
    idle_since = None

    def idle() -> bool:
        nonlocal idle_since
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0
        skeleton = page.locator('[data-testid="stSkeleton"]').count() > 0
        if running or skeleton:
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        return idle_since is not None and time.monotonic() - idle_since > ceiling(quiet)

    wait_until(idle, seconds, "the app to finish running", poll=0.2)


# A figure drawn in the page's first paint (ui.figures.show_now): an SVG picture in Markdown.
FIGURE_NOW = '[data-testid="stMarkdownContainer"] img[src^="data:image/svg+xml"]'


def svg_shown(image) -> str:
    """The SVG a first-paint figure shows (``image``: a locator of one ``FIGURE_NOW``)."""
    return image.evaluate(
        "img => new TextDecoder().decode("
        "Uint8Array.from(atob(img.src.split(',')[1]), c => c.charCodeAt(0)))"
    )


def assert_no_exception(page) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()


def screenshot(page, name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
