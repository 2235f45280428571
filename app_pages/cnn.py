"""CNN: the convolution by hand, a pretrained ImageNet network opened up, your own small CNN."""

import dataclasses
from collections.abc import Callable

import numpy as np
import streamlit as st

from dl_core import assets, cnn, estimates, uploads, viz
from dl_core.assets import imagenet
from dl_core.cnn import analysis, plots
from dl_core.cnn import compare as cnn_compare
from dl_core.cnn import convolution as conv
from dl_core.describe import weight_quarters
from dl_core.errors import UserError
from dl_core.store import Store
from ui import jobs as ui_jobs
from ui.cache import frozen, memo
from ui.code import show_code
from ui.compare import ab_configs, train_one_or_both
from ui.compare import panes as ab_panes
from ui.errors import EmptyState, shown_errors
from ui.figures import Piece, boxes_svg, cells_svg, show_figure, show_gallery_now, show_row_now
from ui.rewind import epoch_slider, weights_at
from ui.state import UrlState
from ui.text import md_escape
from ui.topic import backends_caption
from ui.uploads import image_input, recall, remember, zip_input

# -- the page's longer teaching text ----------------------------------------------------------
INTRO = (
    "A convolutional layer slides small kernels over an image and writes one weighted sum per "
    "position, so the same few weights find an edge or a texture anywhere in the picture. "
    "Stacked layers with pooling in between detect larger and more abstract patterns, and the "
    "last layer turns them into class scores. Try the operation by hand, open up a pretrained "
    "ImageNet network on your own photo, or train a small CNN."
)

st.title("Convolutional networks")
backends_caption("cnn")
st.markdown(INTRO)
st.latex(r"(I * K)(i, j) = \sum_u \sum_v I(i\,s + u,\; j\,s + v)\, K(u, v)")

url = UrlState("cnn")
preset = url(st.segmented_control, "Preset", "preset", "default", options=list(cnn.PRESETS))
base = cnn.PRESETS[preset or "default"]
st.caption(md_escape(estimates.preset_times(estimates.each(cnn.train, cnn.PRESETS))))
SECTIONS = ["Convolution by hand", "Inside a network", "Train your own CNN"]
section = url.section(SECTIONS)
image = None
if section != SECTIONS[2]:
    image, _ = image_input(url, "img", label="Image")


@st.cache_resource(max_entries=3, show_spinner="Loading the pretrained network…")
def _pretrained(name: str):
    online = name in imagenet.ONLINE_MODELS
    return imagenet.load_online(name) if online else imagenet.imagenet_model(name)


@st.cache_resource(show_spinner="Checking the model…", max_entries=8)
def _uploaded(fp: str, data: bytes):
    model = uploads.load_keras_model(data)
    analysis.check_cnn(model)
    return model


@st.cache_data(show_spinner=False, max_entries=4)
def _images(name: str):
    return cnn.load_data(cnn.Config(dataset=name, per_class=3))


@st.cache_data(show_spinner="Packing the images…", max_entries=4)
def _pack(fp: str, _ds) -> str:
    return Store().put_arrays_blob(x=_ds.as_array(), y=_ds.labels, class_names=_ds.class_names)


@st.cache_data(show_spinner="Computing the explanation…", max_entries=16)
def _explain(key: str, _model, batch: np.ndarray, cls: int, smooth: bool):
    maps = {"Grad-CAM": analysis.grad_cam(_model, batch, cls)[0]}
    if smooth:
        maps["SmoothGrad"] = analysis.smoothgrad(_model, batch[0], cls, samples=8)
    return maps


@st.cache_data(show_spinner="Synthesising the input…", max_entries=16)
def _actmax(key: str, _model, layer: str, f: int, steps: int, seed: int, vrange: tuple):
    return analysis.activation_maximisation(
        _model, layer, f, steps=steps, seed=seed, value_range=vrange
    )


def _train_config(draw: bool) -> cnn.Config:
    """The training settings: drawn as controls, or (``draw=False``) read from the URL."""
    cols, values = st.columns(4) if draw else [None] * 4, {}
    for n, (label, field, spec) in enumerate(cnn.CHOICES):
        col, default = cols[n % 4], getattr(base, field)
        if not draw:
            values[field] = url.peek(field, default, None if isinstance(spec, tuple) else spec)
        elif isinstance(spec, tuple):
            lo, hi, step = spec
            widget = col.number_input if field == "seed" else col.slider
            values[field] = url(
                widget, label, field, default, min_value=lo, max_value=hi, step=step
            )
        else:
            widget = col.selectbox if isinstance(spec[0], str) else col.select_slider
            values[field] = url(widget, label, field, default, options=spec)
    return dataclasses.replace(base, **values)


