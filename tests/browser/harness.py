"""Start a real ``streamlit run`` and drive Chromium: shared by browser tests and bench/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("DL_EXPLORER_TEST_OUTPUT", ROOT / "test-output")) / "screenshots"
CHROMIUM = os.environ.get("DL_EXPLORER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-dev-shm-usage",
]  # fmt: skip


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
    }
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
    ]  # fmt: skip
    log = open(Path(home) / "server.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(port: int, timeout: float = 120) -> float:
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return time.time() - t0
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError("streamlit did not become healthy")


def wait_idle(page, timeout: float = 180, quiet: float = 1.5) -> None:
    """Wait until Streamlit has finished running the script (status widget gone for a while)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    t0 = time.time()
    idle_since = None
    while time.time() - t0 < timeout:
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0
        skeleton = page.locator('[data-testid="stSkeleton"]').count() > 0
        if running or skeleton:
            idle_since = None
        elif idle_since is None:
            idle_since = time.time()
        elif time.time() - idle_since > quiet:
            return
        time.sleep(0.2)
    raise TimeoutError("the app kept running")


def assert_no_exception(page) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()


def screenshot(page, name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
