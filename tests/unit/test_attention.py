"""Attention topic: the pretrained encoder opened up, analysis on constructed matrices, the
tiny causal transformer on its tiny preset, and the figures as objects."""

import dataclasses

import numpy as np
import pytest

from dl_core import attention as tiny  # the tiny transformer: its contract and model
from dl_core.assets import AssetUnavailable
from dl_core.attention import analysis, plots, pretrained
from dl_core.describe import attention_focus
from dl_core.errors import ConfigError, UserError
from dl_core.jobs import Reporter
from dl_core.viz import viridis

SENTENCE = "The animal didn't cross the street because it was too tired."


@pytest.fixture(scope="module")
def enc():
    return pretrained.load_encoder()


@pytest.fixture(scope="module")
def out(enc):
    return pretrained.analyse(enc, SENTENCE)


# -- the pretrained encoder -----------------------------------------------------------------
def test_attention_has_every_layer_and_head_and_rows_sum_to_one(out):
    a = out["attention"]
    t = len(out["tokens"])
    assert a.shape == (6, 12, t, t)
    np.testing.assert_allclose(a.sum(-1), 1.0, atol=1e-5)
    assert (a >= 0).all()
    assert out["q"].shape == out["k"].shape == out["v"].shape == (6, 12, t, 32)


def test_hidden_state_rebuilt_through_extraction_equals_backbone_output(enc):
    ids, _ = pretrained.tokenize(enc, SENTENCE)
    rebuilt = pretrained.extract(enc, ids)["hidden"]
    np.testing.assert_allclose(rebuilt, pretrained.backbone_output(enc, ids), atol=1e-4)


def test_attention_probabilities_match_q_and_k(out):
    q, k = out["q"][3, 5], out["k"][3, 5]
    probs = analysis.softmax(analysis.head_scores(q, k))
    np.testing.assert_allclose(probs, out["attention"][3, 5], atol=1e-5)


def test_tokens_are_wordpieces_with_cls_and_sep(enc):
    _, pieces = pretrained.tokenize(enc, "Tokenization is unbelievable")
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]"
    assert any(p.startswith("##") for p in pieces)
    assert "tokenization" not in pieces  # lowercased and split into pieces


def test_html_is_kept_as_plain_tokens(enc):
    _, pieces = pretrained.tokenize(enc, "<script>alert(1)</script> <b>hi</b>")
    assert "<" in pieces and "script" in pieces
    assert plots.label("<b>") == "&lt;b&gt;"


@pytest.mark.parametrize("text", ["", "   \n\t ", "\u200b\u200b"])
def test_empty_or_invisible_text_is_refused_with_a_sentence(enc, text):
    with pytest.raises(UserError, match="Type"):
        pretrained.tokenize(enc, text)


def test_text_beyond_token_cap_is_refused_with_the_limit(enc):
    with pytest.raises(UserError, match="limit is 256"):
        pretrained.tokenize(enc, "word " * 400)
    with pytest.raises(UserError, match="characters"):
        pretrained.tokenize(enc, "a" * (pretrained.MAX_CHARS + 1))


def test_other_scripts_and_emoji_do_not_crash(enc):
    res = pretrained.analyse(enc, "猫は可愛い. مرحبا بالعالم 🙂🚀 !!! ???")
    assert res["attention"].shape[-1] == len(res["tokens"])
    assert res["unknown"] >= 1  # emoji are not in the vocabulary; the page says so


def test_only_punctuation_is_analysed(enc):
    res = pretrained.analyse(enc, "!!! ... ???")
    assert res["tokens"][1] == "!"


def test_sentence_embeddings_are_unit_length_and_meaningful(enc):
    vecs = pretrained.embed_sentences(
        enc, ["A man is eating food.", "A man is eating bread.", "The girl plays the violin."]
    )
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    sim = pretrained.similarity(vecs)
    assert sim[0, 1] > 0.6 > sim[0, 2]
    with pytest.raises(UserError, match="at least two"):
        pretrained.embed_sentences(enc, ["only one"])


def test_online_presets_say_offline_in_a_sentence():
    with pytest.raises(AssetUnavailable, match="offline"):
        pretrained.load_encoder("BERT tiny (online)")


# -- analysis on constructed matrices ------------------------------------------------------
def test_rollout_of_identity_attention_is_identity():
    eye = np.broadcast_to(np.eye(7), (3, 4, 7, 7))
    np.testing.assert_allclose(analysis.rollout(eye), np.eye(7), atol=1e-6)


