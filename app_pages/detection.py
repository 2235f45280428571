"""Object detection: a pretrained face detector, NMS step by step, YOLOv8 trained live."""

import dataclasses
import hashlib

import numpy as np
import streamlit as st

from dl_core import assets, estimates, viz
from dl_core import detection as det
from dl_core.describe import describe_images
from dl_core.detection import boxes, faces, plots
from dl_core.detection import compare as det_compare
from ui import jobs as ui_jobs
from ui.cache import memo
from ui.code import show_code
from ui.compare import ab_configs, train_one_or_both
from ui.compare import panes as ab_panes
from ui.errors import shown_errors
from ui.figures import show_boxes_now, show_figure, show_gallery_now, show_image
from ui.rewind import epoch_slider, weights_at
from ui.state import UrlState
from ui.text import md_escape
from ui.topic import backends_caption
from ui.uploads import image_input

FACE, YOLO = "Face detector (MTCNN, pretrained)", "Your YOLOv8 (train it below)"
VOC = "YOLOv8 pretrained on Pascal VOC (online only)"

st.title("Object detection")
backends_caption("detection")
st.markdown(
    "A detector answers *what* is in an image and *where*: it scores thousands of candidate "
    "boxes in one pass, then **non-maximum suppression** (NMS) keeps the best box per object. "
    "Boxes are compared by their overlap, the intersection over union, which also decides "
    "whether a detection counts as correct when we measure mean average precision (mAP)."
)
st.latex(r"\mathrm{IoU}(A,B)=\frac{|A\cap B|}{|A\cup B|}=\frac{|A\cap B|}{|A|+|B|-|A\cap B|}")
url = UrlState("detection")
top, nms_area, train_area, head_area = (st.container() for _ in range(4))


@st.cache_resource(max_entries=1, show_spinner="Loading the face detector (MTCNN)…")
def _face_model():
    return faces.face_model()


@st.cache_data(max_entries=32, show_spinner="Looking for faces…")
def _faces(_image: np.ndarray, digest: str, floor: float) -> det.Detections:
    _face_model()
    found = faces.face_candidates(_image, floor)
    n = len(found.scores)
    return det.Detections(found.boxes, found.scores, np.zeros(n, int), found.landmarks)


@st.cache_data(max_entries=32, show_spinner="Running YOLOv8…")
def _yolo(_image: np.ndarray, digest: str, key: str) -> det.Detections:
    return det.detect(det.load_detector(ui_jobs.load_result(key)), _image, min_score=0.01)


@st.cache_resource(max_entries=1, show_spinner="Downloading YOLOv8 (Pascal VOC)…")
def _voc_model():
    from dl_core.detection import model as yolo

    return yolo.pretrained_voc()


@st.cache_data(max_entries=16, show_spinner="Running YOLOv8 (Pascal VOC)…")
def _voc(_image: np.ndarray, digest: str) -> det.Detections:
    return det.detect(_voc_model(), _image, min_score=0.01)


METRICS = ("box_loss", "class_loss", "val_map50")


@st.cache_data(max_entries=64, show_spinner="Finding the boxes at that epoch…")
def _boxes_at(key: str, epoch: int | None, k: int) -> det.Detections:
    """Job ``key``'s boxes on its held-out scene ``k`` after ``epoch`` (``None``: final)."""
    r = ui_jobs.load_result(key)
    model = det.load_detector(r)  # also registers keras-cv's layers for the checkpoint model
    if epoch is None:
        return det_compare.boxes_at(model, r["val_images"][k])
    with weights_at(key, "model", epoch) as rewound:
        return det_compare.boxes_at(rewound, r["val_images"][k])


