"""Server memory over many page loads: RSS after load 10 vs after the last.

    python -m bench memory          (BENCH_MEMORY_LOADS, default 100)

A real ``streamlit run`` (loopback); Chromium opens the pages one after another, each in a
fresh browser context (a new session), cycling through every registered page; the server's
RSS (the Streamlit process, not its workers) is read after each load. Target: growth ≤ 10 %
from load 10 to the last load.

``BENCH_MEMORY_DEBUG=<folder>``: the server also dumps, after load 10 and every 10th, its
C heap (in use / free), garbage-collector counters, sessions, media files and cache entries
into ``<folder>/dump-N.json`` (``ui/memdebug.py``; add ``DL_EXPLORER_MEMORY_DEBUG_DEEP=1``
for a full collection, object types and ``tracemalloc``'s growing allocation sites, which
change what is measured).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from bench.common import report


def server_rss(pid: int) -> int:
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def _debug_dump(folder: Path, n: int) -> dict:
    """Ask the server's ``ui.memdebug`` hook for dump ``n`` and wait for it."""
    (folder / f"request-{n}").write_text("")
    out = folder / f"dump-{n}.json"
    for _ in range(3000):
        if out.exists():
            time.sleep(0.2)
            return json.loads(out.read_text())
        time.sleep(0.2)
    raise TimeoutError(f"no memory dump {n} from the server")


def main() -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.harness import (
        CHROMIUM,
        CHROMIUM_ARGS,
        free_port,
        start_server,
        wait_healthy,
        wait_idle,
    )
    from ui.registry import PAGES

    loads = int(os.environ.get("BENCH_MEMORY_LOADS", 100))
    paths = [
        "" if p.path == "app_pages/home.py" else p.path.removeprefix("app_pages/")[:-3]
        for p in PAGES
    ]
    home = tempfile.mkdtemp(prefix="dl-bench-memory-")
    port = free_port()
    debug = os.environ.get("BENCH_MEMORY_DEBUG")  # a folder: the server dumps what it holds
    if debug:
        Path(debug).mkdir(parents=True, exist_ok=True)
        os.environ["DL_EXPLORER_MEMORY_DEBUG"] = debug
    proc = start_server(port, home)
    rss: list[int] = []
    t0 = time.perf_counter()
    try:
        wait_healthy(port)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for i in range(loads):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                page.set_default_timeout(180_000)
                page.goto(f"http://127.0.0.1:{port}/{paths[i % len(paths)]}")
                wait_idle(page, quiet=1.0)
                context.close()
                rss.append(server_rss(proc.pid))
                print(f"load {i + 1}: {rss[-1] / 1e6:.1f} MB", flush=True)
                if debug and (i + 1 == 10 or (i + 1) % 10 == 0):
                    _debug_dump(Path(debug), i + 1)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(30)
    at10, last = rss[min(9, len(rss) - 1)], rss[-1]
    report(
        "memory",
        {
            "page loads": len(rss),
            "pages cycled": len(paths),
            "server RSS after load 10 (MB)": at10 / 1e6,
            "server RSS after the last load (MB)": last / 1e6,
            "peak RSS after load 10 (MB)": max(rss[9:] or rss) / 1e6,
            "growth from load 10 to the last (%)": 100 * (last - at10) / at10,
            "wall time (s)": time.perf_counter() - t0,
        },
    )


if __name__ == "__main__":
    main()
