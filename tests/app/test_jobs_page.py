"""The Jobs page lists jobs and its Stop button cancels a queued or running one."""

from streamlit.testing.v1 import AppTest

from dl_core import jobs, testing
from tests.app.conftest import APP, RUN_TIMEOUT


class _Paused(jobs.Executor):
    def wake(self, key):
        pass


def test_jobs_page_lists_and_stops(fresh_home):
    jobs.set_executor(_Paused())
    try:
        key = jobs.submit(testing.train, testing.Config(steps=7), label="waiting job")
        at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
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