@st.fragment
def _rewind_boxes(results: list, names_ab: tuple[str, str] | None = None) -> None:
    """Each run's boxes on one held-out scene at the chosen epoch (one slider for all runs),
    side by side. A fragment: moving the slider redraws only this."""
    with shown_errors():
        st.subheader("Rewind: the boxes at any epoch")
        epoch = epoch_slider(url, [r.key for r in results])
        last = min(len(r["val_images"]) for r in results) - 1
        k = url(st.slider, "Held-out scene", "rw_scene", 0, min_value=0, max_value=last)
        cols = st.columns(len(results))
        for n, (col, r) in enumerate(zip(cols, results, strict=True)):
            found = _boxes_at(r.key, epoch, k)
            when = f"epoch {epoch}" if epoch is not None else "the final epoch"
            if names_ab is not None:
                col.markdown(f"**{md_escape(names_ab[n])}**")
            fig = memo(
                plots.plot_detections,
                r["val_images"][k],
                found,
                det.CLASSES,
                title=f"{len(found)} box(es) at {when}",
                truth=det.unpad(r["val_boxes"][k], r["val_classes"][k]),
            )
            show_figure(col, fig, key=f"rw-boxes-{n}")
        st.caption(
            f"Dotted white: the true boxes. Shown: the boxes scoring at least "
            f"{det_compare.MIN_SCORE:.2f}, and always the {det_compare.AT_LEAST:d} best, so an "
            "early epoch shows where the detector was looking."
        )
        if names_ab is not None:
            a, b = results
            if not np.array_equal(a["val_images"][k], b["val_images"][k]):
                st.caption("The two runs' settings draw different held-out scenes.")


def _compare(ab, runs) -> None:
    """Run A and run B side by side: mAP and loss deltas, then both runs' boxes on the same
    held-out scene at one epoch."""
    panes = ab_panes(ab, runs)
    a, b = (r for _, _, r in panes)
    for col, _, r in panes:
        col.caption(
            md_escape(
                f"mAP@0.5 {r['map50']:.3f} on the held-out scenes after {r['epochs_run']} "
                f"epochs ({r['train_seconds']:.0f} s)."
            )
        )
    show_figure(st, memo(det_compare.difference, a, b, ab.names), key="det-ab-diff")
    st.caption("Above zero: run B's held-out mAP or its loss is higher that epoch.")
    _rewind_boxes([a, b], ab.names)


