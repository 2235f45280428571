"""Figure builders shared by topics: image grids, heatmaps, curves, bars, confusion matrices.

Every function returns a plotly ``Figure`` and never displays it (pages decide where it
goes; tests inspect ``fig.data`` and the layout). Colour scales are colour-blind safe:
``SEQUENTIAL`` (viridis) for magnitudes, ``DIVERGING`` (a blue–orange scale) for signed
values, ``CATEGORICAL`` (Okabe & Ito) for classes.

Plotly renders a subset of HTML in titles, tick labels and legends (``<b>``, ``<br>``, and
``<a href>``, a real link). Text that may come from a visitor (class names, file names,
tokens) goes through :func:`plain` first; the shared builders here do it for their labels.
"""

from __future__ import annotations

import base64
import collections
import copy
import html
import io
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

SEQUENTIAL = "Viridis"
DIVERGING = "PuOr_r"
# For an axis with a label per character or token (tens to hundreds of them). plotly.js's
# default, "hide past div", measures every tick label against the figure's box, in time that
# grows with the square of their number: 0.85 s of the visitor's browser for the three
# figures of a 100-character passage on the text-generation page, 0.15 s with "allow". The
# labels stay inside the figure anyway (automargin makes room for them).
MANY_TICKS = {"ticklabeloverflow": "allow"}
# Okabe & Ito's colours, black, a light grey (their #999999 is within 8 ΔE of #CC79A7 under
# deuteranopia) and Tol's wine; tests/unit/test_palettes.py checks every pair under simulated
# protanopia, deuteranopia and tritanopia.
CATEGORICAL = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
    "#CCCCCC",
    "#882255",
]


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (a ``#RRGGBB`` colour)."""
    r, g, b = (int(background[i : i + 2], 16) / 255 for i in (1, 3, 5))
    lum = sum(
        w * (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
        for w, c in zip((0.2126, 0.7152, 0.0722), (r, g, b), strict=True)
    )
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#FFFFFF"


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Scale any image-like array (float in [0,1] or [-1,1], or any range) to uint8 for display."""
    img = np.asarray(image)
    if img.dtype == np.uint8:
        return img
    img = img.astype("float32")
    lo, hi = float(np.nanmin(img)), float(np.nanmax(img))
    if lo >= 0 and hi <= 1:
        scaled = img
    elif lo >= -1 and hi <= 1:
        scaled = (img + 1) / 2
    else:
        scaled = (img - lo) / (hi - lo + 1e-12)
    return (np.clip(np.nan_to_num(scaled), 0, 1) * 255).round().astype("uint8")


def png_source(image: np.ndarray) -> str:
    """An RGB uint8 image as a ``data:image/png`` URL: an image trace's ``source``, which
    the browser decodes natively (plotly.js draws a ``z`` of pixel values one by one)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def plain(text: object) -> str:
    """Text that plotly shows as it is: ``<``, ``>`` and ``&`` escaped (entities too)."""
    return html.escape(str(text), quote=False)


def _layout(fig: go.Figure, title: str | None, height: int | None) -> go.Figure:
    fig.update_layout(
        title=title or None,
        height=height,
        margin=dict(l=10, r=10, t=40 if title else 10, b=10),
    )
    return fig


def image(img: np.ndarray, title: str | None = None, height: int | None = None) -> go.Figure:
    """One image (H,W), (H,W,1) or (H,W,3) with hoverable pixels."""
    arr = to_uint8(img)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2:
        fig = go.Figure(go.Heatmap(z=arr[::-1], colorscale="gray", showscale=False))
        fig.update_yaxes(scaleanchor="x", visible=False)
    else:
        fig = go.Figure(go.Image(z=arr))
        fig.update_yaxes(visible=False)
    fig.update_xaxes(visible=False)
    return _layout(fig, title, height)


def tile(images: np.ndarray, cols: int = 6, pad: int = 2) -> np.ndarray:
    """Images ``(N, H, W, C)`` uint8 -> one RGBA mosaic ``(rows*(H+pad)+pad, ..., 4)``.

    The gaps between images are transparent: the page's background shows through them, light
    or dark."""
    imgs = np.asarray(images)
    if imgs.ndim == 3:
        imgs = imgs[..., None]
    if imgs.shape[-1] == 1:
        imgs = np.repeat(imgs, 3, axis=-1)
    n, h, w, _ = imgs.shape
    cols = max(1, min(cols, n))
    rows = int(np.ceil(n / cols))
    out = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, 4), np.uint8)
    for i, img in enumerate(imgs):
        r, c = divmod(i, cols)
        out[
            pad + r * (h + pad) : pad + r * (h + pad) + h,
            pad + c * (w + pad) : pad + c * (w + pad) + w,
        ] = np.concatenate([img[..., :3], np.full((h, w, 1), 255, np.uint8)], axis=-1)
    return out


