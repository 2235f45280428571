"""Figures that belong to the app rather than to one topic (the home page map), and how pages
show figures and pictures."""

from __future__ import annotations

import base64
import dataclasses
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


# The class of the home page's map (our own HTML, :func:`html_now`); tests and the benchmark find
# it by it. The other first-paint figures are SVG pictures in Markdown (:func:`show_now`).
FIRST_PAINT_CLASS = "dlx-image-now"


def html_now(where: Any, body: str) -> None:
    """Our own HTML ``body`` (one line; any visitor text in it escaped with :func:`_attribute`)
    in a Markdown element: the home page's map, whose names are links. Wrapped in a <div>: a
    line that starts with <div is a raw HTML block, which Markdown leaves alone. (It waits for
    Streamlit's HTML parser: a figure without links is an SVG picture, :func:`show_now`.)"""
    where.markdown(f"<div>{body}</div>", unsafe_allow_html=True)


def _attribute(text: Any) -> str:
    """``text`` escaped for HTML and XML, on one line."""
    return html.escape(" ".join(str(text).split()), quote=True)


# -- figures drawn in the page's first paint -----------------------------------------------------
#
# A figure a visitor should see first is one SVG picture in a plain Markdown element:
# ``![alt](data:image/svg+xml;base64,...)``. Markdown is in Streamlit's main bundle and drawn
# with the page's first elements; nothing else is. ``st.image``, ``st.html`` and the plotly chart
# are loaded lazily: they show a grey skeleton, and React reveals all skeletons in one batch at
# least 0.5 s after the last one appeared (React 18's fallback throttle), on a page with charts
# after plotly.js (4.7 MB) has been evaluated. Markdown with ``unsafe_allow_html`` waits for its
# HTML parser (rehype-raw, 188 KB) to be loaded: on this 2-core machine the text generation
# page's bar chart appeared 0.9-1.1 s after its element had arrived.
#
# The SVG is built here: pictures as embedded PNG/JPEG ``<image>`` elements (each with its alt
# text as aria-label), boxes, bars, text and legends as SVG shapes. Visitor text is XML-escaped
# (:func:`_attribute`) inside the SVG, and the SVG is base64 in the address, so nothing a
# visitor typed reaches the Markdown parser except through the alt text, whose every
# punctuation mark is escaped (:func:`_alt`). Its text is in the theme's text colour (the
# picture cannot inherit the page's). Natural size: what the figure needs (or ``STRETCH`` px
# for a full-width one); a narrower column scales the whole picture down.

STRETCH = 960  # the natural width of a figure that fills its column
SMALL, LABEL, TITLE = 11, 12, 13  # font sizes (px)
INK = {"light": "#31333F", "dark": "#FAFAFA"}  # Streamlit's text colours
FONT = '"Source Sans Pro", "Source Sans 3", "Helvetica Neue", Arial, sans-serif'


@dataclasses.dataclass(frozen=True)
class Piece:
    """Part of a first-paint figure: SVG elements drawn from (0, 0) in a ``width`` × ``height``
    box, and what it shows in words (its share of the figure's alt text)."""

    body: str
    width: float
    height: float
    alt: str = ""


def _text_width(text: str, size: float) -> float:
    """About how wide ``text`` is at font size ``size`` (px), in a sans-serif face."""
    return 0.56 * size * len(text)


def _fit(text: str, width: float, size: float) -> str:
    """``text`` shortened with "…" to about ``width`` px at font size ``size``."""
    text = " ".join(str(text).split())
    most = max(1, int(width / _text_width("x", size)))
    return text if len(text) <= most else text[: max(1, most - 1)] + "…"


def _text(
    x: float, y: float, text: str, size: float = SMALL, anchor: str = "start", extra=""
) -> str:
    """One line of text (escaped), its baseline at ``y``."""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{extra}>'
        f"{_attribute(text)}</text>"
    )


def _line(text: str, size: float = TITLE, bold: bool = True) -> Piece:
    """A title or label on its own line."""
    weight = ' font-weight="600"' if bold else ' opacity="0.8"'
    body = _text(0, round(size * 1.05), text, size, extra=weight)
    return Piece(body, _text_width(text, size), round(size * 1.45), "")


