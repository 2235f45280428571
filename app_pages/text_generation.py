"""Text generation: train SimpleRNN / LSTM / GRU language models, sample, compare, look inside."""

import dataclasses

import numpy as np
import streamlit as st

from dl_core import estimates, viz
from dl_core import text_generation as tg
from ui import jobs as ui_jobs
from ui.cache import memo
from ui.code import show_code
from ui.compare import ab_configs, train_and_compare, train_both
from ui.compare import panes as ab_panes
from ui.errors import shown_errors
from ui.figures import show_bars_now, show_figure
from ui.rewind import epoch_slider, model_at, saved_epochs
from ui.state import UrlState
from ui.text import md_escape, md_stream, text_block
from ui.topic import backends_caption
from ui.uploads import text_input

st.title("Text generation with recurrent networks")
backends_caption("text_generation")
st.markdown(
    "A recurrent network reads text one character (or word) at a time, carries a state vector "
    "from step to step and learns to predict what comes next; sampling from its predictions "
    "writes new text. LSTM and GRU cells add **gates** that decide what the state keeps, "
    "which lets them remember much further back than a plain RNN."
)
st.latex(
    r"\begin{gathered} f_t,\, i_t,\, o_t = \sigma(W x_t + U h_{t-1} + b) \\ "
    r"c_t = f_t \odot c_{t-1} + i_t \odot \tanh(W_c x_t + U_c h_{t-1} + b_c), \quad "
    r"h_t = o_t \odot \tanh(c_t) \\ "
    r"p(x_{t+1} = k) = \frac{e^{z_k / T}}{\sum_j e^{z_j / T}} "
    r"\;\; (T\text{: temperature}) \end{gathered}"
)
url = UrlState("textgen")


with st.sidebar:
    preset = (
        url(
            st.segmented_control,
            "Preset",
            "preset",
            "default",
            options=list(tg.PRESETS),
            on_change=url.reset,
            args=(("preset", "section", "txt_fp"),),
        )
        or "default"
    )
    base = tg.PRESETS[preset]
    st.caption(md_escape(estimates.preset_times(estimates.each(tg.train, tg.PRESETS))))
    st.subheader("Model")
    level = url(st.segmented_control, "Tokens", "level", base.level, options=tg.LEVELS) or "char"
    cell = (
        url(
            st.segmented_control,
            "Cell",
            "cell",
            base.cell,
            options=tg.CELLS,
            format_func=tg.CELL_NAMES.get,
        )
        or "lstm"
    )
    layers = url(st.slider, "Layers", "layers", base.layers, min_value=1, max_value=4)
    units = url(
        st.select_slider,
        "Units per layer",
        "units",
        base.units,
        options=[16, 32, 64, 128, 256, 384, 512, 1024],
    )
    emb = url(
        st.select_slider, "Embedding size", "emb", base.embedding, options=[8, 16, 32, 64, 128]
    )
    seq = url(
        st.slider,
        "Sequence length (tokens)",
        "seq",
        base.seq_len,
        min_value=8,
        max_value=400,
        step=8,
    )
    drop = url(st.slider, "Dropout", "drop", base.dropout, min_value=0.0, max_value=0.5, step=0.05)
    cap = url(
        st.number_input,
        "Vocabulary cap (characters)" if level == "char" else "Vocabulary cap (words)",
        f"cap_{level}",
        tg.data.vocab_cap(dataclasses.replace(base, level=level)),
        min_value=2,
        max_value=5000 if level == "char" else 50_000,
    )
    st.subheader("Training")
    opt = url(st.selectbox, "Optimizer", "opt", base.optimizer, options=tg.OPTIMIZERS)
    lr = url(
        st.select_slider,
        "Learning rate",
        "lr",
        base.learning_rate,
        options=[1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 1.0],
        help=(
            "The starting step size η; it decays as η / (1 + t/2000) "
            "over batches t, so long runs settle instead of diverging."
        ),
    )
    batch = url(
        st.select_slider, "Batch size", "batch", base.batch_size, options=[8, 16, 32, 64, 128, 256]
    )
    epochs = url(st.slider, "Epochs", "epochs", base.epochs, min_value=1, max_value=100)
    spe = url(
        st.slider,
        "Batches per epoch",
        "spe",
        base.steps_per_epoch,
        min_value=0,
        max_value=1000,
        step=2,
        help="0 = about one pass over the text",
    )
    budget = url(
        st.number_input,
        "Time budget (s, 0 = none)",
        "budget",
        base.budget_s,
        min_value=0.0,
        max_value=3600.0,
        step=30.0,
    )
    seed = url(st.number_input, "Seed", "seed", base.seed, min_value=0, max_value=99_999, step=1)

