"""Text generation: compare two runs (one setting changed) with the same prompt sampled from
both, a shared link that reopens the comparison, and sampling from an earlier epoch."""

from streamlit.testing.v1 import AppTest

from tests.app.ab import chart, compare_mode, errors, markdown, open_link, params, press, reopen
from ui.text import md_escape

PAGE = "app_pages/text_generation.py"
OWN = {"preset": "tiny", "seed": "14"}
RUN_A, RUN_B = md_escape("A · Cell = lstm"), md_escape("B · Cell = gru")


def _open(**extra) -> AppTest:
    return open_link(PAGE, **{**OWN, **extra})


def _pane_samples(at: AppTest) -> list[str]:
    """The texts sampled in the two panes: under each pane's heading, the prompt, then the
    sample (the job panels above repeat the heading, followed by their state)."""
    texts = [m.value for m in at.markdown]
    heads = (f"**{RUN_A}**", f"**{RUN_B}**")
    return [
        texts[i + 2]
        for i, t in enumerate(texts[:-2])
        if t in heads and not texts[i + 1].startswith(":material")
    ]


def _samples(at: AppTest) -> list[str]:
    """The sampled texts of one run: markdown that follows the prompt in its bordered box."""
    prompt = md_escape("HAMLET:")  # the prompt box (a text area keeps its newline)
    texts = [m.value for m in at.markdown]
    return [texts[i + 1] for i, t in enumerate(texts[:-1]) if t.rstrip() == prompt]


def _compare_cells() -> AppTest:
    at = compare_mode(_open(), "textgen", "Cell", "ab_cell", "gru")
    return press(at, "textgen.ab_train")


def test_compare_lstm_with_gru_samples_the_same_prompt_from_both():
    at = _compare_cells()
    assert not errors(at), errors(at)
    text = markdown(at)
    assert RUN_A in text and RUN_B in text
    deltas = chart(at, "ab-diff-0")
    assert {t["name"] for t in deltas["data"]} == {"bpc", "val_bpc"}
    both = _pane_samples(at)
    assert len(both) == 2 and all(both) and both[0] != both[1]
    at.select_slider(key="textgen.epoch").set_value(1).run()  # one slider for both runs
    assert not at.exception and params(at)["epoch"] == "1"
    assert len(_pane_samples(at)) == 2 and _pane_samples(at) != both


def test_compare_url_with_two_configs_restores_the_text_comparison():
    again = reopen(PAGE, _compare_cells(), (RUN_A, RUN_B), {"ab": "1", "ab_cell": "gru"}, open_link)
    assert len(_pane_samples(again)) == 2


def test_rewind_sampling_to_epoch_one_writes_other_text_than_the_last_epoch():
    at = press(_open(), "textgen.train")
    assert not errors(at), errors(at)
    slider = at.select_slider(key="textgen.epoch")
    assert list(slider.options) == ["1", "2"] and slider.value == 2
    last = _samples(at)
    slider.set_value(1).run()
    assert not at.exception and params(at)["epoch"] == "1"
    first = _samples(at)
    assert len(first) == len(last) == 3  # one per temperature
    assert first != last


def _caption_text(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def test_rewind_moves_the_gate_views_to_that_epoch_too():
    at = press(_open(), "textgen.train")
    assert not errors(at), errors(at)
    slider = at.select_slider(key="textgen.epoch")
    assert slider.value == 2
    gates_last, states_last = chart(at, "gates"), chart(at, "states")
    assert "The LSTM after epoch 2" in _caption_text(at)
    slider.set_value(1).run()
    assert not at.exception and params(at)["epoch"] == "1"
    captions = _caption_text(at)
    assert "The LSTM after epoch 1" in captions and md_escape("After epoch 1.") in captions
    assert chart(at, "gates")["data"] != gates_last["data"]
    assert chart(at, "states")["data"] != states_last["data"]
