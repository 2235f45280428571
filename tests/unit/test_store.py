import os
import threading

import numpy as np
import pytest

from dl_core import store as storelib
from dl_core.store import Store, pack_arrays, unpack_arrays


def test_blob_roundtrip_is_content_addressed(fresh_home):
    s = Store()
    fp = s.put_blob(b"hello")
    assert fp == storelib.fingerprint(b"hello")
    assert s.get_blob(fp) == b"hello"
    assert s.put_blob(b"hello") == fp
    with pytest.raises(KeyError):
        s.get_blob("0" * 64)
    with pytest.raises(KeyError):
        s.get_blob("../../etc/passwd")


def test_atomic_write_never_leaves_partial_file(fresh_home, monkeypatch):
    s = Store()
    s.write_bytes("k1", "a.bin", b"old")

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        s.write_bytes("k1", "a.bin", b"new content")
    monkeypatch.undo()
    assert s.read_bytes("k1", "a.bin") == b"old"
    leftovers = [p.name for p in s.artifact_dir("k1").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_concurrent_writers_leave_one_whole_file(fresh_home):
    s = Store()
    payloads = [bytes([i]) * 200_000 for i in range(8)]
    threads = [threading.Thread(target=s.write_bytes, args=("k", "x", p)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert s.read_bytes("k", "x") in payloads


def test_arrays_and_json(fresh_home):
    s = Store()
    s.write_arrays("k", "a.npz", x=np.arange(5), y=np.eye(2))
    out = s.read_arrays("k", "a.npz")
    np.testing.assert_array_equal(out["x"], np.arange(5))
    s.write_json("k", "m.json", {"acc": np.float32(0.5)})
    assert s.read_json("k", "m.json") == {"acc": 0.5}
    packed = unpack_arrays(pack_arrays(a=np.ones(3), classes=["x", "y"]))
    assert packed["classes"] == ["x", "y"] and packed["a"].shape == (3,)


def test_eviction_is_lru_and_spares_keys_in_use(fresh_home):
    s = Store()
    for i, key in enumerate(["old", "mid", "new"]):
        s.write_bytes(key, "data", b"x" * 100_000)
        marker = s.artifact_dir(key) / ".used"
        marker.touch()
        os.utime(marker, (1000 + i, 1000 + i))
    removed = s.evict(in_use={"old"}, max_bytes=150_000)
    assert removed == ["mid", "new"]
    assert s.exists("old", "data")
    s.touch("old")
    assert s.evict(in_use=set(), max_bytes=150_000) == []


# -- eviction keeps what queued jobs need, and never strands a page ------------------------
class _Paused:
    """An executor that never runs anything: submitted jobs stay queued."""

    def __new__(cls):
        from dl_core import jobs

        class Paused(jobs.Executor):
            def wake(self, key):
                pass

        return Paused()


def test_evict_keeps_the_data_of_queued_jobs(fresh_home):
    from dl_core import jobs, testing

    s = Store()
    fp = s.put_blob(b"x" * 50_000)
    other = s.put_blob(b"y" * 50_000)
    jobs.set_executor(_Paused())
    try:
        key = jobs.submit(testing.train, testing.Config(steps=2), fp)
        removed = jobs.evict(max_bytes=1)
    finally:
        jobs.set_executor(None)
    assert s.has_blob(fp) and jobs.status(key).state == "queued"
    assert other in removed and not s.has_blob(other)


def test_evict_bound_counts_only_what_eviction_can_delete(fresh_home):
    s = Store()
    (fresh_home / "weights").mkdir()
    (fresh_home / "weights" / "imagenet.h5").write_bytes(b"w" * 400_000)
    s.write_bytes("pinned", "data", b"p" * 300_000)
    s.pin("pinned")
    s.write_bytes("k", "data", b"x" * 100_000)
    assert s.cache_bytes() < 150_000 < s.total_bytes()
    assert s.evict(max_bytes=150_000) == []  # weights and pinned results are not the cache
    assert s.evict(max_bytes=50_000) == ["k"]
    assert s.exists("pinned", "data")  # pinned: never evicted


def test_evict_deletes_progress_folders_with_artifacts(fresh_home):
    s = Store()
    s.write_bytes("done", "data", b"x" * 10_000)
    (s.progress_dir("done")).mkdir(parents=True)
    np.save(s.progress_dir("done") / "1.npy", np.zeros(5000))
    s.progress_dir("failed").mkdir(parents=True)  # a failed job's previews: no artifacts
    np.save(s.progress_dir("failed") / "1.npy", np.zeros(5000))
    assert s.cache_bytes() > 80_000
    assert sorted(s.evict(max_bytes=0)) == ["done", "failed"]
    assert not s.progress_dir("done").exists() and not s.progress_dir("failed").exists()
    assert s.cache_bytes() == 0


def test_evicted_job_offers_train_again(fresh_home, inline_jobs):
    from dl_core import jobs, testing

    key = jobs.submit(testing.train, testing.Config(steps=3))
    assert jobs.status(key).state == "done" and Store().progress_dir(key).exists()
    assert key in jobs.evict(max_bytes=0)
    st = jobs.status(key)
    assert st.state == "evicted" and st.error == jobs.EVICTED_MSG
    assert st.events == [] and not Store().progress_dir(key).exists()
    with pytest.raises(KeyError):
        jobs.result(key)
    assert jobs.submit(testing.train, testing.Config(steps=3)) == key  # Train again
    assert jobs.status(key).state == "done" and jobs.result(key)["total"] == 6


def test_evict_spares_pinned_warmup_results(fresh_home, inline_jobs):
    from dl_core import jobs, testing

    key = jobs.submit(testing.train, testing.Config(steps=3))
    jobs.pin(key)
    assert jobs.evict(max_bytes=0) == []
    assert jobs.status(key).state == "done" and jobs.result(key)["total"] == 6


def test_evict_purges_old_failed_and_cancelled_jobs(fresh_home, inline_jobs, monkeypatch):
    from dl_core import jobs, testing
    from dl_core.jobs.db import _connect

    failed = jobs.submit(testing.train, testing.Config(raise_at=2))
    done = jobs.submit(testing.train, testing.Config(steps=2))
    assert jobs.status(failed).events  # it reported a step before failing
    jobs.evict()
    assert jobs.status(failed).state == "failed"  # within the retention period: kept
    monkeypatch.setenv("DL_EXPLORER_JOB_RETENTION_S", "0")
    jobs.evict()
    assert jobs.status(failed) is None and jobs.status(done).state == "done"
    with _connect() as con:
        assert con.execute("SELECT COUNT(*) FROM events WHERE key=?", (failed,)).fetchone()[0] == 0


def test_evict_done_row_whose_files_are_gone_becomes_evicted(fresh_home, inline_jobs):
    from dl_core import jobs, testing

    key = jobs.submit(testing.train, testing.Config(steps=3))
    Store().delete(key)  # e.g. removed by an older version's eviction, or by hand
    st = jobs.status(key)
    assert st.state == "evicted" and st.error == jobs.EVICTED_MSG


@pytest.mark.parametrize("damage", ["result.json", "arrays.npz", "missing"])
def test_evict_corrupt_result_is_forgotten_with_a_sentence(fresh_home, inline_jobs, damage):
    from dl_core import jobs, testing

    key = jobs.submit(testing.train, testing.Config(steps=3))
    s = Store()
    if damage == "missing":
        (s.artifact_dir(key) / "arrays.npz").unlink()
    else:
        s.write_bytes(key, damage, b"\x00garbage")
    with pytest.raises(KeyError):
        jobs.result(key)
    st = jobs.status(key)
    assert st.state == "evicted" and st.error == jobs.UNREADABLE_MSG
    assert jobs.submit(testing.train, testing.Config(steps=3)) == key
    assert jobs.result(key)["total"] == 6
