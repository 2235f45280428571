"""The shared demo's job rules: visitors own requests, a fair queue, caps, estimates, limits."""

import pytest

from dl_core import jobs, testing
from dl_core.errors import UserError
from dl_core.jobs import estimate, executors, fair, limits
from dl_core.jobs.db import _connect, anything_queued
from dl_core.testing import Config


class HeldExecutor(jobs.Executor):
    """Queues jobs and starts none until the test claims them (so the order can be seen)."""

    def wake(self, key):
        pass


@pytest.fixture
def held(fresh_home):
    jobs.set_executor(HeldExecutor())
    yield
    jobs.set_executor(None)


def start_next() -> str | None:
    """What a free worker would take next (marks it running)."""
    return executors._claim(owner=1)


def finish(key: str, seconds: float) -> None:
    with _connect() as con:
        con.execute(
            "UPDATE jobs SET state='done', started=100.0, finished=? WHERE key=?",
            (100.0 + seconds, key),
        )


def test_fair_queue_round_robin_over_visitors(held, monkeypatch):
    monkeypatch.setenv("DL_EXPLORER_MAX_JOBS_PER_VISITOR", "5")
    # A asks for three jobs first, then B and C one each, then B a second.
    a = [jobs.submit(testing.train, Config(steps=s), visitor="A") for s in (1, 2, 3)]
    b1 = jobs.submit(testing.train, Config(steps=11), visitor="B")
    c1 = jobs.submit(testing.train, Config(steps=21), visitor="C")
    b2 = jobs.submit(testing.train, Config(steps=12), visitor="B")
    started = [start_next() for _ in range(6)]
    assert started == [a[0], b1, c1, a[1], b2, a[2]]
    assert start_next() is None


def test_fair_queue_visitor_served_recently_waits_for_others(held, monkeypatch):
    monkeypatch.setenv("DL_EXPLORER_MAX_JOBS_PER_VISITOR", "5")
    a1 = jobs.submit(testing.train, Config(steps=1), visitor="A")
    assert start_next() == a1  # A's first job runs
    a2 = jobs.submit(testing.train, Config(steps=2), visitor="A")
    b1 = jobs.submit(testing.train, Config(steps=3), visitor="B")  # B came later...
    assert start_next() == b1  # ...but has had no turn yet
    assert start_next() == a2


def test_visitor_stop_withdraws_only_their_request(held):
    key = jobs.submit(testing.train, Config(steps=3), visitor="A")
    assert jobs.submit(testing.train, Config(steps=3), visitor="B") == key  # same job, joined
    assert jobs.status(key).requesters == ["A", "B"]
    assert jobs.cancel(key, visitor="A") is False
    st = jobs.status(key)
    assert st.state == "queued" and st.requesters == ["B"]  # B still wants it
    assert jobs.cancel(key, visitor="B") is True
    assert jobs.status(key).state == "cancelled"


def test_visitor_stop_of_a_running_job_keeps_it_for_the_other(held):
    key = jobs.submit(testing.train, Config(steps=3), visitor="A")
    jobs.submit(testing.train, Config(steps=3), visitor="B")
    assert start_next() == key
    jobs.cancel(key, visitor="B")
    with _connect() as con:
        flag = con.execute("SELECT cancel_requested FROM jobs WHERE key=?", (key,)).fetchone()[0]
    assert flag == 0 and jobs.status(key).state == "running"


def test_operator_stops_any_visitors_job(held):
    key = jobs.submit(testing.train, Config(steps=3), visitor="A")
    jobs.submit(testing.train, Config(steps=3), visitor="B")
    assert jobs.cancel(key, visitor="operator", operator=True) is True
    assert jobs.status(key).state == "cancelled"


def test_visitor_cap_refuses_a_third_job_with_a_sentence(held, monkeypatch):
    monkeypatch.setenv("DL_EXPLORER_MAX_JOBS_PER_VISITOR", "2")
    jobs.submit(testing.train, Config(steps=1), visitor="A")
    jobs.submit(testing.train, Config(steps=2), visitor="A")
    with pytest.raises(fair.TooManyJobs, match="at most|most one visitor may have"):
        jobs.submit(testing.train, Config(steps=3), visitor="A")
    assert len(jobs.list_jobs()) == 2  # nothing was queued
    # Joining a job someone else already queued is free; another visitor is not capped.
    jobs.submit(testing.train, Config(steps=9), visitor="B")
    assert jobs.submit(testing.train, Config(steps=9), visitor="A")
    jobs.submit(testing.train, Config(steps=4), visitor="B")


def test_visitor_cap_frees_up_when_a_job_ends(held, monkeypatch):
    monkeypatch.setenv("DL_EXPLORER_MAX_JOBS_PER_VISITOR", "2")
    k1 = jobs.submit(testing.train, Config(steps=1), visitor="A")
    jobs.submit(testing.train, Config(steps=2), visitor="A")
    jobs.cancel(k1, visitor="A")
    jobs.submit(testing.train, Config(steps=3), visitor="A")  # no error


