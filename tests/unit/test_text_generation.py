"""dl_core.text_generation on the tiny preset: tokens, sampling, memorisation, cells, figures."""

import dataclasses
import math
import random

import numpy as np
import pytest

from dl_core import text_generation as tg
from dl_core.errors import ConfigError

TINY = tg.PRESETS["tiny"]
PASSAGE = "HAMLET:\nTo be, or not to be, that is the question:\n"


@pytest.fixture(scope="module")
def trained():
    """One tiny model per cell type, trained once for the whole module."""
    return {cell: tg.train(dataclasses.replace(TINY, cell=cell), None, None) for cell in tg.CELLS}


# -- text and tokens ---------------------------------------------------------------------------
@pytest.mark.parametrize("level", tg.LEVELS)
def test_tokeniser_round_trips(level):
    text = "To be, or not to be:\n  that is the question! 😀 漢字 naïve\t'tis"
    assert "".join(tg.tokenize(text, level)) == text
    vocab, dropped = tg.build_vocab(text, level, max_vocab=1000)
    assert dropped == []
    ids = vocab.encode(text)
    assert ids.dtype == np.int32 and vocab.decode(ids) == text
    if level == "word":
        assert "question" in vocab.tokens and "\n  " in vocab.tokens


def test_vocabulary_cap_replaces_the_rarest_characters_and_says_so():
    rng = random.Random(0)
    rare = [chr(0x4E00 + i) for i in range(5000)]  # 5 000 distinct CJK characters
    text = "the quick brown fox " * 2000 + "".join(rng.sample(rare, len(rare)))
    cfg = dataclasses.replace(TINY, max_vocab=60)
    stats = tg.describe_text(text, cfg)
    assert stats.vocab > 5000 and len(stats.dropped) == stats.vocab - 59
    assert any("replaced by" in w and "60" in w for w in stats.warnings)
    vocab, _ = tg.build_vocab(text, "char", 60)
    assert len(vocab) == 60
    decoded = vocab.decode(vocab.encode(text))
    assert decoded.startswith("the quick brown fox") and decoded.endswith(tg.data.PLACEHOLDER)


@pytest.mark.parametrize(
    "text, cfg, words",
    [
        ("abc", TINY, "only 3 characters"),
        ("a" * 300, dataclasses.replace(TINY, seq_len=900), "longer than the training part"),
    ],
)
def test_texts_that_cannot_train_give_a_sentence(text, cfg, words):
    with pytest.raises(ConfigError, match=words):
        tg.describe_text(text, cfg)


def test_a_small_text_is_accepted_with_a_warning():
    stats = tg.describe_text("Some text. " * 100, TINY)
    assert stats.chars == 1100 and any("poor" in w for w in stats.warnings)


@pytest.mark.parametrize(
    "change, words",
    [
        (dict(cell="lstmx"), "Unknown cell"),
        (dict(units=0), "units"),
        (dict(learning_rate=0), "learning rate"),
        (dict(budget_s=-1), "budget"),
    ],
)
def test_impossible_settings_are_refused(change, words):
    with pytest.raises(ConfigError, match=words):
        tg.validate(dataclasses.replace(TINY, **change))


# -- sampling ------------------------------------------------------------------------------------
def test_temperature_zero_is_greedy_and_low_temperature_concentrates():
    logits = np.array([2.0, 1.5, 0.0, -1.0])
    assert tg.next_distribution(logits, 0).tolist() == [1, 0, 0, 0]
    p1, p_low = tg.next_distribution(logits, 1.0), tg.next_distribution(logits, 0.05)
    assert p1.max() < 0.6 and p_low[0] > 0.999
    hot = tg.next_distribution(logits, 100)
    assert np.allclose(hot, 0.25, atol=0.02)  # temperature 100: almost uniform
    top2 = tg.next_distribution(logits, 1.0, top_k=2)
    assert top2[2:].sum() == 0 and math.isclose(top2.sum(), 1.0)


@pytest.mark.parametrize(
    "text, ok",
    [
        ("0.5, 1.0 1.5", [0.5, 1.0, 1.5]),
        ("0;100", [0.0, 100.0]),
        ("hot", None),
        ("-1", None),
        ("", None),
        ("1e9", None),
        ("nan", None),
    ],
)
def test_temperatures_are_parsed_or_refused_with_a_sentence(text, ok):
    if ok is None:
        with pytest.raises(ConfigError):
            tg.parse_temperatures(text)
    else:
        assert tg.parse_temperatures(text) == ok