st.header("1 · The text")
text, where, data_fp = text_input(url, "txt", default=base.corpus)
corpus = st.session_state.get(url.key("txt_corpus"), base.corpus) if data_fp is None else "upload"
cfg = dataclasses.replace(
    base,
    corpus=corpus,
    level=level,
    cell=cell,
    layers=layers,
    units=units,
    embedding=emb,
    seq_len=seq,
    dropout=drop,
    optimizer=opt,
    learning_rate=lr,
    batch_size=batch,
    epochs=epochs,
    steps_per_epoch=spe,
    budget_s=float(budget),
    seed=int(seed),
    **{"max_vocab" if level == "char" else "max_words": int(cap)},
)
describe = st.cache_data(max_entries=8, show_spinner="Reading the text…")(tg.describe_text)
stats = None
with shown_errors():
    for w in tg.validate(cfg):
        st.warning(md_escape(w), icon=":material/warning:")
    if text is None:
        st.info(
            "Upload a .txt/.md file or paste some text (or pick a bundled corpus).",
            icon=":material/upload:",
        )
    else:
        stats = describe(text, cfg)
if stats is not None:
    c = st.columns(4)
    c[0].metric("Characters", f"{stats.chars:,}")
    c[1].metric("Tokens", f"{stats.tokens:,}")
    c[2].metric(f"Distinct {'characters' if level == 'char' else 'words'}", f"{stats.vocab:,}")
    c[3].metric("Vocabulary used", f"{min(stats.vocab + 1, tg.data.vocab_cap(cfg)):,}")
    for w in stats.warnings:
        st.warning(md_escape(w), icon=":material/warning:")
    left, right = st.columns([2, 3])
    text_block(left, text[:600] + ("…" if len(text) > 600 else ""))
    left.caption(f"The start of {md_escape(where)}.")
    show_bars_now(
        right.container(key="freq"),
        memo(tg.token_shares, stats.top, stats.tokens, level),
        f"Share of the text of the {len(stats.top)} most frequent "
        + ("characters" if level == "char" else "words"),
        "{:.1%}".format,
    )
    right.caption(
        "What the model learns first: how often each token occurs. "
        "A model that knows only this already beats uniform guessing."
    )

st.header("2 · Train")


@st.cache_resource(max_entries=16, show_spinner=False)
def _lm_at(key: str, epoch: int | None) -> tg.NumpyLM:
    """The job's language model after ``epoch`` (``None``: the final one), in NumPy."""
    model = ui_jobs.load_result(key)["model"] if epoch is None else model_at(key, "model", epoch)
    return tg.NumpyLM.from_model(model)


@st.cache_data(max_entries=64, show_spinner="Sampling…")
def _sample_at(key: str, epoch, prompt: str, length: int, t: float, seed: int) -> str:
    r = ui_jobs.load_result(key)
    vocab = tg.Vocab(r["vocab"], r["level"])
    return "".join(tg.generate(_lm_at(key, epoch), vocab, prompt, length, t, 0, seed))


