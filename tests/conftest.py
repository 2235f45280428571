"""Shared test setup: an isolated DL_EXPLORER_HOME, inline jobs, offline assets."""

import os
import tempfile

# Before anything imports dl_core: keep tests off the user's cache and off the network.
_HOME = tempfile.mkdtemp(prefix="dl-explorer-tests-")
os.environ["DL_EXPLORER_HOME"] = _HOME
os.environ.setdefault("DL_EXPLORER_EXECUTOR", "inline")
os.environ["DL_EXPLORER_OFFLINE"] = "1"
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import pytest  # noqa: E402

from tests.processes import end_leftovers  # noqa: E402
from tests.timeouts import SLOWDOWN  # noqa: E402


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """pytest-timeout's limit per test (``--timeout``) scales with DL_EXPLORER_TEST_SLOWDOWN."""
    if getattr(config.option, "timeout", None):
        config.option.timeout = float(config.option.timeout) * SLOWDOWN


@pytest.fixture(scope="session", autouse=True)
def _no_processes_left_behind():
    """When the session ends, no process started by a test (a job worker, a streamlit server,
    a browser) may still run: any that does is ended by PID here and reported as an error."""
    yield
    left = end_leftovers()
    if left:
        pytest.fail("Tests left processes running (now ended):\n" + "\n".join(left))


@pytest.fixture
def fresh_home(tmp_path, monkeypatch):
    """A private, empty DL_EXPLORER_HOME for one test."""
    monkeypatch.setenv("DL_EXPLORER_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def inline_jobs():
    """Run jobs inline (in the test's thread)."""
    from dl_core import jobs

    jobs.set_executor(jobs.InlineExecutor())
    yield jobs
    jobs.set_executor(None)


class FakeClock:
    """A clock that moves only when told to (``advance``), or by ``step`` on every read."""

    def __init__(self, step: float = 0.0) -> None:
        self.now, self.step = 1000.0, step

    def __call__(self) -> float:
        now = self.now
        self.now += self.step
        return now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_clock(monkeypatch):
    """Time budgets (dl_core.budget) read this clock instead of the real one."""
    from dl_core import budget

    clock = FakeClock()
    monkeypatch.setattr(budget, "clock", clock)
    return clock
