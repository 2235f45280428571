"""Neural-network basics: perceptron to deep MLP on 2-D data, trained step by step."""

import dataclasses

import streamlit as st

from dl_core import basics, estimates, uploads
from dl_core.basics import analysis, player, plots
from dl_core.store import Store
from ui import jobs as ui_jobs
from ui.cache import memo
from ui.code import show_code
from ui.compare import ab_configs, runs_progress, train_and_compare
from ui.errors import shown_errors
from ui.figures import show_figure
from ui.mlp_player import mlp_player, point_editor
from ui.state import UrlState, parse
from ui.text import md_escape
from ui.topic import backends_caption
from ui.uploads import recall, remember

st.title("Neural-network basics")
backends_caption("basics")
st.markdown(
    "A neuron weighs its inputs, adds a bias and bends the sum with an activation function; "
    "layers of such neurons can carve the plane into any shape. Training nudges every weight "
    "downhill on the loss, one batch at a time: press **Train**, then **Play** or **Step** and "
    "watch the decision boundary and every neuron's output move."
)
st.latex(
    r"a^{(l)} = \varphi\!\left(W^{(l)} a^{(l-1)} + b^{(l)}\right) \qquad "
    r"\theta \leftarrow \theta - \eta\, \nabla_\theta \mathcal{L}(\theta)"
)
url = UrlState("basics")
LR = [0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0, 1000.0]


with st.sidebar:
    preset = (
        url(
            st.segmented_control,
            "Preset",
            "preset",
            "default",
            options=list(basics.PRESETS),
            on_change=url.reset,
        )
        or "default"
    )
    base = basics.PRESETS[preset]
    st.caption(md_escape(estimates.preset_times(estimates.each(basics.train, basics.PRESETS))))
    st.subheader("Data")
    source = (
        url(st.segmented_control, "Source", "src", "Generated", options=["Generated", "CSV"])
        or "Generated"
    )
    dataset = url(
        st.selectbox,
        "Data set",
        "data",
        base.dataset,
        options=basics.DATASETS,
        disabled=source == "CSV",
    )
    noise = url(
        st.slider,
        "Noise",
        "noise",
        base.noise,
        min_value=0.0,
        max_value=0.5,
        step=0.05,
        disabled=source == "CSV",
    )
    n_points = url(
        st.slider,
        "Points",
        "n",
        base.n_points,
        min_value=50,
        max_value=2000,
        step=50,
        disabled=source == "CSV",
    )
    test_ratio = url(
        st.slider, "Test share", "test", base.test_ratio, min_value=0.1, max_value=0.9, step=0.05
    )
    st.subheader("Network")
    feats = url(
        st.multiselect, "Input features", "feat", list(base.features), options=basics.FEATURES
    )
    hidden_text = url(
        st.text_input,
        "Neurons per hidden layer",
        "hidden",
        ", ".join(map(str, base.hidden)),
        help="Comma-separated, e.g. '6, 4'. Empty: no hidden layer (a perceptron).",
    )
    activation = url(st.selectbox, "Activation", "act", base.activation, options=basics.ACTIVATIONS)
    st.subheader("Training")
    loss = url(st.segmented_control, "Loss", "loss", base.loss, options=basics.LOSSES) or base.loss
    optimizer = url(st.selectbox, "Optimizer", "opt", base.optimizer, options=basics.OPTIMIZERS)
    lr = url(st.select_slider, "Learning rate", "lr", base.learning_rate, options=LR)
    batch = url(
        st.select_slider,
        "Batch size",
        "batch",
        base.batch_size,
        options=[1, 5, 10, 20, 50, 100, 500],
    )
    reg = (
        url(st.segmented_control, "Regularisation", "reg", "none", options=basics.REGULARIZERS)
        or "none"
    )
    rate = url(
        st.select_slider,
        "Regularisation rate",
        "rate",
        base.reg_rate,
        options=[0.0001, 0.001, 0.003, 0.01, 0.03, 0.1],
    )
    dropout = url(
        st.slider, "Dropout", "drop", base.dropout, min_value=0.0, max_value=0.8, step=0.1
    )
    epochs = url(st.slider, "Epochs", "epochs", base.epochs, min_value=1, max_value=300)
    seed = url(st.number_input, "Seed", "seed", base.seed, min_value=0, max_value=99_999, step=1)

