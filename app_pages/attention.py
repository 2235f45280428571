"""Transformer attention: a pretrained encoder's attention on your text; a tiny GPT trained live."""

import dataclasses

import streamlit as st

from dl_core import attention as tiny  # the tiny transformer: its contract and model
from dl_core import estimates, uploads, viz
from dl_core.attention import analysis, plots, pretrained
from dl_core.attention.config import CHOICES
from dl_core.describe import attention_focus, describe_figure
from dl_core.errors import UserError
from ui import jobs as ui_jobs
from ui.cache import memo
from ui.code import show_code
from ui.compare import ab_configs, train_both
from ui.compare import panes as ab_panes
from ui.errors import shown_errors
from ui.figures import colour_bar, show_figure, show_matrix_now
from ui.state import UrlState
from ui.text import md_escape, text_block
from ui.topic import backends_caption
from ui.uploads import recall, remember, text_input

# -- the page's longer teaching text ----------------------------------------------------------
INTRO = (
    "A transformer lets every token look at every other token: it scores each pair by the dot "
    "product of a **query** and a **key**, turns the scores into weights with a softmax, and "
    "mixes the **values** with those weights. Below, a pretrained 6-layer encoder "
    "(all-MiniLM-L6-v2) shows what its 72 heads look at in your text; the last section trains "
    "a tiny character-level transformer whose attention you can watch form."
)

st.title("Transformer attention")
backends_caption("attention")
st.markdown(INTRO)
st.latex(r"\mathrm{Attention}(Q,K,V)=\mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right)V")

url = UrlState("attention")
c1, c2, _ = st.columns([1, 2, 3])
preset = url(c1.segmented_control, "Preset", "preset", "default", options=list(tiny.PRESETS))
c1.caption(md_escape(estimates.preset_times(estimates.each(tiny.train, tiny.PRESETS))))
model_name = url(
    c2.selectbox, "Pretrained model", "model", pretrained.OFFLINE_MODEL, options=pretrained.MODELS
)
VIEWS = ["Attention", "Compare two sentences", "Sentence embeddings", "Train a tiny transformer"]
view = url.section(VIEWS, name="view")  # a full-width row: long labels are not cut short


@st.cache_resource(max_entries=2, show_spinner="Loading the pretrained transformer…")
def encoder(name: str) -> pretrained.Encoder:
    return pretrained.load_encoder(name)


@st.cache_resource(max_entries=32, show_spinner=False)
def analysed(name: str, text: str) -> dict:
    return pretrained.analyse(encoder(name), text)


@st.cache_data(max_entries=64, show_spinner="Sampling…")
def sampled(key: str, prompt: str, temperature: float, seed: int) -> str:
    res = ui_jobs.load_result(key)
    return tiny.sample(res["model"], res["vocab"], prompt, 200, temperature, seed)


def picked(name: str, label: str, n: int, default: int = 0, where=st) -> int:
    """A slider for an index in [0, n) that stays valid when the model or text changes."""
    if st.session_state.get(url.key(name), 0) >= n:
        del st.session_state[url.key(name)]
    return url(where.slider, label, name, min(default, n - 1), min_value=0, max_value=max(n - 1, 1))


def focus_clicked() -> None:
    """Clicking a token in the head view focuses it (runs before the rerun draws the select)."""
    points = st.session_state["head_view"].selection.points
    if points:
        st.session_state[url.key("focus")] = int(points[0]["y"])


def chart(fig, key: str, caption: str, where=st, about: str = "") -> None:
    """A figure with its description (``about`` first: what the figure is of) and a caption."""
    show_figure(where, fig, f"{about}{describe_figure(fig)}" if about else None, key=key)
    where.caption(caption)