def _picture(
    image: np.ndarray, x: float, y: float, w: float, h: float, alt: str, pixelated: bool = False
) -> str:
    """``image`` as an embedded ``<image>`` shown ``w`` × ``h`` px at (x, y), encoded as
    ``st.image`` would at that width (:func:`encoded_image`, once per content and width),
    ``alt`` as its accessible name; ``pixelated``: enlarged without blurring."""
    width = int(round(w)) if round(w) < image.shape[1] else "content"
    data = memo(encoded_image, image, width)
    mime = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    look = ' style="image-rendering: pixelated"' if pixelated else ""
    return (
        f'<image x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
        f'preserveAspectRatio="none" aria-label="{_attribute(alt)}"{look} '
        f'href="data:{mime};base64,{base64.b64encode(data).decode()}"/>'
    )


def _place(piece: Piece, x: float, y: float) -> str:
    return f'<g transform="translate({x:.1f} {y:.1f})">{piece.body}</g>'


def _stack(pieces: Sequence[Piece], gap: float = 6) -> Piece:
    """Pieces one under the other, left-aligned."""
    pieces = [p for p in pieces if p.height > 0]
    body, y = [], 0.0
    for p in pieces:
        body.append(_place(p, 0, y))
        y += p.height + gap
    width = max((p.width for p in pieces), default=0)
    alt = ". ".join(p.alt for p in pieces if p.alt)
    return Piece("".join(body), width, max(0.0, y - gap), alt)


def _side_by_side(pieces: Sequence[Piece], gap: float = 12) -> Piece:
    """Pieces in one row, centred on its middle."""
    height = max((p.height for p in pieces), default=0)
    body, x = [], 0.0
    for p in pieces:
        body.append(_place(p, x, (height - p.height) / 2))
        x += p.width + gap
    alt = ". ".join(p.alt for p in pieces if p.alt)
    return Piece("".join(body), max(0.0, x - gap), height, alt)


def _legend(legend: Sequence[tuple[str, str]], width: float) -> Piece:
    """(name, "#rrggbb") pairs as coloured squares with their names, wrapped at ``width``."""
    body, x, y = [], 0.0, 0.0
    for name, colour in legend:
        _colour_check(colour)
        w = 15 + _text_width(name, LABEL) + 14
        if x > 0 and x + w > width:
            x, y = 0.0, y + 17
        body.append(
            f'<rect x="{x:.1f}" y="{y + 3:.1f}" width="10" height="10" rx="2" fill="{colour}"/>'
        )
        body.append(_text(x + 15, y + 12, name, LABEL))
        x += w
    if not legend:
        return Piece("", 0, 0)
    alt = "Legend: " + ", ".join(name for name, _ in legend)
    return Piece("".join(body), width, y + 17, alt)


def colour_bar(colours: Sequence[str], low: str, high: str, name: str) -> Piece:
    """A colour bar: ``colours`` (#rrggbb, low to high) as a gradient between the labels
    ``low`` and ``high``, then ``name`` (what the colour measures)."""
    for colour in colours:
        _colour_check(colour)
    n = max(1, len(colours) - 1)
    stops = "".join(f'<stop offset="{i / n:.3f}" stop-color="{c}"/>' for i, c in enumerate(colours))
    x0 = _text_width(low, LABEL) + 6
    x1 = x0 + 160
    body = (
        f'<defs><linearGradient id="dlx-scale">{stops}</linearGradient></defs>'
        + _text(0, 12, low, LABEL)
        + f'<rect x="{x0:.1f}" y="2" width="160" height="11" rx="2" fill="url(#dlx-scale)"/>'
        + _text(x1 + 6, 12, high, LABEL)
        + _text(x1 + 12 + _text_width(high, LABEL), 12, name, LABEL)
    )
    width = x1 + 12 + _text_width(high, LABEL) + _text_width(name, LABEL)
    return Piece(body, width, 16, f"Colour scale: {name}, {low} to {high}")


