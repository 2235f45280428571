"""Text descriptions of figures, computed from their data, for people who cannot see them.

Pages pass each figure's description to Streamlit as its accessible name (``alt``), so a
screen reader reads, for example, "accuracy rose from 0.52 to 0.98 over 20 epochs" where a
sighted visitor sees the curve. :func:`describe_figure` reads any plotly figure (or its
``to_dict()``): line traces become trends, heatmaps say where their weight lies (and, for an
attention map, which token each row attends to most), bars name their largest and smallest
bar, marker traces give their share of the points. The other functions describe arrays that
are shown as images (sample grids, replays).
"""

from __future__ import annotations

import base64
import html
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

MAX_TRACES = 6  # traces described one by one; the rest are counted
MAX_CHARS = 600
MIN_CURVE = 3  # points a line needs to be described as a curve (fewer: a drawn segment)
MIN_MARKED = 10  # points marker traces need before their shares are worth saying

_TAGS = re.compile(r"<[^>]+>")
_QUARTERS = ("upper-left", "upper-right", "lower-left", "lower-right")
_DTYPES = {"f8", "f4", "i1", "i2", "i4", "u1", "u2", "u4", "u1c"}


def fmt(x: float) -> str:
    """A number as a reader wants it: 3 significant digits, no exponent for everyday values."""
    x = float(x)
    if not np.isfinite(x):
        return "undefined"
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-3):
        return f"{x:.2e}"
    if x == int(x) and abs(x) < 1e5:
        return str(int(x))
    return f"{x:.3g}"


def text(label: Any) -> str:
    """Plotly label text without its HTML (tags dropped, entities decoded)."""
    return html.unescape(_TAGS.sub("", str(label))).strip()


def _array(value: Any) -> np.ndarray:
    """A trace's data as an array, decoding plotly's base64 typed arrays."""
    if isinstance(value, dict) and "bdata" in value:
        dtype = value.get("dtype", "f8")
        raw = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(dtype.rstrip("c")))
        shape = value.get("shape")
        if shape:
            raw = raw.reshape([int(s) for s in str(shape).split(",")])
        return raw
    if value is None:
        return np.asarray([])
    return np.asarray(value, dtype=object)


def _numbers(value: Any) -> np.ndarray:
    arr = _array(value)
    try:
        return np.asarray(arr, dtype="float64")
    except (TypeError, ValueError):
        return np.asarray([], dtype="float64")


def _plural(word: str) -> str:
    word = word.lower().strip()
    if " " in word or "(" in word:  # "layer (input → output)": not one noun
        return f"values of {word}"
    return word if not word or word.endswith("s") else word + "s"


def trend(name: str, y: Sequence[float], x_title: str = "") -> str:
    """One line's story: where it started and ended, and its peak when that is elsewhere,
    e.g. "accuracy rose from 0.52 to 0.98 over 20 epochs"."""
    y = np.asarray(y, dtype="float64")
    y = y[np.isfinite(y)]
    name = name or "the curve"
    if y.size == 0:
        return f"{name}: no values yet"
    if y.size == 1:
        return f"{name} is {fmt(y[0])}"
    first, last, lo, hi = y[0], y[-1], y.min(), y.max()
    span = hi - lo
    over = f"over {y.size} {_plural(x_title) if x_title else 'points'}"
    if span == 0 or abs(last - first) <= 0.05 * span:
        sentence = f"{name} stayed near {fmt(first)} {over}"
    else:
        verb = "rose" if last > first else "fell"
        sentence = f"{name} {verb} from {fmt(first)} to {fmt(last)} {over}"
    peak, trough = int(np.argmax(y)), int(np.argmin(y))
    if 0 < peak < y.size - 1 and hi - max(first, last) > 0.1 * span:
        sentence += f", peaking at {fmt(hi)}"
    elif 0 < trough < y.size - 1 and min(first, last) - lo > 0.1 * span:
        sentence += f", with a low of {fmt(lo)}"
    return sentence


def attention_focus(weights: np.ndarray, tokens: Sequence[str] | None = None) -> str:
    """Which token each query row attends to most, summarised by the commonest offset:
    "attends mostly to the previous token (9 of 12 rows)"."""
    w = np.asarray(weights, dtype="float64")
    rows = w.shape[0]
    best = np.argmax(w, axis=1)
    offsets = Counter(int(b) - i for i, b in enumerate(best))
    to_first = int(np.sum(best == 0))
    offset, n = offsets.most_common(1)[0]
    if to_first > n:
        where, n = "the first token", to_first
    elif offset == 0:
        where = "itself (the same token)"
    elif offset == -1:
        where = "the previous token"
    elif offset == 1:
        where = "the next token"
    else:
        where = f"the token {abs(offset)} places {'back' if offset < 0 else 'ahead'}"
    sentence = f"attends mostly to {where} ({n} of {rows} rows)"
    if tokens is not None and len(tokens) == w.shape[1]:
        i, j = np.unravel_index(int(np.argmax(w)), w.shape)
        sentence += f"; strongest: {text(tokens[i])} → {text(tokens[j])} ({fmt(w[i, j])})"
    return sentence