def grid_image(images: np.ndarray, cols: int = 6, min_width: int = 480) -> np.ndarray:
    """A mosaic (see :func:`tile`) enlarged by whole pixels to at least ``min_width`` wide.

    Nearest-neighbour enlargement keeps small generated images crisp when a page stretches
    them to the column width (a browser would otherwise blur a 28-pixel digit).
    """
    mosaic = tile(images, cols)
    k = max(1, int(np.ceil(min_width / mosaic.shape[1])))
    return np.repeat(np.repeat(mosaic, k, axis=0), k, axis=1)


def image_grid(
    images: Sequence[np.ndarray] | np.ndarray,
    titles: Sequence[str] | None = None,
    cols: int = 8,
    title: str | None = None,
    cell: int = 90,
    colorscale: str = "gray",
) -> go.Figure:
    """A grid of small images (grayscale or RGB), titles under each.

    Grayscale cells are drawn as heatmaps with ``colorscale`` (e.g. feature maps with
    ``SEQUENTIAL``); RGB cells as PNG pictures (:func:`png_source`), as a cached figure
    sends them anyway (ui/cache.py): no pixel array to validate, copy and convert.

    The figure is built in one go from plain dicts (one validation pass, :func:`from_grid`):
    the grid's layout is made once per grid shape (:func:`grid_layout`). Building it cell by cell
    with ``make_subplots``/``add_trace``/``update_yaxes`` gives the same figure several times
    slower, which a rewind slider redrawing feature maps per epoch would feel.
    """
    imgs = [np.asarray(i) for i in images]
    n = max(1, len(imgs))
    cols = max(1, min(cols, n))
    labels = [plain(t) for t in titles] if titles else []
    key = ("image_grid", n, cols, len(labels), title, cell)
    grid = grid_layout(key, lambda: _grid_of_images(n, cols, len(labels), title, cell))
    cells = []
    for img in imgs:
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        if img.ndim == 2:
            cells.append(
                {
                    "type": "heatmap",
                    "z": img[::-1],
                    "colorscale": colorscale,
                    "showscale": False,
                    "hovertemplate": "x %{x}, y %{y}: %{z:.3g}<extra></extra>",
                }
            )
        else:  # as a PNG: see png_source (hovering shows the position, not the colour)
            cells.append({"type": "image", "source": png_source(to_uint8(img))})
    fig = from_grid(grid, cells, labels)
    fig = _layout(fig, title, grid[0]["height"])  # as the cell-by-cell build leaves a title
    if labels and not title:  # room for the first row's titles, above the plots
        fig.update_layout(margin_t=26)
    return fig


_LAYOUTS: collections.OrderedDict[tuple, tuple[dict, Any, Any]] = collections.OrderedDict()
_LAYOUTS_LOCK = threading.Lock()