# A first-paint figure's Markdown: (escaped alt text, the SVG in base64).
FIGURE_MARKDOWN = re.compile(r"!\[(.*)\]\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)")


def svg_markdown(piece: Piece, ink: str = INK["light"]) -> str:
    """``piece`` as a Markdown image: one SVG picture (base64 in the address) with the piece's
    alt text, its text drawn in ``ink`` (#rrggbb)."""
    _colour_check(ink)
    w, h = int(np.ceil(piece.width)), int(np.ceil(piece.height))
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" color="{ink}" fill="currentColor" '
        f"font-family='{FONT}'>{piece.body}</svg>"
    )
    return (
        f"![{_alt(piece.alt)}](data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()})"
    )


def _alt(text: str) -> str:
    """``text`` on one line, every ASCII punctuation mark backslash-escaped: Markdown shows it
    as it is in the image's alt text (no emphasis, link, math, emoji or colour directive)."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", " ".join(str(text).split()))


def ink() -> str:
    """The text colour of the visitor's theme (light unless the browser said dark)."""
    import streamlit as st
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    kind = None
    if get_script_run_ctx(suppress_warning=True) is not None:  # not in a bare test
        try:
            kind = st.context.theme.type
        except Exception:  # noqa: BLE001 - an older Streamlit
            kind = None
    return INK.get(kind or "light", INK["light"])


def show_now(where: Any, piece: Piece) -> None:
    """Show ``piece`` in the page's first paint: one SVG picture in a Markdown element."""
    where.markdown(svg_markdown(piece, ink()))


def show_image_now(
    where: Any,
    image: np.ndarray,
    description: str | None = None,
    width: Any = "stretch",
    legend: Sequence[tuple[str, str]] = (),
    border: bool = False,
) -> None:
    """:func:`show_image` for the figure a visitor should see first, drawn in the page's first
    paint (see above), with ``description`` (by default computed from the pixels) as its alt
    text. ``width``: "stretch" (the column's width), "content" (the picture's own) or pixels;
    ``legend``: (name, "#rrggbb") pairs under the picture as coloured squares; ``border``: a
    thin grey frame, for a picture on a white background. What this loses against
    ``st.image``: the full-screen button."""
    if description is None:
        description = memo(describe_images, np.asarray(image), "image")
    h, w = image.shape[:2]
    shown = STRETCH if width == "stretch" else w if width == "content" else int(width)
    tall = shown * h / max(w, 1)
    body = _picture(image, 0, 0, shown, tall, description)
    if border:
        body += (
            f'<rect x="0.5" y="0.5" width="{shown - 1}" height="{tall - 1:.1f}" rx="3" '
            'fill="none" stroke="#808080" stroke-opacity="0.5"/>'
        )
    picture = Piece(body, shown, tall, description)
    show_now(where, _stack([picture, memo(_legend, legend, shown)]))


def show_rows_now(where: Any, title: str, rows: Sequence[tuple[str, np.ndarray, str]]) -> None:
    """Labelled rows of pictures under a title, drawn in the page's first paint: each row is
    (label, picture, alt text), e.g. a few images per class; pictures at their own size."""
    pieces = [_line(title)]
    for label, picture, description in rows:
        h, w = picture.shape[:2]
        pieces.append(_line(label, LABEL, bold=False))
        pieces.append(Piece(_picture(picture, 0, 0, w, h, description), w, h, description))
    show_now(where, _stack(pieces, gap=3))


def show_gallery_now(
    where: Any,
    items: Sequence[tuple[str, np.ndarray]],
    cell: int,
    max_cols: int = 12,
    pixelated: bool = False,
    legend: Sequence[tuple[str, str]] = (),
) -> None:
    """Captioned pictures ``cell`` px wide, at most ``max_cols`` to a row, drawn in the page's
    first paint. ``items``: (caption, picture), the caption also being the picture's alt text;
    ``pixelated`` for small pictures (a 32-pixel image shown 64 px wide); ``legend`` as
    coloured squares under them."""
    show_now(where, memo(_gallery, items, cell, max_cols, pixelated, legend))


