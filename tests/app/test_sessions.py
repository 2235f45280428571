"""Closed browser tabs: the sessions Streamlit keeps for a reconnect are shut down when it
drops them (ui.runtime.release_forgotten_sessions), so their images and uploads are freed."""

import pytest
from streamlit.runtime.memory_session_storage import MemorySessionStorage
from streamlit.runtime.session_manager import SessionInfo

from ui import runtime


@pytest.fixture(autouse=True)
def no_event_loop(monkeypatch):
    """These tests call the store from plain code, as no server would: no loop is running.

    Another test's Playwright keeps its asyncio loop marked running in this thread (its sync
    API runs on greenlets), which would defer every shutdown to that loop.
    """
    monkeypatch.setattr(runtime, "_running_loop", lambda: None)


class _Loop:
    """Stands for the server's event loop: keeps what is scheduled until it runs."""

    def __init__(self) -> None:
        self.scheduled: list = []

    def call_soon(self, fn, *args) -> None:
        self.scheduled.append((fn, args))

    def run(self) -> None:
        while self.scheduled:
            fn, args = self.scheduled.pop(0)
            fn(*args)


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


def test_on_the_server_loop_the_shutdown_waits_until_the_store_call_returns(monkeypatch):
    """On the event loop the store is called under the session manager's lock: the shutdown
    runs as the loop's next callback, not inside that call."""
    loop = _Loop()
    monkeypatch.setattr(runtime, "_running_loop", lambda: loop)
    storage, clock = _storage(ttl=120)
    runtime.release_forgotten_sessions(storage)
    old = _save(storage, "old")
    clock.now += 121
    _save(storage, "new")
    assert old.shut_down == 0 and len(loop.scheduled) == 1
    loop.run()
    assert old.shut_down == 1
