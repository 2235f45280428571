"""Semantic segmentation: U-Net and DeepLab trained live; few-click masks on your own photo."""

import dataclasses
import hashlib
from functools import partial
from typing import Any

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from dl_core import assets, estimates, viz
from dl_core import segmentation as seg
from dl_core.segmentation import compare as seg_compare
from dl_core.segmentation import plots as seg_plots
from ui import jobs as ui_jobs
from ui.cache import digest, frozen, memo
from ui.code import show_code
from ui.compare import ab_configs, train_one_or_both
from ui.compare import panes as ab_panes
from ui.errors import shown_errors
from ui.figures import show_figure, show_image, show_image_now
from ui.rewind import epoch_slider, saved_epochs, weights_at
from ui.state import UrlState
from ui.text import md_escape
from ui.topic import backends_caption
from ui.uploads import image_input

st.title("Semantic segmentation")
backends_caption("segmentation")
st.markdown(
    "A segmenter gives **every pixel a class**. U-Net shrinks the image to see what is where, "
    "grows it back, and copies detail across with skip connections; DeepLab keeps resolution "
    "with atrous (dilated) convolutions and looks at several scales at once. Both are judged "
    "by how much the predicted and true regions of each class overlap."
)
st.latex(
    r"\mathrm{IoU}_c = \frac{|P_c \cap T_c|}{|P_c \cup T_c|} \qquad "
    r"\mathcal{L} = -\frac{1}{HW}\sum_{u} \log p_\theta(y_u \mid x)_u"
)
url = UrlState("segmentation")
FG, BG = seg.CLASS_COLOURS[1], "#D55E00"  # object strokes in the object's overlay colour


@st.cache_resource(max_entries=32, show_spinner="Computing the feature maps at that epoch…")
def _maps_at(key: str, epoch: int | None, images_key: str, idx: int) -> Any:
    """The feature-map figure of job ``key``'s network after ``epoch`` (``None``: the final
    model) on held-out image ``idx`` of job ``images_key`` (figure serialised once)."""
    image = ui_jobs.load_result(images_key)["val_images"][idx]
    if epoch is None:
        maps = seg.feature_maps(ui_jobs.load_result(key)["model"], image)
    else:
        with weights_at(key, "model", epoch) as model:
            maps = seg.feature_maps(model, image)
    return frozen(seg.plot_feature_maps(maps))


@st.cache_resource(max_entries=1, show_spinner="Downloading the pretrained DeepLabV3+…")
def _online_model():
    return seg.load_online_segmenter()


@st.cache_resource(max_entries=8, show_spinner="Reading the photo with MobileNetV2…")
def _features(digest: str, _photo: np.ndarray) -> np.ndarray:
    return seg.pixel_features(_photo)


def _strokes_in_url(drawn: dict) -> str | None:
    """The strokes of a link (``?strokes=``) followed by those drawn on the canvas, written
    back to the URL, so a copied link reproduces the mask."""
    raw, sent = url.get_param("strokes"), st.session_state.get(url.key("strokes_sent"))
    if raw != sent:  # arrived with the link or edited by hand: these strokes stay underneath
        st.session_state[url.key("strokes_base")] = raw
    text = seg.join_strokes(st.session_state.get(url.key("strokes_base")), drawn)
    st.session_state[url.key("strokes_sent")] = text
    if text is None:
        url.drop_param("strokes")
    elif raw != text:
        st.query_params["strokes"] = text  # (past UrlState's length cap: strokes are the view)
    return text


def _forget_link_strokes() -> None:
    st.session_state[url.key("strokes_base")] = None  # the next run writes the drawn ones only


def _add_keyboard_stroke(mark: str, across: tuple[int, int], down: tuple[int, int]) -> None:
    """A straight stroke from the sliders (percent of the width and height): marking without
    a mouse. It joins the link's strokes, under the ones drawn on the canvas."""
    kind = "fg" if mark == "foreground" else "bg"
    stroke = [across[0] / 100, down[0] / 100, across[1] / 100, down[1] / 100]
    base = st.session_state.get(url.key("strokes_base"))
    st.session_state[url.key("strokes_base")] = seg.join_strokes(base, {kind: [stroke]})


METRICS = ("loss", "pixel_accuracy", "val_mean_iou", "val_pixel_accuracy")


