"""A cache that never strands a page: after eviction, or with a damaged result, every topic
page offers Train again with one sentence (issue 15, item 5)."""

import pytest
from streamlit.testing.v1 import AppTest

from dl_core import jobs
from dl_core.jobs.db import _connect
from dl_core.store import Store
from tests.app.conftest import APP, RUN_TIMEOUT
from ui.registry import topic_pages
from ui.text import md_escape


class _Paused(jobs.Executor):
    def wake(self, key):
        pass


@pytest.fixture
def paused(fresh_home):
    jobs.set_executor(_Paused())
    yield
    jobs.set_executor(None)


# Where a page's Train button is not in its first view, the URL that shows it.
PARAMS = {
    "app_pages/attention.py": {"view": "Train a tiny transformer"},
    "app_pages/cnn.py": {"section": "Train your own CNN"},
}


def _open(path: str, monkeypatch) -> tuple[AppTest, list]:
    """Run a page; return it and the (train, cfg, data_fp) of each job it looked up."""
    asked = []
    real = jobs.api.job_key

    def recording(train, cfg, data_fp=None):
        asked.append((train, cfg, data_fp))
        return real(train, cfg, data_fp)

    monkeypatch.setattr(jobs, "job_key", recording)  # ui.jobs.train_button
    monkeypatch.setattr(jobs.api, "job_key", recording)  # jobs.find
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.run()
    at.switch_page(path)
    at.query_params.update(PARAMS.get(path, {}))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at, list(asked)  # a copy: submitting them below computes their keys again


def _finish_as_done(asked, result_json: bytes) -> list[str]:
    """Pretend each requested job finished, with ``result_json`` as its saved result."""
    keys = []
    for train, cfg, data_fp in asked:
        key = jobs.submit(train, cfg, data_fp)
        if key in keys:
            continue
        with _connect() as con:
            con.execute("UPDATE jobs SET state='done', started=0, finished=1 WHERE key=?", (key,))
        Store().write_bytes(key, "result.json", result_json)
        keys.append(key)
    return keys


def _train_buttons(at: AppTest) -> list:
    return [b for b in at.button if b.label.startswith("Train")]


def _texts(at: AppTest) -> str:
    return " ".join(str(e.value) for e in [*at.info, *at.markdown, *at.caption])


TOPICS = [p.path for p in topic_pages()]
EMPTY = b'{"values": {}, "arrays": [], "models": {}}'


@pytest.mark.parametrize("path", TOPICS)
def test_evict_then_reopen_every_topic_page_offers_train(path, paused, monkeypatch):
    _, asked = _open(path, monkeypatch)
    assert asked, "the page showed no Train button"
    keys = _finish_as_done(asked, EMPTY)
    assert set(keys) <= set(jobs.evict(max_bytes=0))
    at, _ = _open(path, monkeypatch)
    buttons = _train_buttons(at)
    assert buttons and not any(b.disabled for b in buttons)
    assert not any("cached result" in b.label for b in buttons)
    assert md_escape(jobs.EVICTED_MSG) in _texts(at)


@pytest.mark.parametrize("path", TOPICS)
def test_evict_corrupt_result_gives_a_sentence_and_train(path, paused, monkeypatch):
    _, asked = _open(path, monkeypatch)
    keys = _finish_as_done(asked, b"\x00 not json")
    at, _ = _open(path, monkeypatch)  # loads the result, finds it damaged, reruns
    # the page's own job (others are preset-time lookups the page never loads)
    assert any(jobs.status(k).state == "evicted" for k in keys)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    buttons = _train_buttons(at)
    assert buttons and not any(b.disabled for b in buttons)
    assert md_escape(jobs.UNREADABLE_MSG) in _texts(at)
