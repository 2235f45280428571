"""Transfer learning: a pretrained ImageNet network learns the visitor's classes, three ways."""

import dataclasses
import json

import numpy as np
import pandas as pd
import streamlit as st

from dl_core import assets, estimates, transfer, viz
from dl_core.assets import imagenet
from dl_core.cnn.analysis import grad_cam
from dl_core.config import from_dict, to_json
from dl_core.describe import describe_images, weight_quarters
from dl_core.store import Store
from ui import jobs as ui_jobs
from ui.cache import memo
from ui.code import show_code
from ui.compare import ab_configs, ab_progress, train_and_compare
from ui.compare import panes as ab_panes
from ui.errors import shown_errors
from ui.figures import show_figure, show_image, show_rows_now
from ui.rewind import epoch_slider, parts_at
from ui.state import UrlState
from ui.text import md_escape
from ui.topic import backends_caption
from ui.uploads import class_images_input, images_input, recall, zip_input

st.title("Transfer learning")
backends_caption("transfer")
st.markdown(
    "A network trained on a million ImageNet photos has already learnt edges, textures and "
    "parts. **Transfer learning** reuses that: keep the network, replace its last layer with "
    "one for *your* classes, and a few dozen images are enough. Below, the same data is "
    "learnt three ways so you can see what the pretrained weights are worth."
)
st.latex(r"\hat y = \mathrm{softmax}\big(W\,\phi_\theta(x) + b\big)")
st.caption(
    "Feature extraction trains only W, b (φ frozen). Fine-tuning then also updates θ of the top "
    "blocks with a smaller learning rate, BatchNorm kept in "
    "inference mode. From scratch starts θ at random."
)

url = UrlState("tl")
preset = (
    url(st.segmented_control, "Preset", "preset", "default", options=list(transfer.PRESETS))
    or "default"
)
base = transfer.PRESETS[preset]
st.caption(
    md_escape(
        estimates.preset_times(
            {
                p: [(transfer.train, dataclasses.replace(c, mode=m)) for m in transfer.MODES]
                for p, c in transfer.PRESETS.items()
            }
        )
    )
)

# -- 1. data ---------------------------------------------------------------------------------
st.header("1 · Your classes")
SOURCES = [
    "Example: animal silhouettes",
    "Upload a zip of class folders",
    "Upload images per class",
]
source = url(st.segmented_control, "Data", "src", SOURCES[0], options=SOURCES) or SOURCES[0]
data_fp = None
cfg = base
if source == SOURCES[0]:
    c1, c2 = st.columns([3, 1])
    classes = url(
        c1.multiselect, "Classes", "classes", list(base.classes), options=list(transfer.ANIMALS)
    )
    per_class = url(
        c2.slider, "Images per class", "per", base.per_class, min_value=2, max_value=200
    )
    cfg = dataclasses.replace(
        base, classes=tuple(c for c in transfer.ANIMALS if c in classes), per_class=per_class
    )
else:
    ds = None
    if source == SOURCES[1]:
        ds, _ = zip_input(url, "zip", size=None)
    else:
        ds = class_images_input(url, "cls")
    if ds is not None:
        with shown_errors():
            data_fp = Store().put_blob(transfer.pack_upload(ds.images, ds.labels, ds.class_names))
            url.set_param("data", data_fp)
    elif (again := recall(url, "data")) is not None:
        data_fp = again[1]
    cfg = dataclasses.replace(base, dataset="upload")


@st.cache_resource(show_spinner=False, max_entries=8)
def _mistakes(r):
    """The misclassified validation images (analysis), drawn (plots)."""
    wrong = transfer.misclassified(r["labels"], r["val_idx"], r["val_probs"])
    return transfer.plot_mistakes(r["thumbs"], wrong, r["class_names"])


@st.cache_resource(show_spinner="Checking the dataset…", max_entries=4)
def dataset_check(cfg_json: str, fp: str | None):
    """The data set a configuration names (read, resized and split) and its check; once per
    configuration and upload on this server, shared by every visitor (never changed)."""
    c = from_dict(transfer.Config, json.loads(cfg_json))
    d = transfer.load_data(c, Store().get_blob(fp) if fp else None)
    return d, transfer.check_dataset(d.images, d.labels, d.class_names, d.train_idx, d.val_idx)