# -- 3. Train your own CNN (the network section finds its result via _train_config) ---------
METRICS = ("loss", "val_loss", "accuracy", "val_accuracy")


def _summary(r) -> None:
    figures = [
        ("Test accuracy", f"{r['test_accuracy']:.1%}"),
        ("Test images", len(r["y_test"])),
        ("Training time", f"{r['fit_seconds']:.1f} s"),
    ]
    for col, (label, value) in zip(st.columns(3), figures, strict=True):
        col.metric(label, value)


@st.cache_resource(max_entries=64, show_spinner="Drawing the network at that epoch…")
def _views_at(key: str, epoch: int | None, i: int, layer: str, choice: str) -> dict:
    """Grad-CAM, filters and feature maps of job ``key``'s CNN after ``epoch`` (``None``: the
    final model) on its test image ``i``. Kept as they are, figures serialised once (no
    pickled copy to rebuild on each visit, as ``st.cache_data`` would)."""
    r = ui_jobs.load_result(key)
    names = list(r["class_names"])
    cls = names.index(choice) if choice in names else None
    args = (cnn_compare.test_image(r, i), layer, cls, names)
    if epoch is None:
        return frozen(cnn_compare.views_at(r["model"], *args))
    with weights_at(key, "model", epoch) as model:
        return frozen(cnn_compare.views_at(model, *args))


@st.fragment
def _rewind(results: list) -> None:
    """Filters, feature maps and Grad-CAM of each run at the chosen epoch; one slider and
    one choice of layer, test image and class for all runs. A fragment: moving the slider
    redraws these views only."""
    with shown_errors():
        st.subheader("Rewind: the network at any epoch")
        epoch = epoch_slider(url, [r.key for r in results])
        names = list(results[0]["class_names"])
        common = list(memo(analysis.conv_layers, results[0]["model"]))
        for r in results[1:]:
            common = [n for n in common if n in memo(analysis.conv_layers, r["model"])]
        c = st.columns(3)
        layer = url(c[0].selectbox, "Convolution layer", "rw_layer", common[0], options=common)
        top_i = min(len(r["y_test"]) for r in results) - 1
        i = url(c[1].number_input, "Test image", "rw_img", 0, min_value=0, max_value=top_i)
        choice = url(
            c[2].selectbox,
            "Explain the class",
            "rw_cls",
            "top prediction",
            options=["top prediction", *names],
        )
        for n, (col, r) in enumerate(zip(st.columns(len(results)), results, strict=True)):
            v = _views_at(r.key, epoch, int(i), layer, choice)
            r_names = list(r["class_names"])
            show_figure(col, v["cam"], key=f"rw-cam-{n}", config={"displayModeBar": False})
            truth = r_names[int(r["y_test"][i])]
            col.caption(
                f"Test image {i} (true: {md_escape(truth)}); Grad-CAM for "
                f"'{md_escape(r_names[v['class']])}', probability {v['probs'][v['class']]:.0%}."
            )
            show_figure(col, v["filters"], key=f"rw-filters-{n}")
            show_figure(col, v["maps"], key=f"rw-maps-{n}")
        st.caption(
            f"Filters of '{md_escape(layer)}' (orange positive, purple negative) and its most "
            "active feature maps on the test image (viridis, yellow = strong), from the "
            "weights saved at the chosen epoch."
        )