@st.cache_data(max_entries=64, show_spinner="Predicting the masks at that epoch…")
def _masks_at(key: str, epoch: int | None) -> np.ndarray:
    """Job ``key``'s held-out masks after ``epoch`` (``None``: the final model)."""
    r = ui_jobs.load_result(key)
    if epoch is None:
        return seg_compare.masks_at(r["model"], r["val_images"])
    with weights_at(key, "model", epoch) as model:
        return seg_compare.masks_at(model, r["val_images"])


@st.fragment
def _rewind_masks(
    results: list,
    names_ab: tuple[str, str] | None = None,
    maps: tuple[int, Any, bool] | None = None,
) -> None:
    """Each run's held-out masks at the chosen epoch (one slider for all runs) and, for two
    runs, where their masks disagree; with ``maps`` = (held-out image, the twin's job status
    or ``None``, skips), one run's feature maps (and its twin's) at that epoch too. A
    fragment: moving the slider redraws only this."""
    with shown_errors():
        st.subheader("Rewind: the network at any epoch")
        epoch = epoch_slider(url, [r.key for r in results])
        preds = [_masks_at(r.key, epoch) for r in results]
        for n, (col, r, pred) in enumerate(
            zip(st.columns(len(results)), results, preds, strict=True)
        ):
            names = r["class_names"]
            fig = memo(seg.plot_predictions, r["val_images"], r["val_masks"], pred, names)
            show_figure(col, fig, key=f"rw-masks-{n}")
            iou = seg.mean_iou(r["val_masks"], pred, len(names))
            col.caption(f"Mean IoU {iou:.3f} on these {len(pred)} held-out images at this epoch.")
        if maps is not None:
            _feature_maps(results[0], epoch, *maps)
        if names_ab is None:
            return
        a, b = results
        if a["val_images"].shape == b["val_images"].shape and np.array_equal(
            a["val_images"], b["val_images"]
        ):
            fig = memo(
                seg_plots.plot_disagreement, a["val_images"], *preds, a["class_names"], names_ab
            )
            show_figure(st, fig, key="ab-disagree")
            st.caption("Bottom row: the pixels where the two runs' masks disagree (vermillion).")
        else:
            st.caption("The two runs saw different held-out images: their masks are not overlaid.")


def _feature_maps(result: Any, epoch: int | None, idx: int, other: Any, skips: bool) -> None:
    """The run's feature maps on held-out image ``idx`` after ``epoch`` and, when its twin
    (the same U-Net with or without skips, job status ``other``) is trained, the twin's at
    the same epoch (its final ones if it has no checkpoint there)."""
    if epoch is None:
        st.markdown(f"**Feature maps after the last epoch** (held-out image {idx:d})")
    else:
        st.markdown(
            f"**Feature maps after epoch {epoch:d}, encoder → decoder** (held-out image {idx:d})"
        )
    if other is None:
        show_figure(st, _maps_at(result.key, epoch, result.key, idx), key="seg-maps")
    else:
        cols = st.columns(2)
        cols[0].markdown(
            f"**{'With' if skips else 'Without'} skips** (mean IoU {result['val_mean_iou']:.2f})"
        )
        show_figure(cols[0], _maps_at(result.key, epoch, result.key, idx), key="seg-maps")
        if other.state == "done":
            twin = ui_jobs.load_result(other.key)
            twin_epoch = epoch if epoch in saved_epochs([other.key]) else None
            cols[1].markdown(
                f"**{'Without' if skips else 'With'} skips** (mean IoU {twin['val_mean_iou']:.2f})"
            )
            fig = _maps_at(other.key, twin_epoch, result.key, idx)
            show_figure(cols[1], fig, key="seg-twin_maps")
            if twin_epoch != epoch:
                cols[1].caption("No checkpoint of the twin at this epoch: its last epoch.")
    st.caption(
        "Each row is one stage, encoder → decoder; its four most active channels at that epoch "
        "(viridis: dark = low, yellow = high). Without skips the decoder must rebuild edges from "
        "the blurry bottleneck."
    )


def _compare(ab, runs) -> None:
    """Run A and run B side by side: IoU and loss deltas, masks at one epoch, disagreement."""
    panes = ab_panes(ab, runs)
    a, b = (r for _, _, r in panes)
    for col, _, r in panes:
        col.caption(md_escape(f"Mean IoU {r['val_mean_iou']:.3f} after {r['epochs_run']} epochs."))
    show_figure(st, memo(seg_compare.difference, a, b, ab.names), key="ab-diff-0")
    st.caption("Above zero: run B's held-out IoU, pixel accuracy or loss is higher that epoch.")
    _rewind_masks([a, b], ab.names)