def _gallery(items, cell: int, max_cols: int, pixelated: bool, legend) -> Piece:
    cols, gap, caption = max(1, min(max_cols, len(items))), 6, SMALL + 5
    body, y, row_h = [], 0.0, 0.0
    for i, (text, picture) in enumerate(items):
        if i and i % cols == 0:
            y, row_h = y + row_h + 8, 0.0
        x = (i % cols) * (cell + gap)
        h = cell * picture.shape[0] / max(picture.shape[1], 1)
        body.append(_picture(picture, x, y, cell, h, text, pixelated))
        body.append(
            _text(x + cell / 2, y + h + SMALL + 1, _fit(text, cell, SMALL), anchor="middle")
        )
        row_h = max(row_h, h + caption)
    width = cols * (cell + gap) - gap
    alt = f"{len(items)} pictures: " + "; ".join(text for text, _ in items)
    grid = Piece("".join(body), width, y + row_h, alt)
    return _stack([grid, _legend(legend, width)], gap=8)


def show_matrix_now(
    where: Any,
    pictures: Sequence[Sequence[np.ndarray]],
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    alts: Sequence[Sequence[str]],
    cell: int = 70,
    scale: Piece | None = None,
    corner: str = "",
) -> None:
    """A table of pictures (``pictures[r][c]``, ``cell`` px wide) with a label on every row and
    column, drawn in the page's first paint: e.g. one small heatmap per layer (row) and head
    (column). ``alts[r][c]`` is a picture's alt text; ``scale``: a :func:`colour_bar` under the
    table; ``corner``: a label above the row labels (what the column labels count)."""
    show_now(where, memo(_matrix, pictures, row_labels, col_labels, alts, cell, scale, corner))


def _matrix(pictures, row_labels, col_labels, alts, cell, scale, corner) -> Piece:
    gap, head = 3, SMALL + 6
    left = max([_text_width(t, SMALL) for t in [corner, *row_labels]]) + 6
    body = [_text(left - 6, SMALL, corner, anchor="end", extra=' opacity="0.8"')]
    for c, label in enumerate(col_labels):
        x = left + c * (cell + gap) + cell / 2
        body.append(
            _text(x, SMALL, _fit(label, cell, SMALL), anchor="middle", extra=' opacity="0.8"')
        )
    y = head
    for label, row, row_alts in zip(row_labels, pictures, alts, strict=True):
        h = max((cell * p.shape[0] / max(p.shape[1], 1) for p in row), default=cell)
        body.append(_text(left - 6, y + h / 2 + 4, label, anchor="end", extra=' opacity="0.8"'))
        for c, (picture, alt) in enumerate(zip(row, row_alts, strict=True)):
            body.append(_picture(picture, left + c * (cell + gap), y, cell, h, alt, True))
        y += h + gap
    width = left + len(col_labels) * (cell + gap) - gap
    alt = "; ".join(a for row in alts for a in row)
    table = Piece("".join(body), width, y - gap, alt)
    return _stack([table, scale] if scale is not None else [table], gap=10)


def show_bars_now(
    where: Any,
    bars: Sequence[tuple[str, float]],
    axis: str,
    value: Callable[[float], str],
    colour: str = OKABE_ITO[1],
    height: int = 180,
    width: int = 600,
) -> None:
    """A bar chart drawn in the page's first paint: one bar per (label, value), tallest =
    highest value, each with its label below (words read upwards); ``axis`` says what the
    values are, and the top of the scale is written above; ``width``: the chart's natural width
    (a narrower column scales it down). The alt text lists every bar as ``label value(v)``."""
    _colour_check(colour)
    top = max((v for _, v in bars), default=0.0) or 1.0
    texts = (tuple(value(v) for _, v in bars), value(top))
    show_now(where, memo(_bars, tuple(bars), top, texts, axis, colour, height, width))


