"""Figures that belong to the app rather than to one topic (the home page map), and how pages
show figures and pictures."""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from dl_core.describe import describe_figure, describe_images
from dl_core.viz import text_colour
from ui.cache import memo

# (data kind, architecture family, typical use, the page that teaches it)
ARCHITECTURE_MAP = [
    (
        "Tables & 2-D points",
        "MLP (dense layers)",
        "classification & regression",
        "app_pages/basics.py",
    ),
    ("Images", "CNN", "classification", "app_pages/cnn.py"),
    (
        "Images",
        "Transfer learning",
        "classification with few images",
        "app_pages/transfer_learning.py",
    ),
    ("Images", "Detectors (YOLO)", "object detection", "app_pages/detection.py"),
    ("Images", "FCN / U-Net / DeepLab", "semantic segmentation", "app_pages/segmentation.py"),
    ("Text & sequences", "RNN / LSTM / GRU", "text generation", "app_pages/text_generation.py"),
    (
        "Text & sequences",
        "Transformers",
        "attention, embeddings, generation",
        "app_pages/attention.py",
    ),
    ("New data to generate", "GAN", "image generation", "app_pages/gan.py"),
    ("New data to generate", "Autoencoder / VAE", "compression, generation", "app_pages/gan.py"),
    ("Decisions in an environment", "DQN (RL)", "control & games", "app_pages/dqn.py"),
]


def page_href(path: str) -> str:
    """The relative address Streamlit gives a page file (``st.Page``'s default url_path)."""
    return PurePosixPath(path).stem


# A colour-blind-safe palette (Okabe & Ito, with dl_core.viz's lighter grey).
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#CCCCCC"]


def show_figure(where: Any, fig: Any, description: str | None = None, **kwargs: Any) -> Any:
    """``where.plotly_chart(fig, **kwargs)`` with a text description of the figure as its
    accessible name, so a screen reader reads what the figure shows.

    ``description`` defaults to one computed from the figure's data
    (:func:`dl_core.describe.describe_figure`; cached figures carry theirs, see ui/cache.py).
    """
    text = description or getattr(fig, "_description", None) or describe_figure(fig)
    return where.plotly_chart(fig, alt=text, **kwargs)


def show_image(where: Any, image: Any, description: Any = None, **kwargs: Any) -> Any:
    """``where.image(image, **kwargs)`` with ``description`` as the image's alt text (one per
    image for a list); by default computed from the pixels (:func:`describe_images`).

    A NumPy image is encoded once per content and width (:func:`encoded_image`, through
    :func:`ui.cache.memo`), not on every rerun: ``st.image`` compresses arrays again each
    time it is called, a third of the server's CPU for a page view on the GAN page.
    """
    if description is None:
        if isinstance(image, list):
            description = [memo(describe_images, np.asarray(i), "image") for i in image]
        else:
            description = memo(describe_images, np.asarray(image), "image")
    # clamp and channels act on arrays only: st.image ignores them for the encoded bytes
    encode = {k: kwargs[k] for k in ("clamp", "channels", "output_format") if k in kwargs}
    width = kwargs.get("width", "content")
    try:
        if isinstance(image, np.ndarray):
            image = memo(encoded_image, image, width, **encode)
        elif isinstance(image, list):
            image = [
                memo(encoded_image, i, width, **encode) if isinstance(i, np.ndarray) else i
                for i in image
            ]
    except Exception:  # noqa: BLE001 - st.image below gives its own message for bad pixels
        pass
    return where.image(image, alt=description, **kwargs)