SECTIONS = ["Train U-Net / DeepLab", "Few-click on your photo", "How upsampling works"]
section = url.section(SECTIONS)
if section == SECTIONS[0]:
    c1, c2, c3, c4 = st.columns(4)
    preset = (
        url(
            c1.segmented_control,
            "Preset",
            "preset",
            "default",
            options=list(seg.PRESETS),
            on_change=url.reset,
        )
        or "default"
    )
    base = seg.PRESETS[preset]
    c1.caption(md_escape(estimates.preset_times(estimates.each(seg.train, seg.PRESETS))))
    dataset = url(
        c1.selectbox,
        "Data",
        "data",
        base.dataset,
        options=list(seg.DATASETS),
        format_func={"scenes": "Shapes on textures", "animals": "Animal silhouettes"}.get,
    )
    arch = (
        url(
            c2.segmented_control,
            "Architecture",
            "arch",
            base.architecture,
            options=seg.ARCHITECTURES,
            format_func={"unet": "U-Net", "deeplab": "DeepLab"}.get,
        )
        or "unet"
    )
    encoder = url(
        c2.selectbox,
        "Encoder",
        "enc",
        base.encoder,
        options=seg.ENCODERS,
        format_func={
            "scratch": "from scratch",
            "mobilenet_v2": "MobileNetV2 (ImageNet, frozen)",
            "efficientnet_lite0": "EfficientNet-Lite0 (ImageNet, frozen)",
        }.get,
    )
    if arch == "unet":
        depth = url(c3.slider, "Depth", "depth", base.depth, min_value=1, max_value=5)
        skips = url(c3.toggle, "Skip connections", "skips", base.skips)
        up = url(
            c3.selectbox,
            "Upsampling",
            "up",
            base.upsampling,
            options=seg.UPSAMPLING,
            format_func={"transpose": "transposed convolution", "bilinear": "bilinear"}.get,
        )
        rates = base.rates
    else:
        depth, skips, up = base.depth, base.skips, base.upsampling
        rates = tuple(
            url(
                c3.multiselect,
                "Atrous rates",
                "rates",
                list(base.rates),
                options=list(range(1, 13)),
            )
        )
    width = url(c3.select_slider, "Width", "width", base.width, options=[4, 8, 16, 24, 32, 48, 64])
    size = url(
        c4.select_slider,
        "Image size",
        "size",
        base.image_size,
        options=[16, 24, 32, 48, 64, 96, 128],
    )
    n_train = url(
        c4.select_slider,
        "Training images",
        "n",
        base.n_train,
        options=[16, 64, 250, 500, 1000, 1500, 2000, 3000, 5000],
    )
    epochs = url(c4.slider, "Epochs", "epochs", base.epochs, min_value=1, max_value=50)
    seed = url(c4.number_input, "Seed", "seed", base.seed, min_value=0, max_value=99_999, step=1)
    cfg = dataclasses.replace(
        base,
        dataset=dataset,
        architecture=arch,
        encoder=encoder,
        depth=depth,
        skips=skips,
        upsampling=up,
        rates=rates,
        width=width,
        image_size=size,
        n_train=n_train,
        epochs=epochs,
        seed=int(seed),
    )
    ab = ab_configs(url, cfg, seg.CHOICES)
    result = runs = None
    with shown_errors():
        for warning in seg.validate(cfg):
            st.caption(f":material/info: {md_escape(warning)}")
        x, y, names = memo(seg.make_dataset, cfg.dataset, 8, cfg.image_size, cfg.seed, "val")
        # drawn with the page's first elements, before plotly.js has loaded
        show_image_now(
            st,
            memo(seg_plots.samples_picture, x, y, names),
            f"{len(x)} held-out images (top row) and their exact masks (bottom row), each "
            f"pixel coloured by its class: {', '.join(names)}.",
            legend=seg_plots.class_legend(names),
        )
        st.caption("Held-out images (top) and their exact masks (bottom), in the class colours.")
        status, runs = train_one_or_both(
            ab,
            seg.train,
            cfg,
            key="seg-train",
            ab_key="seg-ab",
            job_label=f"{arch} · {dataset}",
            ab_label="segmentation",
            metrics=METRICS,
            validate=seg.validate,
            preview=lambda a: show_image(
                st, list(a), width=180, caption=["image | predicted mask"] * len(a)
            ),
        )
        if status is not None and status.state == "done":
            result = ui_jobs.load_result(status.key)
    if runs is not None and runs.all_done:
        with shown_errors():
            _compare(ab, runs)
    if result is not None:
        names = result["class_names"]
        left, right = st.columns([3, 2])
        show_figure(
            left,
            memo(
                seg.plot_predictions,
                result["val_images"],
                result["val_masks"],
                result["val_pred"],
                names,
            ),
            key="seg-preds",
        )
        show_figure(right, memo(seg.plot_iou, result["per_class_iou"], names), key="seg-iou")
        right.caption(
            f"Mean IoU {result['val_mean_iou']:.3f} · pixel accuracy "
            f"{result['val_pixel_accuracy']:.3f} on {cfg.n_val} "
            f"held-out images, after {result['epochs_run']} epochs ({result['seconds']:.0f} s)."
        )
        st.subheader("Masks over an image")
        a, b = st.columns([2, 3])
        c = a
        idx = url(
            a.slider,
            "Held-out image",
            "idx",
            0,
            min_value=0,
            max_value=len(result["val_images"]) - 1,
        )
        opacity = url(a.slider, "Opacity", "alpha", 0.55, min_value=0.0, max_value=1.0, step=0.05)
        shown = url(a.multiselect, "Classes shown", "show", list(names), options=names) or []
        img, pred = result["val_images"][idx], result["val_pred"][idx]
        show_figure(
            b,
            memo(seg.plot_overlay, img, pred, names, opacity, [names.index(s) for s in shown]),
            key="seg-overlay",
        )
        show_figure(c, memo(seg.plot_class_share, pred, names), key="seg-share")
        c.caption("Share of the predicted pixels in each class.")
        c.download_button(
            "Download mask (PNG)",
            partial(seg.mask_png, pred, names),
            "mask.png",
            "image/png",
            icon=":material/download:",
        )
        st.subheader("Inside the network: feature maps, encoder → decoder")
        other = None
        if arch == "unet":
            other = ui_jobs.train_panel(
                seg.train,
                seg.twin(cfg),
                label=f"Train the same U-Net {'without' if skips else 'with'} skips",
                job_label="U-Net twin",
                key="twin",
                type="secondary",
                metrics=("loss", "val_mean_iou"),
            )
        st.caption(
            "The feature maps are drawn below with the masks, at the epoch of the rewind slider."
        )
        _rewind_masks([result], maps=(idx, other if arch == "unet" else None, skips))