data = None
with shown_errors():
    if cfg.dataset == "upload" and data_fp is None:
        st.info("Upload images to continue, or switch to the example set.")
    else:
        transfer.validate(cfg)
        data, check = dataset_check(to_json(cfg), data_fp)
if data is not None:
    c1, c2 = st.columns([1, 2])
    show_figure(c1, memo(transfer.plot_counts, check), key="counts")
    c1.caption(
        f"{len(data.train_idx)} training and {len(data.val_idx)} "
        f"validation images, split with seed {cfg.seed}."
    )
    for w in check.warnings:
        c1.warning(md_escape(w), icon=":material/warning:")
    # drawn with the page's first elements, before plotly.js has loaded
    show_rows_now(c2, "Thumbnails per class", memo(transfer.thumbnail_rows, data))
    if check.duplicates:
        with st.expander(
            f"{len(check.duplicates)} near-duplicate pair(s) across training and validation"
        ):
            show_figure(st, memo(transfer.plot_duplicates, data, check), key="dups")

# -- 2. backbone and settings -----------------------------------------------------------------
st.header("2 · Backbone and settings")
no_net = assets.online_unavailable()
online = [] if no_net else [f"{m} (online)" for m in imagenet.ONLINE_MODELS]
choice = url(
    st.selectbox,
    "Pretrained backbone",
    "bb",
    base.backbone,
    options=list(transfer.BACKBONES) + online,
    format_func=lambda b: (
        imagenet.IMAGENET_MODELS[b].title + " · offline" if b in imagenet.IMAGENET_MODELS else b
    ),
)
backbone = choice.removesuffix(" (online)")
if no_net:
    st.caption(
        md_escape(
            f"{no_net}, so the {len(imagenet.ONLINE_MODELS)} online-only backbones "
            f"({', '.join(imagenet.ONLINE_MODELS)}) are hidden; the offline ones always work."
        )
    )
with st.expander("Training settings", icon=":material/tune:"):
    c1, c2, c3 = st.columns(3)
    cfg = dataclasses.replace(
        cfg,
        backbone=backbone,
        head_epochs=url(
            c1.slider, "Head epochs", "he", base.head_epochs, min_value=1, max_value=200
        ),
        head_lr=url(
            c1.select_slider,
            "Head learning rate",
            "hlr",
            base.head_lr,
            options=[1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2],
        ),
        unfreeze_blocks=url(
            c2.slider, "Blocks to unfreeze", "ub", base.unfreeze_blocks, min_value=1, max_value=8
        ),
        fine_tune_epochs=url(
            c2.slider, "Fine-tuning epochs", "fe", base.fine_tune_epochs, min_value=1, max_value=100
        ),
        fine_tune_lr=url(
            c2.select_slider,
            "Fine-tuning learning rate",
            "flr",
            base.fine_tune_lr,
            options=[1e-5, 3e-5, 1e-4, 3e-4, 1e-3],
        ),
        scratch_epochs=url(
            c3.slider, "From-scratch epochs", "se", base.scratch_epochs, min_value=1, max_value=100
        ),
        batch_size=url(
            c3.select_slider, "Batch size", "bs", base.batch_size, options=[4, 8, 16, 32, 64]
        ),
        max_seconds=float(
            url(
                c3.slider,
                "Time budget per way (s, 0 = none)",
                "budget",
                int(base.max_seconds),
                min_value=0,
                max_value=1200,
                step=10,
            )
        ),
        seed=url(c1.number_input, "Seed", "seed", base.seed, min_value=0, max_value=2**31 - 1),
    )

