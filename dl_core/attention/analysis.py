"""Attention analysis on plain arrays: rollout, per-head statistics, hiding special tokens.

Attention rollout: Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers".
Head patterns (previous token, [SEP], broad): Clark et al. 2019, "What Does BERT Look At?".
All functions take attention probabilities shaped (layers, heads, T, T), rows summing to 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

STATS = {
    "entropy": "Entropy (bits): 0 = one token, high = spread out",
    "distance": "Mean attention distance (tokens)",
    "previous": "Share to the previous token",
    "self": "Share to the token itself",
    "cls": "Share to [CLS]",
    "sep": "Share to [SEP]",
}


def rollout(attention: np.ndarray, residual: float = 0.5) -> np.ndarray:
    """Attention rollout through all layers: (T, T), row i = how much each input token
    flows into position i at the top.

    Each layer's head-averaged attention is mixed with the identity (the residual
    connection), rows are renormalised, and the layers are multiplied bottom to top.
    """
    a = np.asarray(attention, dtype="float64").mean(axis=1)  # (L, T, T)
    eye = np.eye(a.shape[-1])
    out = eye.copy()
    for layer in a:
        mixed = residual * eye + (1 - residual) * layer
        mixed /= mixed.sum(axis=-1, keepdims=True)
        out = mixed @ out
    return out.astype("float32")


def head_stats(attention: np.ndarray, tokens: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Per-head summaries (each (layers, heads)), averaged over query positions.

    entropy: mean row entropy in bits; distance: mean |i - j| weighted by attention;
    previous / self: mean weight on position i-1 / i; cls / sep: mean weight on
    positions holding [CLS] / [SEP] (zero when ``tokens`` has none).
    """
    a = np.asarray(attention, dtype="float64")
    t = a.shape[-1]
    idx = np.arange(t)
    entropy = -(a * np.log2(np.clip(a, 1e-12, 1.0))).sum(-1).mean(-1)
    dist = np.abs(idx[:, None] - idx[None, :])
    distance = (a * dist).sum(-1).mean(-1)
    previous = a[..., idx[1:], idx[1:] - 1].mean(-1) if t > 1 else np.zeros(a.shape[:2])
    self_ = a[..., idx, idx].mean(-1)
    toks = list(tokens) if tokens is not None else []
    cls = [i for i, s in enumerate(toks) if s == "[CLS]"]
    sep = [i for i, s in enumerate(toks) if s == "[SEP]"]

    def share(cols):
        return a[..., cols].sum(-1).mean(-1) if cols else np.zeros(a.shape[:2])

    out = dict(
        entropy=entropy,
        distance=distance,
        previous=previous,
        self=self_,
        cls=share(cls),
        sep=share(sep),
    )
    return {k: v.astype("float32") for k, v in out.items()}


def hide_special(
    attention: np.ndarray, tokens: Sequence[str], special: Sequence[str] = ("[CLS]", "[SEP]")
) -> tuple[np.ndarray, list[str]]:
    """Drop rows and columns of special tokens and renormalise the rows to sum to 1."""
    keep = [i for i, s in enumerate(tokens) if s not in special]
    if not keep:
        return np.asarray(attention), list(tokens)
    a = np.asarray(attention)[..., keep, :][..., keep]
    a = a / np.clip(a.sum(-1, keepdims=True), 1e-12, None)
    return a.astype("float32"), [tokens[i] for i in keep]


def head_scores(q: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Scaled dot products ``q kᵀ / √d`` of one head: (T, T)."""
    return (np.asarray(q) @ np.asarray(k).T) / np.sqrt(q.shape[-1])


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
