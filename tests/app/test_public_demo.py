"""A shared demo seen from a topic page: the estimate before Train, public caps refused with
a sentence, and the visitor id that never reaches the shareable URL."""

from dl_core import jobs
from tests.app.test_basics_page import _page as _basics  # the basics page, tiny preset


def test_public_cap_on_a_page_is_refused_with_a_sentence(fresh_home, monkeypatch):
    monkeypatch.setenv("DL_EXPLORER_PUBLIC", "1")
    at = _basics(epochs="250")
    next(b for b in at.button if b.key == "basics.train").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("caps one job at 200 epochs" in e and "250" in e for e in errors), errors
    assert jobs.list_jobs() == []  # nothing was queued


def test_visitor_sees_the_estimate_before_train_and_owns_the_job(fresh_home, inline_jobs):
    at = _basics()
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Trains in about") and "starts at once" in c for c in captions)
    me = at.session_state["_dlx_visitor"]
    assert len(me) >= 16 and me not in str(dict(at.query_params))
    next(b for b in at.button if b.key == "basics.train").click().run()
    assert not at.exception
    (job,) = jobs.list_jobs()
    assert job.state == "done" and job.requesters == [me]
    assert me not in str(dict(at.query_params))  # the id never goes into the link