# -- 3. train three ways ----------------------------------------------------------------------
st.header("3 · Train three ways")
configs = {m: dataclasses.replace(cfg, mode=m) for m in transfer.MODES}
ready = data is not None and not (backbone in imagenet.ONLINE_MODELS and no_net)
runs = train_and_compare(
    transfer.train,
    configs,
    data_fp,
    button="Train all three",
    job_label=lambda m: f"Transfer · {transfer.MODE_TITLES[m]}",
    validate=transfer.validate,
    disabled=not ready,
    lock=True,
    type="primary",
    icon=":material/play_arrow:",
)
statuses = runs.statuses
cols = st.columns(3)
for col, m in zip(cols, transfer.MODES, strict=True):
    with col:
        st.subheader(transfer.MODE_TITLES[m])
        statuses[m] = (
            ui_jobs.progress(statuses[m], metrics=("val_accuracy", "accuracy")) or statuses[m]
        )
        if statuses[m] is None:
            st.caption("Not trained yet.")

done = {
    m: ui_jobs.load_result(s.key)
    for m, s in statuses.items()
    if s is not None and s.state == "done"
}
curves = {
    m: {"val_accuracy": [e.metrics.get("val_accuracy") for e in s.epochs()]}
    for m, s in statuses.items()
    if s is not None
}
for m, r in done.items():
    curves[m] = r["history"]
if curves:
    show_figure(st, memo(transfer.plot_comparison, curves), key="compare")
if done:
    st.dataframe(pd.DataFrame(memo(transfer.results_table, done)), hide_index=True)


# -- compare two settings -----------------------------------------------------------------------
def _cam(r, i: int, cls: int) -> np.ndarray:
    """Validation image ``i`` of run ``r`` with the Grad-CAM of class ``cls`` over it."""
    img = transfer.square(r["thumbs"][r["val_idx"][i]], 224)
    batch = memo(imagenet.preprocess, cfg.backbone, img[None], crop=1.0)
    return memo(viz.overlay, img, memo(grad_cam, r["model"], batch, cls)[0], 0.5)


def _compare_transfer(ab, runs) -> None:
    """Both runs: curve and confusion differences; Grad-CAM on one validation image."""
    panes = ab_panes(ab, runs)
    a, b = (r for _, _, r in panes)
    for col, _, r in panes:
        r_va = r["val_idx"]
        acc = float((r["val_probs"].argmax(1) == r["labels"][r_va]).mean())
        col.metric("Validation accuracy", f"{acc:.1%}")
    metrics = ("accuracy", "val_accuracy", "loss", "val_loss")
    show_figure(
        st, viz.curve_deltas(a["history"], b["history"], ab.names, metrics), key="ab-diff-0"
    )
    names = list(a["class_names"])
    if names == list(b["class_names"]) and np.array_equal(a["val_idx"], b["val_idx"]):
        cms = [
            viz.compute_confusion(r["labels"][r["val_idx"]], r["val_probs"].argmax(1), len(names))
            for r in (a, b)
        ]
        show_figure(st, memo(viz.confusion_difference, *cms, names, ab.names), key="ab-diff-1")
    top = min(len(r["val_idx"]) for r in (a, b)) - 1
    c1, c2 = st.columns(2)
    i = url(
        c1.slider, "Validation image (both runs)", "ab_i", 0, min_value=0, max_value=max(top, 1)
    )
    target = url(c2.selectbox, "Explain class (both runs)", "ab_c", names[0], options=names)
    for col, _, r in panes:
        show_image(col, _cam(r, min(i, top), names.index(target)), width=300)
        col.caption(f"Grad-CAM for '{md_escape(target)}' on validation image {min(i, top)}.")


if ready:
    st.header("Compare two settings")
    ab_mode = url(
        st.segmented_control,
        "Way to compare",
        "ab_way",
        "fine_tuning",
        options=list(transfer.MODES),
        format_func=transfer.MODE_TITLES.get,
    )
    ab_cfg = dataclasses.replace(cfg, mode=ab_mode or "fine_tuning")
    if (ab := ab_configs(url, ab_cfg, transfer.CHOICES)) is not None:
        with shown_errors():
            ab_runs = train_and_compare(
                transfer.train,
                ab.configs,
                data_fp,
                button="Train both",
                key="transfer.ab_train",
                job_label=lambda n: f"Transfer · {n}",
                validate=transfer.validate,
                lock=True,
            )
            ab_progress(ab, ab_runs, lambda s: ui_jobs.progress(s, metrics=("val_accuracy",)))
            if ab_runs.all_done:
                _compare_transfer(ab, ab_runs)