cfg, data_fp, table, shown = None, None, None, None
with shown_errors():
    if source == "CSV":
        up = st.file_uploader(
            "Your data: a CSV with two number columns and a label column",
            type=["csv", "txt"],
            key="basics.csv",
        )
        raw = up.getvalue() if up is not None else (recall(url, "csv") or (None,))[0]
        if raw is None:
            st.info(
                "Upload a CSV file, or switch the data source back to Generated.",
                icon=":material/upload:",
            )
        else:
            frame, notes = uploads.load_csv(raw, name=up.name if up is not None else "")
            remember(url, "csv", raw)
            cols = [str(c) for c in frame.columns]
            pick = [
                url(c.selectbox, lab, name, cols[min(i, len(cols) - 1)], options=cols)
                for i, (c, lab, name) in enumerate(
                    zip(
                        st.columns(3),
                        ("x column", "y column", "Label column"),
                        ("cx", "cy", "cl"),
                        strict=True,
                    )
                )
            ]
            pts, targets, table = basics.table_to_dataset(frame, *pick)
            for note in notes + table["notes"]:
                st.info(md_escape(note), icon=":material/info:")
            data_fp = Store().put_arrays_blob(
                points=pts, targets=targets, task=table["task"], class_names=table["class_names"]
            )
    kind = (
        table["task"]
        if table
        else ("classification" if basics.is_classification(dataset) else "regression")
    )
    cfg = dataclasses.replace(
        base,
        extra=basics.parse_points(url.get_param("add"), kind == "classification"),
        dataset="upload" if source == "CSV" else dataset,
        n_points=n_points,
        noise=noise,
        test_ratio=test_ratio,
        features=tuple(feats),
        hidden=basics.parse_hidden(hidden_text),
        activation=activation,
        loss=loss,
        optimizer=optimizer,
        learning_rate=lr,
        batch_size=batch,
        regularization=reg,
        reg_rate=rate,
        dropout=dropout,
        epochs=epochs,
        seed=int(seed),
    )
    for warning in basics.validate(cfg, table["task"] if table else None):
        st.warning(md_escape(warning), icon=":material/warning:")
    if source == "Generated" or data_fp:
        pts, targets = (
            (pts, targets)
            if table
            else basics.make_dataset(cfg.dataset, cfg.n_points, cfg.noise, cfg.seed)
        )
        names = (table and table["class_names"]) or ["0", "1"]
        shown = (
            *basics.split(pts, targets, cfg.test_ratio, cfg.seed),
            kind,
            names,
        )  # without added points

ready = cfg is not None and shown is not None


def _extend(cfg, data_fp) -> None:
    """Past the recorded end: train 20 more epochs in a new job (same seed: same start)."""
    st.session_state["basics.epochs"] = new = min(300, cfg.epochs + 20)
    ui_jobs.submit(basics.train, dataclasses.replace(cfg, epochs=new), data_fp, label="Basics")
    st.session_state["basics.rerun"] = True  # the whole page shows the new job


def _added() -> None:
    """The editor's points went into the link; the run that follows trains on them."""
    added = (st.session_state.get("basics.editor") or {}).get("added") or []
    text = basics.dump_points(basics.clean_points(added, shown[4] == "classification"))
    if text:
        url.set_param("add", text)
    else:
        url.drop_param("add")


def _editor(surface=None) -> None:
    parts = (cfg.dataset, cfg.n_points, cfg.noise, cfg.seed, cfg.test_ratio, data_fp)
    data_id = "|".join(map(str, (*parts, surface is not None)))
    point_editor(
        player.editor_payload(shown, cfg.extra, data_id, surface),
        key="basics.editor",
        on_added=_added,
    )
    if table:
        st.caption(
            f"Your columns {md_escape(table['columns'][0])} and "
            f"{md_escape(table['columns'][1])} are scaled to [-0.9, 0.9]."
        )


@st.cache_data(max_entries=8, show_spinner=False)
def _payload(key: str, _cfg) -> dict:
    return player.payload(ui_jobs.load_result(key), _cfg, key)


