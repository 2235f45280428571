"""Scale-out figures: a Ray cluster with two worker nodes against one, and the fixed cost
of a job on ``ray`` against ``process``.

    python -m bench scale

- makespan of 16 tiny real Keras trainings (``dl_core.testing.train_mlp``) on a local Ray
  cluster whose head runs nothing, with one worker node of 1 CPU, then two (target ratio
  ≥ 1.7×). All nodes are processes on this machine, on loopback addresses;
- the same 16 jobs on one and on two plain worker processes (the process executor, one
  thread each) on the same machine, measured in the same run: what two cores give this
  work without Ray. On a virtual machine two cores need not double vectorised training
  (they may share a physical core, and the host schedules them); Ray's ratio is judged
  against this one;
- fixed overhead: submit → done of a job that does nothing (``dl_core.testing.train``, one
  step) through a warm executor, median of 8, ``ray`` against ``process`` (target: at
  most 0.5 s more);
- on a GPU machine, 4 small jobs sharing one GPU at 0.25 each against one at a time
  (skipped with a line when there is no GPU).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from unittest import mock

from bench.common import report
from tests.servers import RayCluster  # sets Ray's loopback-only environment first

JOBS = 16


def _fresh_home() -> None:
    os.environ["DL_EXPLORER_HOME"] = tempfile.mkdtemp(prefix="dl-bench-scale-")
    os.environ.pop("DL_EXPLORER_DATABASE_URL", None)


def _nodes_used(keys: list[str]) -> set[str]:
    """The Ray nodes these jobs ran on (the executor records each placement)."""
    from dl_core.jobs.db import _connect

    with _connect() as con:
        rows = con.execute(
            f"SELECT node FROM placements WHERE key IN ({','.join('?' * len(keys))})", keys
        ).fetchall()
    return {r[0] for r in rows}


def makespan(nodes: int) -> float:
    import ray

    from dl_core import jobs, testing
    from dl_core.jobs.ray_executor import RayExecutor

    _fresh_home()
    cluster = RayCluster(head_cpus=0)
    try:
        for _ in range(nodes):
            cluster.add_node(cpus=1)
        cluster.connect()
        cluster.wait_nodes(nodes + 1)
        jobs.set_executor(RayExecutor(address=cluster.address, max_jobs=nodes))
        # Warm each node's worker (Keras imported once per worker process), as a server would.
        warm = _warm_up(nodes)
        # Ray may put both warm-ups on one node: warm until every node has run one, or the
        # two-node run would pay a cold Keras import the one-node run does not.
        for round_ in range(4):
            if len(_nodes_used(warm)) >= nodes:
                break
            more = [
                jobs.submit(
                    testing.train_mlp,
                    testing.Config(epochs=2, samples=512, seed=200 + nodes * round_ + i),
                )
                for i in range(nodes)
            ]
            for key in more:
                jobs.wait(key, timeout=900)
            warm += more
        print(f"{nodes} node(s): warm-ups ran on {len(_nodes_used(warm))} node(s)", flush=True)
        return _run_jobs()
    finally:
        jobs.set_executor(None)
        ray.shutdown()
        cluster.stop()


def makespan_processes(workers: int) -> float:
    """The same 16 jobs as :func:`makespan` on ``workers`` plain worker processes (the
    process executor, warmed up, one TensorFlow thread each as a one-CPU Ray task has)."""
    from dl_core import jobs

    _fresh_home()
    with mock.patch.dict(os.environ, {"DL_EXPLORER_WORKER_THREADS": "1"}):
        jobs.set_executor(jobs.ProcessExecutor(workers=workers))
        try:
            _warm_up(workers)
            return _run_jobs()
        finally:
            jobs.set_executor(None)


def _warm_up(n: int) -> list[str]:
    """One small job per worker (Keras imported once per worker process, as on a server)."""
    from dl_core import jobs, testing

    keys = [
        jobs.submit(testing.train_mlp, testing.Config(epochs=1, samples=64, seed=100 + i))
        for i in range(n)
    ]
    for key in keys:
        jobs.wait(key, timeout=900)
    return keys


def _run_jobs() -> float:
    """Submit the 16 tiny trainings at once; seconds until the last is done."""
    from dl_core import jobs, testing

    t0 = time.perf_counter()
    keys = [
        jobs.submit(testing.train_mlp, testing.Config(epochs=4, samples=4096, seed=i))
        for i in range(JOBS)
    ]
    for key in keys:
        assert jobs.wait(key, timeout=1800).state == "done"
    return time.perf_counter() - t0


def overhead(kind: str) -> float:
    from dl_core import jobs, testing

    _fresh_home()
    if kind == "ray":
        import ray

        from dl_core.jobs.ray_executor import RayExecutor

        ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
        ex = RayExecutor(max_jobs=1)
    else:
        os.environ["DL_EXPLORER_WORKER_PRELOAD"] = "0"
        ex = jobs.ProcessExecutor(workers=1)
    jobs.set_executor(ex)
    try:
        times = []
        for i in range(9):
            t0 = time.perf_counter()
            key = jobs.submit(testing.train, testing.Config(steps=1, seed=i))
            jobs.wait(key, timeout=600, poll_s=0.005)
            if i:  # the first one starts the worker
                times.append(time.perf_counter() - t0)
        return statistics.median(times)
    finally:
        jobs.set_executor(None)
        if kind == "ray":
            import ray

            ray.shutdown()


def main() -> None:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    one, two = makespan(1), makespan(2)
    plain_one, plain_two = makespan_processes(1), makespan_processes(2)
    process, ray_s = overhead("process"), overhead("ray")
    gpu = "no GPU: skipped" if not os.path.exists("/dev/nvidia0") else "see bench gpu"
    report(
        "scale",
        {
            f"{JOBS} tiny trainings, 1 worker node (s)": one,
            f"{JOBS} tiny trainings, 2 worker nodes (s)": two,
            "two nodes vs one: makespan ratio (target >= 1.7)": one / two,
            "baseline": "the same 16 jobs on the same cluster with one worker node",
            f"{JOBS} tiny trainings, 1 plain worker process (s)": plain_one,
            f"{JOBS} tiny trainings, 2 plain worker processes (s)": plain_two,
            "what two cores give without Ray: 2 processes vs 1": plain_one / plain_two,
            "Ray's ratio / that ratio (1.0: Ray loses nothing)": (one / two)
            / (plain_one / plain_two),
            "job overhead, process executor: submit -> done, no-op job (s)": process,
            "job overhead, ray executor (s)": ray_s,
            "ray - process (s) (target <= 0.5)": ray_s - process,
            "4 small jobs sharing one GPU vs one at a time": gpu,
        },
    )


if __name__ == "__main__":
    main()
