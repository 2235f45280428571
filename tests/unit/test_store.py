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
