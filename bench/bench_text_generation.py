"""Text-generation page figures, measured in one run (``python -m bench text_generation``).

1. Training throughput of ``text_generation.train`` (default char-LSTM on all of
   Shakespeare, everything included: compile, per-epoch validation and sample, job
   reporting) vs a plain ``model.fit`` of the same model on the same batches (arrays
   prepared up front, no callbacks, no validation); runs interleaved, median of 2 each. Also
   in CPU time of this process (``train()``'s ``model.fit`` against the plain one), steadier
   than wall time on a shared machine. ``BENCH_TG_EPOCHS`` (default 20, of 50 batches) sets
   the length.
2. Validation bits per character after 2 and 5 minutes of wall-clock training for the
   default LSTM, GRU and SimpleRNN (same settings and seed; ``budget_s``). The 2-minute value
   is the validation at the last epoch end at or before 120 s (epochs are ~50 batches).
3. Sampling speed (NumPy stepper, characters per second, temperature 1).
4. Gradient norm through time of each trained model on the same validation passage:
   ‖∂loss_T/∂x_(T-k)‖ / ‖∂loss_T/∂x_(T-1)‖ for k = 10 and 50.

Environment: ``BENCH_TG_BUDGETS`` (default ``lstm:300,gru:300,rnn:300``, seconds per cell)
shortens the run when the machine is busy; ``BENCH_TG_PARTS=budgets`` skips the throughput
comparison (1.), ``BENCH_TG_PARTS=throughput`` skips everything else.
"""

from __future__ import annotations

import dataclasses
import math
import os
import statistics
import time

import numpy as np

from bench.common import report

# 1,000 batches (about 25 s on 2 cores): long enough that one-time costs (tracing the
# validation step, the final evaluation) do not dominate, as they did with 200 batches (0.79)
THROUGHPUT_EPOCHS = int(os.environ.get("BENCH_TG_EPOCHS", "20"))

# cell:seconds; the 2-minute value is read off the same run when it lasts >= 120 s
BUDGETS = {
    c: float(b)
    for c, b in (
        kv.split(":")
        for kv in os.environ.get("BENCH_TG_BUDGETS", "lstm:300,gru:300,rnn:300").split(",")
    )
}


def _show(figures: dict) -> dict:
    """Print figures as soon as they exist (a long run that is cut short keeps them)."""
    for k, v in figures.items():
        print(f"  {k}: {v:.4g}" if isinstance(v, float) else f"  {k}: {v}", flush=True)
    return figures


def throughput() -> dict:
    import keras

    from dl_core import text_generation as tg
    from dl_core.text_generation import data, model
    from dl_core.text_generation.train import prepare

    cfg = dataclasses.replace(
        tg.PRESETS["default"], corpus="shakespeare", epochs=THROUGHPUT_EPOCHS, steps_per_epoch=50
    )
    d = prepare(cfg)
    n = cfg.epochs * cfg.steps_per_epoch
    xs, ys = zip(*data.batches(d["train_ids"], cfg, n), strict=True)  # the batches train() sees
    x, y = np.concatenate(xs), np.concatenate(ys)
    chars = n * cfg.batch_size * cfg.seq_len

    def plain() -> tuple[float, float]:
        keras.utils.set_random_seed(cfg.seed)
        m = model.compile_model(model.build_model(len(d["vocab"]), cfg), cfg)
        t0, c0 = time.perf_counter(), time.process_time()
        # the same batches, epoch by epoch (x holds all of them: epochs=E alone would make E
        # passes over all, E times the work, which the first session's figure did by mistake)
        m.fit(
            x,
            y,
            batch_size=cfg.batch_size,
            epochs=cfg.epochs,
            steps_per_epoch=cfg.steps_per_epoch,
            shuffle=False,
            verbose=0,
        )
        return chars / (time.perf_counter() - t0), chars / (time.process_time() - c0)

    def ours() -> tuple[float, float, float]:
        fit_cpu = [0.0]
        real_fit = keras.Model.fit

        def timed_fit(*args, **kwargs):  # CPU time of this process inside train()'s fit
            c0 = time.process_time()
            try:
                return real_fit(*args, **kwargs)
            finally:
                fit_cpu[0] += time.process_time() - c0

        keras.Model.fit = timed_fit
        try:
            t0 = time.perf_counter()
            r = tg.train(cfg, None, None)
        finally:
            keras.Model.fit = real_fit
        assert round(r["chars_per_s"] * r["seconds"]) >= chars * 0.99  # every batch was trained
        return chars / r["seconds"], chars / (time.perf_counter() - t0), chars / fit_cpu[0]

    runs: dict[str, list] = {"plain": [], "fit": [], "call": [], "plain_cpu": [], "fit_cpu": []}
    for _ in range(2):  # interleaved: the machine's load drifts
        p_wall, p_cpu = plain()
        runs["plain"].append(p_wall)
        runs["plain_cpu"].append(p_cpu)
        fit, call, fit_cpu = ours()
        runs["fit"].append(fit)
        runs["call"].append(call)
        runs["fit_cpu"].append(fit_cpu)
    p, f, c, pc, fc = (
        statistics.median(runs[k]) for k in ("plain", "fit", "call", "plain_cpu", "fit_cpu")
    )
    return {
        "throughput: batches x chars per batch": f"{n} x {cfg.batch_size * cfg.seq_len}",
        "plain model.fit, chars/s (median of 2)": p,
        "train() training phase, chars/s (compile, fit, validation, samples, reports)": f,
        "train() whole call, chars/s (also reading + encoding 5 M chars)": c,
        "ratio train() training phase / plain (target >= 0.95)": f / p,
        "ratio train() whole call / plain": c / p,
        "ratio train() fit / plain fit, CPU time (steadier on a shared machine)": fc / pc,
        "load average (1 min)": os.getloadavg()[0],
        "runs plain / training phase / whole call": [[round(v) for v in runs[k]] for k in runs],
    }