def test_fair_queue_position_counts_running_and_estimates_from_history(held, monkeypatch):
    monkeypatch.setenv("DL_EXPLORER_MAX_JOBS_PER_VISITOR", "5")
    # History: a finished run of 10 steps took 20 s on this server.
    done = jobs.submit(testing.train, Config(steps=10), visitor="X")
    start_next()
    finish(done, 20.0)
    running = jobs.submit(testing.train, Config(steps=10, seed=1), visitor="A")
    assert start_next() == running
    first = jobs.submit(testing.train, Config(steps=10, seed=2), visitor="B")
    second = jobs.submit(testing.train, Config(steps=10, seed=3), visitor="C")
    st1, st2 = jobs.status(first), jobs.status(second)
    assert st1.queue_position == 1  # the running job is ahead
    assert st2.queue_position == 2
    # Same work as the 20 s run: each takes ~20 s; the second waits for two of them.
    assert st1.train_s == pytest.approx(20.0)
    assert 0 < st1.wait_s <= 20.0 + 1e-6
    assert st2.wait_s == pytest.approx(st1.wait_s + 20.0, abs=1.0)  # 'now' moved on
    before = jobs.estimate_for(testing.train, Config(steps=20, seed=4))
    assert before.ahead == 3
    assert before.train_s == pytest.approx(40.0)  # twice the work


def test_fair_estimate_falls_back_without_history(held):
    with _connect() as con:
        secs = estimate.train_seconds(con, "dl_core.testing:train", {"steps": 3})
    assert secs == estimate.DEFAULT_SECONDS
    assert estimate.say(42) == "about 45 s" and estimate.say(200) == "about 4 min"


def test_fair_estimate_without_history_scales_the_stored_preset_figures(held):
    """A fresh server (a class's first rush) estimates from the figures the pages show."""
    from dl_core import basics, estimates
    from dl_core.config import to_dict

    fn = jobs.fn_name(basics.train)
    tiny = to_dict(basics.PRESETS["tiny"])
    stored = estimates.stored_seconds(basics.train, "tiny")
    with _connect() as con:
        assert estimate.train_seconds(con, fn, tiny) == pytest.approx(stored)
        twice = estimate.train_seconds(con, fn, tiny | {"epochs": 2 * tiny["epochs"]})
        assert twice == pytest.approx(2 * stored)  # nearest preset in work, scaled
        default = to_dict(basics.PRESETS["default"])
        assert estimate.train_seconds(con, fn, default) == pytest.approx(
            estimates.stored_seconds(basics.train, "default")
        )


def test_public_caps_refuse_with_a_sentence(held, monkeypatch):
    monkeypatch.setenv("DL_EXPLORER_PUBLIC", "1")
    from dl_core.basics import Config as BasicsConfig
    from dl_core.basics import train as basics_train

    with pytest.raises(UserError, match=r"caps one job at 200 epochs \('epochs'\).*ask for 5000"):
        jobs.submit(basics_train, BasicsConfig(epochs=5000), visitor="A")
    assert jobs.list_jobs() == []
    assert limits.default_timeout_s() == 600.0


def test_public_caps_are_off_in_a_private_install(held, monkeypatch):
    monkeypatch.delenv("DL_EXPLORER_PUBLIC", raising=False)
    monkeypatch.delenv("DL_EXPLORER_JOB_TIMEOUT_S", raising=False)
    from dl_core.basics import Config as BasicsConfig

    limits.check("dl_core.basics.model:train", BasicsConfig(epochs=5000))  # no error
    assert limits.default_timeout_s() == 1800.0


@pytest.mark.parametrize(
    "topic",
    [
        "basics",
        "cnn",
        "transfer",
        "detection",
        "segmentation",
        "text_generation",
        "attention",
        "gan.dcgan",
        "gan.vae",
        "dqn",
    ],
)
def test_public_caps_admit_every_preset(topic, monkeypatch):
    """A visitor on a public demo can always press Train on a page's own presets."""
    import importlib

    monkeypatch.setenv("DL_EXPLORER_PUBLIC", "1")
    module = importlib.import_module(f"dl_core.{topic}")
    assert module.PRESETS
    for cfg in module.PRESETS.values():
        limits.check(f"dl_core.{topic.split('.')[0]}.x:train", cfg)  # raises if over a cap


def test_fair_estimate_fits_a_fixed_cost_plus_a_cost_per_epoch(held):
    # Runs of 2 and 4 epochs took 12 s and 14 s: 10 s to set up, 1 s an epoch.
    for epochs, seconds in ((2, 12.0), (4, 14.0)):
        key = jobs.submit(testing.train, Config(steps=1, epochs=epochs))
        start_next()
        finish(key, seconds)
    with _connect() as con:
        secs = estimate.train_seconds(con, "dl_core.testing:train", {"steps": 1, "epochs": 8})
    assert secs == pytest.approx(18.0)