def _compare_text(ab, runs) -> int | None:
    """Both runs: bits-per-character deltas, then the same prompt sampled from both at one
    epoch (one slider for both); that epoch."""
    panes = ab_panes(ab, runs)
    for col, _, r in panes:
        col.metric("Validation bits / character", f"{r['val_bpc']:.3f}")
    a, b = (r for _, _, r in panes)
    fig = viz.curve_deltas(a["history"], b["history"], ab.names, ("bpc", "val_bpc"))
    show_figure(st, fig, key="ab-diff-0")
    st.caption("Above zero: run B needs more bits per character than run A at that epoch.")
    st.subheader("The same prompt, sampled from both")
    epoch = epoch_slider(url, [r.key for _, _, r in panes])
    c = st.columns([3, 1, 1])
    prompt = url(c[0].text_input, "Prompt", "prompt", "HAMLET:\n" if level == "char" else "")
    length = url(c[1].number_input, "Length", "len", 300, min_value=1, max_value=3000, step=50)
    t = url(c[2].select_slider, "Temperature", "ab_temp", 0.8, options=[0.2, 0.5, 0.8, 1.0, 1.5])
    for n, (col, _, r) in enumerate(panes):
        with col.container(border=True, height=300, key=f"ab-sample-{n}"):
            st.markdown(md_escape(prompt, lines=True))
            st.markdown(
                md_escape(_sample_at(r.key, epoch, prompt, length, t, int(seed)), lines=True)
            )
    st.caption(
        md_escape(f"Same prompt, temperature {t} and sampling seed {int(seed)} for both runs.")
    )
    return epoch


GATES_CAPTION = (
    "Gate activations of the first six of those units, between 0 (closed) and 1 (open): a "
    "forget/update gate near 1 keeps the old state."
)
status, result, ab = None, None, None
epoch = None  # the rewind slider's epoch (sections 2-3, or the comparison's), for section 5
if stats is not None:
    ab = ab_configs(url, cfg, tg.CHOICES)
    with shown_errors():
        if ab is not None:
            runs_ab = train_both(
                ab,
                tg.train,
                data_fp,
                key="textgen.ab_train",
                job_label="text",
                metrics=("bpc", "val_bpc"),
                validate=tg.validate,
            )
            if runs_ab.all_done:
                epoch = _compare_text(ab, runs_ab)
if stats is not None and ab is None:
    with shown_errors():
        status = ui_jobs.train_panel(
            tg.train,
            cfg,
            data_fp,
            job_label=f"{tg.CELL_NAMES[cell]} · {where}",
            key="textgen.train",
            metrics=("bpc", "val_bpc"),
            preview=lambda a: text_block(st, a),
        )
    if status and status.state == "done":
        result = ui_jobs.load_result(status.key)
        c = st.columns(4)
        c[0].metric("Validation bits / character", f"{result['val_bpc']:.3f}")
        c[1].metric("Training speed (chars/s)", f"{result['chars_per_s']:,.0f}")
        c[2].metric("Training time", f"{result['seconds']:.0f} s")
        c[3].metric("Epochs run", len(result["history"]["loss"]))
        show_figure(
            st, memo(tg.plot_curves, {result["cell"]: result["history"]}, x="epoch"), key="curve"
        )
        st.caption(
            "Bits per character: the average surprise of the next "
            "character (log₂ 1/p). Uniform guessing over the vocabulary costs log₂ V bits."
        )
        with st.expander("A sample after every epoch (temperature 0.8)"):
            for i, s in enumerate(result["samples"]):
                text_block(st, f"epoch {i + 1}\n{s}")
    elif stats is not None:
        show_figure(
            st, memo(tg.plot_temperature, *stats.unigram_logits(), [0.5, 1.0, 2.0]), key="temp0"
        )
        st.caption(
            "Temperature before training, on the frequencies of "
            "the 40 commonest tokens: T < 1 sharpens the distribution, "
            "T > 1 flattens it. After training, the same happens to the model's predictions."
        )


@st.cache_resource(max_entries=8, show_spinner=False)
def _lm(key: str) -> tg.NumpyLM:
    return tg.NumpyLM.from_model(ui_jobs.load_result(key)["model"])


@st.cache_resource(
    max_entries=2, show_spinner="Indexing the training text for the memorisation meter…"
)
def _copy_index(text: str) -> tg.CopyIndex:
    return tg.CopyIndex(text)


@st.cache_data(max_entries=8, show_spinner="Computing gradients through time…")
def _grad_norms(keys: tuple[str, ...], passage: str) -> dict[str, np.ndarray]:
    rs = [ui_jobs.load_result(k) for k in keys]
    return {
        r["cell"]: tg.gradient_norms(r["model"], tg.Vocab(r["vocab"], r["level"]).encode(passage))
        for r in rs
    }