if section == SECTIONS[1]:
    st.markdown(
        "Mark the **object** and the **background** with a few "
        "strokes; a logistic-regression head on frozen MobileNetV2 "
        "features is fitted to the marked pixels in well under "
        "a second and labels every other pixel. Add strokes to refine."
    )
    st.latex(r"p(\mathrm{fg} \mid u) = \sigma\!\left(w^\top \varphi(u) + b\right)")
    image, where = image_input(url, "photo", default_photo="chelsea")
    if image is not None:
        with shown_errors():
            photo = memo(seg.prepare_photo, image)
            feats = _features(digest(photo), photo)
            h, w = photo.shape[:2]
            cw = min(330, w * 2)  # fits half of the page's width
            ch = int(round(h * cw / w))
            left, right = st.columns(2)
            mark = (
                url(
                    left.segmented_control,
                    "Marking",
                    "mark",
                    "foreground",
                    options=["foreground", "background"],
                )
                or "foreground"
            )
            brush = url(left.slider, "Brush", "brush", 12, min_value=2, max_value=40)
            with left:
                canvas = st_canvas(
                    stroke_width=brush,
                    stroke_color=FG if mark == "foreground" else BG,
                    background_image=memo(viz.png_source, photo),  # once per photo
                    width=cw,
                    height=ch,
                    drawing_mode="freedraw",
                    key=f"segmentation.canvas.{hashlib.sha1(photo.tobytes()).hexdigest()[:12]}",
                )
                with st.expander("Mark without a mouse", icon=":material/keyboard:"):
                    across = st.slider("Stroke across (% of the width)", 0, 100, (40, 60))
                    down = st.slider("Stroke down (% of the height)", 0, 100, (50, 50))
                    st.button(
                        f"Add this {md_escape(mark)} stroke",
                        on_click=_add_keyboard_stroke,
                        args=(mark, across, down),
                        key="seg-keyboard-stroke",
                    )
            drawn, unused = seg.canvas_strokes(canvas.json_data, (cw, ch), FG)
            if unused:
                st.warning(f"{unused} drawn object(s) are not free-hand strokes and were not used.")
            strokes = _strokes_in_url(drawn)
            if st.session_state.get(url.key("strokes_base")):  # not on the canvas: a button
                left.button(
                    "Clear the link's strokes",
                    icon=":material/ink_eraser:",
                    on_click=_forget_link_strokes,
                    key="seg-forget",
                )
            fg, bg = seg.parse_strokes(strokes, (h, w)) if strokes else (np.zeros((0, 2), int),) * 2
            if len(fg) + len(bg) == 0:
                right.info(
                    (
                        "Draw on the photo: blue strokes on the object, "
                        "then switch Marking to background and draw red-orange strokes around it."
                    ),
                    icon=":material/draw:",
                )
            else:
                res = memo(seg.segment_from_strokes, photo, fg, bg, features=feats)
                opacity = url(
                    right.slider,
                    "Mask opacity",
                    "fc_alpha",
                    0.5,
                    min_value=0.0,
                    max_value=1.0,
                    step=0.05,
                )
                shown = (
                    url(
                        right.multiselect,
                        "Show",
                        "fc_show",
                        ["object"],
                        options=["background", "object"],
                    )
                    or []
                )
                classes = ["background", "object"]
                show_figure(
                    right,
                    memo(
                        seg.plot_overlay,
                        photo,
                        res.mask,
                        classes,
                        opacity,
                        [classes.index(s) for s in shown],
                        strokes={"foreground": fg, "background": bg},
                    ),
                    key="seg-fc_overlay",
                )
                right.caption(
                    f"Head fitted on {res.n_fg} object and {res.n_bg} "
                    f"background cells in {res.seconds:.2f} s · {res.train_accuracy:.0%} "
                    f"of the marked cells right · {md_escape(where)}."
                )
                if res.n_conflict:
                    right.warning(
                        f"{res.n_conflict} spot(s) were marked both "
                        "object and background; they were left out."
                    )
                right.download_button(
                    "Download mask (PNG)",
                    partial(seg.mask_png, res.mask, classes),
                    "mask.png",
                    "image/png",
                    icon=":material/download:",
                    key="fc_download",
                )
                p1, p2, p3 = st.columns(3)
                show_figure(p1, memo(seg.plot_probability, res.prob), key="seg-fc_prob")
                p1.caption("P(object) for every pixel (viridis); the mask is where it passes 0.5.")
                show_figure(p2, memo(seg.plot_class_share, res.mask, classes), key="seg-fc_share")
                show_figure(p3, memo(seg.plot_head_loss, res.losses), key="seg-fc_loss")

    with (
        st.expander(
            "Pretrained DeepLabV3+ on Pascal VOC (21 classes, needs the internet)",
            icon=":material/cloud_download:",
        ),
        shown_errors(),
    ):
        if assets.offline():
            st.caption(seg.pretrained.SORRY)
        elif image is not None and st.button("Segment the photo with it", key="seg-online"):
            voc = seg.segment_online(_online_model(), photo := seg.prepare_photo(image))
            show_figure(
                st,
                seg.plot_overlay(photo, voc, seg.VOC_CLASSES, 0.5, sorted(set(np.unique(voc)))),
                key="seg-voc",
            )

if section == SECTIONS[2]:
    st.markdown(
        "**Transposed convolution** stamps a copy of the kernel "
        "for every input pixel, `stride` apart. When the kernel "
        "size is not a multiple of the stride the copies overlap "
        "unevenly and a checkerboard appears; bilinear upsampling "
        "followed by a convolution avoids it."
    )
    show_figure(st, memo(seg.plot_transposed_conv), key="seg-tconv")
    st.caption(
        "How many kernel taps land on each output pixel of a "
        "stride-2 transposed convolution on a 4×4 input (viridis: more = brighter)."
    )
    st.markdown(
        "**Atrous (dilated) convolution** spreads the same 3×3 "
        "weights `rate` pixels apart: the field of view grows "
        "without pooling or more weights, so the map keeps its resolution."
    )
    show_figure(st, memo(seg.plot_atrous, (1, 2, 4)), key="seg-atrous")
    st.caption("Blue cells are the nine input pixels one output pixel reads, at rates 1, 2 and 4.")

show_code(
    seg.build_unet,
    seg.build_deeplab,
    seg.train,
    seg.pixel_features,
    seg.fit_head,
    seg.segment_from_strokes,
)
