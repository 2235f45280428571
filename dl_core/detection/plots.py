"""Figures for the detection page: boxes over images (hover for scores), NMS step by step,
anchor points, mAP. Each ``plot_*`` returns a plotly Figure and never shows it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from dl_core import viz
from dl_core.detection.boxes import NMSResult, as_boxes

SUPPRESSED = "#000000"


def _colour(c: int) -> str:
    return viz.CATEGORICAL[int(c) % len(viz.CATEGORICAL)]


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype="uint8")


def draw_boxes(
    image: np.ndarray, dets: Any, names: Sequence[str], thickness: int = 1
) -> np.ndarray:
    """A copy of ``image`` with box outlines burnt in (for small progress previews)."""
    out = np.array(image, dtype="uint8", copy=True)
    h, w = out.shape[:2]
    for box, cls in zip(as_boxes(dets.boxes), dets.classes, strict=True):
        x1, y1, x2, y2 = np.clip(np.round(box).astype(int), 0, [w - 1, h - 1, w, h])
        col = _rgb(_colour(cls))
        t = thickness
        out[y1 : y1 + t, x1:x2] = col
        out[max(y2 - t, 0) : y2, x1:x2] = col
        out[y1:y2, x1 : x1 + t] = col
        out[y1:y2, max(x2 - t, 0) : x2] = col
    return out


def _box_trace(
    box,
    colour: str,
    text: str,
    dash: str = "solid",
    width: float = 2.5,
    name: str = "",
    legend: bool = False,
    opacity: float = 1.0,
) -> go.Scatter:
    x1, y1, x2, y2 = (float(v) for v in box)
    return go.Scatter(
        x=[x1, x2, x2, x1, x1],
        y=[y1, y1, y2, y2, y1],
        mode="lines",
        fill="toself",
        fillcolor="rgba(0,0,0,0)",
        line=dict(color=colour, width=width, dash=dash),
        hoveron="fills+points",
        hoverinfo="text",
        text=text,
        name=name or text,
        showlegend=legend,
        opacity=opacity,
    )


def _image_figure(image: np.ndarray, height: int | None) -> go.Figure:
    img = viz.to_uint8(image)
    h, w = img.shape[:2]
    fig = go.Figure(go.Image(z=img, hoverinfo="skip"))
    fig.update_xaxes(visible=False, range=[0, w])
    fig.update_yaxes(visible=False, range=[h, 0], scaleanchor="x")
    fig.update_layout(
        height=height or int(min(640, max(260, 520 * h / max(w, 1)))),
        margin=dict(l=0, r=0, t=30, b=0),
        legend=dict(orientation="h", y=-0.02, yanchor="top"),
        hoverlabel=dict(bgcolor="white"),
    )
    return fig


def plot_detections(
    image: np.ndarray,
    dets: Any,
    names: Sequence[str],
    title: str | None = None,
    landmarks: np.ndarray | None = None,
    truth: tuple[np.ndarray, np.ndarray] | None = None,
    height: int | None = None,
) -> go.Figure:
    """Boxes with labels and scores over an image; hover a box for its class and score.

    Args:
        dets: anything with ``boxes``, ``scores``, ``classes``.
        names: class names.
        landmarks: optional (N, K, 2) points per detection (faces).
        truth: optional ground truth (boxes, classes), drawn dashed.
    """
    fig = _image_figure(image, height)
    if truth is not None:
        for box, cls in zip(as_boxes(truth[0]), truth[1], strict=True):
            fig.add_trace(
                _box_trace(box, "white", f"true {names[int(cls)]}", dash="dot", width=1.5)
            )
    seen: set[int] = set()
    for box, score, cls in zip(as_boxes(dets.boxes), dets.scores, dets.classes, strict=True):
        c = int(cls)
        label = f"{names[c]} {score:.2f}"
        fig.add_trace(_box_trace(box, _colour(c), label, name=names[c], legend=c not in seen))
        seen.add(c)
        fig.add_annotation(
            x=float(box[0]),
            y=float(box[1]),
            text=label,
            showarrow=False,
            xanchor="left",
            yanchor="bottom",
            font=dict(color=viz.text_colour(_colour(c)), size=11),
            bgcolor=_colour(c),
        )
    if landmarks is not None and len(landmarks):
        pts = np.asarray(landmarks).reshape(-1, 2)
        fig.add_scatter(
            x=pts[:, 0],
            y=pts[:, 1],
            mode="markers",
            name="landmarks",
            marker=dict(color=viz.CATEGORICAL[1], size=7, line=dict(color="black", width=1)),
        )
    fig.update_layout(title=title or None)
    return fig


def detection_marks(
    dets: Any,
    names: Sequence[str],
    landmarks: np.ndarray | None = None,
    truth: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[list[tuple], list[tuple], list[tuple[str, str]]]:
    """:func:`plot_detections` as marks for ``ui.figures.show_boxes_now``: (boxes, points,
    legend). Boxes in their class colour labelled "class score", true boxes dotted white,
    landmarks as dots; the legend names the classes found (and the landmarks)."""
    boxes: list[tuple] = []
    if truth is not None:
        boxes += [(*map(float, box), "", "#FFFFFF", "dotted") for box in as_boxes(truth[0])]
    legend: dict[str, str] = {}
    for box, score, cls in zip(as_boxes(dets.boxes), dets.scores, dets.classes, strict=True):
        c = int(cls)
        boxes.append((*map(float, box), f"{names[c]} {score:.2f}", _colour(c), "solid"))
        legend.setdefault(names[c], _colour(c))
    points = []
    if landmarks is not None and len(landmarks):
        points = [
            (float(x), float(y), viz.CATEGORICAL[1]) for x, y in np.reshape(landmarks, (-1, 2))
        ]
        legend["landmarks"] = viz.CATEGORICAL[1]
    return boxes, points, list(legend.items())


def plot_nms(
    image: np.ndarray,
    cands: Any,
    result: NMSResult,
    names: Sequence[str],
    step: int | None = None,
    height: int | None = None,
) -> go.Figure:
    """Greedy NMS after ``step`` decisions (all of them when None).

    Kept boxes are solid in their class colour; suppressed boxes are grey and dashed, with a
    line to the kept box that removed them (hover it for the IoU); boxes NMS has not reached
    yet are thin. The box kept at the current step is drawn thicker.
    """
    fig = _image_figure(image, height)
    kept_order = list(result.keep)
    n_steps = len(kept_order) if step is None else max(0, min(step, len(kept_order)))
    done = set(kept_order[:n_steps])
    current = kept_order[n_steps - 1] if n_steps else None
    boxes = as_boxes(cands.boxes)
    for i in result.order:
        i = int(i)
        label = f"{names[int(cands.classes[i])]} {cands.scores[i]:.2f}"
        by = int(result.suppressed_by[i])
        if i in done:
            fig.add_trace(
                _box_trace(
                    boxes[i],
                    _colour(cands.classes[i]),
                    f"kept: {label}",
                    width=4.5 if i == current else 2.5,
                )
            )
        elif by >= 0 and by in done:
            text = f"suppressed: {label}, IoU {result.suppress_iou[i]:.2f} with box #{by}"
            fig.add_trace(_box_trace(boxes[i], SUPPRESSED, text, dash="dash", width=1.5))
            a, b = boxes[i], boxes[by]
            fig.add_scatter(
                x=[(a[0] + a[2]) / 2, (b[0] + b[2]) / 2],
                y=[(a[1] + a[3]) / 2, (b[1] + b[3]) / 2],
                mode="lines+markers",
                line=dict(color=SUPPRESSED, width=1),
                showlegend=False,
                hoverinfo="text",
                text=text,
                marker=dict(size=[4, 8], color=SUPPRESSED),
            )
        else:
            fig.add_trace(
                _box_trace(
                    boxes[i], _colour(cands.classes[i]), f"waiting: {label}", width=1, opacity=0.45
                )
            )
    if len(boxes):  # zoom onto the candidates: overlapping boxes are hard to see on a big photo
        h, w = np.asarray(image).shape[:2]
        lo, hi = boxes[:, :2].min(0), boxes[:, 2:].max(0)
        pad = np.maximum(0.3 * (hi - lo), 24)
        (x1, y1), (x2, y2) = np.maximum(lo - pad, 0), np.minimum(hi + pad, [w, h])
        side = max(x2 - x1, y2 - y1)  # keep the view square-ish so the figure stays readable
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        fig.update_xaxes(range=[max(cx - side / 2, 0), min(cx + side / 2, w)])
        fig.update_yaxes(range=[min(cy + side / 2, h), max(cy - side / 2, 0)])
    fig.update_layout(
        title=f"After {n_steps} of {len(kept_order)} NMS steps: {n_steps} kept, "
        f"{int(sum(1 for s in result.suppressed_by if s in done))} suppressed"
    )
    return fig


def plot_iou(a: Sequence[float], b: Sequence[float], value: float) -> go.Figure:
    """Two boxes, their intersection filled: the picture behind the IoU formula."""
    fig = go.Figure()
    for box, col, name in ((a, viz.CATEGORICAL[0], "box A"), (b, viz.CATEGORICAL[1], "box B")):
        fig.add_trace(_box_trace(box, col, name, legend=True))
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    if x2 > x1 and y2 > y1:
        fig.add_scatter(
            x=[x1, x2, x2, x1, x1],
            y=[y1, y1, y2, y2, y1],
            fill="toself",
            mode="lines",
            fillcolor="rgba(0,158,115,0.45)",
            line=dict(width=0),
            name="intersection",
        )
    pad = 0.1 * max(a[2] - a[0], a[3] - a[1], b[2] - b[0], b[3] - b[1])
    fig.update_xaxes(range=[min(a[0], b[0]) - pad, max(a[2], b[2]) + pad], visible=False)
    fig.update_yaxes(
        range=[max(a[3], b[3]) + pad, min(a[1], b[1]) - pad], visible=False, scaleanchor="x"
    )
    fig.update_layout(
        title=f"IoU = {value:.2f}",
        height=260,
        margin=dict(l=0, r=0, t=30, b=0),
        legend=dict(orientation="h", y=-0.02),
    )
    return fig


def scene_pictures(
    images: np.ndarray, boxes: np.ndarray, classes: np.ndarray, names: Sequence[str]
) -> list[tuple[str, np.ndarray]]:
    """Generated scenes with their exact boxes burnt in, as (the classes in it, picture) for a
    gallery drawn in the page's first paint (``ui.figures.show_gallery_now``)."""
    from dl_core.detection.data import unpad

    out = []
    for img, b, c in zip(images, boxes, classes, strict=True):
        bb, cc = unpad(b, c)
        out.append((", ".join(names[k] for k in cc), draw_boxes(img, _Boxes(bb, cc), names)))
    return out


