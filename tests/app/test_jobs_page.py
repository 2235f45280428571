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


def test_a_stopped_job_keeps_its_progress_and_every_row_links_to_its_page(fresh_home):
    from dl_core import cnn

    jobs.set_executor(_Paused())
    try:
        key = jobs.submit(testing.train, testing.Config(steps=8), label="stopped job")
        report = jobs.Reporter(key)
        for epoch in range(1, 6):
            report(epoch=epoch, total=8, metrics={"loss": 1.0 / epoch})
        jobs.cancel(key)
        assert jobs.status(key).state == "cancelled"
        jobs.submit(cnn.train, cnn.PRESETS["tiny"], label="CNN tiny")
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        at.switch_page("app_pages/jobs.py")
        at.run()
        assert not at.exception
        rows = at.dataframe[0].value.set_index("job")
        assert rows.loc["stopped job", "progress"] == 62  # epoch 5 of 8, not 0 %
        link = rows.loc["CNN tiny", "page"]
        assert link.startswith("cnn?preset=tiny&") and "epochs=2" in link
    finally:
        jobs.set_executor(None)


def _panel_script():
    import streamlit as st

    from ui import jobs as ui_jobs

    ui_jobs.progress(st.session_state["job_key"])


def test_progress_panel_shows_phase_elapsed_and_stopping_at_once(fresh_home):
    jobs.set_executor(_Paused())
    try:
        key = jobs.submit(testing.train, testing.Config(steps=9), label="Transfer")
        jobs.executors._claim(0)  # running, as a worker sees it
        report = jobs.Reporter(key, min_interval=0)
        report(message="fine-tuning the top blocks…")
        report(step=3, total=9)
        at = AppTest.from_function(_panel_script, default_timeout=60)
        at.session_state["job_key"] = key
        at.run()
        assert not at.exception, at.exception
        line = at.markdown[0].value
        assert "fine-tuning the top blocks…" in line and "step 3/9" in line
        assert "s elapsed" in line
        at.button(key=f"stop-{key}").click().run()
        assert not at.exception, at.exception
        assert any(c.value.startswith("Stopping…") for c in at.caption)
        assert not [b for b in at.button if b.key == f"stop-{key}"]  # no second Stop
        assert "stopping…" in at.markdown[0].value
    finally:
        jobs.set_executor(None)