@st.fragment
def _player(key: str, cfg, data_fp) -> None:
    """Play / Step / Reset run in the browser; the shown step comes back here for the URL."""
    if "basics.start" in st.session_state:  # set where Step went past the end of a recording
        url.set_param("step", st.session_state.pop("basics.start"))
    data = player.with_view(
        _payload(key, cfg),
        start=parse(url.get_param("step") or "0", 0),
        by=url.get_param("by") or "epoch",
        speed=parse(url.get_param("speed") or "10", 10),
        playing=url.get_param("play") == "1",
        can_extend=cfg.epochs < 300,
    )
    out = mlp_player(
        data, key="basics.player", on_view=lambda: None, on_extend=lambda: _extend(cfg, data_fp)
    )
    if out.extend is not None:  # Step went past the end: the new recording opens at that step
        st.session_state["basics.start"] = out.extend
    elif out.view and out.view.get("id") == key:  # (a view of an earlier job is stale)
        for name in ("step", "by", "speed"):
            url.set_param(name, out.view[name])
        if out.view.get("playing"):
            url.set_param("play", 1)
        else:
            url.drop_param("play")
    if st.session_state.pop("basics.rerun", False):
        st.rerun()
    st.caption(
        "The job trained the network on the server and recorded its weights after every batch; "
        "Play, Step, Back and the slider replay that recording here in your browser. Step past "
        "the end trains 20 more epochs."
    )
    if cfg.epochs < 300:
        st.button(
            "Train 20 more epochs",
            icon=":material/fast_forward:",
            on_click=_extend,
            args=(cfg, data_fp),
            key="basics.more",
        )


SECTIONS = ["Train", "Compare", "Lessons", "Export"]
section = url.section(SECTIONS)
if section != SECTIONS[0]:
    url.drop_param("play")  # the player is not on show: a link from here does not play
status = None
if section == SECTIONS[0] and ready:
    with shown_errors():
        layout = analysis.layout_for(len(cfg.features), cfg.hidden)
        cls = shown[4] == "classification"
        status = ui_jobs.train_panel(
            basics.train,
            cfg,
            data_fp,
            job_label="Basics",
            key="basics.train",
            metrics=("loss",),
            preview=lambda w: show_figure(
                st,
                plots.plot_boundary(
                    analysis.boundary(w, layout, cfg.features, cfg.activation, cls),
                    *shown[:4],
                    shown[4],
                    shown[5],
                    height=360,
                ),
            ),
        )
    if status and status.state == "done":
        if st.toggle(
            "Add points by clicking",
            key="basics.edit",
            help=(
                "Shows the data over the trained network's output; each click adds a training "
                "point."
            ),
        ):
            res = ui_jobs.load_result(status.key)
            _editor(
                analysis.boundary(
                    res["params"][-1],
                    res["layout"],
                    cfg.features,
                    cfg.activation,
                    shown[4] == "classification",
                    resolution=64,
                )
            )
        else:
            _player(status.key, cfg, data_fp)
    elif not (status and status.active):
        _editor()
ANY = "another setting…"


def _side_by_side(configs: dict, runs) -> None:
    """Both runs at one recorded epoch (one slider, in the URL): boundary, test accuracy."""
    epochs = [analysis.epoch_of(r["steps"], r["steps_per_epoch"]) for r in runs.results.values()]
    top = int(min(float(ep[-1]) for ep in epochs))
    epoch = url(st.slider, "Epoch (both runs)", "epoch", top, min_value=0, max_value=max(top, 1))
    cols = st.columns(2)
    stats = []
    for n, (col, (name, r), cfg_n, ep) in enumerate(
        zip(cols, runs.results.items(), configs.values(), epochs, strict=True)
    ):
        index = int(abs(ep - epoch).argmin())  # the snapshot closest to that epoch
        step = analysis.step_state(r, cfg_n, index)
        figs = plots.step_figures(r, step, cfg_n.features, height=340)
        col.markdown(f"**{md_escape(name)}**")
        show_figure(col, figs["boundary"], key=f"basics.fig_cmp_{n}")
        stats.append(step["stats"])
    key = "test accuracy" if "test accuracy" in stats[0] else "test loss"
    for col, st_n, other in zip(cols, stats, stats[::-1], strict=True):
        col.metric(md_escape(key), f"{st_n[key]:.3f}", f"{st_n[key] - other[key]:+.3f}")
    st.caption(
        md_escape(
            f"Each network's output over the plane at epoch {epoch}; under each, its {key} "
            "and the difference from the other run."
        )
    )


