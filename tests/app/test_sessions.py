"""Closed browser tabs: the sessions Streamlit keeps for a reconnect are shut down when it
drops them (ui.runtime.release_forgotten_sessions), so their images and uploads are freed."""

from streamlit.runtime.memory_session_storage import MemorySessionStorage
from streamlit.runtime.session_manager import SessionInfo

from ui import runtime


class _Session:
    """Stands for an AppSession: what matters is whether it was shut down."""

    def __init__(self, sid: str) -> None:
        self.id = sid
        self.shut_down = 0

    def shutdown(self) -> None:
        self.shut_down += 1


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _storage(maxsize: int = 128, ttl: float = 120) -> tuple[MemorySessionStorage, _Clock]:
    storage = MemorySessionStorage(maxsize=maxsize, ttl_seconds=ttl)
    clock = _Clock()
    storage._cache._timer = clock
    return storage, clock


def _save(storage: MemorySessionStorage, sid: str) -> _Session:
    session = _Session(sid)
    storage.save(SessionInfo(client=None, session=session))  # type: ignore[arg-type]
    return session


def test_expired_session_is_shut_down_when_the_store_drops_it():
    storage, clock = _storage(ttl=120)
    assert runtime.release_forgotten_sessions(storage)
    old = _save(storage, "old")
    clock.now += 121
    new = _save(storage, "new")  # saving reaps what expired
    assert old.shut_down == 1
    assert new.shut_down == 0
    assert [info.session.id for info in storage.list()] == ["new"]


def test_session_pushed_out_of_a_full_store_is_shut_down():
    storage, _ = _storage(maxsize=2)
    runtime.release_forgotten_sessions(storage)
    sessions = [_save(storage, f"s{i}") for i in range(5)]
    assert [s.shut_down for s in sessions] == [1, 1, 1, 0, 0]


def test_reconnected_session_is_not_shut_down():
    storage, clock = _storage(ttl=120)
    runtime.release_forgotten_sessions(storage)
    back = _save(storage, "back")
    assert storage.get("back") is not None
    storage.delete("back")  # a reconnect takes it back out of the store
    clock.now += 500
    _save(storage, "other")
    assert back.shut_down == 0


def test_without_the_release_streamlit_forgets_sessions_unclosed():
    """Streamlit's own behaviour, the leak this works around: if this starts failing, a newer
    Streamlit shuts expired sessions down itself and the patch can go."""
    storage, clock = _storage(ttl=120)
    old = _save(storage, "old")
    clock.now += 121
    _save(storage, "new")
    assert storage.get("old") is None
    assert old.shut_down == 0


def test_release_is_installed_once_and_keeps_stored_sessions():
    storage, _ = _storage(maxsize=1)
    first = _save(storage, "first")
    assert runtime.release_forgotten_sessions(storage)
    assert runtime.release_forgotten_sessions(storage)  # idempotent (tune() runs each rerun)
    assert storage.get("first") is not None
    _save(storage, "second")
    assert first.shut_down == 1  # exactly once