def grid_layout(key: tuple, make: Callable[[], go.Figure]) -> tuple[dict, Any, Any]:
    """The layout of the empty subplot figure ``make()`` builds (``make_subplots`` and axis
    updates), as a plain dict, with its subplot grid; made once per ``key`` (which must
    determine it) and kept for the 64 latest keys. Use :func:`from_grid` to fill it."""
    with _LAYOUTS_LOCK:
        if key in _LAYOUTS:
            _LAYOUTS.move_to_end(key)
            return _LAYOUTS[key]
    fig = make()
    layout = fig.to_plotly_json()["layout"]
    if layout.get("template") == _default_template():
        # go.Figure puts the default template in by itself, several times faster than it
        # validates the same template given in the layout
        del layout["template"]
    found = (layout, fig._grid_ref, fig._grid_str)
    with _LAYOUTS_LOCK:
        _LAYOUTS[key] = found
        while len(_LAYOUTS) > 64:
            _LAYOUTS.popitem(last=False)
    return found


def _default_template() -> Any:
    """The template an empty figure gets (plotly's current default), as a plain dict."""
    return go.Figure().to_plotly_json()["layout"].get("template")


def subplots(rows: int = 1, cols: int = 1, **kwargs: Any) -> go.Figure:
    """``make_subplots(rows, cols, **kwargs)``: the same empty figure, whose layout is made once per
    arguments (:func:`grid_layout`) and copied after that. ``make_subplots`` builds and
    validates every axis and title each time: 10-20 ms for a figure that, once filled,
    takes 2-5 ms to build, on every figure a page draws for a new slider value."""
    key = ("subplots", rows, cols, repr(sorted(kwargs.items())))
    layout, grid_ref, grid_str = grid_layout(
        key, lambda: make_subplots(rows=rows, cols=cols, **kwargs)
    )
    return go.Figure(
        {"data": [], "layout": copy.deepcopy(layout), "_grid_ref": grid_ref, "_grid_str": grid_str}
    )


def from_grid(
    grid: tuple[dict, Any, Any], cells: Sequence[dict | None], titles: Sequence[str] = ()
) -> go.Figure:
    """A figure of :func:`grid_layout`'s ``grid`` with one trace (a plain dict such as
    ``{"type": "heatmap", "z": ...}``) per subplot, in row-major order (``None`` leaves a
    subplot empty), built in one validation pass: the same figure as ``add_trace(row=,
    col=)`` per cell, several times faster. ``titles`` replace the text of the layout's first
    annotations (the subplot titles), in order; an empty one drops its annotation."""
    layout, grid_ref, grid_str = grid
    layout = copy.deepcopy(layout)
    if titles:
        spots = layout.get("annotations", [])
        layout["annotations"] = [
            {**spot, "text": text} for spot, text in zip(spots, titles, strict=False) if text
        ] + spots[len(titles) :]
    traces = [
        {**trace, "xaxis": f"x{i + 1 if i else ''}", "yaxis": f"y{i + 1 if i else ''}"}
        for i, trace in enumerate(cells)
        if trace is not None
    ]
    return go.Figure(
        {"data": traces, "layout": layout, "_grid_ref": grid_ref, "_grid_str": grid_str}
    )


def _grid_of_images(n: int, cols: int, n_titles: int, title: str | None, cell: int) -> go.Figure:
    """The empty figure of :func:`image_grid` for ``n`` cells in ``cols`` columns with
    ``n_titles`` subplot titles (placeholder text)."""
    rows = int(np.ceil(n / cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[f"title {i}" for i in range(n_titles)] or None,
        horizontal_spacing=0.01,
        vertical_spacing=0.06 if n_titles else 0.01,
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    for i in range(1, n + 1):
        fig.update_yaxes(
            scaleanchor=f"x{'' if i == 1 else i}", row=(i - 1) // cols + 1, col=(i - 1) % cols + 1
        )
    if n_titles:
        fig.update_annotations(font_size=11)
    extra = (40 if title else 10) + (rows * 14 if n_titles else 0)
    return _layout(fig, title, rows * cell + extra + (16 if n_titles and not title else 0))


def heatmap(
    z: np.ndarray,
    x: Sequence[str] | None = None,
    y: Sequence[str] | None = None,
    title: str | None = None,
    colorscale: str = SEQUENTIAL,
    zmid: float | None = None,
    text: bool = False,
    height: int | None = None,
    colorbar_title: str | None = None,
) -> go.Figure:
    """A labelled heatmap (row 0 at the top), optionally with values written in the cells."""
    z = np.asarray(z, dtype="float32")
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(x) if x is not None else None,
            y=list(y) if y is not None else None,
            colorscale=colorscale,
            zmid=zmid,
            # lists: plotly.js cannot label typed arrays
            text=np.round(z.astype("float64"), 2).tolist() if text else None,
            texttemplate="%{text}" if text else None,
            colorbar=dict(title=colorbar_title) if colorbar_title else None,
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, height)


def curves(
    history: Mapping[str, Sequence[float]],
    title: str | None = None,
    x_title: str = "epoch",
    y_title: str | None = None,
    log_y: bool = False,
    height: int = 300,
) -> go.Figure:
    """Learning curves: one line per metric (x starts at 1)."""
    fig = go.Figure()
    for i, (name, values) in enumerate(history.items()):
        fig.add_scatter(
            x=list(range(1, len(values) + 1)),
            y=list(values),
            mode="lines+markers",
            name=name,
            line=dict(color=CATEGORICAL[i % len(CATEGORICAL)]),
        )
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title, type="log" if log_y else None)
    return _layout(fig, title, height)