@st.cache_resource(show_spinner=False)
def _samples() -> dict[tuple, list[str]]:
    """Generated samples by (job, prompt, length, temperature, top-k, seed), oldest first."""
    return {}


def _kept(gen, sink: list):
    for token in gen:
        sink.append(token)
        yield token


if result is not None:
    st.header("3 · Sample")
    vocab = tg.Vocab(result["vocab"], result["level"])
    c = st.columns([3, 1, 2, 1])
    prompt = url(
        c[0].text_area, "Prompt", "prompt", "HAMLET:\n" if level == "char" else "", height=68
    )
    length = url(c[1].number_input, "Length", "len", 300, min_value=1, max_value=3000, step=50)
    temps_text = url(c[2].text_input, "Temperatures (side by side)", "temps", "0.5, 1.0, 1.5")
    top_k = url(
        c[3].number_input, "Top-k (0 = all)", "topk", 0, min_value=0, max_value=5000, step=1
    )
    with shown_errors():
        temps = tg.parse_temperatures(temps_text)
        if unknown := vocab.unknown(prompt):
            st.info(
                (
                    f"Not in the vocabulary, read as {tg.data.PLACEHOLDER}: "
                    f"{md_escape(' '.join(map(repr, unknown[:20])))}"
                ),
                icon=":material/info:",
            )
        epoch = epoch_slider(url, [status.key], label="Sample from the model after epoch")
        lm = _lm_at(status.key, epoch)
        cache = _samples()  # shared by every visitor: a link to a sample opens at once
        for col, t in zip(st.columns(len(temps)), temps, strict=True):
            col.markdown(f"**T = {md_escape(tg.temperature_note(t))}**")
            sig = (status.key, epoch, prompt, length, t, top_k, int(seed))
            with col.container(border=True, height=360):
                st.markdown(md_escape(prompt, lines=True))
                if sig in cache:
                    st.markdown(md_escape("".join(cache[sig]), lines=True))
                else:
                    sink: list[str] = []
                    tokens = tg.generate(lm, vocab, prompt, length, t, top_k, int(seed))
                    st.write_stream(md_stream(_kept(tokens, sink)))
                    cache[sig] = sink
                    while len(cache) > 64:
                        cache.pop(next(iter(cache)))
            mem = memo(tg.memorisation, "".join(cache[sig]), _copy_index(text))
            col.caption(md_escape(mem.sentence()))
            if mem.quoting:
                col.warning(
                    f"Quoting: “{md_escape(mem.longest[:120])}…”", icon=":material/content_copy:"
                )

st.header("4 · Compare cells at the same budget")
st.caption(
    "Trains SimpleRNN, LSTM and GRU with exactly these settings "
    "and seed (one job each), then overlays their curves."
)
cfgs = {c_: dataclasses.replace(cfg, cell=c_) for c_ in tg.CELLS}
runs = train_and_compare(
    tg.train,
    cfgs,
    data_fp,
    button="Train all three cells",
    key="textgen.compare",
    job_label=lambda c_: f"{tg.CELL_NAMES[c_]} · compare",
    offer=stats is not None,
)
for c_, stt in runs.statuses.items():
    if stt is not None and stt.state != "done" and c_ != cell:
        ui_jobs.progress(stt, metrics=("bpc", "val_bpc"))
keys = {c_: s.key for c_, s in runs.statuses.items() if s and s.state == "done"}
done = runs.results
if len(done) >= 2 and text is not None:
    axis = (
        url(st.segmented_control, "x axis", "cmp_x", "seconds", options=["seconds", "epoch"])
        or "seconds"
    )
    show_figure(
        st,
        memo(tg.plot_curves, {r["cell"]: r["history"] for r in done.values()}, x=axis),
        key="cmp",
    )
    st.dataframe(
        [
            {
                "cell": r["cell"],
                "validation bits/char": round(r["val_bpc"], 3),
                "chars/s": round(r["chars_per_s"]),
                "seconds": round(r["seconds"], 1),
            }
            for r in done.values()
        ],
        hide_index=True,
    )
    passage = memo(tg.passage, text, cfg, cfg.seq_len * 2 if level == "char" else 600)
    show_figure(
        st, memo(tg.plot_gradient_norms, _grad_norms(tuple(keys.values()), passage)), key="grad"
    )
    st.caption(
        "How much the loss at the last character can still change "
        "each earlier input: the gradient norm ‖∂loss/∂xₜ‖ going "
        "back in time, on the same validation passage for every "
        "trained model. A curve that falls steeply means that step is forgotten."
    )

