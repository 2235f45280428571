"""The job system: keys, dedup, cache hits across processes, and real worker processes."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from dl_core import jobs, testing
from dl_core.testing import Config
from tests.timeouts import UI_S, ceiling, wait_until

JOB_S = ceiling(UI_S)  # a ceiling for one small job in a worker: only a hang reaches it


def test_key_depends_on_function_config_and_data():
    a = jobs.job_key(testing.train, Config(steps=3))
    assert a == jobs.job_key(testing.train, Config(steps=3))
    assert a != jobs.job_key(testing.train, Config(steps=4))
    assert a != jobs.job_key(testing.train, Config(steps=3), "ab" * 32)
    assert a != jobs.job_key(testing.train_mlp, Config(steps=3))


def test_identical_requests_share_one_job(fresh_home, inline_jobs):
    k1 = jobs.submit(testing.train, Config(steps=3))
    first = jobs.result(k1)
    k2 = jobs.submit(testing.train, Config(steps=3))
    assert k1 == k2
    assert len(jobs.list_jobs()) == 1
    assert jobs.result(k2)["total"] == first["total"] == 6
    np.testing.assert_array_equal(jobs.result(k1)["squares"], [0, 1, 4])


def test_progress_events_are_persisted(fresh_home, inline_jobs):
    key = jobs.submit(testing.train, Config(steps=4))
    st = jobs.status(key)
    assert st.state == "done" and st.fraction() == 1.0
    assert [e.kind for e in st.events][-1] == "epoch"
    np.testing.assert_array_equal(jobs.latest_preview(st), np.arange(4))


def test_user_error_and_crash_messages(fresh_home, inline_jobs):
    st = jobs.status(jobs.submit(testing.train, Config(user_error=True)))
    assert st.state == "failed" and st.error == "Steps must be positive."
    st = jobs.status(jobs.submit(testing.train, Config(raise_at=2)))
    assert st.state == "failed" and "RuntimeError: boom at step 2" in st.error


def test_finished_job_is_a_cache_hit_in_a_new_process(fresh_home, inline_jobs):
    key = jobs.submit(testing.train, Config(steps=3), label="first")
    pid = jobs.result(key)["pid"]
    code = (
        "from dl_core import jobs, testing; import json;"
        "k = jobs.submit(testing.train, testing.Config(steps=3));"
        "s = jobs.status(k); r = jobs.result(k);"
        "print(json.dumps([k, s.state, r['pid']]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env=os.environ | {"DL_EXPLORER_EXECUTOR": "process", "DL_EXPLORER_WORKER_PRELOAD": "0"},
        timeout=JOB_S,
    ).stdout  # fmt: skip
    k, state, result_pid = json.loads(out.strip().splitlines()[-1])
    assert (k, state, result_pid) == (key, "done", pid)  # not trained again


def test_failed_job_restarts_on_submit(fresh_home, inline_jobs):
    cfg = Config(raise_at=1)
    key = jobs.submit(testing.train, cfg)
    assert jobs.status(key).state == "failed"
    assert jobs.submit(testing.train, cfg, restart=False) == key
    assert jobs.status(key).state == "failed"


@pytest.fixture
def pool(fresh_home, monkeypatch):
    monkeypatch.setenv("DL_EXPLORER_WORKER_PRELOAD", "0")
    # A job that reports stops politely long before this grace, however slow the machine.
    monkeypatch.setattr(jobs.executors, "CANCEL_GRACE_S", JOB_S)
    executor = jobs.ProcessExecutor(workers=1)
    jobs.set_executor(executor)
    yield executor
    jobs.set_executor(None)


def _wait_for_event(key):
    def reported():
        st = jobs.status(key)
        return st.events or not st.active

    wait_until(reported, UI_S, "a progress event", poll=0.05)


def test_worker_process_end_to_end(pool, monkeypatch):
    """One spawn worker: success, raise, crash, fresh worker, cancel, timeout, stuck job."""
    ok = jobs.wait(jobs.submit(testing.train, Config(steps=3)), timeout=JOB_S)
    assert ok.state == "done"
    assert jobs.result(ok.key)["pid"] != os.getpid()  # ran in a worker process

    raised = jobs.wait(jobs.submit(testing.train, Config(raise_at=2)), timeout=JOB_S)
    assert raised.state == "failed" and "boom" in raised.error

    crashed = jobs.wait(jobs.submit(testing.train, Config(crash_at=2, steps=3)), timeout=JOB_S)
    assert crashed.state == "failed" and "crashed (exit code 3)" in crashed.error

    after = jobs.wait(jobs.submit(testing.train, Config(steps=2)), timeout=JOB_S)
    assert after.state == "done"  # the next job got a fresh worker
    assert jobs.result(after.key)["pid"] != jobs.result(ok.key)["pid"]

    # Stop: the job stops itself at its next report (the worker lives on), before its end.
    key = jobs.submit(testing.train, Config(steps=10_000, sleep_s=0.01))
    _wait_for_event(key)
    worker = pool.slots[0].process
    jobs.cancel(key)
    st = jobs.wait(key, timeout=JOB_S)
    assert st.state == "cancelled" and max(e.step or 0 for e in st.events) < 10_000
    assert pool.slots[0].process is worker and worker.is_alive()  # not killed

    # Over its time limit (at least 100 s of sleeps against 1 s), it stops at a report too.
    key = jobs.submit(testing.train, Config(steps=10_000, sleep_s=0.01), timeout_s=1.0)
    st = jobs.wait(key, timeout=JOB_S)
    assert st.state == "failed" and "limit" in st.error
    assert pool.slots[0].process is worker and worker.is_alive()

    # A loop that never reports cannot stop politely: the worker is killed after the grace.
    monkeypatch.setattr(jobs.executors, "CANCEL_GRACE_S", 2.0)
    key = jobs.submit(testing.train, Config(steps=10_000, sleep_s=0.01, report=False, seed=1))
    wait_until(lambda: jobs.status(key).state == "running", UI_S, "the job to start", poll=0.05)
    jobs.cancel(key)
    st = jobs.wait(key, timeout=JOB_S)
    assert st.state == "cancelled" and not worker.is_alive()
    assert jobs.wait(jobs.submit(testing.train, Config(steps=1)), timeout=JOB_S).state == "done"


def test_queue_position(fresh_home, monkeypatch):
    class Paused(jobs.Executor):
        def wake(self, key):
            pass

    jobs.set_executor(Paused())
    try:
        keys = [jobs.submit(testing.train, Config(steps=s)) for s in (1, 2, 3)]
        assert [jobs.status(k).queue_position for k in keys] == [0, 1, 2]
        jobs.cancel(keys[0])
        assert jobs.status(keys[0]).state == "cancelled"
        assert jobs.status(keys[2]).queue_position == 1
    finally:
        jobs.set_executor(None)


def test_keras_callback_stops_fit_within_one_batch(fresh_home):
    from dl_core.errors import Cancelled

    class StopAfter(jobs.Reporter):
        def __init__(self, n):
            super().__init__()
            self.n = n
            self.batches = 0

        def check(self):
            self.batches += 1
            if self.batches >= self.n:
                raise Cancelled("stopped by the visitor")

    rep = StopAfter(3)
    with pytest.raises(Cancelled):
        testing.train_mlp(Config(epochs=5, samples=512), None, rep)
    assert rep.batches == 3  # no batch ran after the one that saw the Stop
    assert [e["kind"] for e in rep.events].count("epoch") == 0