def bars(
    values: Sequence[float],
    labels: Sequence[str],
    title: str | None = None,
    x_title: str = "probability",
    height: int | None = None,
) -> go.Figure:
    """Horizontal bars, largest at the top (class probabilities, top-k...)."""
    order = np.argsort(np.asarray(values))
    fig = go.Figure(
        go.Bar(
            x=[float(values[i]) for i in order],
            y=[plain(labels[i]) for i in order],
            orientation="h",
            marker_color=CATEGORICAL[0],
            text=[f"{values[i]:.3f}" for i in order],
            textposition="auto",
        )
    )
    fig.update_xaxes(title=x_title)
    return _layout(fig, title, height or 60 + 28 * len(values))


def confusion_matrix(
    cm: np.ndarray,
    class_names: Sequence[str],
    title: str | None = "Confusion matrix",
    normalise: bool = True,
) -> go.Figure:
    """Rows = true class, columns = predicted; cells show counts, colour shows row share."""
    cm = np.asarray(cm, dtype="float64")
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalise else cm
    names = [plain(c) for c in class_names]
    fig = go.Figure(
        go.Heatmap(
            z=share,
            x=names,
            y=names,
            colorscale=SEQUENTIAL,
            zmin=0,
            zmax=1 if normalise else None,
            text=cm.astype(int).tolist(),
            texttemplate="%{text}",
            hovertemplate="true %{y}, predicted %{x}: %{text}<extra></extra>",
        )
    )
    fig.update_xaxes(title="predicted")
    fig.update_yaxes(title="true", autorange="reversed")
    return _layout(fig, title, 120 + 32 * len(names))


def compute_confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts matrix (n_classes × n_classes) without scikit-learn."""
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, int), np.asarray(y_pred, int)), 1)
    return cm


def overlay(image_rgb: np.ndarray, heat: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Blend a [0,1] heatmap (any size; resized to the image) over an RGB image with viridis."""
    from PIL import Image

    img = to_uint8(image_rgb)
    h, w = img.shape[:2]
    heat = np.asarray(heat, dtype="float32")
    heat = (heat - heat.min()) / (heat.max() - heat.min() + 1e-12)
    heat = (
        np.asarray(
            Image.fromarray((heat * 255).astype("uint8")).resize((w, h), Image.BILINEAR),
            dtype="float32",
        )
        / 255
    )
    colours = viridis(heat)
    out = (1 - alpha) * img.astype("float32") + alpha * colours
    return out.clip(0, 255).astype("uint8")


_VIRIDIS = np.array(
    [
        [68, 1, 84],
        [72, 40, 120],
        [62, 74, 137],
        [49, 104, 142],
        [38, 130, 142],
        [31, 158, 137],
        [53, 183, 121],
        [109, 205, 89],
        [180, 222, 44],
        [253, 231, 37],
    ],
    dtype="float32",
)


