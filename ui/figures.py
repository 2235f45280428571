"""Figures that belong to the app rather than to one topic (the home page map)."""

from __future__ import annotations

import plotly.graph_objects as go

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
    """Sankey diagram: data kind -> architecture -> use."""
    data = list(dict.fromkeys(d for d, _, _ in ARCHITECTURE_MAP))
    archs = list(dict.fromkeys(a for _, a, _ in ARCHITECTURE_MAP))
    uses = list(dict.fromkeys(u for _, _, u in ARCHITECTURE_MAP))
    labels = data + archs + uses
    idx = {name: i for i, name in enumerate(labels)}
    colour = {d: OKABE_ITO[i % len(OKABE_ITO)] for i, d in enumerate(data)}
    src, dst, col = [], [], []
    for d, a, u in ARCHITECTURE_MAP:
        src += [idx[d], idx[a]]
        dst += [idx[a], idx[u]]
        col += [colour[d], colour[d]]
    node_colours = [colour.get(n, "#bbbbbb") for n in labels]
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node=dict(label=labels, color=node_colours, pad=14, thickness=14),
            link=dict(
                source=src, target=dst, value=[1] * len(src), color=[c + "66" for c in col]
            ),  # fmt: skip
        )
    )
    fig.update_layout(height=420, margin=dict(l=5, r=5, t=5, b=5), font=dict(size=13))
    return fig