def ran(key: str, started: float, seconds: float, worker_pid: int) -> None:
    """The job ran on the worker ``worker_pid`` from ``started`` for ``seconds``."""
    with _connect() as con:
        con.execute(
            "UPDATE jobs SET state='done', started=?, finished=?, worker_pid=? WHERE key=?",
            (started, started + seconds, worker_pid, key),
        )


def test_fair_estimate_adds_the_start_up_only_for_a_cold_worker(held, monkeypatch):
    """A worker's first job of a topic pays its start-up; the jobs after it on that worker
    do not (a class's rush: one cold job, then warm ones)."""
    import dataclasses

    from dl_core import basics, estimates

    monkeypatch.setattr(estimates, "START_SECONDS", {"dl_core.basics": 2.0})
    live = {4242}
    monkeypatch.setattr(executors, "_is_worker", lambda pid: pid in live)
    tiny = basics.PRESETS["tiny"]
    warm = estimates.stored_seconds(basics.train, "tiny")
    first = jobs.submit(basics.train, dataclasses.replace(tiny, seed=1), visitor="A")
    second = jobs.submit(basics.train, dataclasses.replace(tiny, seed=2), visitor="B")
    st1, st2 = jobs.status(first), jobs.status(second)
    assert st1.train_s == pytest.approx(warm + 2.0)  # it starts the topic on the worker
    assert st2.train_s == pytest.approx(warm)  # the worker has run the topic by then
    assert st2.wait_s == pytest.approx(warm + 2.0)
    assert estimates.estimate_seconds(basics.train, tiny, "tiny") == pytest.approx(warm + 2.0)
    # The first ran on worker 4242 (cold, start-up included); the worker is warm now.
    start_next()
    ran(first, 100.0, warm + 2.0, 4242)
    third = dataclasses.replace(tiny, seed=3)
    assert jobs.estimate_for(basics.train, third).train_s == pytest.approx(warm)
    assert jobs.status(second).train_s == pytest.approx(warm)
    live.clear()  # that worker is gone (a restart): the next job starts the topic again
    assert jobs.status(second).train_s == pytest.approx(warm + 2.0)
    assert jobs.estimate_for(basics.train, third).train_s == pytest.approx(warm)  # behind it


def test_fair_estimate_learns_the_start_up_from_cold_and_warm_runs(held, monkeypatch):
    """A cold run does not inflate a warm worker's estimate: the start-up is learnt apart."""
    from dl_core.config import to_dict

    live = {7}
    monkeypatch.setattr(executors, "_is_worker", lambda pid: pid in live)
    keys = [jobs.submit(testing.train, Config(steps=10, seed=s)) for s in range(3)]
    for key in keys:
        assert start_next() == key
    ran(keys[0], 100.0, 10.0, 7)  # worker 7's first job: 6 s of start-up, 4 s of training
    ran(keys[1], 100.0, 10.0, 8)  # worker 8's first job
    ran(keys[2], 120.0, 4.0, 7)  # worker 7 again: warm
    fn, cfg = "dl_core.testing:train", to_dict(Config(steps=10, seed=9))
    with _connect() as con:
        assert estimate.train_seconds(con, fn, cfg) == pytest.approx(4.0)
        assert estimate.train_seconds(con, fn, cfg, cold=True) == pytest.approx(10.0)
    assert jobs.estimate_for(testing.train, Config(steps=10, seed=9)).train_s == pytest.approx(4.0)
    live.clear()  # no worker has run it: the next job pays the start-up
    assert jobs.estimate_for(testing.train, Config(steps=10, seed=9)).train_s == pytest.approx(10.0)


def _owner_rows() -> int:
    with _connect() as con:
        return con.execute("SELECT COUNT(*) FROM owners").fetchone()[0]


def test_an_empty_queue_is_polled_without_writing(held):
    """A dispatcher's poll of an empty queue only reads: no heartbeat row, no write lock."""
    assert not anything_queued() and executors._claim() is None
    assert _owner_rows() == 0  # a claim of a queued job renews it; an empty poll does not
    key = jobs.submit(testing.train, Config(steps=1), label="one")
    assert anything_queued() and executors._claim() == key and _owner_rows() == 1
    assert not anything_queued() and executors._claim() is None


def test_the_poll_follows_a_new_database_file(held, tmp_path, monkeypatch):
    """The poll's long-lived connection never reads a database file that was replaced or
    belongs to another home: each of these holds one queued job, seen at once."""
    assert not anything_queued()
    other = tmp_path / "other"
    monkeypatch.setenv("DL_EXPLORER_HOME", str(other))
    jobs.submit(testing.train, Config(steps=1), label="elsewhere")
    assert anything_queued()
    monkeypatch.setenv("DL_EXPLORER_HOME", str(tmp_path))
    assert not anything_queued()
    for name in ("jobs.sqlite", "jobs.sqlite-wal", "jobs.sqlite-shm"):  # deleted, made again
        (other / name).unlink(missing_ok=True)
    monkeypatch.setenv("DL_EXPLORER_HOME", str(other))
    assert not anything_queued()
    jobs.submit(testing.train, Config(steps=2), label="again")
    assert anything_queued()
