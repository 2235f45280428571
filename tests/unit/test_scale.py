"""Scale-out: the job semantics on every executor (inline, process, ray) and database
(SQLite, PostgreSQL), and a two-node Ray cluster that loses a node mid-job.

Real servers, started and stopped here (tests/servers.py), on loopback only.
"""

from __future__ import annotations

import json

import pytest

from dl_core import jobs, testing
from dl_core.testing import Config
from tests.servers import Postgres, RayCluster, postgres_bin
from tests.timeouts import TRAIN_S, UI_S, ceiling, wait_until

ray = pytest.importorskip("ray", reason="make test installs requirements-scale.txt")


@pytest.fixture(scope="module")
def pg():
    if postgres_bin() is None:
        pytest.skip("PostgreSQL is not installed (make test installs Debian's postgresql)")
    server = Postgres()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    yield
    ray.shutdown()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, fresh_home, monkeypatch):
    if request.param == "postgres":
        server = request.getfixturevalue("pg")
        server.reset()
        monkeypatch.setenv("DL_EXPLORER_DATABASE_URL", server.url)
    else:
        monkeypatch.delenv("DL_EXPLORER_DATABASE_URL", raising=False)
    return request.param


@pytest.fixture(params=["inline", "process", "ray"])
def executor(request, database, monkeypatch):
    monkeypatch.setenv("DL_EXPLORER_WORKER_PRELOAD", "0")
    if request.param == "inline":
        ex = jobs.InlineExecutor()
    elif request.param == "process":
        ex = jobs.ProcessExecutor(workers=1)
    else:
        request.getfixturevalue("local_ray")
        from dl_core.jobs.ray_executor import RayExecutor

        ex = RayExecutor(max_jobs=2)
    jobs.set_executor(ex)
    yield request.param
    jobs.set_executor(None)


def _wait_for(predicate, what: str):
    """Poll until ``predicate()`` is truthy; the ceiling only catches a hang."""
    return wait_until(predicate, ceiling(UI_S), what, poll=0.05)


def test_ray_postgres_submit_dedup_and_result(executor, database):
    k1 = jobs.submit(testing.train, Config(steps=3), label="first")
    st = jobs.wait(k1, timeout=ceiling(UI_S))
    assert st.state == "done", st.error
    assert jobs.submit(testing.train, Config(steps=3)) == k1  # same key, same job
    assert len(jobs.list_jobs()) == 1
    assert jobs.result(k1)["total"] == 6
    assert [e.kind for e in jobs.status(k1).events][-1] == "epoch"


def test_ray_postgres_stop_lands_within_a_batch(executor, database):
    if executor == "inline":
        pytest.skip("inline jobs run to the end inside submit()")
    key = jobs.submit(testing.train, Config(steps=100_000, sleep_s=0.01))
    _wait_for(lambda: (s := jobs.status(key)) and len(s.events) >= 3, "the job reports")
    jobs.cancel(key)
    st = jobs.wait(key, timeout=ceiling(UI_S))
    assert st.state == "cancelled"
    last = max(e.step or 0 for e in st.events)
    assert last < 100_000  # it stopped at a batch, long before the end


def test_ray_postgres_time_limit_fails_the_job_with_a_sentence(executor, database):
    if executor == "inline":
        pytest.skip("the time limit is enforced by a dispatcher")
    key = jobs.submit(testing.train, Config(steps=100_000, sleep_s=0.01), timeout_s=1.0)
    st = jobs.wait(key, timeout=ceiling(UI_S))
    assert st.state == "failed" and "longer than its" in st.error


def test_ray_postgres_crash_fails_the_job_and_the_next_runs(executor, database):
    if executor == "inline":
        pytest.skip("a hard crash would end the test process")
    bad = jobs.submit(testing.train, Config(steps=5, crash_at=2))
    st = jobs.wait(bad, timeout=ceiling(UI_S))
    assert st.state == "failed" and st.error.startswith("Training stopped:")
    ok = jobs.submit(testing.train, Config(steps=2))
    assert jobs.wait(ok, timeout=ceiling(UI_S)).state == "done"


def test_ray_task_runs_tensorflow_on_its_cpu_share(fresh_home, local_ray, monkeypatch):
    """A 1-CPU Ray task gets one TensorFlow intra-op thread, not one per core of the node."""
    from dl_core.jobs import cpu
    from dl_core.jobs.ray_executor import RayExecutor

    monkeypatch.delenv("DL_EXPLORER_DATABASE_URL", raising=False)
    monkeypatch.delenv("DL_EXPLORER_WORKER_THREADS", raising=False)
    jobs.set_executor(RayExecutor(max_jobs=2))
    try:
        st = jobs.wait(jobs.submit(testing.worker_info, Config(seed=41)), timeout=ceiling(TRAIN_S))
    finally:
        jobs.set_executor(None)
    assert st.state == "done", st.error
    info = jobs.result(st.key)
    assert (info["TF_NUM_INTRAOP_THREADS"], info["TF_NUM_INTEROP_THREADS"]) == ("1", "1")
    assert info["nice"] >= cpu.DEFAULT_NICE  # a local cluster leaves CPU to the pages