def attention_view(enc: pretrained.Encoder) -> None:
    text = url(st.text_area, "Your text", "text", pretrained.EXAMPLE, height=80)
    up = st.file_uploader("…or upload a short .txt file", type=["txt", "md"], key=url.key("file"))
    got = recall(url, "file_fp") if up is None else (up.getvalue(), "")
    out = None
    if got is not None:
        try:  # a refused file leaves the box's text on show, with the reason
            out = analysed(model_name, uploads.load_text(got[0], max_chars=pretrained.MAX_CHARS))
            remember(url, "file_fp", got[0])
            st.caption("Using the uploaded file (remove it to use the box above).")
        except UserError as err:
            st.error(
                md_escape(f"{err} Showing the text in the box instead."), icon=":material/error:"
            )
    out = out or analysed(model_name, text)
    tokens, a, q, k, v = out["tokens"], out["attention"], out["q"], out["k"], out["v"]
    text_block(st, " ".join(tokens))
    st.caption(f"{len(tokens)} WordPiece tokens; '##' marks a piece that continues a word.")
    if out["unknown"]:
        st.info(
            f"{out['unknown']} token(s) are [UNK]: not in the model's "
            "vocabulary (emoji, some scripts)."
        )
    left, mid, right = st.columns(3)
    layer = picked("layer", "Layer", enc.num_layers, 2, left)
    head = picked("head", "Head", enc.num_heads, 0, mid)
    hide = url(right.toggle, "Hide [CLS] and [SEP]", "hide", False)
    shown_a, shown_t = memo(analysis.hide_special, a, tokens) if hide else (a, tokens)
    st.subheader("Model view: every layer and head")
    show_matrix_now(
        st.container(key="model_view"),
        memo(plots.model_view_pictures, shown_a),
        [f"layer {i}" for i in range(len(shown_a))],
        [str(h) for h in range(shown_a.shape[1])],
        memo(plots.model_view_alts, shown_a, shown_t),
        scale=colour_bar(plots.viridis_stops(), "0", "1", "attention weight"),
        corner="head",
    )
    st.caption(
        "Row = layer, column = head; each square is a token × token attention map (bright = "
        "strong; row = query, column = the token it attends to). Pick one below to see it large."
    )
    st.subheader(f"Layer {layer}, head {head}")
    chart(
        memo(plots.plot_attention, shown_a[layer, head], shown_t),
        "big",
        "Row = query token, column = the token it attends to; each row sums to 1.",
        about=f"Head {layer}.{head} (layer {layer}, head {head}): ",
    )
    h1, h2 = st.columns(2)
    opts = [-1, *range(len(shown_t))]
    if st.session_state.get(url.key("focus"), -1) not in opts:
        del st.session_state[url.key("focus")]
    focus = url(
        h1.selectbox,
        "Head view: focus on token",
        "focus",
        -1,
        options=opts,
        format_func=lambda i: "all tokens" if i < 0 else f"{i}: {shown_t[i]}",
    )
    fig = memo(plots.plot_head_view, shown_a[layer, head], shown_t, None if focus < 0 else focus)
    about = (
        f"Head view of layer {layer}, head {head}: each token linked to the tokens it attends "
        f"to; {attention_focus(shown_a[layer, head], shown_t)}."
    )
    show_figure(h1, fig, about, key="head_view", on_select=focus_clicked, selection_mode="points")
    h1.caption("Left: each token; right: what it attends to. Click a token to isolate its links.")
    h2.markdown("**Attention rollout** (all layers)")
    rolled = memo(analysis.rollout, shown_a)
    chart(
        memo(plots.plot_attention, rolled, shown_t, values=False),
        "rollout",
        "How much each input token flows into each position at the top, residuals included.",
        h2,
    )
    st.subheader("What each head does")
    stat = url(
        st.selectbox,
        "Statistic",
        "stat",
        "entropy",
        options=list(analysis.STATS),
        format_func=analysis.STATS.get,
    )
    chart(
        memo(plots.plot_head_stat, memo(analysis.head_stats, a, tokens), stat),
        "stats",
        "One number per head: e.g. a high share to [SEP] marks a head with nothing to do here.",
    )
    st.subheader("Inside one head: Q, K, V")
    qi = picked("query", "Query token", len(tokens), 1)
    chart(
        memo(plots.plot_qkv, q[layer, head], k[layer, head], v[layer, head], tokens),
        "qkv",
        "Rows are tokens, columns the head's 32 dimensions; orange positive, purple negative.",
    )
    scores = memo(analysis.head_scores, q[layer, head], k[layer, head])[qi]
    chart(
        memo(plots.plot_query_weights, scores, analysis.softmax(scores), tokens, qi),
        "qw",
        (
            f"'{md_escape(tokens[qi])}' scores every key by q·k/√d; "
            "the softmax turns the scores into its attention row."
        ),
    )