# -- rewind one way's run ------------------------------------------------------------------------
FROZEN = (
    "The backbone stays frozen in feature extraction, so these features do not move from "
    "epoch to epoch; only the head, and with it Grad-CAM, changes."
)


def _val_batch(key: str, backbone: str) -> np.ndarray:
    r = ui_jobs.load_result(key)
    imgs = np.stack([transfer.square(r["thumbs"][j], 224) for j in r["val_idx"]])
    return memo(imagenet.preprocess, backbone, imgs, crop=1.0)


@st.cache_data(max_entries=64, show_spinner="Grad-CAM at that epoch…")
def _cam_at(key: str, epoch: int, backbone: str, i: int, cls: int) -> np.ndarray:
    """Grad-CAM of class ``cls`` on validation image ``i`` of job ``key`` after ``epoch``."""
    batch = _val_batch(key, backbone)
    with parts_at(key, epoch) as model:
        return grad_cam(model, batch[i : i + 1], cls)[0]


@st.cache_data(max_entries=32, show_spinner="The validation features at that epoch…")
def _features_at(key: str, epoch: int, backbone: str) -> np.ndarray:
    """The features job ``key``'s head reads for each validation image after ``epoch``."""
    batch = _val_batch(key, backbone)
    with parts_at(key, epoch) as model:
        return transfer.head_inputs(model, batch)


@st.fragment
def _rewind_transfer(r, backbone: str) -> None:
    """Grad-CAM and the feature projection of one run at a saved epoch (a fragment: moving
    the slider redraws only this)."""
    with shown_errors():
        st.subheader("Rewind: Grad-CAM and the feature space at any epoch")
        epoch = epoch_slider(url, [r.key])
        if epoch is None:
            return
        names, labels, va = r["class_names"], r["labels"], r["val_idx"]
        c1, c2 = st.columns(2)
        top = max(len(va) - 1, 0)
        i = min(
            url(c1.slider, "Validation image", "rw_i", 0, min_value=0, max_value=max(top, 1)), top
        )
        target = url(c1.selectbox, "Explain class", "rw_c", names[0], options=names)
        img = transfer.square(r["thumbs"][va[i]], 224)
        heat = _cam_at(r.key, epoch, backbone, i, names.index(target))
        where = weight_quarters(heat) or "no class evidence in the image"
        show_image(
            c1,
            memo(viz.overlay, img, heat, 0.5),
            f"Grad-CAM for {target} after epoch {epoch:d}: {where}.",
            width=300,
        )
        c1.caption(f"Grad-CAM for '{md_escape(target)}' after epoch {epoch:d}.")
        points = memo(transfer.project, _features_at(r.key, epoch, backbone))
        title = f"Validation features after epoch {epoch}"
        fig = memo(transfer.plot_projection, points, labels[va], names, title)
        show_figure(c2, fig, key="rw-proj")
        c2.caption(
            "PCA of the features the head reads, one dot per validation image."
            + (" " + FROZEN if r["mode"] == "feature_extraction" else "")
        )