def budget_runs() -> tuple[dict, dict]:
    from dl_core import text_generation as tg

    out, results = {}, {}
    for cell, budget in BUDGETS.items():
        cfg = dataclasses.replace(
            tg.PRESETS["default"], corpus="shakespeare", cell=cell, budget_s=budget, epochs=100_000
        )
        r = tg.train(cfg, None, None)
        h, name = r["history"], tg.CELL_NAMES[cell]
        at2 = [(s, v) for s, v in zip(h["seconds"], h["val_bpc"], strict=True) if s <= 120]
        if at2 and budget >= 120:
            out[f"{name} val bits/char at 2 min (epoch end at {at2[-1][0]:.0f} s)"] = at2[-1][1]
        out[f"{name} val bits/char at {budget / 60:g} min (stopped at {r['seconds']:.0f} s)"] = r[
            "val_bpc"
        ]
        out[f"{name} training chars/s"] = r["chars_per_s"]
        results[cell] = r
        _show({k: v for k, v in out.items() if k.startswith(name)})
    return out, results


def sampling(results: dict) -> dict:
    from dl_core import text_generation as tg

    out = {}
    for cell, r in results.items():
        lm, vocab = tg.NumpyLM.from_model(r["model"]), tg.Vocab(r["vocab"])
        t0 = time.perf_counter()
        text = "".join(tg.generate(lm, vocab, "HAMLET:\n", 2000, 1.0, seed=0))
        out[f"sampling {tg.CELL_NAMES[cell]}, chars/s (2000 chars)"] = len(text) / (
            time.perf_counter() - t0
        )
        if cell == "lstm":
            out["LSTM sample (first 200 chars)"] = text[:200]
    return out


def gradients(results: dict) -> dict:
    from dl_core import text_generation as tg

    text = tg.load_corpus(tg.PRESETS["default"].__class__(corpus="shakespeare"))
    passage = tg.split(text, tg.PRESETS["default"])[1][1000:1101]
    out = {}
    for cell, r in results.items():
        g = tg.gradient_norms(r["model"], tg.Vocab(r["vocab"]).encode(passage))  # (100,)
        for k in (10, 50):
            out[f"{tg.CELL_NAMES[cell]} gradient norm {k} steps back / 1 step back"] = float(
                g[-k] / g[-1]
            )
    return out


def main() -> None:
    from dl_core import text_generation as tg

    vocab, _ = tg.build_vocab(tg.load_corpus(tg.Config(corpus="shakespeare")))
    figures: dict = {"uniform guessing, bits/char": math.log2(len(vocab))}
    parts = os.environ.get("BENCH_TG_PARTS", "throughput,budgets").split(",")
    if "throughput" in parts:
        figures |= _show(throughput())
    if "budgets" in parts:
        runs, results = budget_runs()
        figures |= runs
        figures |= sampling(results)
        figures |= gradients(results)
    report("text_generation", figures)


if __name__ == "__main__":
    main()