def architecture_map_svg() -> str:
    """The home page's map, kind of data -> architecture family (with what it is used for), as
    a Sankey-style inline SVG for a Markdown element: drawn in the page's first paint (no
    plotly.js). Each architecture's name is a link to the page that teaches it (same tab),
    reachable by keyboard. Text is in the theme's text colour; ribbons and bars in Okabe-Ito."""
    data = list(dict.fromkeys(d for d, *_ in ARCHITECTURE_MAP))
    colour = {d: OKABE_ITO[i % len(OKABE_ITO)] for i, d in enumerate(data)}
    slot, gap, band, top = 40, 12, 18, 4  # a row per architecture; groups apart by gap
    x_kind, x0, x1, x_label, width = 124, 130, 232, 246, 470  # about the column's width
    rows, y = [], top
    for d in data:
        mine = [r for r in ARCHITECTURE_MAP if r[0] == d]
        first = y
        y += len(mine) * slot
        rows.append((d, mine, first, y))
        y += gap
    height = y - gap + top
    parts = [
        f'<svg class="{FIRST_PAINT_CLASS}" role="group" viewBox="0 0 {width} {height}" '
        f'style="width: 100%; max-width: {width + 60}px; height: auto" '
        f'aria-label="{_attribute(MAP_DESCRIPTION)}" font-size="13" fill="currentColor">'
    ]
    for d, mine, first, last in rows:
        c = colour[d]
        mid = (first + last) / 2
        left_top = mid - len(mine) * band / 2  # the kind's bar: one band per architecture
        parts.append(
            f'<rect x="{x0 - 8}" y="{left_top:.1f}" width="8" height="{len(mine) * band}" '
            f'fill="{c}" rx="1"/>'
        )
        lines = [d] if len(d) <= 14 else _halves(d)
        for k, line in enumerate(lines):
            ty = mid + 4.5 + (k - (len(lines) - 1) / 2) * 15
            parts.append(
                f'<text x="{x_kind - 8}" y="{ty:.1f}" text-anchor="end">{_attribute(line)}</text>'
            )
        for k, (_, arch, use, path) in enumerate(mine):
            a0 = left_top + k * band  # the band leaves the kind's bar here...
            r0 = first + k * slot + (slot - band) / 2  # ...and reaches the architecture here
            xm = (x0 + x1) / 2
            parts.append(
                f'<path d="M{x0} {a0:.1f} C{xm} {a0:.1f} {xm} {r0:.1f} {x1} {r0:.1f} '
                f"L{x1} {r0 + band:.1f} C{xm} {r0 + band:.1f} {xm} {a0 + band:.1f} "
                f'{x0} {a0 + band:.1f} Z" fill="{c}" fill-opacity="0.45"/>'
            )
            parts.append(
                f'<rect x="{x1}" y="{r0:.1f}" width="8" height="{band}" fill="{c}" rx="1"/>'
            )
            ty = first + k * slot + slot / 2
            parts.append(
                f'<a href="{page_href(path)}" target="_self"><text x="{x_label}" '
                f'y="{ty - 2:.1f}" font-weight="600" text-decoration="underline">'
                f"{_attribute(arch)}</text></a>"
                f'<text x="{x_label}" y="{ty + 12:.1f}" font-size="11.5" opacity="0.75">'
                f"{_attribute(use)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _halves(text: str) -> list[str]:
    """``text`` on two lines, broken at the space nearest its middle (one line if none)."""
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if not spaces:
        return [text]
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return [text[:cut], text[cut + 1 :]]


MAP_DESCRIPTION = "Which architecture fits which data: " + "; ".join(
    f"{d}: {a} for {u}" for d, a, u, _ in ARCHITECTURE_MAP
)


# The class of an image drawn in the page's first paint (:func:`show_image_now`); tests and the
# benchmark find these images by it.
FIRST_PAINT_CLASS = "dlx-image-now"


def show_image_now(
    where: Any,
    image: np.ndarray,
    description: str | None = None,
    width: Any = "stretch",
    legend: Sequence[tuple[str, str]] = (),
    border: bool = False,
) -> None:
    """:func:`show_image` for the figure a visitor should see first: drawn in the page's first
    paint, as an ``<img>`` with the encoded picture inline in a Markdown element.

    ``st.image`` is one of the elements Streamlit's browser code loads lazily. Until its code
    has arrived it shows a grey skeleton, and React reveals all such skeletons in one batch,
    at least 0.3 s after the last one appeared. On a page with plotly charts that batch comes
    after plotly.js (4.7 MB) has been evaluated: the GAN page's training images appeared 3.1-3.5 s
    after a shared link was opened, against 1.8 s with no charts on the page. Markdown is in
    Streamlit's main bundle and drawn with the first elements.

    The picture is the one ``st.image`` would show (:func:`encoded_image`), encoded once per
    content and width; ``description`` (by default computed from the pixels) is its alt text.
    ``legend``: (name, "#rrggbb") pairs shown under the picture as coloured squares.
    ``border``: a thin grey frame, for a picture on a white background.
    What this loses against ``st.image``: the full-screen button.
    """
    if description is None:
        description = memo(describe_images, np.asarray(image), "image")
    picture = memo(image_html, image, width, description, BORDER if border else "")
    html_now(where, picture + legend_html(legend))


def html_now(where: Any, body: str) -> None:
    """Our own HTML ``body`` (one line; any visitor text in it escaped with :func:`_attribute`)
    in a Markdown element, drawn in the page's first paint. Wrapped in a <div>: a line that
    starts with <div is a raw HTML block, which Markdown leaves alone."""
    where.markdown(f"<div>{body}</div>", unsafe_allow_html=True)


def _attribute(text: Any) -> str:
    """``text`` escaped for HTML, on one line (a blank line would end the raw HTML block)."""
    return html.escape(" ".join(str(text).split()), quote=True)


BORDER = "border: 1px solid rgba(128, 128, 128, 0.4); border-radius: 4px"
LEGEND = "display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; font-size: 0.875rem"
SWATCH = (
    "display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.35em; "
    "vertical-align: -0.05em; border-radius: 2px"
)


def legend_html(legend: Sequence[tuple[str, str]]) -> str:
    """(name, "#rrggbb") pairs as a row of coloured squares with their names (escaped)."""
    if not legend:
        return ""
    items = []
    for name, colour in legend:
        _colour_check(colour)
        swatch = f'<span style="{SWATCH}; background: {colour}"></span>'
        items.append(f"<span>{swatch}{_attribute(name)}</span>")
    # styled inline: the app's stylesheet (an st.html element) may arrive after the first paint
    return f'<div class="dlx-legend" style="{LEGEND}">{"".join(items)}</div>'


def show_rows_now(where: Any, title: str, rows: Sequence[tuple[str, np.ndarray, str]]) -> None:
    """Labelled rows of pictures under a title, drawn in the page's first paint like
    :func:`show_image_now`: each row is (label, picture, alt text), e.g. a few images per class."""
    parts = [f'<div style="{ROWS_TITLE}">{_attribute(title)}</div>']
    for label, picture, description in rows:
        parts.append(f'<div style="{ROW_LABEL}">{_attribute(label)}</div>')
        parts.append(memo(image_html, picture, "content", description))
    html_now(where, "".join(parts))


ROWS_TITLE = "font-weight: 600; font-size: 0.875rem; margin-bottom: 0.25rem"
ROW_LABEL = "font-size: 0.8rem; opacity: 0.8"
CAPTION = "font-size: 0.75rem; opacity: 0.8; text-align: center; line-height: 1.2"
BAR_TOP = "border-radius: 2px 2px 0 0"
PIXELATED = "image-rendering: pixelated"  # small pictures enlarged by the browser stay crisp


def show_gallery_now(
    where: Any,
    items: Sequence[tuple[str, np.ndarray]],
    cell: int,
    max_cols: int = 12,
    pixelated: bool = False,
    legend: Sequence[tuple[str, str]] = (),
) -> None:
    """Captioned pictures, as many columns at least ``cell`` px wide as the column holds (at
    most ``max_cols``),
    drawn in the page's first paint like :func:`show_image_now`. ``items``: (caption,
    picture), the caption also being the picture's alt text; ``pixelated`` for small pictures
    (a 32-pixel image shown 70 px wide); ``legend`` as in :func:`legend_html`."""
    grid = (
        f"display: grid; grid-template-columns: repeat(auto-fill, minmax({int(cell)}px, 1fr)); "
        f"gap: 0.4rem 0.3rem; margin-top: 0.25rem; max-width: calc({int(max_cols)} * "
        f"({int(cell)}px + 0.3rem))"
    )
    style = PIXELATED if pixelated else ""
    cells = []
    for caption, picture in items:
        img = memo(image_html, picture, "stretch", caption, style)
        text = (
            f'<figcaption aria-hidden="true" style="{CAPTION}">{_attribute(caption)}</figcaption>'
        )
        cells.append(f'<figure style="margin: 0">{img}{text}</figure>')
    body = f'<div class="dlx-gallery" style="{grid}">{"".join(cells)}</div>'
    html_now(where, body + legend_html(legend))


def show_matrix_now(
    where: Any,
    pictures: Sequence[Sequence[np.ndarray]],
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    alts: Sequence[Sequence[str]],
    cell: int = 70,
    after: str = "",
    corner: str = "",
) -> None:
    """A table of pictures (``pictures[r][c]``) with a label on every row and column, drawn in
    the page's first paint like :func:`show_image_now`: e.g. one small heatmap per layer
    (row) and head (column). ``alts[r][c]`` is a picture's alt text (also its tooltip); cells
    are at most ``cell`` px wide and shrink with the column; ``after``: our own HTML below the
    table (a :func:`gradient_legend_html`); ``corner``: a label above the row labels (what the
    column labels count, so that they can be short enough for a phone)."""
    n_cols = len(col_labels)
    grid = (
        f"display: grid; grid-template-columns: max-content repeat({n_cols}, minmax(0, 1fr)); "
        f"gap: 3px; align-items: center; max-width: {n_cols * int(cell) + 80}px"
    )
    parts = [f'<span style="{CAPTION}; text-align: right">{_attribute(corner)}</span>']
    parts += [f'<span style="{CAPTION}">{_attribute(c)}</span>' for c in col_labels]
    for label, row, row_alts in zip(row_labels, pictures, alts, strict=True):
        parts.append(f'<span style="{CAPTION}; text-align: right">{_attribute(label)}</span>')
        for picture, alt in zip(row, row_alts, strict=True):
            img = memo(image_html, picture, "stretch", alt, f"{PIXELATED}; display: block")
            parts.append(f'<span title="{_attribute(alt)}">{img}</span>')
    html_now(where, f'<div class="dlx-matrix" style="{grid}">{"".join(parts)}</div>{after}')


def gradient_legend_html(colours: Sequence[str], low: str, high: str, name: str) -> str:
    """A colour bar: ``colours`` (#rrggbb, low to high) as a gradient between the labels
    ``low`` and ``high``, then ``name`` (what the colour measures)."""
    for colour in colours:
        _colour_check(colour)
    bar = (
        "display: inline-block; width: 10rem; height: 0.75em; border-radius: 2px; "
        f"background: linear-gradient(to right, {', '.join(colours)})"
    )
    return (
        f'<div class="dlx-legend" style="{LEGEND}; align-items: center; margin-top: 0.4rem">'
        f'<span>{_attribute(low)}</span><span style="{bar}"></span>'
        f"<span>{_attribute(high)}</span><span>{_attribute(name)}</span></div>"
    )


def show_bars_now(
    where: Any,
    bars: Sequence[tuple[str, float]],
    axis: str,
    value: Callable[[float], str],
    colour: str = OKABE_ITO[1],
    height: int = 180,
) -> None:
    """A bar chart drawn in the page's first paint: one bar per (label, value), tallest =
    highest value, each with its label below and ``label: value(v)`` as its tooltip and
    accessible name; ``axis`` says what the values are, and the top of the scale is shown."""
    _colour_check(colour)
    top = max((v for _, v in bars), default=0.0) or 1.0
    n = max(1, len(bars))
    vertical = any(len(label) > 2 for label, _ in bars)  # words: labels read upwards
    label_style = CAPTION + "; overflow: hidden; white-space: nowrap; text-overflow: ellipsis"
    if vertical:
        label_style += "; writing-mode: vertical-rl; transform: rotate(180deg); max-height: 6em"
    grid = f"display: grid; grid-template-columns: repeat({n}, minmax(0, 1fr)); column-gap: 2px"
    columns, labels = [], []
    for label, v in bars:
        tip = _attribute(f"{label}: {value(v)}")
        bar = f"height: {100 * max(v, 0) / top:.2f}%; background: {colour}; {BAR_TOP}"
        columns.append(
            f'<div role="img" aria-label="{tip}" title="{tip}" style="display: flex; '
            f'align-items: flex-end; height: {int(height)}px"><div style="width: 100%; {bar}">'
            "</div></div>"
        )
        labels.append(f'<div aria-hidden="true" style="{label_style}">{_attribute(label)}</div>')
    scale = f"{_attribute(axis)}, top of the scale: {_attribute(value(top))}"
    scale = f'<div style="{CAPTION}; text-align: left">{scale}</div>'
    frame = "border-bottom: 1px solid rgba(128, 128, 128, 0.6)"
    html_now(
        where,
        f'{scale}<div class="dlx-bars" style="{grid}; {frame}">{"".join(columns)}</div>'
        f'<div style="{grid}">{"".join(labels)}</div>',
    )


def show_boxes_now(
    where: Any,
    image: np.ndarray,
    title: str,
    boxes: Sequence[tuple[float, float, float, float, str, str, str]],
    points: Sequence[tuple[float, float, str]] = (),
    legend: Sequence[tuple[str, str]] = (),
    height: int = 480,
) -> None:
    """A picture with boxes and points over it, drawn in the page's first paint like
    :func:`show_image_now`: e.g. a detector's boxes on a photo (see :func:`boxes_html`),
    ``legend`` below it. The picture is shown at most ``height`` px tall and never wider than
    the column."""
    body = memo(boxes_html, image, title, boxes, points, height)
    html_now(where, body + legend_html(legend))


def boxes_html(
    image: np.ndarray,
    title: str,
    boxes: Sequence[tuple[float, float, float, float, str, str, str]],
    points: Sequence[tuple[float, float, str]] = (),
    height: int | None = 480,
    pixelated: bool = False,
) -> str:
    """A picture with ``title`` above it and boxes and points over it, as our own HTML.

    ``boxes``: (x1, y1, x2, y2 in the image's pixels, label, "#rrggbb", "solid" | "dotted"),
    each outlined just outside its edges (so that a one-pixel box shows), with its label on a
    tab above it (also its tooltip; no tab when the label is empty); ``points``: (x, y,
    "#rrggbb") dots. Boxes are placed in percentages of the picture, so they stay on their
    objects at any width. ``height``: the picture is shown at most that tall, or the full
    width of its container when None (``pixelated``: enlarged without blurring). The alt text
    lists the labelled boxes."""
    h, w = image.shape[:2]
    labels = [b[4] for b in boxes if b[4]]
    alt = f"{title}: " + ("; ".join(labels) if labels else "no labelled boxes")
    look = "display: block" + (f"; {PIXELATED}" if pixelated else "")
    if height is None:
        parts = [memo(image_html, image, "stretch", alt, look)]
        frame = BOXES + "; width: 100%"
    else:
        shown = max(1, min(w, round(height * w / max(h, 1))))
        parts, frame = [memo(image_html, image, shown, alt, look)], BOXES
    for x1, y1, x2, y2, label, colour, line in boxes:
        _colour_check(colour)
        if line not in ("solid", "dotted"):
            raise ValueError(f"not a line style: {line!r}")
        place = (
            f"left: {100 * x1 / w:.2f}%; top: {100 * y1 / h:.2f}%; "
            f"width: {100 * (x2 - x1) / w:.2f}%; height: {100 * (y2 - y1) / h:.2f}%"
        )
        tab = ""
        if label:
            ink = f"background: {colour}; color: {text_colour(colour)}"
            tab = f'<span style="{BOX_TAB}; {ink}">{_attribute(label)}</span>'
        tip = f' title="{_attribute(label)}"' if label else ""
        parts.append(f'<div{tip} style="{BOX}; {place}; outline: 2px {line} {colour}">{tab}</div>')
    for x, y, colour in points:
        _colour_check(colour)
        parts.append(
            f'<span style="{DOT}; left: {100 * x / w:.2f}%; top: {100 * y / h:.2f}%; '
            f'background: {colour}"></span>'
        )
    head = f'<div style="{ROWS_TITLE}">{_attribute(title)}</div>' if title else ""
    return f'{head}<div><div class="dlx-boxes" style="{frame}">{"".join(parts)}</div></div>'


def cells_html(title: str, texts: Sequence[Sequence[str]], colours: Sequence[Sequence[str]]) -> str:
    """A small matrix as square coloured cells (``colours[r][c]``, #rrggbb) with their values
    written in (``texts[r][c]``, in black or white, whichever reads better; "" for none), and
    ``title`` above: e.g. a convolution kernel."""
    n = len(texts[0]) if len(texts) else 0
    grid = f"display: grid; grid-template-columns: repeat({n}, minmax(0, 1fr)); gap: 1px"
    cells = []
    for row_text, row_colour in zip(texts, colours, strict=True):
        for text, colour in zip(row_text, row_colour, strict=True):
            _colour_check(colour)
            ink = f"background: {colour}; color: {text_colour(colour)}"
            cells.append(f'<span style="{CELL}; {ink}">{_attribute(text)}</span>')
    head = f'<div style="{ROWS_TITLE}">{_attribute(title)}</div>' if title else ""
    values = "; ".join(" ".join(row) for row in texts if any(row))
    name = _attribute(f"{title}: {values}" if values else title)
    return f'{head}<div role="img" aria-label="{name}" style="{grid}">{"".join(cells)}</div>'


def show_row_now(where: Any, parts: Sequence[tuple[str, float]]) -> None:
    """Our own HTML pieces (from :func:`boxes_html`, :func:`cells_html`) side by side in one
    row, drawn in the page's first paint; each (html, weight) takes a share of the width in
    proportion to its weight."""
    row = "display: flex; gap: 0.75rem; align-items: center"
    cells = [
        f'<div style="flex: {weight:.3f} 1 0; min-width: 0">{body}</div>' for body, weight in parts
    ]
    html_now(where, f'<div class="dlx-row" style="{row}">{"".join(cells)}</div>')


CELL = (
    "aspect-ratio: 1; display: flex; align-items: center; justify-content: center; "
    "font-size: 0.7rem; line-height: 1"
)
BOXES = "position: relative; display: inline-block; max-width: 100%; line-height: 0"
BOX = "position: absolute"
BOX_TAB = (
    "position: absolute; left: -2px; bottom: calc(100% + 2px); font-size: 11px; "
    "line-height: 1.3; padding: 0 3px; white-space: nowrap"
)
DOT = (
    "position: absolute; width: 7px; height: 7px; margin: -3.5px 0 0 -3.5px; "
    "border-radius: 50%; border: 1px solid #000000; box-sizing: border-box"
)


def _colour_check(colour: str) -> None:
    if not re.fullmatch(r"#[0-9A-Fa-f]{6}", colour):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")


def image_html(image: np.ndarray, width: Any, description: str, style: str = "") -> str:
    """An ``<img>`` of ``image`` as ``st.image(image, width=width)`` would show it, inline as a
    data: URL, with ``description`` (escaped) as its alt text and ``style`` as more CSS."""
    data = encoded_image(image, width)
    mime = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    if width == "stretch":
        size = "width: 100%"
    else:  # "content": the picture's own width
        size = f"width: {image.shape[1] if width == 'content' else int(width)}px; max-width: 100%"
    size += "; height: auto; object-fit: contain"  # Streamlit's Markdown scales images down only
    size += f"; {style}" if style else ""
    return (
        f'<img class="{FIRST_PAINT_CLASS}" style="{size}" alt="{_attribute(description)}" '
        f'src="data:{mime};base64,{base64.b64encode(data).decode()}">'
    )


def encoded_image(
    image: np.ndarray,
    width: Any = "content",
    clamp: bool = False,
    channels: str = "RGB",
    output_format: str = "auto",
) -> bytes:
    """The bytes ``st.image`` makes of a NumPy image: the same range check, colour order,
    format (JPEG unless the image has transparency) and shrinking to ``width``, done by
    Streamlit's own helpers, so that passing these bytes shows exactly the same picture."""
    from streamlit.elements.lib import image_utils as iu
    from streamlit.elements.lib.layout_utils import create_layout_config

    array = iu._clip_image(iu._verify_np_shape(image), clamp)
    if channels == "BGR" and array.ndim == 3:
        array = array[:, :, [2, 1, 0]]
    data = iu._np_array_to_bytes(array, output_format=output_format)
    layout = create_layout_config(width=width, allow_content_width=True)
    fmt = iu._validate_image_format_string(data, output_format)
    return iu._ensure_image_size_and_format(data, layout, fmt)


def images_now(markdown: Iterable[str]) -> list[tuple[str, np.ndarray]]:
    """The pictures :func:`show_image_now` put in these Markdown bodies (e.g. an AppTest's
    ``[m.value for m in at.markdown]``), as (alt text, pixels), in page order."""
    from PIL import Image

    pattern = re.compile(
        rf'<img class="{FIRST_PAINT_CLASS}" style="[^"]*" alt="([^"]*)" '
        r'src="data:image/(?:png|jpeg);base64,([A-Za-z0-9+/=]+)">'
    )
    out = []
    for body in markdown:
        for alt, data in pattern.findall(body):
            pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))
            out.append((html.unescape(alt), pixels))
    return out