def test_greedy_sampling_is_deterministic_and_sampling_follows_the_seed(trained):
    r = trained["lstm"]
    lm, vocab = tg.NumpyLM.from_model(r["model"]), tg.Vocab(r["vocab"])
    greedy = ["".join(tg.generate(lm, vocab, "HAMLET:", 60, 0.0, seed=s)) for s in (0, 1)]
    assert greedy[0] == greedy[1] and len(greedy[0]) == 60
    a, b, c = ("".join(tg.generate(lm, vocab, "", 80, 1.0, seed=s)) for s in (3, 3, 4))
    assert a == b and a != c
    # a prompt with characters outside the vocabulary is read, not refused
    assert len("".join(tg.generate(lm, vocab, "😀 漢", 5, 1.0, top_k=3))) == 5


# -- memorisation meter ---------------------------------------------------------------------------
def test_memorisation_finds_a_planted_copy_and_none_in_shuffled_text():
    training = tg.load_corpus(dataclasses.replace(TINY, corpus="hamlet"))
    planted = training[5000:5120]
    rng = random.Random(1)
    noise = "".join(rng.choice("abcdefghij klmnop") for _ in range(150))
    index = tg.CopyIndex(training)  # built once, reused for every sample
    m = tg.memorisation(noise[:80] + planted + noise[80:], index)
    assert m.longest_len >= len(planted) and planted in m.longest and m.quoting
    assert m.sentence().startswith("Longest copied passage") and "quoting" in m.sentence()
    shuffled = list(training[20000:20400])
    rng.shuffle(shuffled)
    m = tg.memorisation("".join(shuffled), index)
    assert m.longest_len < 12 and m.copied_share < 0.05 and not m.quoting
    assert m.sentence().startswith("Original")
    # a plain string works too
    m = tg.memorisation("xq To be, or not to be zz", training)
    assert "To be, or not to be" in m.longest and m.longest_len < 25


# -- inside the cells ------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", tg.CELLS)
def test_numpy_cells_reproduce_the_keras_model(trained, cell):
    r = trained[cell]
    lm, vocab = tg.NumpyLM.from_model(r["model"]), tg.Vocab(r["vocab"])
    ids = vocab.encode(PASSAGE)
    keras_logits = r["model"].predict(ids[None], verbose=0)[0]
    assert np.allclose(lm.run(ids)["logits"], keras_logits, atol=1e-4)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gate_activations_lie_in_zero_one(trained, cell):
    r = trained[cell]
    lm, vocab = tg.NumpyLM.from_model(r["model"]), tg.Vocab(r["vocab"])
    states = tg.states_over(lm, vocab.encode(PASSAGE))
    gates = tg.GATES[r["cell"]]
    assert set(gates) <= set(states) and gates
    for g in gates:
        assert states[g].shape == (len(PASSAGE), TINY.units)
        assert states[g].min() >= 0 and states[g].max() <= 1 and states[g].std() > 0
    assert np.abs(states["h"]).max() <= 1


def test_training_lowers_the_loss_for_each_cell(trained):
    for cell, r in trained.items():
        loss = r["history"]["loss"]
        assert len(loss) == TINY.epochs and loss[-1] < loss[0], cell
        assert r["val_bpc"] < math.log2(len(r["vocab"])), cell  # better than uniform guessing
        assert len(r["samples"]) == TINY.epochs and len(r["samples"][-1]) == TINY.sample_len
        assert r["history"]["val_bpc"][-1] == pytest.approx(
            r["history"]["val_loss"][-1] / math.log(2)
        )


def test_gradient_norms_cover_every_step(trained):
    vocab = tg.Vocab(trained["rnn"]["vocab"])
    ids = vocab.encode(PASSAGE)
    norms = {c: tg.gradient_norms(trained[c]["model"], ids) for c in tg.CELLS}
    for g in norms.values():
        assert g.shape == (len(ids) - 1,) and np.all(np.isfinite(g)) and g[-1] > 0
    fig = tg.plot_gradient_norms({tg.CELL_NAMES[c]: g for c, g in norms.items()})
    assert len(fig.data) == 3 and fig.layout.yaxis.type == "log"


def test_tracking_units_find_a_unit_that_follows_line_position():
    text = PASSAGE * 4
    feature = tg.text_features(text)["position in line"]
    rng = np.random.default_rng(0)
    states = rng.normal(size=(len(text), 16))
    states[:, 7] = np.tanh(feature / 100)  # nearly linear in the position
    rows = tg.tracking_units(states, text)
    best = next(r for r in rows if r["feature"] == "position in line")
    assert best["unit"] == 7 and best["correlation"] > 0.9
    assert "inside quotes" not in {r["feature"] for r in rows}  # constant here: left out


