"""Figures that belong to the app rather than to one topic (the home page map)."""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

# (data kind, architecture family, typical use)
ARCHITECTURE_MAP = [
    ("Tables & 2-D points", "MLP (dense layers)", "classification & regression"),
    ("Images", "CNN", "classification"),
    ("Images", "Transfer learning", "classification with few images"),
    ("Images", "Detectors (YOLO)", "object detection"),
    ("Images", "FCN / U-Net / DeepLab", "semantic segmentation"),
    ("Text & sequences", "RNN / LSTM / GRU", "text generation"),
    ("Text & sequences", "Transformers", "attention, embeddings, generation"),
    ("New data to generate", "GAN", "image generation"),
    ("New data to generate", "Autoencoder / VAE", "compression, generation"),
    ("Decisions in an environment", "DQN (RL)", "control & games"),
]

# A colour-blind-safe palette (Okabe & Ito).
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"]


def architecture_map() -> go.Figure:
    """Sankey diagram: kind of data -> architecture family (with what it is used for)."""
    data = list(dict.fromkeys(d for d, _, _ in ARCHITECTURE_MAP))
    archs = [f"{a} · {u}" for _, a, u in ARCHITECTURE_MAP]
    colour = {d: OKABE_ITO[i % len(OKABE_ITO)] for i, d in enumerate(data)}
    labels = data + archs
    source = [data.index(d) for d, _, _ in ARCHITECTURE_MAP]
    target = [len(data) + i for i in range(len(archs))]
    link_colours = [colour[d] + "77" for d, _, _ in ARCHITECTURE_MAP]
    node_colours = [colour[d] for d in data] + [colour[d] for d, _, _ in ARCHITECTURE_MAP]
    fig = go.Figure(
        go.Sankey(
            arrangement="fixed",
            node=dict(label=labels, color=node_colours, pad=10, thickness=16),
            link=dict(source=source, target=target, value=[1] * len(source), color=link_colours),
        )
    )
    fig.update_layout(height=430, margin=dict(l=5, r=5, t=5, b=5), font=dict(size=13))
    return fig


def data_url(image: np.ndarray) -> str:
    """An RGB uint8 image as a ``data:image/png`` URL (for components that take one).

    Pages pass it through :func:`ui.cache.memo`, so a photo is encoded once per server
    rather than on every rerun.
    """
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