def box_legend(names: Sequence[str]) -> list[tuple[str, str]]:
    """(class name, its box colour) for every class."""
    return [(n, _colour(c)) for c, n in enumerate(names)]


class _Boxes:
    def __init__(self, boxes: np.ndarray, classes: np.ndarray) -> None:
        self.boxes, self.classes = boxes, classes
        self.scores = np.ones(len(classes))


def plot_anchor_points(
    image: np.ndarray, box: Sequence[float], stride: int = 16, point: Sequence[float] | None = None
) -> go.Figure:
    """YOLOv8's anchor points at one stride over an image; those inside ``box`` highlighted,
    and the four distances (left, top, right, bottom) one point predicts to the box edges."""
    fig = _image_figure(image, 420)
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h:stride, 0:w:stride] + stride / 2
    xs, ys = xs.ravel(), ys.ravel()
    x1, y1, x2, y2 = box
    inside = (xs > x1) & (xs < x2) & (ys > y1) & (ys < y2)
    fig.add_scatter(
        x=xs[~inside],
        y=ys[~inside],
        mode="markers",
        name="anchor points",
        marker=dict(color="white", size=5, line=dict(color="black", width=1)),
    )
    fig.add_scatter(
        x=xs[inside],
        y=ys[inside],
        mode="markers",
        name="points inside the box",
        marker=dict(color=viz.CATEGORICAL[1], size=8, line=dict(color="black", width=1)),
    )
    fig.add_trace(_box_trace(box, viz.CATEGORICAL[0], "object box", name="object box", legend=True))
    if point is None and inside.any():
        k = np.argmin((xs - (x1 + x2) / 2) ** 2 + (ys - (y1 + y2) / 2) ** 2)
        point = (xs[k], ys[k])
    if point is not None:
        px, py = point
        for (ex, ey), name in (
            ((x1, py), "left"),
            ((px, y1), "top"),
            ((x2, py), "right"),
            ((px, y2), "bottom"),
        ):
            fig.add_annotation(
                x=ex,
                y=ey,
                ax=px,
                ay=py,
                xref="x",
                yref="y",
                axref="x",
                ayref="y",
                arrowhead=2,
                arrowcolor=viz.CATEGORICAL[2],
                arrowwidth=2,
                text="",
            )
            fig.add_scatter(
                x=[(px + ex) / 2],
                y=[(py + ey) / 2],
                mode="text",
                text=[name],
                textfont=dict(color="white", size=12),
                showlegend=False,
                hoverinfo="skip",
            )
    fig.update_layout(title=f"Anchor points, stride {stride}")
    return fig


def plot_ap(
    ap: Sequence[float | None], names: Sequence[str], title: str = "AP@0.5 per class"
) -> go.Figure:
    """Average precision of each class (absent classes are skipped)."""
    vals = [(n, a) for n, a in zip(names, ap, strict=True) if a is not None]
    fig = viz.bars([a for _, a in vals], [n for n, _ in vals], title=title, x_title="AP@0.5")
    fig.update_xaxes(range=[0, 1])
    return fig


def plot_map_curve(history: dict[str, list[float]]) -> go.Figure:
    """Held-out mAP@0.5 after each epoch against training time."""
    fig = go.Figure(
        go.Scatter(
            x=history["elapsed_s"],
            y=history["val_map50"],
            mode="lines+markers",
            line=dict(color=viz.CATEGORICAL[0]),
            name="mAP@0.5",
        )
    )
    fig.update_xaxes(title="training time (s)")
    fig.update_yaxes(title="mAP@0.5 (held-out)", range=[0, 1])
    fig.update_layout(
        height=280, margin=dict(l=10, r=10, t=30, b=10), title="mAP@0.5 while training"
    )
    return fig