trained = status = None
if section == SECTIONS[2]:
    cfg = _train_config(draw=True)
    ab = ab_configs(url, cfg, cnn.CHOICES)
    data_fp, runs = None, None
    with shown_errors():
        if cfg.dataset == "upload":
            zds, zfp = zip_input(url, "zip", size=(cnn.UPLOAD_SIZE,) * 2)
            if zds is None:
                raise UserError("Upload a .zip with one folder of images per class (two or more).")
            data_fp = _pack(zfp, zds)
            x_show, y_show, names = zds.as_array(), zds.labels, zds.class_names
        else:
            x_show, y_show, names = _images(cfg.dataset)
        show_gallery_now(
            st.container(key="data"),
            memo(plots.dataset_pictures, x_show, y_show, names),
            cell=64,
            max_cols=10,
            pixelated=x_show.shape[1] < 64,
        )
        st.caption(f"A few training images of each of the {len(names)} classes.")
        for w in cnn.validate(cfg, x_show.shape[1]):
            st.warning(md_escape(w), icon=":material/warning:")
        status, runs = train_one_or_both(
            ab,
            cnn.train,
            cfg,
            data_fp,
            key="cnn-train",
            ab_key="cnn-train-both",
            job_label=f"CNN · {cfg.dataset}",
            ab_label="CNN",
            metrics=METRICS,
            validate=cnn.validate,
        )
    if ab is not None and runs is not None and runs.all_done:
        with shown_errors():
            panes = ab_panes(ab, runs)
            for col, _, r in panes:
                with col:
                    _summary(r)
            st.markdown("**How run B differs from run A**")
            for n, fig in enumerate(memo(cnn_compare.difference, *[p[2] for p in panes], ab.names)):
                show_figure(st, fig, key=f"ab-diff-{n}")
            st.caption(
                "Above zero: B's accuracy or loss is higher at that epoch. Confusion cells: how "
                "many more points of each true class B puts in that column than A (orange more)."
            )
            _rewind([p[2] for p in panes])
    if ab is None and status is not None and status.state == "done":
        trained = r = ui_jobs.load_result(status.key)
        _summary(r)
        correct = int((r["y_test"] == r["y_pred"]).sum())
        if note := analysis.small_sample_note(correct, len(r["y_test"])):
            st.caption(md_escape(note))
        left, right = st.columns(2)
        show_figure(left, memo(plots.plot_accuracy, r["history"]), key="acc")
        show_figure(right, memo(viz.confusion_matrix, r["confusion"], r["class_names"]), key="cm")
        right.caption("Rows: true class; columns: predicted; colour: share of the row (viridis).")
        st.markdown("**Misclassified test images** (true → predicted)")
        if correct == len(r["y_test"]):
            st.info("None: every test image was classified correctly.", icon=":material/done_all:")
        else:
            wrong = memo(
                plots.plot_misclassified, r["x_test"], r["y_test"], r["y_pred"], r["class_names"]
            )
            show_figure(st, wrong, key="wrong")
        st.markdown("**First-layer filters before and after training**")
        before_after = memo(
            plots.plot_filters_before_after, r["filters_before"], r["filters_after"]
        )
        show_figure(st, before_after, key="ba")
        st.caption("Each kernel averaged over input channels: orange positive, purple negative.")
        _rewind([r])


# -- 1. Convolution by hand ---------------------------------------------------------------------
def _convolution_now(where, grey, kern, out, pooled, at, corner) -> None:
    """Input, kernel, output and pooled output side by side, the output pixel ``at`` and the
    input window that made it outlined: drawn in the page's first paint, at one scale (a
    pixel of the input is as wide as one of the output; the kernel is kept readable)."""
    pics = memo(plots.convolution_pictures, grey, kern, out, pooled)
    window, pixel = plots.convolution_boxes(grey.shape, kern.shape[0], at, corner)
    k = kern.shape[0]
    widest = max(grey.shape[1], out.shape[1])

    def picture(name: str, a: np.ndarray, boxes: list) -> Callable[[float], Piece]:
        return lambda width: memo(boxes_svg, pics[name], _size(name, a), boxes, (), width, True)

    def kernel(width: float) -> Piece:
        return cells_svg(f"kernel {k}×{k}", pics["kernel_text"], pics["kernel_colours"], width)

    parts = [
        (picture("input", grey, [window]), grey.shape[1]),
        (kernel, 0.35 * widest),
        (picture("output", out, [pixel]), out.shape[1]),
    ]
    if pooled is not None:
        parts.append((picture("pooled", pooled, []), pooled.shape[1]))
    show_row_now(where, parts)


def _size(name: str, a: np.ndarray) -> str:
    return f"{name} {a.shape[1]}×{a.shape[0]}"


