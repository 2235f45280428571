"""The Jobs page: a visitor's own jobs in full, other visitors' jobs as anonymous rows; Stop
for one's own jobs; the operator token stops anything."""

import pytest
from streamlit.testing.v1 import AppTest

from dl_core import jobs, testing
from tests.app.conftest import APP, RUN_TIMEOUT
from ui.text import md_escape

ME = "visitor-me-aaaaaaaaaaaa"
OTHER = "visitor-other-bbbbbbbbbb"


class _Paused(jobs.Executor):
    def wake(self, key):
        pass


@pytest.fixture
def paused(fresh_home):
    jobs.set_executor(_Paused())
    yield
    jobs.set_executor(None)


def _jobs_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.session_state["_dlx_visitor"] = ME
    at.run()
    at.switch_page("app_pages/jobs.py")
    at.run()
    assert not at.exception
    return at


def test_jobs_page_visitor_sees_own_jobs_in_full_and_others_anonymous(paused):
    mine = jobs.submit(testing.train, testing.Config(steps=7), label="my job", visitor=ME)
    theirs = jobs.submit(
        testing.train, testing.Config(steps=8), label="secret-upload.zip", visitor=OTHER
    )
    at = _jobs_page()
    own, others = at.dataframe[0].value, at.dataframe[1].value
    assert list(own["job"]) == ["my job"] and list(own["state"]) == ["queued"]
    assert list(others.columns) == ["yours", "topic", "state", "duration (s)"]
    assert list(others["state"]) == ["queued"]
    shown = " ".join(m.value for m in at.markdown) + others.to_string()
    assert "secret-upload.zip" not in shown and theirs[:12] not in shown
    assert not [b for b in at.button if b.key == f"stop-{theirs}"]  # not theirs to stop
    at.button(key=f"stop-{mine}").click().run()
    assert jobs.status(mine).state == "cancelled"
    assert jobs.status(theirs).state == "queued"


def test_jobs_page_visitor_stop_keeps_a_shared_job_for_the_other(paused):
    key = jobs.submit(testing.train, testing.Config(steps=7), label="shared", visitor=OTHER)
    jobs.submit(testing.train, testing.Config(steps=7), visitor=ME)  # joins the same job
    at = _jobs_page()
    at.button(key=f"stop-{key}").click().run()
    st = jobs.status(key)
    assert st.state == "queued" and st.requesters == [OTHER]


def test_jobs_page_operator_token_stops_anything(paused, monkeypatch):
    monkeypatch.setenv("DL_EXPLORER_ADMIN_TOKEN", "let-me-in")
    theirs = jobs.submit(testing.train, testing.Config(steps=8), visitor=OTHER)
    at = _jobs_page()
    at.text_input(key="operator-token").input("wrong").run()
    assert any("not this server's operator token" in e.value for e in at.error)
    at.text_input(key="operator-token").input("let-me-in").run()
    assert not at.exception
    at.button(key=f"stop-{theirs}").click().run()
    assert jobs.status(theirs).state == "cancelled"


def test_a_stopped_job_keeps_its_progress_and_every_row_links_to_its_page(paused):
    from dl_core import cnn

    key = jobs.submit(testing.train, testing.Config(steps=8), label="stopped job", visitor=ME)
    report = jobs.Reporter(key)
    for epoch in range(1, 6):
        report(epoch=epoch, total=8, metrics={"loss": 1.0 / epoch})
    jobs.cancel(key)
    assert jobs.status(key).state == "cancelled"
    jobs.submit(cnn.train, cnn.PRESETS["tiny"], label="CNN tiny", visitor=ME)
    at = _jobs_page()
    rows = at.dataframe[0].value.set_index("job")
    assert rows.loc["stopped job", "progress"] == 62  # epoch 5 of 8, not 0 %
    link = rows.loc["CNN tiny", "page"]
    assert link.startswith("cnn?preset=tiny&") and "epochs=2" in link


def _panel_script():
    import streamlit as st

    from ui import jobs as ui_jobs

    ui_jobs.progress(st.session_state["job_key"])


def test_progress_panel_shows_phase_elapsed_and_stopping_at_once(paused):
    key = jobs.submit(testing.train, testing.Config(steps=9), label="Transfer")
    jobs.executors._claim(0)  # running, as a worker sees it
    report = jobs.Reporter(key, min_interval=0)
    report(message="fine-tuning the top blocks…")
    report(step=3, total=9)
    at = AppTest.from_function(_panel_script, default_timeout=RUN_TIMEOUT)
    at.session_state["job_key"] = key
    at.run()
    assert not at.exception, at.exception
    line = at.markdown[0].value
    assert md_escape("fine-tuning the top blocks…") in line and md_escape("step 3/9") in line
    assert "s elapsed" in line
    at.button(key=f"stop-{key}").click().run()
    assert not at.exception, at.exception
    assert any(c.value.startswith("Stopping…") for c in at.caption)
    assert not [b for b in at.button if b.key == f"stop-{key}"]  # no second Stop
    assert "stopping…" in at.markdown[0].value


def test_describe_counts_the_running_job_and_says_when_a_worker_starts():
    from dl_core.jobs import JobStatus
    from ui.jobs import describe

    def st(state, position=None, worker_pid=None):
        fields = dict(key="k", fn="f", label="", config={}, data_fp=None, created=0.0)
        fields |= dict(started=None, finished=None, error=None, events=[])
        return JobStatus(state=state, queue_position=position, worker_pid=worker_pid, **fields)

    assert describe(st("queued", 1)) == "queued · 1 job ahead"
    assert describe(st("queued", 3)) == "queued · 3 jobs ahead"
    assert describe(st("queued", 0)) == "queued · starting now"  # never a bare "queued"
    assert describe(st("running")) == "running · starting a worker"
    assert describe(st("running", worker_pid=123)) == "running · starting…"  # importing


def _watch_script():
    import os

    import streamlit as st

    from ui import jobs as ui_jobs

    s = ui_jobs.watched_status(os.environ["DL_TEST_WATCH_KEY"])
    st.session_state.setdefault("seen", []).append([e.seq for e in s.events])


def test_live_panel_reads_only_new_events(fresh_home, monkeypatch):
    jobs.set_executor(_Paused())
    try:
        key = jobs.submit(testing.train, testing.Config(steps=5))
        jobs.executors._claim(1)  # running
        report = jobs.Reporter(key)
        for e in (1, 2, 3):
            report(epoch=e, total=5, metrics={"loss": 1 / e})
        asked = []
        real = jobs.status
        monkeypatch.setattr(jobs, "status", lambda k, **kw: asked.append(kw) or real(k, **kw))
        monkeypatch.setenv("DL_TEST_WATCH_KEY", key)
        at = AppTest.from_function(_watch_script, default_timeout=RUN_TIMEOUT)
        at.run()
        report(epoch=4, total=5, metrics={"loss": 0.25})
        at.run()
        assert not at.exception
        assert at.session_state["seen"] == [[1, 2, 3], [1, 2, 3, 4]]
        assert asked[-1] == {"since": 3}  # the refresh read only the event after the third
    finally:
        jobs.set_executor(None)
