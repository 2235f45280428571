"""Pages with sections: the chosen section is in the URL, and a link opens it (the pages
draw a section control bound to the URL through UrlState, not ``st.tabs``)."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, RUN_TIMEOUT

# page (also its UrlState prefix), URL name, a section that is not the first, what only it shows
CASES = [
    ("cnn", "section", "Train your own CNN", ("button", "cnn-train")),
    ("segmentation", "section", "Few-click on your photo", ("chart", "seg-fc_overlay")),
    ("gan", "section", "Autoencoder / VAE", ("button", "train-VAE")),
    ("basics", "section", "Lessons", ("chart", "basics.fig_acts")),
    ("attention", "view", "Train a tiny transformer", ("button", "Train")),
]
STROKES = '{"fg": [[0.7, 0.3, 0.9, 0.7]], "bg": [[0.1, 0.2, 0.3, 0.8]]}'


def _open(page: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.run()
    at.switch_page(f"app_pages/{page}.py")
    at.query_params.update({"preset": "tiny", "strokes": STROKES, **params})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _shows(at: AppTest, what: tuple[str, str]) -> bool:
    kind, key = what
    if kind == "chart":
        return any(c.proto.id and key in c.proto.id for c in at.get("plotly_chart"))
    # "Train", or "Train (cached result shown)" when another test already trained it
    return any(b.key == key or b.label.split(" (")[0] == key for b in at.button)


@pytest.mark.parametrize(("page", "name", "section", "marker"), CASES)
def test_a_link_opens_its_section_and_choosing_one_writes_it_into_the_url(
    page, name, section, marker
):
    at = _open(page, **{name: section})
    control = at.segmented_control(key=f"{page}.{name}")
    assert control.value == section and _shows(at, marker)
    first = control.options[0]
    control.set_value(first).run()
    assert not at.exception and not _shows(at, marker)  # only the chosen section runs
    assert at.query_params[name] in (first, [first])
    at.segmented_control(key=f"{page}.{name}").set_value(section).run()
    assert at.query_params[name] in (section, [section]) and _shows(at, marker)


def test_an_unknown_section_in_a_link_opens_the_first():
    at = _open("gan", section="No such section")
    assert at.segmented_control(key="gan.section").value == "DCGAN"
    assert _shows(at, ("button", "train-DCGAN")) and not at.error
