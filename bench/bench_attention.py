"""Attention page figures, measured side by side in one run.

1. Attention extraction (every layer and head, Q/K/V) of all-MiniLM-L6-v2 for 16, 64 and
   256 tokens after warm-up; the goal is at most 1 s at 64 tokens on 2 CPU cores.
2. Page rerun time when the visitor switches head (AppTest, the whole page script).
3. The tiny causal transformer vs the text-generation page's LSTM, 2 minutes each on all of
   Shakespeare: bits per character on the same held-out windows (the LSTM's own validation
   windows, the last 10% of the text), measured by ``text_generation.validation_bpc``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import report, timeit

BUDGET_S = float(os.environ.get("BENCH_ATTENTION_BUDGET_S", 120))


def _ids(enc, n: int) -> np.ndarray:
    """Token ids of a real text cut to exactly ``n`` tokens ([CLS] ... [SEP])."""
    from dl_core.attention import pretrained

    words = (
        "The animal didn't cross the street because it was too tired, and the river "
        "kept flowing quietly past the old mill while everyone slept. "
    ) * 20
    ids = np.asarray(enc.tokenizer(words)).astype("int32")[: n - 2]
    cls, sep = (enc.tokenizer.token_to_id(t) for t in pretrained.SPECIAL)
    return np.concatenate([[cls], ids, [sep]]).astype("int32")


def extraction() -> dict:
    from dl_core.attention import pretrained

    t0 = time.perf_counter()
    enc = pretrained.load_encoder()
    out = {"model load (cold), s": time.perf_counter() - t0}
    for n in (16, 64, 256):
        ids = _ids(enc, n)
        med, best = timeit(lambda ids=ids: pretrained.extract(enc, ids), repeat=5, warmup=2)
        out[f"extract {n} tokens, median s"] = med
        out[f"extract {n} tokens, min s"] = best
    return out


def page_rerun() -> dict:
    os.environ.setdefault("DL_EXPLORER_HOME", tempfile.mkdtemp(prefix="bench-attention-"))
    os.environ.setdefault("DL_EXPLORER_EXECUTOR", "inline")
    from streamlit.testing.v1 import AppTest

    app = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")
    at = AppTest.from_file(app, default_timeout=600)
    at.run()
    at.switch_page("app_pages/attention.py")
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    times = []
    for head in (1, 5, 9, 11, 3):
        at.slider(key="attention.head").set_value(head)
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
    assert not at.exception, [e.value for e in at.exception]
    return {
        "page first run (model load + extraction), s": first,
        "page rerun on head switch, median s": statistics.median(times),
        "page rerun on head switch, min s": min(times),
    }


def tiny_vs_lstm() -> dict:
    from dl_core import attention as tiny
    from dl_core import text_generation as tg
    from dl_core.jobs import Reporter
    from dl_core.text_generation.analysis import validation_bpc
    from dl_core.text_generation.train import prepare

    lstm_cfg = dataclasses.replace(
        tg.PRESETS["default"], corpus="shakespeare", budget_s=BUDGET_S, epochs=1000
    )
    t0 = time.perf_counter()
    lstm = tg.train(lstm_cfg, None, None)
    lstm_wall = time.perf_counter() - t0
    d = prepare(lstm_cfg)
    x_val, y_val, lstm_tokens = d["x_val"], d["y_val"], list(d["vocab"].tokens)

    tf_cfg = dataclasses.replace(
        tiny.PRESETS["default"],
        corpus="shakespeare",
        max_seconds=BUDGET_S,
        epochs=1000,
        steps_per_epoch=200,
    )
    t0 = time.perf_counter()
    tf = tiny.train(tf_cfg, None, Reporter(None))
    tf_wall = time.perf_counter() - t0
    index = {c: i for i, c in enumerate(tf["vocab"])}
    translate = np.vectorize(lambda i: index.get(lstm_tokens[i], 0))
    n = min(len(x_val), 256)
    tf_bpc = validation_bpc(tf["model"], translate(x_val[:n]).astype("int32"), translate(y_val[:n]))
    lstm_bpc_same = validation_bpc(lstm["model"], x_val[:n], y_val[:n], d["chars_per_token"])
    tf_params = tf["model"].count_params()
    return {
        "budget per model, s": BUDGET_S,
        "LSTM (text_generation default, 128 units) val bits/char": lstm_bpc_same,
        "tiny transformer (2 layers, 4 heads, d=64) val bits/char": tf_bpc,
        "tiny transformer own val loss (nats/char)": tf["history"]["val_loss"][-1],
        "tiny transformer own val bits/char": tf["history"]["val_loss"][-1] / math.log(2),
        "ratio transformer / LSTM bits/char": tf_bpc / lstm_bpc_same,
        "LSTM epochs / wall s": f"{len(lstm['history']['loss'])} / {lstm_wall:.0f}",
        "transformer epochs / wall s": f"{len(tf['history']['loss'])} / {tf_wall:.0f}",
        "LSTM parameters": lstm["model"].count_params(),
        "transformer parameters": tf_params,
    }


def main() -> None:
    figures: dict = {}
    figures |= extraction()
    figures |= page_rerun()
    try:
        figures |= tiny_vs_lstm()
    except ImportError as err:
        figures["tiny vs LSTM"] = f"not measured: text_generation is not usable ({err})"
    report("attention", figures)


if __name__ == "__main__":
    main()