st.header("5 · Inside the cells")
keys |= {cell: status.key} if result is not None else {}
inside = {
    c_: k
    for c_, k in keys.items()
    if c_ in ("lstm", "gru") and ui_jobs.load_result(k)["level"] == "char"
}
if not inside or text is None:
    st.info(
        "Train a character-level LSTM or GRU (section 2, or compare the cells) to look inside it.",
        icon=":material/visibility:",
    )
else:
    if st.session_state.get(url.key("in_cell"), "lstm") not in inside:  # that model is gone
        st.session_state.pop(url.key("in_cell"), None)
    c = st.columns([1, 1, 1])
    which = (
        url(
            c[0].segmented_control,
            "Model",
            "in_cell",
            list(inside)[0],
            options=list(inside),
            format_func=tg.CELL_NAMES.get,
        )
        or list(inside)[0]
    )
    r = ui_jobs.load_result(inside[which])
    at_epoch = epoch if epoch in saved_epochs([inside[which]]) else None
    lm = _lm(inside[which]) if at_epoch is None else _lm_at(inside[which], at_epoch)
    if at_epoch is not None:
        st.caption(
            f"The {md_escape(tg.CELL_NAMES[which])} after epoch {at_epoch:d} (the rewind slider "
            "above): its states and gates below are that epoch's."
        )
    elif epoch is not None:
        st.caption(
            f"The {md_escape(tg.CELL_NAMES[which])} has no checkpoint at epoch {epoch:d}: its "
            "final epoch is shown."
        )
    layer = min(
        len(lm.layers), url(c[1].number_input, "Layer", "in_layer", 1, min_value=1, max_value=4)
    )
    show = (
        url(c[2].segmented_control, "State", "in_state", "cell", options=["hidden", "cell"])
        or "cell"
    )
    if show == "cell" and which != "lstm":
        st.caption("A GRU has no separate cell state: its hidden state is shown.")
    show = "c" if show == "cell" and which == "lstm" else "h"
    passage = url(
        st.text_area,
        "Passage",
        "in_text",
        memo(tg.passage, text, cfg, 100),
        height=100,
        max_chars=2000,
    )
    vocab = tg.Vocab(r["vocab"], "char")
    states = memo(
        tg.states_over, lm, vocab.encode(passage) if passage else np.zeros(1, "int32"), layer - 1
    )
    chars = list(passage)
    if chars:
        units = memo(tg.most_active_units, states[show], 12)
        show_figure(
            st,
            memo(
                tg.plot_states,
                states[show],
                chars,
                units,
                "cell state" if show == "c" else "hidden state",
            ),
            key="states",
        )
        st.caption(
            "The 12 units that vary most over the passage (rows) "
            "at each character (columns); orange positive, purple negative. Hover for values."
        )
        show_figure(
            st,
            memo(tg.plot_gates, {g: states[g] for g in tg.GATES[r["cell"]]}, chars, units[:6]),
            key="gates",
        )
        if at_epoch is None:
            st.caption(md_escape(GATES_CAPTION + " After the last epoch."))
        else:
            st.caption(md_escape(f"{GATES_CAPTION} After epoch {at_epoch:d}."))
        rows = memo(tg.tracking_units, states[show], passage)
        if rows:
            st.dataframe(rows[:8], hide_index=True)
            best = rows[0]
            show_figure(
                st,
                memo(
                    tg.plot_unit_trace,
                    states[show],
                    chars,
                    best["unit"],
                    tg.text_features(passage)[best["feature"]],
                    best["feature"],
                ),
                key="trace",
            )
            st.caption(
                f"Unit {best['unit']} against “{md_escape(best['feature'])}” "
                f"(correlation {best['correlation']:+.2f}) on this "
                "passage. Longer passages give more reliable correlations."
            )

show_code(
    tg.build_model, tg.train, tg.cells.Layer.step, tg.generate, tg.memorisation, tg.gradient_norms
)
