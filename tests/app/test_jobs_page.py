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
