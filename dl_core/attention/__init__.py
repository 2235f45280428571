"""Transformer attention: a pretrained encoder's attention on any text, and a tiny causal
transformer trained live.

Vaswani et al. 2017, "Attention Is All You Need": every token builds a query ``q``, a key
``k`` and a value ``v``; its output is ``softmax(q Kᵀ / √d) V``, a weighted average of the
values of the tokens it attends to. Read top to bottom:

- :mod:`dl_core.attention.pretrained`: all-MiniLM-L6-v2 (offline) opened up layer by layer;
  tokens, Q/K/V and attention of every layer and head; sentence embeddings.
- :mod:`dl_core.attention.analysis`: attention rollout and per-head statistics (arrays in,
  arrays out).
- :mod:`dl_core.attention.config`: the tiny transformer's ``Config``, ``PRESETS``, ``validate``.
- :mod:`dl_core.attention.data`: its text, character vocabulary and windows.
- :mod:`dl_core.attention.model`: a character-level causal transformer, its attention maps,
  sampling.
- :mod:`dl_core.attention.train`: ``train`` (a job), whose attention is saved after every
  epoch.
- :mod:`dl_core.attention.plots`: the figures (plotly, never displayed here).
"""

from dl_core.attention.config import CORPORA, PRESETS, Config, validate
from dl_core.attention.data import encode
from dl_core.attention.model import CausalBlock, attention_maps, sample, sinusoidal
from dl_core.attention.train import train, warmup_jobs

__all__ = [
    "CORPORA",
    "Config",
    "CausalBlock",
    "PRESETS",
    "attention_maps",
    "encode",
    "sample",
    "sinusoidal",
    "train",
    "validate",
    "warmup_jobs",
]
