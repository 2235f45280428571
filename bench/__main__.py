"""``python -m bench [name ...]``: run benchmarks (all of them when no name is given)."""

import importlib
import os
import sys
from pathlib import Path

os.environ.setdefault("DL_EXPLORER_OFFLINE", "1")


def main(argv: list[str]) -> int:
    names = argv or sorted(
        p.stem.removeprefix("bench_") for p in Path(__file__).parent.glob("bench_*.py")
    )
    for name in names:
        importlib.import_module(f"bench.bench_{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