def viridis(values: np.ndarray) -> np.ndarray:
    """Map [0,1] values to viridis RGB (float, 0..255), shape (..., 3)."""
    v = np.clip(np.asarray(values, dtype="float32"), 0, 1) * (len(_VIRIDIS) - 1)
    lo = np.floor(v).astype(int)
    hi = np.minimum(lo + 1, len(_VIRIDIS) - 1)
    t = (v - lo)[..., None]
    return _VIRIDIS[lo] * (1 - t) + _VIRIDIS[hi] * t


def colour_scale(values: np.ndarray, scale: str) -> np.ndarray:
    """Map [0,1] values to the RGB colours (uint8, shape (..., 3)) of a named plotly colour
    scale ("PuOr_r", "gray"...), interpolated between its stops as plotly does."""
    from plotly.colors import get_colorscale, hex_to_rgb, unlabel_rgb

    stops = get_colorscale(scale)
    at = np.array([float(p) for p, _ in stops])
    rgb = np.array(
        [unlabel_rgb(c) if c.startswith("rgb") else hex_to_rgb(c) for _, c in stops], float
    )
    v = np.clip(np.nan_to_num(np.asarray(values, dtype="float64")), 0, 1)
    out = np.stack([np.interp(v, at, rgb[:, k]) for k in range(3)], axis=-1)
    return np.round(out).astype("uint8")


def hex_colour(rgb: np.ndarray) -> str:
    """An RGB triple (0..255) as #rrggbb."""
    return "#{:02x}{:02x}{:02x}".format(*(int(round(float(c))) for c in rgb[:3]))


def curve_deltas(
    a: Mapping[str, Sequence[float]],
    b: Mapping[str, Sequence[float]],
    names: tuple[str, str] = ("A", "B"),
    metrics: Sequence[str] | None = None,
    height: int = 320,
) -> go.Figure:
    """Two runs' learning curves compared on one chart: ``B − A`` of each metric per epoch
    (over the epochs both ran), with a zero line. Above zero: B's value is higher."""
    shared = [m for m in (metrics or a) if m in a and m in b]
    fig = go.Figure()
    for i, m in enumerate(shared):
        n = min(len(a[m]), len(b[m]))
        delta = np.asarray(b[m][:n], "float64") - np.asarray(a[m][:n], "float64")
        fig.add_scatter(
            x=list(range(1, n + 1)),
            y=delta.tolist(),
            mode="lines+markers",
            name=plain(m),
            line=dict(color=CATEGORICAL[i % len(CATEGORICAL)]),
        )
    fig.add_hline(y=0, line_dash="dot", line_color="#999999")
    fig.update_xaxes(title="epoch")
    fig.update_yaxes(title=plain(f"{names[1]} − {names[0]}"))
    return _layout(fig, plain(f"{names[1]} minus {names[0]}, per epoch"), height)


def confusion_difference(
    a: np.ndarray,
    b: np.ndarray,
    class_names: Sequence[str],
    names: tuple[str, str] = ("A", "B"),
) -> go.Figure:
    """Row shares of confusion matrix ``b`` minus those of ``a`` (diverging scale; cells show
    the difference in points): where B gets a class right or wrong more often than A."""
    share = [
        np.asarray(m, "float64") / np.maximum(np.sum(m, axis=1, keepdims=True), 1) for m in (a, b)
    ]
    diff = share[1] - share[0]
    labels = [plain(c) for c in class_names]
    fig = go.Figure(
        go.Heatmap(
            z=diff,
            x=labels,
            y=labels,
            colorscale=DIVERGING,
            zmid=0,
            zmin=-1,
            zmax=1,
            text=np.round(diff * 100).astype(int).tolist(),
            texttemplate="%{text}",
            hovertemplate="true %{y}, predicted %{x}: %{z:+.0%}<extra></extra>",
        )
    )
    fig.update_xaxes(title="predicted")
    fig.update_yaxes(title="true", autorange="reversed")
    title = plain(f"Confusion {names[1]} minus {names[0]} (points of each row)")
    return _layout(fig, title, 120 + 32 * len(labels))
