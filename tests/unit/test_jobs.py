"""The job system: keys, dedup, cache hits across processes, and real worker processes."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dl_core import jobs, testing
from dl_core.testing import Config


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
        timeout=120,
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
    monkeypatch.setattr(jobs.executors, "CANCEL_GRACE_S", 2.0)
    executor = jobs.ProcessExecutor(workers=1)
    jobs.set_executor(executor)
    yield executor
    jobs.set_executor(None)


def _wait_for_event(key, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = jobs.status(key)
        if st.events or not st.active:
            return st
        time.sleep(0.05)
    raise AssertionError("no progress event")


def test_worker_process_end_to_end(pool):
    """One spawn worker: success, raise, crash, fresh worker, cancel, timeout, stuck job."""
    ok = jobs.wait(jobs.submit(testing.train, Config(steps=3)), timeout=120)
    assert ok.state == "done"
    assert jobs.result(ok.key)["pid"] != os.getpid()  # ran in a worker process

    raised = jobs.wait(jobs.submit(testing.train, Config(raise_at=2)), timeout=60)
    assert raised.state == "failed" and "boom" in raised.error

    crashed = jobs.wait(jobs.submit(testing.train, Config(crash_at=2, steps=3)), timeout=60)
    assert crashed.state == "failed" and "crashed (exit code 3)" in crashed.error

    after = jobs.wait(jobs.submit(testing.train, Config(steps=2)), timeout=120)
    assert after.state == "done"  # the next job got a fresh worker
    assert jobs.result(after.key)["pid"] != jobs.result(ok.key)["pid"]

    key = jobs.submit(testing.train, Config(steps=10_000, sleep_s=0.01))
    _wait_for_event(key)
    t0 = time.time()
    jobs.cancel(key)
    st = jobs.wait(key, timeout=30)
    assert st.state == "cancelled" and time.time() - t0 < 5

    key = jobs.submit(testing.train, Config(steps=10_000, sleep_s=0.01), timeout_s=1.0)
    st = jobs.wait(key, timeout=60)
    assert st.state == "failed" and "limit" in st.error

    # A loop that never reports cannot stop politely: the worker is killed after the grace.
    key = jobs.submit(testing.train, Config(steps=10_000, sleep_s=0.01, report=False, seed=1))
    while jobs.status(key).state != "running":
        time.sleep(0.05)
    jobs.cancel(key)
    st = jobs.wait(key, timeout=30)
    assert st.state == "cancelled"
    assert jobs.wait(jobs.submit(testing.train, Config(steps=1)), timeout=120).state == "done"


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


def test_queue_position_counts_the_running_job(fresh_home):
    class Paused(jobs.Executor):
        def wake(self, key):
            pass

    jobs.set_executor(Paused())
    try:
        keys = [jobs.submit(testing.train, Config(steps=s)) for s in (1, 2, 3)]
        assert jobs.executors._claim(os.getpid()) == keys[0]  # the first one runs
        assert jobs.status(keys[0]).queue_position is None
        assert [jobs.status(k).queue_position for k in keys[1:]] == [1, 2]
    finally:
        jobs.set_executor(None)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie may linger where PID 1 does not reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_restart_ends_an_orphaned_worker_before_requeueing(fresh_home, monkeypatch):
    """A job left running by a killed server whose worker still trains must not run twice."""
    from dl_core.jobs.db import _connect

    class Paused(jobs.Executor):
        def wake(self, key):
            pass

    jobs.set_executor(Paused())
    old_worker = subprocess.Popen(
        [sys.executable, "-c", "import multiprocessing, time; time.sleep(300)"]
    )
    try:
        key = jobs.submit(testing.train, Config(steps=5))
        with _connect() as con:
            con.execute(
                "UPDATE jobs SET state='running', owner=?, worker_pid=? WHERE key=?",
                (_dead_pid(), old_worker.pid, key),
            )
        jobs.executors._requeue_orphans()
        assert old_worker.wait(timeout=30) == -9  # ended before the job went back
        assert jobs.status(key).state == "queued"
    finally:
        old_worker.kill()
        jobs.set_executor(None)


_SERVER = """
import sys, time
from dl_core import jobs, testing
jobs.set_executor(jobs.ProcessExecutor(workers=1))
key = jobs.submit(testing.train, testing.Config(steps=100_000, sleep_s=0.01))
while (s := jobs.status(key, with_events=False)).worker_pid is None:
    time.sleep(0.05)
print(s.worker_pid, flush=True)
time.sleep(300)
"""


def test_worker_exits_when_its_server_is_killed(fresh_home):
    env = os.environ | {"DL_EXPLORER_EXECUTOR": "process", "DL_EXPLORER_WORKER_PRELOAD": "0"}
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        worker = int(server.stdout.readline())
        assert _running(worker)
        server.kill()
        server.wait(timeout=30)
        deadline = time.time() + 60  # a bound, not a timing assertion
        while _running(worker) and time.time() < deadline:
            time.sleep(0.1)
        assert not _running(worker)
    finally:
        server.kill()


def test_killed_worker_names_the_signal_and_is_replaced_at_once(pool):
    import signal

    key = jobs.submit(testing.train, Config(steps=100_000, sleep_s=0.01))
    while (s := jobs.status(key, with_events=False)).worker_pid is None:
        time.sleep(0.05)
    os.kill(s.worker_pid, signal.SIGKILL)
    st = jobs.wait(key, timeout=60)
    assert st.state == "failed" and "killed by SIGKILL" in st.error
    assert "GB" in st.error and "memory" in st.error  # says how near the limit it was
    slot = pool.slots[0]
    assert slot.process is not None and slot.process.pid != s.worker_pid  # replaced at once
    after = jobs.wait(jobs.submit(testing.train, Config(steps=2)), timeout=120)
    assert after.state == "done" and jobs.result(after.key)["pid"] == slot.process.pid


def test_crash_message_says_whether_memory_was_near_the_limit(monkeypatch):
    monkeypatch.setattr(jobs.executors, "_memory_limit", lambda: 4 * 10**9)
    near = jobs.executors.crash_message(-9, peak_rss=int(3.9e9))
    assert "SIGKILL" in near and "3.9 GB of the 4.0 GB" in near and "ran out of memory" in near
    far = jobs.executors.crash_message(-15, peak_rss=int(0.5e9))
    assert "SIGTERM" in far and "not near the limit" in far
    assert "out-of-memory killer" in jobs.executors.crash_message(-9, int(1e9), oom_killed=True)
    assert jobs.executors.crash_message(3) == (
        "Training stopped: the training process crashed (exit code 3)."
    )