def _bars(bars, top: float, texts, axis: str, colour: str, height: int, width: int) -> Piece:
    """The bar chart of :func:`show_bars_now`; ``texts``: (each bar's value, the top's)."""
    (values, top_text), n = texts, max(1, len(bars))
    slot = width / n
    vertical = any(len(label) > 2 for label, _ in bars)  # words: labels read upwards
    y0 = LABEL + 8  # the scale's text above the bars
    scale = f"{axis}, top of the scale: {top_text}"
    body = [_text(0, LABEL, scale, LABEL, extra=' opacity="0.8"')]
    for i, (label, v) in enumerate(bars):
        h = height * max(v, 0) / top
        x = i * slot + 1
        body.append(
            f'<rect x="{x:.1f}" y="{y0 + height - h:.1f}" width="{slot - 2:.1f}" '
            f'height="{h:.1f}" rx="1.5" fill="{colour}"/>'
        )
        cx = i * slot + slot / 2
        if vertical:
            body.append(
                _text(
                    0,
                    0,
                    _fit(label, 72, SMALL),
                    anchor="end",
                    extra=f' transform="translate({cx + 4:.1f} {y0 + height + 4}) rotate(-90)"',
                )
            )
        else:
            body.append(_text(cx, y0 + height + SMALL + 3, label, anchor="middle"))
    body.append(
        f'<rect x="0" y="{y0 + height:.1f}" width="{width:.1f}" height="1" fill="#808080" '
        'fill-opacity="0.6"/>'
    )
    labels = 76 if vertical else SMALL + 6
    alt = f"{axis}: " + "; ".join(
        f"{label} {t}" for (label, _), t in zip(bars, values, strict=True)
    )
    return Piece("".join(body), width, y0 + height + labels, alt)


def show_boxes_now(
    where: Any,
    image: np.ndarray,
    title: str,
    boxes: Sequence[tuple[float, float, float, float, str, str, str]],
    points: Sequence[tuple[float, float, str]] = (),
    legend: Sequence[tuple[str, str]] = (),
    height: int = 480,
) -> None:
    """A picture with boxes and points over it (see :func:`boxes_svg`), ``legend`` below it,
    drawn in the page's first paint. The picture is shown at most ``height`` px tall and never
    wider than its own width (or the column)."""
    h, w = image.shape[:2]
    shown = max(1, min(w, round(height * w / max(h, 1))))
    picture = memo(boxes_svg, image, title, boxes, points, shown)
    show_now(where, _stack([picture, memo(_legend, legend, shown)]))


def boxes_svg(
    image: np.ndarray,
    title: str,
    boxes: Sequence[tuple[float, float, float, float, str, str, str]],
    points: Sequence[tuple[float, float, str]] = (),
    width: float = 480,
    pixelated: bool = False,
) -> Piece:
    """A picture ``width`` px wide with ``title`` above it and boxes and points over it.

    ``boxes``: (x1, y1, x2, y2 in the image's pixels, label, "#rrggbb", "solid" | "dotted"),
    each outlined just outside its edges (so that a one-pixel box shows), with its label on a
    tab above it (no tab when the label is empty); ``points``: (x, y, "#rrggbb") dots;
    ``pixelated``: enlarged without blurring. The alt text lists the labelled boxes."""
    h, w = image.shape[:2]
    s = width / max(w, 1)
    labels = [b[4] for b in boxes if b[4]]
    alt = f"{title}: " + ("; ".join(labels) if labels else "no labelled boxes")
    top = (TITLE + 7 if title else 0) + (16 if labels else 0)  # the title, then room for tabs
    body = [_text(0, TITLE, title, TITLE, extra=' font-weight="600"')] if title else []
    body.append(_picture(image, 0, top, width, h * s, alt, pixelated))
    for x1, y1, x2, y2, label, colour, line in boxes:
        _colour_check(colour)
        if line not in ("solid", "dotted"):
            raise ValueError(f"not a line style: {line!r}")
        x, y = x1 * s - 1, top + y1 * s - 1
        dash = ' stroke-dasharray="2 3"' if line == "dotted" else ""
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{(x2 - x1) * s + 2:.1f}" '
            f'height="{(y2 - y1) * s + 2:.1f}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{dash}/>'
        )
        if label:
            tab = _text_width(label, SMALL) + 6
            body.append(
                f'<rect x="{x - 1:.1f}" y="{y - 15:.1f}" width="{tab:.1f}" height="14" '
                f'fill="{colour}"/>'
            )
            body.append(_text(x + 2, y - 4, label, SMALL, extra=f' fill="{text_colour(colour)}"'))
    for x, y, colour in points:
        _colour_check(colour)
        body.append(
            f'<circle cx="{x * s:.1f}" cy="{top + y * s:.1f}" r="3.5" fill="{colour}" '
            'stroke="#000000" stroke-width="1"/>'
        )
    return Piece("".join(body), width, top + h * s, alt)