def weight_quarters(z: np.ndarray, top_row_first: bool = True) -> str:
    """Where a non-negative map's weight lies, e.g. "61 % of the weight in the upper-left
    quarter" (empty when no quarter holds more than a third)."""
    z = np.nan_to_num(np.asarray(z, dtype="float64"))
    if z.ndim != 2 or z.size == 0 or (z < 0).any() or z.sum() <= 0:
        return ""
    if not top_row_first:
        z = z[::-1]
    h, w = z.shape
    hy, hx = max(h // 2, 1), max(w // 2, 1)
    parts = [z[:hy, :hx], z[:hy, hx:], z[hy:, :hx], z[hy:, hx:]]
    shares = np.array([p.sum() for p in parts]) / z.sum()
    centre = z[h // 4 : h - h // 4, w // 4 : w - w // 4].sum() / z.sum()  # a quarter of the area
    k = int(np.argmax(shares))
    if centre > max(shares[k], 1 / 3):
        return f"{round(100 * centre)} % of the weight in the centre"
    if shares[k] <= 1 / 3:
        return "its weight is spread evenly"
    return f"{round(100 * shares[k])} % of the weight in the {_QUARTERS[k]} quarter"


def _heatmap(trace: dict, reversed_y: bool) -> str:
    z = _numbers(trace.get("z"))
    if z.ndim != 2 or z.size == 0:
        return ""
    name = text(trace.get("name") or "")
    x, y = list(_array(trace.get("x")).ravel()), list(_array(trace.get("y")).ravel())
    rows, cols = z.shape
    head = f"{name + ': ' if name else ''}a {rows}×{cols} map, values {fmt(np.nanmin(z))} to "
    head += f"{fmt(np.nanmax(z))}"
    labels_match = len(x) == cols == rows and [text(v) for v in x] == [text(v) for v in y]
    stochastic = (
        rows == cols
        and (z >= 0).all()
        and np.allclose(z.sum(axis=1), 1, atol=0.02)
        and (labels_match or not x)
    )
    if stochastic:
        return f"{head}; {attention_focus(z, [text(v) for v in x] if x else None)}"
    parts = [head]
    i, j = np.unravel_index(int(np.nanargmax(z)), z.shape)
    if len(x) == cols and len(y) == rows:
        parts.append(f"largest at {text(y[i])}, {text(x[j])}")
    quarters = weight_quarters(z, top_row_first=reversed_y)
    if quarters and not (len(x) == cols and len(y) == rows):
        parts.append(quarters)
    return "; ".join(parts)


def _bars(trace: dict) -> str:
    horizontal = trace.get("orientation") == "h"
    values = _numbers(trace.get("x" if horizontal else "y")).ravel()
    labels = list(_array(trace.get("y" if horizontal else "x")).ravel())
    if values.size == 0:
        return ""
    if len(labels) != values.size:
        labels = [str(i) for i in range(values.size)]
    name = text(trace.get("name") or "")
    hi, lo = int(np.nanargmax(values)), int(np.nanargmin(values))
    head = f"{name + ': ' if name else ''}{values.size} bars"
    if values.size > 1 and values[hi] == values[lo]:
        return f"{head}, all {fmt(values[hi])}"
    sentence = f"{head}, largest {text(labels[hi])} ({fmt(values[hi])})"
    if values.size > 1:
        sentence += f", smallest {text(labels[lo])} ({fmt(values[lo])})"
    return sentence


def _axis_title(layout: dict, trace: dict) -> str:
    axis = "xaxis" + str(trace.get("xaxis", "x")).removeprefix("x")
    title = layout.get(axis, {}).get("title", {})
    return text(title.get("text", "") if isinstance(title, dict) else title)


def describe_figure(fig: Any, title: str = "") -> str:
    """A few sentences about a plotly figure (a ``Figure`` or its ``to_dict()``)."""
    spec = fig if isinstance(fig, dict) else fig.to_dict()
    layout = spec.get("layout", {}) or {}
    traces = [t for t in spec.get("data", []) if t.get("visible", True) is not False]
    heading = title or text((layout.get("title") or {}).get("text", ""))
    reversed_y = any(
        isinstance(v, dict) and v.get("autorange") == "reversed"
        for k, v in layout.items()
        if k.startswith("yaxis")
    )
    lines, markers, rest, drawn = [], [], [], []
    kinds = Counter(t.get("type", "scatter") for t in traces)
    for trace in traces:
        kind = trace.get("type", "scatter")
        name = text(trace.get("name") or "")
        if kind in ("scatter", "scattergl"):
            mode = trace.get("mode", "lines")
            if "lines" in mode or "markers" not in mode:
                y = _numbers(trace.get("y")).ravel()
                x = _numbers(trace.get("x")).ravel()
                drawing = np.isnan(y).any() or (x.size > 1 and (np.diff(x) <= 0).any())
                if y.size >= MIN_CURVE and not drawing:  # a curve, not a box or a diagram
                    lines.append(trend(name, y, _axis_title(layout, trace)))
                elif y.size and name:
                    drawn.append(name)
            else:
                markers.append((name, _numbers(trace.get("x")).size or _array(trace.get("y")).size))
        elif kind == "heatmap" and kinds["heatmap"] <= MAX_TRACES:
            rest.append(_heatmap(trace, reversed_y or kinds["heatmap"] > 1))
        elif kind == "bar":
            rest.append(_bars(trace))
    parts = [p for p in lines[:MAX_TRACES] + rest[:MAX_TRACES] if p]
    hidden = max(len(lines) - MAX_TRACES, 0) + max(len(rest) - MAX_TRACES, 0)
    if hidden:
        parts.append(f"and {hidden} more")
    if drawn:
        parts.append("drawn: " + ", ".join(dict.fromkeys(drawn)))
    legend = [name for name, n in markers if n <= 1 and name]
    if legend and len(legend) == len(markers):  # legend entries, not data
        parts.append("legend: " + ", ".join(legend))
    total = sum(n for _, n in markers)
    if total >= MIN_MARKED and len(markers) > 1:
        shares = ", ".join(
            f"{name or 'unnamed'} {round(100 * n / total)} %" for name, n in markers if n
        )
        parts.append(f"of {total} marked points: {shares}")
    grids = kinds["heatmap"] + kinds["image"]
    titles = [text(a.get("text", "")) for a in layout.get("annotations", []) or []]
    titles = [t for t in titles if t]
    if grids > MAX_TRACES or (grids > 1 and titles) or (kinds["image"] and not parts):
        shown = f"a grid of {grids} images" if grids > 1 else "an image"
        if titles:
            counts = Counter(titles)
            named = [f"{t} ×{n}" if n > 1 else t for t, n in counts.items()]
            more = "…" if len(named) > 8 else ""
            shown += " titled " + ", ".join(named[:8]) + more
        parts.insert(0, shown)
    if not parts and not heading:
        parts.append("a figure with no data yet")
    sentence = heading + (": " if heading and parts else "") + "; ".join(parts) + "."
    return sentence[: MAX_CHARS - 1] + "…" if len(sentence) > MAX_CHARS else sentence


def describe_images(images: np.ndarray, what: str = "images") -> str:
    """A grid or batch of images: how many, their size, colour and overall brightness."""
    arr = np.asarray(images)
    if arr.ndim in (2, 3) and (arr.ndim == 2 or arr.shape[-1] in (1, 3, 4)):
        arr = arr[None]
    if arr.size == 0:
        return f"no {what} yet."
    if arr.ndim == 4 and arr.shape[-1] == 4:
        arr = arr[..., :3]  # brightness of the colours, not of the transparency
    n, h, w = arr.shape[:3]
    colour = "colour" if arr.ndim == 4 and arr.shape[-1] >= 3 else "greyscale"
    scale = 255.0 if arr.dtype == np.uint8 else max(float(np.nanmax(np.abs(arr))), 1e-12)
    bright = float(np.nanmean(np.abs(arr))) / scale
    count = f"{n} {what}" if n > 1 else f"one of the {what}" if what.endswith("s") else what
    return f"{count}, {w}×{h} pixels, {colour}, mean brightness {round(100 * bright)} %."


def describe_actions(actions: Sequence[int], names: Sequence[str]) -> str:
    """What an agent did in an episode: "the agent pushes left in 58 % of frames"."""
    a = np.asarray(actions, dtype=int).ravel()
    if a.size == 0:
        return "no frames."
    counts = np.bincount(a, minlength=len(names))
    k = int(np.argmax(counts))
    share = round(100 * counts[k] / a.size)
    return f"{a.size} frames; the agent chooses {names[k]} in {share} % of frames."