def test_ray_two_nodes_lost_node_requeues_the_job_once(fresh_home, monkeypatch):
    """A job pinned to a second node; the node dies mid-job; the job finishes on the head."""
    monkeypatch.delenv("DL_EXPLORER_DATABASE_URL", raising=False)
    if ray.is_initialized():
        ray.shutdown()
    cluster = RayCluster(head_cpus=1)
    try:
        second = cluster.add_node(cpus=1, resources={"second": 1})
        monkeypatch.setenv("DL_EXPLORER_RAY_RESOURCES", json.dumps({"second": 0.5}))
        from dl_core.jobs.ray_executor import RayExecutor

        cluster.connect()
        ex = RayExecutor(address=cluster.address, max_jobs=1)
        jobs.set_executor(ex)
        cluster.wait_nodes(2)
        head = next(
            n["NodeID"] for n in ray.nodes() if n["Alive"] and "second" not in n["Resources"]
        )
        key = jobs.submit(testing.train, Config(steps=400, sleep_s=0.02))
        _wait_for(lambda: (s := jobs.status(key)) and len(s.events) >= 3, "it trains")
        placed = _placement(key)
        assert placed[1] == 1 and placed[0] != head  # first attempt: on the second node
        cluster.kill_node(second)
        st = jobs.wait(key, timeout=ceiling(TRAIN_S))
        assert st.state == "done", st.error
        node, attempt = _placement(key)
        assert (node, attempt) == (head, 2)  # requeued once, finished on the head
    finally:
        jobs.set_executor(None)
        ray.shutdown()
        cluster.stop()


def _placement(key: str) -> tuple[str, int]:
    from dl_core.jobs.db import _connect

    with _connect() as con:
        row = con.execute("SELECT node, attempt FROM placements WHERE key=?", (key,)).fetchone()
    return row[0], row[1]


class _Held(jobs.Executor):
    """Queues jobs and runs none (the test moves their rows by hand)."""

    def wake(self, key):
        pass


def _running_as(key: str, owner: int, worker_pid: int | None = None) -> None:
    from dl_core.jobs.db import _connect

    with _connect() as con:
        con.execute(
            "UPDATE jobs SET state='running', owner=?, worker_pid=? WHERE key=?",
            (owner, worker_pid, key),
        )


def test_postgres_replica_on_another_host_keeps_its_job_while_its_lease_is_fresh(
    database, monkeypatch
):
    """Replicas on several machines share the database: a job that another host's server
    runs is not taken from it because its process id means nothing here; it goes back to the
    queue once that server's heartbeat is older than the lease."""
    import os
    import time

    from dl_core.jobs import executors, owners
    from dl_core.jobs.db import _connect

    monkeypatch.setenv("DL_EXPLORER_OWNER_LEASE_S", "60")
    jobs.set_executor(_Held())
    try:
        key = jobs.submit(testing.train, Config(steps=5))
        other = (1 << 40) + 7  # another machine's server; its pid is a live one of ours
        with _connect() as con:
            con.execute(
                "INSERT INTO owners (id, host, pid, seen) VALUES (?, ?, ?, ?)",
                (other, "another-machine", os.getpid(), time.time()),
            )
        _running_as(key, other, worker_pid=os.getpid())
        executors._requeue_orphans()
        assert jobs.status(key).state == "running"  # fresh lease: still that server's job

        with _connect() as con:  # that machine went silent 2 minutes ago
            con.execute("UPDATE owners SET seen=? WHERE id=?", (time.time() - 120, other))
        executors._requeue_orphans()  # and this process (our "worker_pid") is not ended
        assert jobs.status(key).state == "queued"
        assert executors._claim() == key
        with _connect() as con:
            row = con.execute("SELECT owner FROM jobs WHERE key=?", (key,)).fetchone()
            mine = con.execute("SELECT host FROM owners WHERE id=?", (row[0],)).fetchone()
        assert row[0] == owners.me() and mine[0] == owners.HOST
    finally:
        jobs.set_executor(None)


def test_postgres_a_dead_server_on_this_host_loses_its_job_at_once(database):
    """On its own host an owner is judged by its process, without waiting for the lease."""
    import subprocess
    import sys
    import time

    from dl_core.jobs import executors
    from dl_core.jobs.db import _connect

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    jobs.set_executor(_Held())
    try:
        key = jobs.submit(testing.train, Config(steps=5))
        owner = (1 << 40) + 8
        with _connect() as con:
            con.execute(
                "INSERT INTO owners (id, host, pid, seen) VALUES (?, ?, ?, ?)",
                (owner, __import__("socket").gethostname(), gone.pid, time.time()),
            )
        _running_as(key, owner)
        executors._requeue_orphans()
        assert jobs.status(key).state == "queued"
    finally:
        jobs.set_executor(None)