# -- figures -------------------------------------------------------------------------------------
def test_figures_are_labelled(trained):
    r = trained["lstm"]
    lm, vocab = tg.NumpyLM.from_model(r["model"]), tg.Vocab(r["vocab"])
    st_ = tg.states_over(lm, vocab.encode(PASSAGE))
    units = tg.most_active_units(st_["c"], 5)
    fig = tg.plot_states(st_["c"], list(PASSAGE), units, "cell state")
    assert fig.data[0].z.shape == (5, len(PASSAGE)) and fig.data[0].zmid == 0
    assert "⏎" in fig.layout.xaxis.ticktext
    gates = tg.plot_gates({g: st_[g] for g in tg.GATES["LSTM"]}, list(PASSAGE), units)
    assert len(gates.data) == 3 and all(t.zmin == 0 and t.zmax == 1 for t in gates.data)
    assert gates.layout.xaxis.ticks == gates.layout.xaxis2.ticks == ""  # no stray tick marks
    trace = tg.plot_unit_trace(st_["c"], list(PASSAGE), units[0], np.arange(len(PASSAGE)), "x")
    for axis in (fig.layout.xaxis, gates.layout.xaxis3, trace.layout.xaxis):
        # a label per character: drawn without plotly.js's per-label overflow check, whose
        # cost grows with the square of their number (viz.MANY_TICKS)
        assert len(axis.ticktext) == len(PASSAGE) and axis.ticklabeloverflow == "allow"
    curves = tg.plot_curves({"LSTM": r["history"]}, x="seconds")
    assert len(curves.data) == 2 and "bits per character" in curves.layout.yaxis.title.text
    temp = tg.plot_temperature(np.log([0.5, 0.3, 0.2]), ["a", "b", " "], [0.5, 1, 2])
    assert len(temp.data) == 3 and list(temp.data[0].x) == ["a", "b", "␣"]
    stats = tg.describe_text(PASSAGE * 5, TINY)
    shares = tg.token_shares(stats.top, stats.tokens, "char")
    assert shares[0][0] == "␣" and abs(sum(v for _, v in shares) - 1) < 1e-9  # all 22 shown
    assert [v for _, v in shares] == sorted((v for _, v in shares), reverse=True)
    words = tg.token_shares([("the", 3), ("<b>", 1)], 8, "word")
    assert words == [("the", 3 / 8), ("<b>", 1 / 8)]  # as it is: the chart escapes it
    logits, tokens = stats.unigram_logits()
    assert tokens[0] == " " and logits[0] == max(logits)


@pytest.mark.slow
def test_word_level_model_trains():
    r = tg.train(dataclasses.replace(TINY, level="word", max_words=300, seq_len=12), None, None)
    assert r["level"] == "word" and r["history"]["loss"][-1] < r["history"]["loss"][0]
    assert r["val_bpc"] < 8


def test_the_step_size_decays_over_batches():
    from dl_core.text_generation import model

    cfg = tg.PRESETS["tiny"]
    m = model.compile_model(model.build_model(20, cfg), cfg)
    at = []
    for t in (0, 2000, 6000):
        m.optimizer.iterations.assign(t)
        at.append(float(m.optimizer.learning_rate))
    assert at == pytest.approx([cfg.learning_rate, cfg.learning_rate / 2, cfg.learning_rate / 4])


# -- training windows ----------------------------------------------------------------------
def test_training_batches_are_seeded_windows_of_the_text():
    from dl_core.text_generation import data

    ids = np.arange(1000, dtype=np.int32)  # id == position: a window is a run of positions
    cfg = dataclasses.replace(TINY, seq_len=10, batch_size=6, seed=3)
    first = list(data.batches(ids, cfg, 3))
    assert [x.shape for x, _ in first] == [(6, 10)] * 3
    for x, y in first:
        assert (np.diff(x, axis=1) == 1).all() and (y == x + 1).all()  # next-token targets
        assert x.min() >= 0 and y.max() <= 999
    again = list(data.batches(ids, cfg, 2, start=1))  # batch i is the same in every run
    assert all((a[0] == b[0]).all() for a, b in zip(first[1:], again, strict=True))
    other = next(data.batches(ids, dataclasses.replace(cfg, seed=4), 1))
    assert not (other[0] == first[0][0]).all()  # another seed, other windows