def cells_svg(
    title: str, texts: Sequence[Sequence[str]], colours: Sequence[Sequence[str]], width: float
) -> Piece:
    """A small matrix as square coloured cells (``colours[r][c]``, #rrggbb), ``width`` px wide,
    with their values written in (``texts[r][c]``, in black or white, whichever reads better;
    "" for none), and ``title`` above: e.g. a convolution kernel."""
    n = len(texts[0]) if len(texts) else 1
    size = (width - (n - 1)) / n
    font = max(7.0, min(SMALL, size * 0.36))
    top = TITLE + 7 if title else 0
    body = [_text(0, TITLE, _fit(title, width * 1.3, TITLE), TITLE, extra=' font-weight="600"')]
    for r, (row_text, row_colour) in enumerate(zip(texts, colours, strict=True)):
        for c, (text, colour) in enumerate(zip(row_text, row_colour, strict=True)):
            _colour_check(colour)
            x, y = c * (size + 1), top + r * (size + 1)
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{size:.1f}" height="{size:.1f}" '
                f'fill="{colour}"/>'
            )
            if text:
                body.append(
                    _text(
                        x + size / 2,
                        y + size / 2 + font * 0.35,
                        text,
                        font,
                        "middle",
                        f' fill="{text_colour(colour)}"',
                    )
                )
    values = "; ".join(" ".join(row) for row in texts if any(row))
    alt = f"{title}: {values}" if values else title
    return Piece("".join(body), width, top + len(texts) * (size + 1) - 1, alt)


def show_row_now(where: Any, parts: Sequence[tuple[Callable[[float], Piece], float]]) -> None:
    """Pieces side by side in one row, drawn in the page's first paint: each (make, weight) is
    drawn by ``make(width)``, its width a share of the row in proportion to its weight."""
    gap = 16
    room = STRETCH - gap * (len(parts) - 1)
    total = sum(weight for _, weight in parts) or 1.0
    show_now(where, _side_by_side([make(room * weight / total) for make, weight in parts], gap))


def _colour_check(colour: str) -> None:
    if not re.fullmatch(r"#[0-9A-Fa-f]{6}", colour):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")


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
    """The pictures the first-paint figures put in these Markdown bodies (e.g. an AppTest's
    ``[m.value for m in at.markdown]``), as (alt text, pixels), in page order."""
    from PIL import Image

    pictures = re.compile(
        r'<image [^>]*aria-label="([^"]*)"[^>]*href="data:image/(?:png|jpeg);base64,'
        r'([A-Za-z0-9+/=]+)"/>'
    )
    out = []
    for body in markdown:
        for alt, data in pictures.findall(svg_of(body)):
            pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))
            out.append((html.unescape(alt), pixels))
    return out


def alt_of(markdown: str) -> str:
    """The alt text of a first-paint figure's Markdown body, as plain text ("" if none)."""
    found = FIGURE_MARKDOWN.search(markdown)
    return re.sub(r"\\(.)", r"\1", found.group(1)) if found else ""


def svg_of(markdown: str) -> str:
    """The SVG a first-paint figure's Markdown body holds ("" if none)."""
    found = FIGURE_MARKDOWN.search(markdown)
    return base64.b64decode(found.group(2)).decode() if found else ""