# -- 4. understand and use it -----------------------------------------------------------------
if done:
    st.header("4 · Look inside, then use it")
    which = url(
        st.segmented_control,
        "Model",
        "inspect",
        "fine_tuning" if "fine_tuning" in done else next(iter(done)),
        options=list(done),
        format_func=transfer.MODE_TITLES.get,
    ) or next(iter(done))
    r = done[which]
    names, labels, va = r["class_names"], r["labels"], r["val_idx"]
    LOOKS = ["Confusion matrix", "Mistakes", "Grad-CAM", "Feature space", "Use it"]
    look = url.section(LOOKS)
    if look == LOOKS[0]:
        cm = viz.compute_confusion(labels[va], r["val_probs"].argmax(1), len(names))
        show_figure(st, memo(viz.confusion_matrix, cm, names), key="cm")
        st.caption(
            "Rows: the true class; columns: the prediction. Colour "
            "is the share of the row, numbers are images."
        )
    if look == LOOKS[1]:
        fig = memo(_mistakes, r)
        if fig is not None:
            show_figure(st, fig, key="wrong")
            st.caption(
                "Validation images the model got wrong: true → predicted, "
                "with the predicted probability."
            )
        else:
            st.success("No validation image was misclassified.")
    if look == LOOKS[2]:
        i = url(
            st.slider, "Validation image", "cam_i", 0, min_value=0, max_value=max(len(va) - 1, 0)
        )
        target = url(st.selectbox, "Explain class", "cam_c", names[0], options=names)
        alpha = url(st.slider, "Heatmap opacity", "alpha", 0.5, min_value=0.0, max_value=1.0)
        img = transfer.square(r["thumbs"][va[i]], 224)
        with shown_errors():
            heat = memo(
                grad_cam,
                r["model"],
                memo(imagenet.preprocess, cfg.backbone, img[None], crop=1.0),
                names.index(target),
            )[0]
            c1, c2 = st.columns(2)
            show_image(
                c1,
                img,
                describe_images(img, "photo"),
                caption=f"true class: {md_escape(names[labels[va[i]]])}",
                width=300,
            )
            show_image(
                c2,
                memo(viz.overlay, img, heat, alpha),
                f"Grad-CAM for {target}: {weight_quarters(heat)}.",
                caption=f"Grad-CAM for '{md_escape(target)}'",
                width=300,
            )
            st.caption(
                "Grad-CAM (viridis): bright where the last convolution's "
                "features raise the chosen class's score."
            )
    if look == LOOKS[3]:
        if "features_after" in r:
            c1, c2 = st.columns(2)
            show_figure(
                c1,
                memo(
                    transfer.plot_projection,
                    memo(transfer.project, r["features_before"]),
                    labels,
                    names,
                    "Pretrained features (before)",
                ),
                key="pb",
            )
            show_figure(
                c2,
                memo(
                    transfer.plot_projection,
                    memo(transfer.project, r["features_after"]),
                    labels,
                    names,
                    "After fine-tuning",
                ),
                key="pa",
            )
            st.caption(
                "PCA of the backbone's pooled features, one dot "
                "per image. Fine-tuning pulls the classes apart."
            )
        elif "features_before" in r:
            show_figure(
                st,
                memo(
                    transfer.plot_projection,
                    memo(transfer.project, r["features_before"]),
                    labels,
                    names,
                    "Pretrained features",
                ),
                key="pb1",
            )
        else:
            st.info("Train the fine-tuning way to compare feature spaces before and after.")
    if look in (LOOKS[2], LOOKS[3]):
        _rewind_transfer(r, cfg.backbone)
    if look == LOOKS[4]:
        shots = images_input(url, "use", label="Classify new images", photos=assets.PHOTOS)
        squares = [transfer.square(img, 224) for _, img in shots]
        all_probs = (
            memo(transfer.predict, r["model"], np.stack(squares), cfg.backbone) if shots else []
        )
        for k, ((where, img), probs) in enumerate(zip(shots, all_probs, strict=True)):
            c1, c2 = st.columns([1, 3], vertical_alignment="center")
            best = int(np.argmax(probs))
            show_image(c1, img, describe_images(img, "photo"), caption=md_escape(where), width=180)
            title = viz.plain(f"{where}: {names[best]} ({probs[best]:.0%})")
            show_figure(c2, viz.bars(probs, names, title=title), key=f"probs-{k}")
        st.download_button(
            "Download the model (.keras)",
            r.model_path("model").read_bytes,  # read only when clicked
            "transfer_model.keras",
            icon=":material/download:",
        )
        if st.button("Convert to TFLite", icon=":material/phone_android:"):
            with shown_errors():
                st.download_button(
                    "Download .tflite", transfer.export_tflite(r["model"]), "transfer_model.tflite"
                )
        st.code(transfer.code_snippet(names, cfg.backbone), language="python")

show_code(transfer.train, transfer.split_backbone, transfer.check_dataset)
