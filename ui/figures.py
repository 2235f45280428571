"""Figures that belong to the app rather than to one topic (the home page map), and how pages
show figures and pictures."""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from dl_core.describe import describe_figure, describe_images
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
        if not re.fullmatch(r"#[0-9A-Fa-f]{6}", colour):
            raise ValueError(f"not a #rrggbb colour: {colour!r}")
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
