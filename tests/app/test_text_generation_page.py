"""The text-generation page in AppTest: text sources, bad input, a tiny run, sampling, inside."""

import re

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, RUN_TIMEOUT
from ui.figures import alt_of, svg_of
from ui.text import md_escape, text_blocks

PAGE = "app_pages/text_generation.py"
PASTE = (
    "HAMLET:\nTo be, or not to be, that is the question:\nWhether 'tis nobler in the mind.\n" * 30
)


def _page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.query_params.update({"preset": "tiny", **params})
    at.run()
    at.switch_page(PAGE)
    at.run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def _charts(at: AppTest) -> list:
    return [el for el in at.main if getattr(el, "type", "") == "plotly_chart"]


def test_first_load_shows_the_text_and_the_temperature_figure(fresh_home):
    # a first visit: an empty store, whatever other tests trained before this one
    at = _page()
    assert at.title[0].value.startswith("Text generation")
    labels = {m.label: m.value for m in at.metric}
    assert labels["Characters"] != "0" and "Distinct characters" in labels
    assert len(_charts(at)) >= 1  # the temperature figure
    [bars] = [m.value for m in at.markdown if "most frequent" in alt_of(m.value)]  # first paint
    assert "40 most frequent characters" in svg_of(bars) and svg_of(bars).count("<rect") == 41
    alt = alt_of(bars)  # every bar, named with its share: the commonest first
    assert alt.count("%") == 40 and re.search(r": ␣ \d+\.\d%; e \d", alt), alt[:200]
    assert any("BERNARDO" in t for t in text_blocks(at.html))


BAD_UPLOADS = [
    (b"", "empty"),
    (b"\x00\x01\x02binary\x00" * 50, "binary"),
    (b"abc", "only 3 characters"),
    ("caf\u00e9 na\u00efve ".encode("latin-1") * 40, "fewer than 100,000"),  # Latin-1 decodes
    ("sp\u00e4t ".encode("utf-16") * 100, "fewer than 100,000"),  # UTF-16 with BOM decodes
    (b"x" * (6 * 1024**2), "limit"),  # over the 5 MB upload limit
]


def test_bad_uploads_give_sentences():
    at = _page(txt_src="Upload")
    for upload, words in BAD_UPLOADS:
        at.file_uploader(key="textgen.txt_file").set_value(("my.txt", upload, "text/plain")).run()
        _ok(at)
        said = _errors(at) + [w.value for w in at.warning]
        assert any(md_escape(words) in s for s in said), (words, said)  # as Markdown source


def test_sequence_longer_than_the_text_and_a_huge_vocabulary_are_explained():
    at = _page(txt_src="Paste", seq="400")
    at.text_area(key="textgen.txt_paste").set_value("short text. " * 30).run()
    assert any("sequence length" in e for e in _errors(at)), _errors(at)
    at.text_area(key="textgen.txt_paste").set_value(
        "".join(chr(0x4E00 + i) for i in range(5000))
    ).run()
    assert any("replaced by" in w.value for w in at.warning)


def test_paste_train_tiny_sample_and_look_inside():
    at = _page(txt_src="Paste", temps="0, 100", len="40")
    at.text_area(key="textgen.txt_paste").set_value(PASTE).run()
    _ok(at)
    assert "txt_fp" in at.query_params  # the pasted text is referenced by fingerprint
    next(b for b in at.button if b.key == "textgen.train").click().run()
    _ok(at)
    assert not _errors(at), _errors(at)
    labels = [m.label for m in at.metric]
    assert "Validation bits / character" in labels
    # two temperatures side by side, each with its memorisation meter
    assert sum("in the training text" in c.value for c in at.caption) == 2
    assert any("greedy" in m.value for m in at.markdown)
    # inside the LSTM: states heatmap, gates, tracking units
    assert any("Gate activations" in c.value for c in at.caption)
    assert len(_charts(at)) >= 4
    # compare: the LSTM is a cache hit, GRU and SimpleRNN train; curves, table, gradients
    next(b for b in at.button if b.key == "textgen.compare").click().run()
    _ok(at)
    assert sorted(at.dataframe[0].value["cell"]) == ["GRU", "LSTM", "SimpleRNN"]
    assert any("gradient norm" in c.value for c in at.caption)
    at.segmented_control(key="textgen.in_cell").set_value("gru").run()
    _ok(at)
    assert any("A GRU has no separate cell state" in c.value for c in at.caption)
    at.text_input(key="textgen.temps").set_value("hot").run()
    assert any("Temperatures must be numbers" in e for e in _errors(at))