def test_rollout_rows_sum_to_one_and_mix_tokens():
    rng = np.random.default_rng(0)
    a = analysis.softmax(rng.normal(size=(2, 3, 5, 5)))
    r = analysis.rollout(a)
    np.testing.assert_allclose(r.sum(-1), 1.0, atol=1e-5)
    assert (r > 0).all()


def test_head_stats_on_constructed_heads():
    t = 6
    prev = np.eye(t, k=-1)
    prev[0, 0] = 1.0  # first token has no previous one: attends to itself
    uniform = np.full((t, t), 1 / t)
    to_cls = np.zeros((t, t))
    to_cls[:, 0] = 1.0
    a = np.stack([prev, uniform, to_cls])[None]  # (1 layer, 3 heads, T, T)
    s = analysis.head_stats(a, ["[CLS]", "a", "b", "c", "d", "[SEP]"])
    np.testing.assert_allclose(s["previous"][0], [1.0, 1 / t, 1 / 5], atol=1e-6)
    np.testing.assert_allclose(s["entropy"][0, 1], np.log2(t), atol=1e-5)
    assert s["entropy"][0, 0] == pytest.approx(0.0, abs=1e-6)
    assert s["distance"][0, 0] == pytest.approx(5 / 6)
    np.testing.assert_allclose(s["cls"][0], [2 / t, 1 / t, 1.0], atol=1e-6)  # rows 0 and 1
    np.testing.assert_allclose(s["sep"][0], [0, 1 / t, 0], atol=1e-6)


def test_hide_special_drops_cls_and_sep_and_renormalises(out):
    a, toks = analysis.hide_special(out["attention"], out["tokens"])
    assert "[CLS]" not in toks and "[SEP]" not in toks
    assert a.shape[-1] == len(out["tokens"]) - 2
    np.testing.assert_allclose(a.sum(-1), 1.0, atol=1e-5)


# -- the tiny causal transformer ---------------------------------------------------------
@pytest.fixture(scope="module")
def trained():
    return tiny.train(tiny.PRESETS["tiny"], None, Reporter(None))


def test_tiny_causal_attention_is_zero_above_the_diagonal(trained):
    maps = trained["attention"]  # (epochs + 1, layers, heads, P, P)
    cfg = tiny.PRESETS["tiny"]
    assert maps.shape == (cfg.epochs + 1, cfg.layers, cfg.heads, len(cfg.probe), len(cfg.probe))
    upper = np.triu(np.ones(maps.shape[-2:], bool), k=1)
    assert np.abs(maps[..., upper]).max() == 0.0
    np.testing.assert_allclose(maps.sum(-1), 1.0, atol=1e-5)


def test_tiny_preset_loss_goes_down(trained):
    loss = trained["history"]["loss"]
    assert len(loss) == tiny.PRESETS["tiny"].epochs and loss[-1] < loss[0]
    assert np.isfinite(trained["history"]["val_loss"]).all()


def test_attention_maps_change_with_training(trained):
    maps = trained["attention"]
    assert np.abs(maps[-1] - maps[0]).max() > 1e-3


def test_sample_uses_the_vocabulary_and_refuses_zero_temperature(trained):
    text = tiny.sample(trained["model"], trained["vocab"], "To be", 30, 0.8, seed=1)
    assert len(text) == 30 and set(text) <= set(trained["vocab"])
    assert text == tiny.sample(trained["model"], trained["vocab"], "To be", 30, 0.8, seed=1)
    with pytest.raises(ConfigError, match="Temperature"):
        tiny.sample(trained["model"], trained["vocab"], "To be", 5, 0.0)


def test_sinusoidal_positions_and_learned_positions(trained):
    assert trained["positions"].shape == (
        tiny.PRESETS["tiny"].seq_len,
        tiny.PRESETS["tiny"].d_model,
    )
    p = tiny.sinusoidal(10, 8)
    assert p[0, 0] == 0.0 and p[0, 1] == 1.0 and np.abs(p).max() <= 1.0


def test_trained_model_survives_the_store(inline_jobs):
    cfg = dataclasses.replace(tiny.PRESETS["tiny"], epochs=1, positional="sinusoidal")
    key = inline_jobs.submit(tiny.train, cfg)
    assert inline_jobs.status(key).state == "done", inline_jobs.status(key).error
    res = inline_jobs.result(key)
    ids = tiny.encode(cfg.probe, res["vocab"])
    np.testing.assert_allclose(
        tiny.attention_maps(res["model"], ids), res["attention"][-1], atol=1e-5
    )


