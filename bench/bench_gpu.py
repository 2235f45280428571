"""GPU figures, for a machine that has one: ``python -m bench gpu`` (about 10 minutes).

- For every topic's trainers (``BENCH_GPU_TOPICS``, default all) at ``BENCH_GPU_PRESET``
  (default ``default``): the wall time of ``train(cfg, None, Reporter())`` (what a worker
  runs: data, graph building, training, evaluation) in float32, with mixed precision (the
  ``mixed_float16`` policy a worker sets under ``DL_EXPLORER_MIXED_PRECISION=1``) and with
  XLA (TensorFlow's auto-clustering, ``tf.config.optimizer.set_jit(True)``: the topics
  compile their own models, so this is the switch that reaches all of them), each run in a
  fresh process; and its peak GPU memory (``tf.config.experimental.get_memory_info``).
- 4 small jobs (the CNN ``default`` preset, 4 seeds) through the process executor with 4
  workers sharing the one GPU, against the same 4 jobs with 1 worker: the throughput ratio
  (baseline: one job at a time on the same GPU, workers warm in both).

Runs left when ``BENCH_GPU_BUDGET_S`` (default 540) is spent print "not run (budget)". On a
machine without a GPU it prints one "no GPU: skipped" line and nothing else runs
(``BENCH_GPU_FORCE=1`` runs it on the CPU anyway, to check the bench itself).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import report

ROOT = Path(__file__).resolve().parents[1]
MODES = ("float32", "mixed_float16", "xla")
CHILD = r"""
import json, os, sys, tempfile, time
os.environ["DL_EXPLORER_HOME"] = tempfile.mkdtemp(prefix="dl-bench-gpu-")
import tensorflow as tf
for gpu in tf.config.list_physical_devices("GPU"):
    tf.config.experimental.set_memory_growth(gpu, True)
import keras
mode, name, preset = sys.argv[1:4]
if mode == "mixed_float16":
    keras.mixed_precision.set_global_policy("mixed_float16")
elif mode == "xla":
    tf.config.optimizer.set_jit(True)
from dl_core import topics
from dl_core.jobs import Reporter
trainer = topics.trainer(name)
t0 = time.perf_counter()
trainer.train_fn(trainer.PRESETS[preset], None, Reporter())
seconds = time.perf_counter() - t0
try:
    peak = tf.config.experimental.get_memory_info("GPU:0")["peak"]
except ValueError:  # no GPU (BENCH_GPU_FORCE=1 on a CPU machine, to check this bench)
    peak = 0
print("BENCH_GPU " + json.dumps({"seconds": seconds, "peak": peak}))
"""


def has_gpu() -> bool:
    """Whether this machine has an NVIDIA GPU (device nodes or nvidia-smi; no TF import)."""
    if any(Path("/dev").glob("nvidia[0-9]*")):
        return True
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


def _trainers(wanted: list[str] | None) -> list[str]:
    from dl_core import topics

    return [tr.name for t in topics.TOPICS if not wanted or t.name in wanted for tr in t.trainers]


def one_run(mode: str, name: str, preset: str, timeout: float) -> dict | str:
    """``{"seconds", "peak"}`` of one training in a fresh process, or why there is none."""
    try:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, mode, name, preset],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=max(1.0, timeout),
        )
    except subprocess.TimeoutExpired:
        return "not finished (budget)"
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_GPU "):
            return json.loads(line.removeprefix("BENCH_GPU "))
    tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
    return f"failed: {tail[:200]}"


def shared_gpu(jobs_n: int = 4) -> dict[str, object]:
    """Makespan of ``jobs_n`` CNN default jobs with ``jobs_n`` workers on one GPU vs one."""
    from dl_core import cnn, jobs

    out: dict[str, object] = {}
    spans = {}
    for workers in (1, jobs_n):
        os.environ["DL_EXPLORER_HOME"] = tempfile.mkdtemp(prefix="dl-bench-gpu-share-")
        jobs.set_executor(jobs.ProcessExecutor(workers=workers))
        try:
            cfg = cnn.PRESETS["default"]
            warm = [jobs.submit(cnn.train, _seed(cfg, 900 + i)) for i in range(workers)]
            for key in warm:
                jobs.wait(key, timeout=1800)
            t0 = time.perf_counter()
            keys = [jobs.submit(cnn.train, _seed(cfg, i)) for i in range(jobs_n)]
            states = [jobs.wait(key, timeout=1800).state for key in keys]
            spans[workers] = time.perf_counter() - t0
            if any(s != "done" for s in states):
                out[f"{jobs_n} CNN default jobs, {workers} worker(s)"] = f"states {states}"
        finally:
            jobs.set_executor(None)
    out[f"{jobs_n} CNN default jobs, one at a time (s)"] = spans[1]
    out[f"{jobs_n} CNN default jobs, {jobs_n} workers sharing the GPU (s)"] = spans[jobs_n]
    out[f"throughput, {jobs_n} sharing / one at a time (baseline: 1 worker, same GPU)"] = (
        spans[1] / spans[jobs_n]
    )
    return out


def _seed(cfg, seed: int):
    import dataclasses

    return dataclasses.replace(cfg, seed=seed)


def main() -> dict:
    if not has_gpu() and os.environ.get("BENCH_GPU_FORCE") != "1":
        return report("gpu", {"GPU figures": "no GPU: skipped"})
    budget = float(os.environ.get("BENCH_GPU_BUDGET_S", 540))
    preset = os.environ.get("BENCH_GPU_PRESET", "default")
    wanted = [t for t in os.environ.get("BENCH_GPU_TOPICS", "").split(",") if t]
    deadline = time.monotonic() + budget
    figures: dict[str, object] = {}
    for name in _trainers(wanted):
        for mode in MODES:
            left = deadline - time.monotonic()
            label = f"{name} {preset}, {mode}"
            if left <= 0:
                figures[label] = "not run (budget)"
                continue
            got = one_run(mode, name, preset, left)
            if isinstance(got, str):
                figures[label] = got
                continue
            figures[f"{label}: train (s)"] = got["seconds"]
            figures[f"{label}: peak GPU memory (MB)"] = got["peak"] / 1e6
            print(f"{label}: {got['seconds']:.1f} s, {got['peak'] / 1e6:.0f} MB", flush=True)
    if deadline - time.monotonic() > 0:
        figures |= shared_gpu()
    else:
        figures["4 small jobs sharing one GPU"] = "not run (budget)"
    return report("gpu", figures)


if __name__ == "__main__":
    main()