if section == SECTIONS[1]:
    picks = [*basics.COMPARISONS, ANY]
    other = url(st.selectbox, "Compare with", "cmp", "sgd", options=picks)
    if not ready:
        cfg2 = None
    elif other == ANY:
        ab = ab_configs(url, cfg, basics.CHOICES, toggle=False)
        cfg2 = ab.b if ab is not None else cfg
    else:
        cfg2 = basics.variant(cfg, other)
    if ready and cfg2 == cfg and other != ANY:
        st.info(
            "That is the current setting; compare with another optimizer, or toggle regularisation."
        )
    elif ready and cfg2 != cfg:
        if other == ANY:
            names = list(ab.names)
        else:
            names = [basics.describe(c) for c in (cfg, cfg2)]
        configs = dict(zip(names, (cfg, cfg2), strict=True))
        runs = train_and_compare(
            basics.train,
            configs,
            data_fp,
            button="Train both",
            key="basics.train2",
            job_label="Basics · compare",
        )
        runs_progress(runs, lambda status_n: ui_jobs.progress(status_n, metrics=("loss",)))
        if runs.all_done:
            results = runs.results
            show_figure(
                st, plots.plot_compare(analysis.loss_curves(results)), key="basics.fig_cmpcurves"
            )
            st.caption(
                "Same data, same seed, same starting weights: solid = train loss, dashed = "
                "test loss."
            )
            _side_by_side(configs, runs)
if section == SECTIONS[2]:
    st.subheader("Activation functions and their slopes")
    show_figure(st, plots.plot_activations(activation), key="basics.fig_acts")
    st.caption(
        "Backpropagation multiplies these slopes layer by layer: where φ′ is near 0 (saturated "
        "sigmoid, tanh; negative ReLU) the gradient vanishes."
    )
    st.subheader("The perceptron: a single neuron draws one straight line")
    cases, errors = analysis.perceptron_lesson(int(seed))
    show_figure(st, memo(plots.plot_perceptron, cases), key="basics.fig_perc")
    st.caption(
        "Rosenblatt's rule w ← w + η(t − ŷ)x fixes one mistake at a time. On separable blobs "
        f"it stops after {len(errors['blobs'])} epoch(s) with no mistakes; on XOR it still "
        f"makes {errors['xor'][-1]} mistakes after {len(errors['xor'])} epochs: no line "
        "separates XOR. A hidden layer (or the feature xy) does."
    )
    st.subheader("A loss surface and the optimizers' paths")
    scale = url(
        st.select_slider, "Learning-rate multiplier", "lscale", 1.0, options=[0.1, 0.3, 1.0, 3.0]
    )
    surface = analysis.loss_surface_lesson(scale, int(seed))
    show_figure(st, memo(plots.plot_loss_surface, *surface), key="basics.fig_surface")
    st.caption(
        "Heatmap: log cross-entropy of a 2-weight model σ(w1·x + w2·y) over (w1, w2); a long "
        "narrow valley. Each line: 60 full-batch steps from the same start (★)."
    )
if section == SECTIONS[3]:
    status, trained = ui_jobs.finished(basics.train, cfg, data_fp) if ready else (None, None)
    if status is not None:
        path = trained.model_path("model")
        st.download_button(
            "Download the trained model (.keras)",
            path.read_bytes(),
            file_name="basics_model.keras",
            icon=":material/download:",
            key="basics.dl",
        )
        st.code(basics.keras_code(cfg, shown[4] == "classification"), language="python")
    else:
        st.info(
            "Train the network first; then download it as .keras and get the Keras code that "
            "rebuilds it."
        )

show_code(
    basics.train,
    basics.build_model,
    analysis.forward,
    player.payload,
    analysis.perceptron,
    analysis.optimizer_path,
)
