"""The job system: keys, dedup, cache hits across processes, and real worker processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dl_core import jobs, testing
from dl_core.errors import Cancelled
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
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"DL_EXPLORER_EXECUTOR": "process", "DL_EXPLORER_WORKER_PRELOAD": "0"},
        timeout=JOB_S,
    ).stdout
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
    pool._reap()
    assert not _zombie_children(), "a stopped or crashed worker was never reaped"


def _zombie_children() -> list[int]:
    """Child processes of this one that have exited but were never waited for."""
    zombies = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            zombies.append(int(stat.parent.name))
    return zombies


def test_status_says_stopping_at_once_and_names_the_phase(fresh_home):
    class Paused(jobs.Executor):
        def wake(self, key):
            pass

    jobs.set_executor(Paused())
    try:
        key = jobs.submit(testing.train, Config(steps=9))
        jobs.executors._claim(os.getpid())  # now running, as a worker would see it
        report = jobs.Reporter(key, min_interval=0, check_interval=0)
        report(message="loading the pretrained network…")
        assert jobs.status(key).phase == "loading the pretrained network…"
        report(message="extracting features 8/300")
        report(message="fine-tuning the top blocks…")
        report(step=3, total=9)
        st = jobs.status(key)
        assert st.phase == "fine-tuning the top blocks…" and not st.stopping
        report(message="extracting features 16/300")  # not a phase: shown while it is latest
        report(step=4, total=9)
        assert jobs.status(key).phase is None
        jobs.cancel(key)
        assert jobs.status(key).stopping  # before the job reaches its next report
        with pytest.raises(Cancelled):
            report(step=5, total=9)
    finally:
        jobs.set_executor(None)


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


# -- throttled reporting (no wall clock: the test drives the reporter's clock) ---------------
class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _running_job(key: str) -> None:
    from dl_core.jobs.db import _connect

    with _connect() as con:
        con.execute(
            "INSERT INTO jobs (key, fn, config, state) VALUES (?, 'tests:fit', '{}', 'running')",
            (key,),
        )


def _fit(reporter, epochs: int, on_batch=None, samples: int = 512):
    """Fit a tiny model (16 batches an epoch); ``on_batch(batch)`` runs before the reporter."""
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(samples, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    steps = samples // 32

    class Tick(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            on_batch(batch)

    callbacks = ([Tick()] if on_batch else []) + [reporter.keras_callback(epochs, steps)]
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, shuffle=False, callbacks=callbacks)


def test_batch_events_are_throttled_by_the_clock_and_still_arrive(fresh_home):
    _running_job("k1")
    clock = _Clock()
    rep = jobs.Reporter("k1", min_interval=0.5, clock=clock)

    def tick(batch):
        clock.t += 0.25  # two batches per reporting interval

    _fit(rep, epochs=2, on_batch=tick)
    events = jobs.status("k1").events
    batches = [e for e in events if e.kind == "batch"]
    # Every other batch, in order; the epoch event written after batch 16 restarts the interval.
    assert [e.step for e in batches] == [*range(1, 16, 2), *range(18, 33, 2)]
    assert all("loss" in e.metrics for e in batches)
    assert [(e.kind, e.epoch) for e in events if e.kind == "epoch"] == [("epoch", 1), ("epoch", 2)]


def test_every_epoch_is_persisted_when_batches_are_throttled_out(fresh_home):
    _running_job("k2")
    rep = jobs.Reporter("k2", min_interval=0.5, clock=_Clock())  # the clock never moves
    _fit(rep, epochs=3)
    events = jobs.status("k2").events
    assert [e.kind for e in events] == ["batch", "epoch", "epoch", "epoch"]  # only the first batch
    last = events[-1]
    assert last.epoch == 3 and last.total == 3 and np.isfinite(last.metrics["loss"])
    assert last.metrics == rep.events[-1]["metrics"]


def test_stop_lands_mid_epoch_at_the_next_check(fresh_home):
    from dl_core.errors import Cancelled
    from dl_core.jobs.db import _update

    _running_job("k3")
    clock = _Clock()
    rep = jobs.Reporter("k3", min_interval=10.0, check_interval=0.25, clock=clock)
    ran = []

    def tick(batch):
        ran.append(batch)
        clock.t += 0.25
        if batch == 4:
            _update("k3", cancel_requested=1)  # Stop pressed during the fifth batch

    with pytest.raises(Cancelled, match="stopped by the visitor"):
        _fit(rep, epochs=2, on_batch=tick)
    assert ran == [0, 1, 2, 3, 4]  # the sixth batch never started; the epoch had 16
    assert [e.kind for e in jobs.status("k3").events] == ["batch"]


def test_stop_is_looked_up_only_every_check_interval(fresh_home):
    from dl_core.errors import Cancelled
    from dl_core.jobs.db import _update

    _running_job("k4")
    clock = _Clock()
    rep = jobs.Reporter("k4", check_interval=0.25, clock=clock)
    rep(step=1, total=10)  # looks up the flag (not set)
    _update("k4", cancel_requested=1)
    clock.t = 0.2
    rep(step=2, total=10)  # within the interval: no database read, no stop yet
    clock.t = 0.25
    with pytest.raises(Cancelled):
        rep(step=3, total=10)


# -- CPU limits of worker processes ----------------------------------------------------------
def test_worker_cpu_defaults_follow_the_core_count():
    from dl_core.jobs import cpu

    two = cpu.settings({}, cpus=[0, 1])
    assert (two.threads, two.inter_op, two.nice, two.cpus) == (2, 2, cpu.DEFAULT_NICE, None)
    eight = cpu.settings({}, cpus=list(range(8)))
    assert eight.cpus == (1, 2, 3, 4, 5, 6, 7) and eight.threads == 7  # core 0 for the server
    one = cpu.settings({}, cpus=[0])
    assert (one.threads, one.inter_op, one.cpus) == (1, 1, None)


def test_worker_cpu_settings_parse_and_fall_back():
    from dl_core.jobs import cpu

    env = {
        "DL_EXPLORER_WORKER_THREADS": "3",
        "DL_EXPLORER_WORKER_NICE": "0",
        "DL_EXPLORER_WORKER_CPUS": "2-4,6",
    }
    s = cpu.settings(env, cpus=list(range(8)))
    assert (s.threads, s.inter_op, s.nice, s.cpus) == (3, 2, 0, (2, 3, 4, 6))
    assert cpu.settings({"DL_EXPLORER_WORKER_CPUS": "all"}, cpus=list(range(8))).cpus is None
    assert cpu.settings({"DL_EXPLORER_WORKER_THREADS": "0"}, cpus=[0, 1]).inter_op == 0
    bad = {
        "DL_EXPLORER_WORKER_THREADS": "many",
        "DL_EXPLORER_WORKER_NICE": "40",
        "DL_EXPLORER_WORKER_CPUS": "9",
    }
    assert cpu.settings(bad, cpus=[0, 1]) == cpu.settings({}, cpus=[0, 1])


def test_a_scheduled_task_takes_its_share_of_threads_not_every_core():
    from dl_core.jobs import cpu

    one = cpu.for_task(1.0, {})
    assert (one.threads, one.inter_op, one.nice, one.cpus) == (1, 1, cpu.DEFAULT_NICE, None)
    assert (cpu.for_task(4.0, {}).threads, cpu.for_task(4.0, {}).inter_op) == (4, 2)
    assert cpu.for_task(0.5, {}).threads == 1  # a fraction still gets a thread
    assert cpu.for_task(1.0, {"DL_EXPLORER_WORKER_THREADS": "3"}).threads == 3  # the setting wins
    assert cpu.for_task(1.0, {"DL_EXPLORER_WORKER_NICE": "0"}).nice == 0


def test_worker_cpu_settings_reach_the_worker(pool, monkeypatch):
    from dl_core.jobs import cpu

    before = (os.nice(0), cpu.available_cpus())
    last = before[1][-1]
    monkeypatch.setenv("DL_EXPLORER_WORKER_THREADS", "1")
    monkeypatch.setenv("DL_EXPLORER_WORKER_NICE", "3")
    monkeypatch.setenv("DL_EXPLORER_WORKER_CPUS", str(last))
    pool.shutdown()  # the fixture's worker started before the settings: start a fresh pool
    executor = jobs.ProcessExecutor(workers=1)
    jobs.set_executor(executor)
    st = jobs.wait(jobs.submit(testing.worker_info, Config()), timeout=JOB_S)
    assert st.state == "done", st.error
    info = jobs.result(st.key)
    assert info["pid"] != os.getpid()
    assert info["nice"] == min(19, os.nice(0) + 3)
    assert info["cpus"] == [last]
    assert (info["TF_NUM_INTRAOP_THREADS"], info["TF_NUM_INTEROP_THREADS"]) == ("1", "1")
    assert info["OMP_NUM_THREADS"] == "1"
    assert (os.nice(0), cpu.available_cpus()) == before  # the server process is untouched


def test_dispatcher_wakes_on_submit_finish_and_crash_without_polling(pool, monkeypatch):
    """With the poll made hourly, only wake-ups can move these jobs along."""
    from dl_core.jobs.db import _connect

    monkeypatch.setattr(jobs.executors, "DISPATCH_POLL_S", 3600.0)
    monkeypatch.setattr(jobs.executors, "IDLE_POLL_S", 3600.0)
    jobs.submit(testing.train, Config(steps=1, seed=5))  # lets the pool's current poll expire
    keys = [jobs.submit(testing.train, Config(steps=2, seed=s)) for s in (6, 7)]
    crash = jobs.submit(testing.train, Config(steps=3, crash_at=2, seed=8))

    def states():  # read the database directly: status() would wake the dispatcher
        with _connect() as con:
            return [
                con.execute("SELECT state FROM jobs WHERE key=?", (k,)).fetchone()[0]
                for k in (*keys, crash)
            ]

    wait_until(lambda: states() == ["done", "done", "failed"], JOB_S, "the jobs end", poll=0.05)


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
        assert old_worker.wait(timeout=JOB_S) == -9  # ended before the job went back
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
        server.wait(timeout=JOB_S)
        wait_until(lambda: not _running(worker), JOB_S, "the orphaned worker exits")
    finally:
        server.kill()


def test_killed_worker_names_the_signal_and_is_replaced_at_once(pool):
    import signal

    key = jobs.submit(testing.train, Config(steps=100_000, sleep_s=0.01))
    s = wait_until(
        lambda: (x := jobs.status(key, with_events=False)).worker_pid and x, JOB_S, "a worker"
    )
    os.kill(s.worker_pid, signal.SIGKILL)
    st = jobs.wait(key, timeout=JOB_S)
    assert st.state == "failed" and "killed by SIGKILL" in st.error
    assert "GB" in st.error and "memory" in st.error  # says how near the limit it was
    slot = pool.slots[0]
    assert slot.process is not None and slot.process.pid != s.worker_pid  # replaced at once
    after = jobs.wait(jobs.submit(testing.train, Config(steps=2)), timeout=JOB_S)
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


def test_a_new_database_waits_for_another_connections_lock(fresh_home, monkeypatch):
    """The first connections to a new job database race to switch it to write-ahead
    logging; SQLite refuses that switch at once while another connection holds a lock
    (its busy timeout does not apply), which crashed a submit racing the dispatcher."""
    import sqlite3
    import threading

    from dl_core.jobs import db

    monkeypatch.setattr(db, "LOCK_TIMEOUT_S", ceiling(30))  # however slow the machine
    other = sqlite3.connect(db._db_path(), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE held (a)")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    try:
        con = db._connect()
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        release.join()
        other.close()