# -- train your own detector (drawn lower on the page; its model is used above) ----------------
with train_area:
    st.header("Train YOLOv8 on generated scenes")
    st.markdown(
        "Each scene is drawn with exact boxes: circles, squares, triangles and stars of random "
        "size, colour and rotation, partly hidden behind each other, on textured backgrounds. "
        "keras-cv's `YOLOV8Detector` with a small backbone learns them from scratch; every "
        "epoch it predicts a fixed held-out scene, and mAP@0.5 is measured on held-out scenes."
    )
    c1, c2, c3, c4 = st.columns(4)
    preset = url(c1.segmented_control, "Preset", "preset", "default", options=list(det.PRESETS))
    base = det.PRESETS[preset or "default"]
    c1.caption(md_escape(estimates.preset_times(estimates.each(det.train, det.PRESETS))))
    epochs = url(c1.slider, "Epochs", "epochs", base.epochs, min_value=1, max_value=60)
    n_train = url(
        c2.select_slider,
        "Training scenes",
        "n_train",
        base.n_train,
        options=sorted({8, 16, 64, 250, 500, 1000, 2000, 4000, base.n_train}),
    )
    lr = url(
        c2.select_slider,
        "Learning rate",
        "lr",
        base.learning_rate,
        options=sorted({3e-4, 1e-3, 2e-3, 5e-3, base.learning_rate}),
    )
    objects = url(
        c3.slider, "Objects per scene (max)", "objects", base.max_objects, min_value=1, max_value=8
    )
    occl = url(
        c3.slider,
        "Occlusion allowed",
        "occl",
        base.max_occlusion,
        min_value=0.0,
        max_value=0.9,
        step=0.1,
        help="Largest share of a shape hidden by later shapes.",
    )
    texture = url(c4.checkbox, "Textured backgrounds", "texture", base.texture)
    seed = url(c4.number_input, "Seed", "seed", base.seed, min_value=0, step=1)
    cfg = dataclasses.replace(
        base,
        epochs=epochs,
        n_train=n_train,
        learning_rate=lr,
        max_objects=objects,
        max_occlusion=occl,
        texture=texture,
        seed=seed,
    )
    ab = ab_configs(url, cfg, det.CHOICES)
    result = runs = status = None
    valid = False
    with shown_errors():
        for w in det.validate(cfg):
            st.warning(md_escape(w), icon=":material/warning:")
        scenes = memo(det.make_scenes, 8, seed, **det.scene_kwargs(cfg))
        show_gallery_now(
            st.container(key="scenes"),
            memo(plots.scene_pictures, *scenes, det.CLASSES),
            cell=170,
            max_cols=4,
            legend=plots.box_legend(det.CLASSES),
        )
        st.caption("Training scenes with their exact boxes (one colour per class).")
        valid = True
    with shown_errors():
        if valid:
            status, runs = train_one_or_both(
                ab,
                det.train,
                cfg,
                key="det-train",
                ab_key="det-ab",
                job_label=f"YOLOv8 · {preset}",
                ab_label="YOLOv8",
                metrics=METRICS,
                validate=det.validate,
                preview=lambda a: show_image(
                    st,
                    a,
                    describe_images(a, "held-out scene with predicted boxes"),
                    width=256,
                    caption="Predictions on a held-out scene, latest epoch",
                ),
            )
    if runs is not None and runs.all_done:
        with shown_errors():
            _compare(ab, runs)
    with shown_errors():
        if status and status.state == "done":
            result = ui_jobs.load_result(status.key)
            m1, m2, m3 = st.columns(3)
            m1.metric("mAP@0.5 (held-out)", f"{result['map50']:.3f}")
            m2.metric("mAP@0.5:0.95", f"{result['map50_95']:.3f}")
            m3.metric("Training time", f"{result['train_seconds']:.0f} s")
            cl, cr = st.columns(2)
            show_figure(cl, memo(plots.plot_map_curve, result["history"]), key="mapcurve")
            show_figure(cr, memo(plots.plot_ap, result["ap50_per_class"], det.CLASSES), key="ap")
    if result is not None:
        _rewind_boxes([result])

