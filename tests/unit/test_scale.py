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
