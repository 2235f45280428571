"""The Jobs page lists jobs and its Stop button cancels a queued or running one."""

from streamlit.testing.v1 import AppTest

from dl_core import jobs, testing
from tests.app.conftest import APP


class _Paused(jobs.Executor):
    def wake(self, key):
        pass


def test_jobs_page_lists_and_stops(fresh_home):
    jobs.set_executor(_Paused())
    try:
        key = jobs.submit(testing.train, testing.Config(steps=7), label="waiting job")
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        at.switch_page("app_pages/jobs.py")
        at.run()
        assert not at.exception
        table = at.dataframe[0].value
        assert list(table["job"]) == ["waiting job"] and list(table["state"]) == ["queued"]
        at.button(key=f"stop-{key}").click().run()
        assert jobs.status(key).state == "cancelled"
    finally:
        jobs.set_executor(None)


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
    assert describe(st("running", worker_pid=123)) == "running"


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
        at = AppTest.from_function(_watch_script)
        at.run()
        report(epoch=4, total=5, metrics={"loss": 0.25})
        at.run()
        assert not at.exception
        assert at.session_state["seen"] == [[1, 2, 3], [1, 2, 3, 4]]
        assert asked[-1] == {"since": 3}  # the refresh read only the event after the third
    finally:
        jobs.set_executor(None)
