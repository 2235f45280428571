"""Figures that belong to the app rather than to one topic (the home page map)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import numpy as np
import plotly.graph_objects as go

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


def architecture_map() -> go.Figure:
    """Sankey diagram: kind of data -> architecture family (with what it is used for).

    Each architecture's label is a link to the page that teaches it (same tab).
    """
    data = list(dict.fromkeys(d for d, *_ in ARCHITECTURE_MAP))
    archs = [
        f'<a href="{page_href(p)}" target="_self">{a}</a> · {u}' for _, a, u, p in ARCHITECTURE_MAP
    ]
    colour = {d: OKABE_ITO[i % len(OKABE_ITO)] for i, d in enumerate(data)}
    labels = data + archs
    source = [data.index(d) for d, *_ in ARCHITECTURE_MAP]
    target = [len(data) + i for i in range(len(archs))]
    link_colours = [colour[d] + "77" for d, *_ in ARCHITECTURE_MAP]
    node_colours = [colour[d] for d in data] + [colour[d] for d, *_ in ARCHITECTURE_MAP]
    fig = go.Figure(
        go.Sankey(
            arrangement="fixed",
            node=dict(label=labels, color=node_colours, pad=10, thickness=16),
            link=dict(source=source, target=target, value=[1] * len(source), color=link_colours),
        )
    )
    fig.update_layout(height=430, margin=dict(l=5, r=5, t=5, b=5), font=dict(size=13))
    return fig


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