@st.fragment
def convolution_by_hand(image: np.ndarray | None) -> None:
    """A fragment: moving its controls reruns this section only, not the networks below."""
    with shown_errors():
        c = st.columns(4)
        kinds, pads, pools = [*conv.KERNELS, "custom"], ["same", "valid"], ["none", "max", "avg"]
        kname = url(c[0].selectbox, "Kernel", "kernel", "edge (Laplacian)", options=kinds)
        stride = url(c[1].slider, "Stride", "stride", 1, min_value=1, max_value=16)
        padding = url(c[2].segmented_control, "Padding", "pad", "same", options=pads) or "same"
        pool_kind = url(c[3].segmented_control, "Pooling", "pkind", "max", options=pools)
        pool_size = 1
        if pool_kind in ("max", "avg"):
            pool_size = url(c[3].slider, "Pooling size", "psize", 2, min_value=2, max_value=4)
        text = ""
        if kname == "custom":
            example = "0 -1 0\n-1 4 -1\n0 -1 0"
            text = url(c[0].text_area, "Your kernel (rows of numbers)", "custom", example)
        if image is None:
            raise EmptyState("Choose a sample photo or upload an image above.")
        grey = memo(conv.to_grey, image)
        kern = conv.parse_kernel(text) if kname == "custom" else conv.kernel(kname)
        conv.validate(grey.shape, kern.shape[0], stride, padding, pool_size)
        out = memo(conv.convolve, grey, kern, stride, padding)
        for name, n in (("row", out.shape[0]), ("col", out.shape[1])):
            if st.session_state.get(url.key(name), 0) >= n:  # a smaller output than last time
                st.session_state[url.key(name)] = n // 2
        fig_spot, c = st.empty(), st.columns(2)
        hi_i, hi_j = max(out.shape[0] - 1, 1), max(out.shape[1] - 1, 1)
        i = url(c[0].slider, "Output row", "row", hi_i // 2, min_value=0, max_value=hi_i)
        j = url(c[1].slider, "Output column", "col", hi_j // 2, min_value=0, max_value=hi_j)
        i, j = min(i, out.shape[0] - 1), min(j, out.shape[1] - 1)
        corner = conv.patch(grey.shape, kern.shape[0], stride, padding, i, j)
        pooled = memo(conv.pool, out, pool_size, pool_kind) if pool_size > 1 else None
        _convolution_now(fig_spot.container(key="conv"), grey, kern, out, pooled, (i, j), corner)
        st.caption(
            "Greyscale input (at most 160 px a side), kernel, output and pooled output; orange "
            "= positive, purple = negative. Boxes: the chosen output pixel and the window that "
            "made it."
        )
        st.markdown(
            conv.explain_shape(grey.shape, kern.shape[0], stride, padding, pool_size)
            + f" Output ({i}, {j}) = Σ window × kernel = **{out[i, j]:.3f}**; the window's "
            f"top-left input pixel is {corner} (negative = padding zeros)."
        )


if section == SECTIONS[0]:
    convolution_by_hand(image)

# -- 2. Inside a network ------------------------------------------------------------------------
SOURCES = {
    "EfficientNet-Lite0 (offline)": "efficientnet_lite0",
    "MobileNetV2 (offline)": "mobilenet_v2",
    **(
        {}
        if assets.online_unavailable()
        else {f"{n} (online, downloads its weights)": n for n in imagenet.ONLINE_MODELS}
    ),
    "Your trained CNN (Train your own CNN)": "trained",
    "Upload a .keras model": "upload",
}
if section == SECTIONS[1]:
    with shown_errors():
        src = SOURCES[
            url(st.selectbox, "Network", "net", next(iter(SOURCES)), options=list(SOURCES))
        ]
        if no_net := assets.online_unavailable():
            st.caption(
                md_escape(
                    f"{no_net}, so the {len(imagenet.ONLINE_MODELS)} online-only ImageNet networks "
                    f"({', '.join(imagenet.ONLINE_MODELS)}) are hidden; the offline ones always "
                    "work."
                )
            )
        mkey, names = src, None
        if src == "upload":
            up = st.file_uploader(
                "A Keras CNN saved with model.save('model.keras')",
                type=["keras"],
                key=url.key("mfile"),
            )
            got = (up.getvalue(), "") if up is not None else recall(url, "model_fp")
            if got is None:
                raise UserError("Upload a .keras model to explore it.")
            mkey = remember(url, "model_fp", got[0])
            model = _uploaded(mkey, got[0])
        elif src == "trained":
            status, trained = ui_jobs.finished(cnn.train, _train_config(draw=False))
            if status is None:
                raise UserError(
                    "Train a CNN in 'Train your own CNN' first (its current settings are used)."
                )
            model, names, mkey = trained["model"], trained["class_names"], status.key
        else:
            model = _pretrained(src)
        if image is None:
            raise EmptyState("Choose a sample photo or upload an image above.")
        net = memo(analysis.network_inputs, src, model, image, names)
        batch, names = net["batch"], net["names"]
        probs = memo(analysis.predict, model, batch)[0]
        top = np.argsort(-probs)[:5]
        st.subheader("What the network sees")
        left, right = st.columns([2, 3])
        ranked = [(int(k), names[k], float(probs[k])) for k in top]
        show_figure(left, memo(plots.plot_top_classes, ranked), key="top5")
        choice = url(
            right.selectbox,
            "Explain the class",
            "cls",
            "top prediction",
            options=["top prediction", *names],
        )
        cls = int(top[0]) if choice == "top prediction" else names.index(choice)
        alpha = url(right.slider, "Heatmap opacity", "alpha", 0.5, min_value=0.0, max_value=1.0)
        smooth = url(right.toggle, "Also SmoothGrad (a few seconds)", "smooth", preset != "tiny")
        maps = _explain(mkey, model, batch, cls, smooth)
        cam_fig = memo(plots.plot_explanations, net["shown"], maps, alpha)
        hot = "; ".join(f"{k}: {weight_quarters(np.abs(m))}" for k, m in maps.items())
        about = f"The image and where the network looked for '{names[cls]}'. {hot}."
        show_figure(st, cam_fig, about, key="cam", config={"displayModeBar": False})
        st.caption(
            f"Where the evidence for '{md_escape(names[cls])}' lies (viridis, yellow = most). "
            "Grad-CAM weighs the last convolutional maps by their gradients; SmoothGrad averages "
            "input gradients."
        )

        st.subheader("Layer browser")
        layers = memo(analysis.conv_layers, model)
        layer = url(st.selectbox, "Convolution layer", "layer", layers[0], options=layers)
        k_maps = url(
            st.slider, "Feature maps to show", "topk", 16, min_value=4, max_value=64, step=4
        )
        show_figure(
            st, memo(plots.plot_architecture, memo(analysis.layer_table, model), layer), key="arch"
        )
        st.caption(
            "Each layer's output along the network: the line is its side in pixels, the bars its "
            "channels (log scale); the dotted line marks the chosen layer. Hover for names."
        )
        kernel = memo(analysis.filters, model, layer)
        show_figure(st, memo(plots.plot_filters, kernel), key="filters")
        st.caption(
            f"Weights of '{md_escape(layer)}', shape {kernel.shape}. "
            f"{md_escape(plots.filters_caption(kernel.shape))}"
        )
        fmap = memo(analysis.activations, model, batch, layer)[0]
        show_figure(st, memo(plots.plot_feature_maps, fmap, k_maps), key="fmaps")
        st.caption(
            f"'{md_escape(layer)}' output on the image "
            f"({fmap.shape[1]}×{fmap.shape[0]}×{fmap.shape[2]}), "
            "most active channels first (viridis, yellow = strong; title = channel · mean "
            "activation)."
        )

        st.subheader("Activation maximisation")
        a = st.columns(5)
        am_layer = url(
            a[0].selectbox, "Layer", "am_layer", layers[len(layers) * 3 // 5], options=layers
        )
        top_f = int(analysis.find_layer(model, am_layer).output.shape[-1]) - 1
        f = url(a[1].number_input, "Filter", "filter", 0, min_value=0, max_value=top_f, step=1)
        steps = url(a[2].slider, "Steps", "steps", 30, min_value=5, max_value=100, step=5)
        am_seed = url(a[3].number_input, "Seed", "am_seed", 0, min_value=0, step=1)
        if url(a[4].toggle, "Synthesise", "am", False):
            res = _actmax(mkey, model, am_layer, int(f), steps, int(am_seed), net["value_range"])
            grid, curve = plots.activation_maximisation_figures(res)
            show_figure(st, grid, key="am_grid")
            show_figure(st, curve, key="am_curve")
            st.caption(
                f"The input that most excites filter {f} of '{md_escape(am_layer)}', grown from "
                "noise by gradient ascent (a few snapshots), and its mean activation at each "
                "step."
            )
        else:
            st.caption("Turn on Synthesise to grow, from noise, the input this filter likes most.")

show_code(
    conv.convolve, analysis.grad_cam, analysis.activation_maximisation, cnn.build_model, cnn.train
)
