"""Command line: ``python -m dl_core warmup | jobs | evict``."""

from __future__ import annotations

import argparse
import sys
import time

from dl_core import jobs, topics
from dl_core.store import Store


def warmup(only: list[str] | None = None, timeout: float = 3600) -> int:
    """Train every topic's warm-up jobs through the worker pool; print what happened."""
    failed = 0
    for topic in topics.TOPICS:
        name = topic.name
        if only and name not in only:
            continue
        for train, cfg, data_fp, label in topic.warmup_jobs():
            t0 = time.time()
            key = jobs.submit(train, cfg, data_fp, label=label)
            st = jobs.wait(key, timeout=timeout)
            if st.state == "done":
                jobs.pin(key)  # every visitor's first view needs it: never evicted
            print(
                f"{name:18s} {label:32s} {st.state:9s} {time.time() - t0:7.1f} s {st.error or ''}",
                flush=True,
            )
            failed += st.state != "done"
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dl_core")
    sub = parser.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("warmup", help="train every topic's default preset into the cache")
    w.add_argument("topics", nargs="*", help="only these topics")
    sub.add_parser("jobs", help="list recent jobs")
    e = sub.add_parser("evict", help="shrink the cache to its size bound")
    e.add_argument("--max-bytes", type=int, default=None)
    args = parser.parse_args(argv)
    if args.cmd == "warmup":
        code = warmup(args.topics or None)
        jobs.set_executor(None)
        return code
    if args.cmd == "jobs":
        for j in jobs.list_jobs():
            print(f"{j.key[:12]} {j.label:24s} {j.state:9s} {j.error or ''}")
        return 0
    removed = jobs.evict(args.max_bytes)
    store = Store()
    print(
        f"removed {len(removed)} entries; cache {store.cache_bytes() / 1e6:,.1f} MB "
        f"(bound {store.max_bytes / 1e6:,.0f} MB), on disk {store.total_bytes() / 1e6:,.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