def compare_view(enc: pretrained.Encoder) -> None:
    a_text = url(st.text_input, "Sentence A", "a", pretrained.EXAMPLE)
    b_text = url(st.text_input, "Sentence B", "b", pretrained.EXAMPLE_B)
    c1, c2 = st.columns(2)
    layer, head = (
        picked("layer", "Layer", enc.num_layers, 2, c1),
        picked("head", "Head", enc.num_heads, 0, c2),
    )
    for col, text, name in zip(st.columns(2), (a_text, b_text), "AB", strict=True):
        with col, shown_errors():
            out = analysed(model_name, text)
            fig = memo(
                plots.plot_attention,
                out["attention"][layer, head],
                out["tokens"],
                title=f"Sentence {name}",
            )
            chart(
                fig,
                f"cmp{name}",
                f"Layer {layer}, head {head}: does 'it' attend to 'animal' or 'street'?",
            )


def embeddings_view(enc: pretrained.Encoder) -> None:
    lines = url(st.text_area, "Sentences (one per line)", "sents", pretrained.SENTENCES, height=150)
    sents = [s.strip() for s in lines.splitlines() if s.strip()]
    sim = pretrained.similarity(pretrained.embed_sentences(enc, sents))
    chart(
        memo(plots.plot_similarity, sim, sents),
        "sim",
        (
            "Cosine similarity of sentence embeddings (mean of the "
            "last layer, L2-normalised): 1 = same meaning."
        ),
    )