def test_uploaded_text_trains_and_bad_settings_are_sentences():
    text = ("To be, or not to be, that is the question. " * 40).encode()
    cfg = dataclasses.replace(tiny.PRESETS["tiny"], epochs=1, steps_per_epoch=3)
    out = tiny.train(cfg, text, Reporter(None))
    assert set(out["vocab"]) <= set(text.decode())
    with pytest.raises(ConfigError, match="at least"):
        tiny.train(cfg, b"too short", Reporter(None))
    with pytest.raises(ConfigError, match="divisible"):
        tiny.validate(dataclasses.replace(cfg, d_model=30, heads=4))
    with pytest.raises(ConfigError, match="probe"):
        tiny.validate(dataclasses.replace(cfg, probe="x" * 100))


# -- figures ------------------------------------------------------------------------------
def test_model_view_is_one_tiled_heatmap_with_every_head(out):
    fig = plots.plot_model_view(out["attention"], out["tokens"])
    t = len(out["tokens"])
    assert len(fig.data) == 1
    assert np.asarray(fig.data[0].z).shape == (6 * (t + 1) - 1, 12 * (t + 1) - 1)
    assert list(fig.layout.xaxis.ticktext)[-1] == "head 11"
    long = plots.plot_model_view(np.ones((1, 2, 200, 200)) / 200)
    assert np.asarray(long.data[0].z).shape == (64, 129)  # averaged down to 64 per square


def test_model_view_pictures_colour_every_head_as_the_chart_does(out):
    a, t = out["attention"], len(out["tokens"])
    pictures = plots.model_view_pictures(a)
    assert len(pictures) == 6 and all(len(row) == 12 for row in pictures)
    cell = pictures[2][3]
    assert cell.shape == (t, t, 3) and cell.dtype == np.uint8
    strongest = np.unravel_index(np.argmax(a[2, 3]), (t, t))
    assert tuple(cell[strongest]) == tuple(np.round(viridis(a[2, 3][strongest])).astype(int))
    assert np.array_equal(
        plots.model_view_pictures(np.zeros((1, 1, 2, 2)))[0][0][0, 0], [68, 1, 84]
    )
    assert plots.model_view_pictures(np.ones((1, 2, 200, 200)) / 200)[0][1].shape == (64, 64, 3)
    alts = plots.model_view_alts(a, out["tokens"])
    assert alts[2][3] == f"Layer 2, head 3: {attention_focus(a[2, 3], out['tokens'])}"
    stops = plots.viridis_stops(3)
    assert stops[0] == "#440154" and stops[-1] == "#fde725" and len(stops) == 3


def test_head_view_focus_draws_only_that_tokens_links(out):
    a = out["attention"][2, 0]
    toks = out["tokens"]
    every = plots.plot_head_view(a, toks)
    one = plots.plot_head_view(a, toks, focus=3)
    lines = lambda f: [y for tr in f.data if tr.mode == "lines" for y in tr.y[::3]]  # noqa: E731
    assert set(lines(one)) == {3}
    assert len(lines(every)) > len(lines(one))
    assert list(one.data[-2].text) == plots.labels(toks)


def test_large_heatmap_labels_tokens_and_writes_values(out):
    fig = plots.plot_attention(out["attention"][0, 0], out["tokens"])
    assert list(fig.layout.xaxis.ticktext) == plots.labels(out["tokens"])
    assert fig.layout.xaxis.ticklabeloverflow == fig.layout.yaxis.ticklabeloverflow == "allow"
    assert fig.data[0].texttemplate == "%{z:.2f}"
    assert fig.layout.yaxis.autorange == "reversed"


def test_other_figures(out):
    stats = analysis.head_stats(out["attention"], out["tokens"])
    assert np.asarray(plots.plot_head_stat(stats, "sep").data[0].z).shape == (6, 12)
    qkv = plots.plot_qkv(out["q"][0, 0], out["k"][0, 0], out["v"][0, 0], out["tokens"])
    assert len(qkv.data) == 3
    sim = plots.plot_similarity(np.eye(2), ["<i>a</i>", "b"])
    assert "&lt;i&gt;" in sim.layout.xaxis.ticktext[0]
    assert len(plots.plot_positions(tiny.sinusoidal(16, 8)).data) == 2