# -- detect on a photo --------------------------------------------------------------------------
with top:
    st.header("Detect objects in a photo")
    left, right = st.columns([1, 2])
    with left:
        no_net = assets.online_unavailable()
        choices = [FACE, YOLO] if no_net else [FACE, YOLO, VOC]
        detector = url(st.radio, "Detector", "detector", FACE, options=choices)
        if no_net:
            st.caption(
                f"{md_escape(no_net)}, so the online YOLOv8 pretrained on Pascal VOC is hidden."
            )
        names = {FACE: ["face"], YOLO: list(det.CLASSES), VOC: list(det.VOC_CLASSES)}[detector]
        truth = None
        if detector == YOLO and url(st.toggle, "A held-out scene (off: a photo)", "scene", True):
            k = url(st.slider, "Held-out scene", "scene_k", 0, min_value=0, max_value=7)
            x, b, c = memo(det.make_scenes, k + 1, det.VAL_SEED, **det.scene_kwargs(cfg))
            image, where, truth = x[k], f"held-out scene {k}", det.unpad(b[k], c[k])
        else:
            image, where = image_input(url, "img", default_photo="astronaut")
        conf = url(
            st.slider,
            "Confidence threshold",
            "conf",
            0.8 if detector == FACE else 0.3,
            min_value=0.0,
            max_value=1.0,
            step=0.05,
        )
        iou_thr = url(
            st.slider,
            "IoU threshold (NMS)",
            "iou",
            0.5,
            min_value=0.0,
            max_value=1.0,
            step=0.05,
            help="A box is removed if it overlaps a better one by more.",
        )
        chosen = url(st.multiselect, "Classes", f"cls_{len(names)}", names, options=names)
        max_det = url(st.slider, "Max detections", "maxdet", 20, min_value=1, max_value=100)
    cands = None
    with right, shown_errors():
        if image is not None:
            small, scale = det.fit_within(image, det.MAX_SIDE)
            if scale < 1:
                st.caption(
                    f"Your image is {image.shape[1]}×{image.shape[0]} pixels; detection "
                    f"ran on a {small.shape[1]}×{small.shape[0]} copy."
                )
            digest = hashlib.sha256(small.tobytes()).hexdigest()
            if detector == FACE:
                cands = _faces(small, digest, min(conf, 0.5))
            elif detector == VOC:
                cands = _voc(small, digest)
            elif result is not None:
                cands = _yolo(small, digest, status.key)
            else:
                st.info(
                    "Train YOLOv8 below first (the tiny preset takes seconds); the face "
                    "detector works right away.",
                    icon=":material/info:",
                )
        if cands is not None:
            allowed = {names.index(c) for c in chosen}
            kept_in, res = memo(det.postprocess, cands, conf, iou_thr, allowed, max_det)
            final = memo(kept_in.take, res.keep)
            show_boxes_now(
                st.container(key="dets"),
                viz.to_uint8(small),
                f"{len(final)} detection(s) on {where}",
                *memo(plots.detection_marks, final, names, final.landmarks, truth),
            )
            if not chosen:
                st.warning("The class filter removes every class: pick at least one.")
            elif len(final) == 0:
                what = " or ".join(chosen) if len(chosen) <= 3 else "object"
                st.info(
                    f"No {md_escape(what)} found above confidence {conf:.2f}. Lower the "
                    "threshold or try another image.",
                    icon=":material/search_off:",
                )
            else:
                st.dataframe(det.detection_table(final, names), hide_index=True)

# -- NMS made visible ---------------------------------------------------------------------------
with nms_area:
    st.header("Non-maximum suppression, step by step")
    if cands is not None and len(kept_in):
        n = len(res.keep)
        step = url(
            st.slider,
            "NMS steps",
            "step",
            n,
            min_value=0,
            max_value=max(n, 1),
            help="Each step keeps the best remaining box and removes the boxes that "
            "overlap it by more than the IoU threshold.",
        )
        big, side = st.columns([2, 1])
        show_figure(big, memo(plots.plot_nms, small, kept_in, res, names, step=step), key="nms")
        big.caption(
            f"{len(kept_in)} candidates above the confidence threshold, zoomed in. "
            "Solid: kept; black dashed: suppressed (hover the line for the IoU with the "
            "box that removed it); faint: not reached yet."
        )
        pair = boxes.suppression_pair(res, step)
        if pair is not None:
            a, b = kept_in.boxes[pair[0]], kept_in.boxes[pair[1]]
            show_figure(side, memo(plots.plot_iou, a, b, boxes.iou(a, b)), key="iou")
            side.caption(
                f"Step {step}: kept box A removed box B because their IoU is above {iou_thr:.2f}."
            )
    else:
        st.info("No candidates above the confidence threshold to run NMS on.")

# -- anchor-free heads ----------------------------------------------------------------------
with head_area:
    st.header("How YOLOv8's anchor-free head predicts boxes")
    st.markdown(det.HEAD_EXPLAINED)
    x, b, c = memo(det.make_scenes, 1, 3, size=128, max_objects=1, min_objects=1)
    show_figure(st, memo(plots.plot_anchor_points, x[0], b[0, 0], stride=16), key="anchors")
    st.caption("Points inside the box may be assigned to it; each predicts its four distances.")
    st.latex(
        r"\mathcal{L}_{box} = 1-\mathrm{IoU}+\frac{\rho^2(b,b^{gt})}{c^2}+\alpha v,\qquad"
        r"\mathcal{L}_{cls}=-\sum_k t_k\log p_k+(1-t_k)\log(1-p_k)"
    )

show_code(boxes.iou_matrix, boxes.nms, boxes.average_precision, det.train, det.postprocess)