def tiny_view(enc: pretrained.Encoder) -> None:
    base = tiny.PRESETS[preset]
    text, desc, fp = text_input(url, "corpus", corpora=tiny.CORPORA, default="hamlet")
    if text is None:
        return st.info("Choose a bundled play, or upload or paste some text to train on.")
    c = st.columns(5)
    layers = url(c[0].slider, "Layers", "t_layers", base.layers, min_value=1, max_value=2)
    heads = url(c[1].select_slider, "Heads", "t_heads", base.heads, options=[1, 2, 4])
    epochs = url(c[2].slider, "Epochs", "t_epochs", base.epochs, min_value=1, max_value=30)
    pos = url(
        c[3].selectbox, "Positions", "t_pos", base.positional, options=["learned", "sinusoidal"]
    )
    seed = url(c[4].number_input, "Seed", "seed", 0, min_value=0, step=1)
    probe = url(
        st.text_input, "Probe text (its attention is saved after every epoch)", "probe", base.probe
    )
    corpus = st.session_state.get(url.key("corpus_corpus"), "hamlet") if fp is None else "upload"
    cfg = dataclasses.replace(
        base,
        corpus=corpus,
        layers=layers,
        heads=heads,
        epochs=epochs,
        positional=pos,
        seed=int(seed),
        probe=probe,
    )
    tiny.validate(cfg)
    st.caption(f"Training text: {md_escape(desc)}, {len(text):,} characters.")
    if (ab := ab_configs(url, cfg, CHOICES)) is not None:
        runs = train_both(
            ab,
            tiny.train,
            fp,
            key="attention.ab_train",
            job_label="Tiny transformer",
            metrics=("loss", "val_loss"),
            validate=tiny.validate,
        )
        if runs.all_done:
            compare_tiny(ab, runs)
        return None

    def live(arr):  # the probe's attention, drawn from each epoch's progress event
        show_figure(st, memo(plots.plot_model_view, arr, list(cfg.probe), cell=140), key="live")

    status = ui_jobs.train_panel(
        tiny.train,
        cfg,
        fp,
        job_label="Tiny transformer",
        metrics=("loss", "val_loss"),
        preview=live,
    )
    if not status or status.state != "done":
        return
    res = ui_jobs.load_result(status.key)
    maps, probe_t = res["attention"], list(res["probe"])
    ep = picked("t_epoch", "Epoch (0 = before training)", len(maps), len(maps) - 1)
    chart(
        memo(plots.plot_model_view, maps[ep], probe_t, cell=140),
        "tiny_view",
        (
            "Causal attention on the probe after this epoch: nothing "
            "above the diagonal (no peeking ahead)."
        ),
    )
    st.text(f"Sample after epoch {ep}:\n{res['samples'][ep]}")
    chart(
        viz.curves(res["history"], y_title="loss"),
        "curves",
        "Cross-entropy per character (nats); validation = the last 10% of the text.",
    )
    st.subheader("Positional encodings")
    chart(
        memo(plots.plot_positions, res["positions"]),
        "pos",
        "Left: the vector added at each position; right: how alike the positions' vectors are.",
    )
    st.subheader("Sample with temperature")
    s1, s2 = st.columns([3, 1])
    prompt = url(s1.text_input, "Prompt", "t_prompt", "HAMLET:")
    temp = url(s2.slider, "Temperature", "t_temp", 0.8, min_value=0.1, max_value=2.0, step=0.1)
    st.text(prompt + sampled(status.key, prompt, temp, int(seed)))
    st.subheader("Causal vs bidirectional attention")
    b1, b2 = st.columns(2)
    out = analysed(model_name, cfg.probe)
    bi, bi_t = memo(analysis.hide_special, out["attention"][1].mean(0), out["tokens"])
    fig = memo(plots.plot_attention, bi, bi_t, "MiniLM, layer 1 (bidirectional)", False)
    chart(fig, "bi", "Head-averaged, [CLS]/[SEP] hidden: the encoder reads both ways.", b1)
    fig = memo(
        plots.plot_attention,
        maps[ep][-1].mean(0),
        probe_t,
        "Tiny transformer, last layer (causal)",
        False,
    )
    chart(fig, "causal", "Head-averaged: the language model may only look back.", b2)


def compare_tiny(ab, runs) -> None:
    """Two tiny transformers: loss deltas; at one epoch (one slider), each one's attention
    on the probe and its sample, and the difference of their last layers' attention."""
    panes = ab_panes(ab, runs)
    a, b = (r for _, _, r in panes)
    chart(
        viz.curve_deltas(a["history"], b["history"], ab.names, ("loss", "val_loss")),
        "ab-diff-0",
        "Above zero: run B's loss is higher than run A's at that epoch.",
    )
    n = min(len(a["attention"]), len(b["attention"]))
    ep = picked("t_epoch", "Epoch for both runs (0 = before training)", n, n - 1)
    for i, (col, _, r) in enumerate(panes):
        fig = memo(plots.plot_model_view, r["attention"][ep], list(r["probe"]), cell=110)
        show_figure(col, fig, key=f"ab-attn-{i}")
        col.text(f"Sample after epoch {ep}:\n{r['samples'][ep]}")
    if list(a["probe"]) == list(b["probe"]):
        last = [r["attention"][ep][-1].mean(0) for r in (a, b)]
        fig = memo(plots.plot_attention_difference, *last, list(a["probe"]), ab.names)
        chart(
            fig,
            "ab-attn-diff",
            "Last layer, heads averaged: orange where B attends more than A, purple less.",
        )


with shown_errors():
    enc = encoder(model_name)
    dict(zip(VIEWS, (attention_view, compare_view, embeddings_view, tiny_view), strict=True))[view](
        enc
    )

show_code(pretrained.extract, analysis.rollout, analysis.head_stats, tiny.CausalBlock, tiny.train)
