"""What job reporting costs training, topic by topic (``python -m bench overhead``).

For every topic that trains with Keras ``fit`` (custom ``train_step`` included: GAN, VAE,
detection), its ``train()`` runs twice per round, in alternating order, on a preset long
enough (about 5-10 s of fit on 2 cores) that compiling the step does not make up most of
the time: the tiny preset, with more epochs or batches where it is shorter, and the CNN's
default:

- **with reporting**: a database-backed ``Reporter`` for a real job row, as in a worker
  (Stop looked up before each batch, batch metrics persisted at most every 0.5 s, every
  epoch persisted);
- **baseline**: the same ``train()`` call (same seed, model, batches and the topic's own
  callbacks) with the reporter's Keras callback left out of ``fit`` and ``report()`` doing
  nothing, i.e. a plain ``model.fit`` of the same model on the same batches.

The figures are the wall time and the CPU time (this process, all threads) spent inside
``model.fit`` (``keras.Model.fit`` wrapped by a timer), so data preparation and result
packing, identical in both, do not dilute them. Ratio = baseline time / reporting time
(throughput ratio; target >= 0.95). On a machine shared with other work the CPU-time ratio
is the steadier one.

Each fit's first epoch also traces and compiles the step, which takes the same work in both
variants but varies a lot from run to run on a small machine; so the **steady state** is
timed too: from the end of each fit's first epoch to the end of its last (an epoch-end
clock appended to both variants' callbacks). Last, the **reporter's own time** adds up what
its hooks take (persisting events and checkpoints, looking up Stop), on whichever thread:
the direct cost of reporting, which noise cannot hide.

Both variants run once untimed first. ``BENCH_OVERHEAD_ROUNDS`` (default 2) sets the
rounds; ``BENCH_OVERHEAD_TOPICS`` (comma-separated) picks topics.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import tempfile
import time
from typing import Any

from bench.common import report

BASELINE = (
    "baseline = the same train() (same seed, model, batches, topic callbacks) with no "
    "reporter callback in fit and report() a no-op; time inside model.fit; "
    "ratio = baseline / with reporting"
)

# topic -> (its training function, "module:name" as in dl_core.topics; the preset; changes)
TOPICS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "basics": ("dl_core.basics.train:train", "tiny", {"epochs": 60}),
    "cnn": ("dl_core.cnn.train:train", "default", {}),
    "transfer": ("dl_core.transfer.train:train", "tiny", {"head_epochs": 60}),
    "text generation": (
        "dl_core.text_generation.train:train",
        "tiny",
        {"epochs": 6, "steps_per_epoch": 50},
    ),
    "attention (tiny)": ("dl_core.attention.train:train", "tiny", {}),
    "segmentation": ("dl_core.segmentation.train:train", "tiny", {"epochs": 5}),
    "detection": ("dl_core.detection.train:train", "tiny", {}),
    "gan (DCGAN)": ("dl_core.gan.train:train_dcgan", "tiny", {}),
    "gan (VAE)": ("dl_core.gan.train:train_vae", "tiny", {}),
}


class _Silent:
    """A reporter that does nothing: the baseline's ``report``."""

    key = None
    events: list = []

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def record(self, *args: Any, **kwargs: Any) -> bool:
        return False

    def check(self) -> None:
        pass

    def keras_callback(self, *args: Any, **kwargs: Any):
        import keras

        return keras.callbacks.Callback()  # overrides nothing: Keras treats it as absent


class _FitTimer:
    """Wraps ``keras.Model.fit``: adds up the seconds spent in it, and the seconds of its
    steady state (from the end of each fit's first epoch to the end of its last, so that
    tracing and compiling the step, identical in both variants, are left out)."""

    def __init__(self) -> None:
        import keras

        self.seconds = self.cpu_seconds = 0.0
        self.steady_seconds = self.steady_cpu_seconds = 0.0
        self.steady_epochs = 0
        self._fit = keras.Model.fit
        timer = self

        class _EpochClock(keras.callbacks.Callback):
            # epoch hooks only: Keras still dispatches batch hooks as it would without it
            def on_train_begin(self, logs=None):
                self.ends: list[tuple[float, float]] = []

            def on_epoch_end(self, epoch, logs=None):
                self.ends.append((time.perf_counter(), time.process_time()))

        def fit(model, *args, **kwargs):
            clock = _EpochClock()
            kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), clock]  # runs last
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return timer._fit(model, *args, **kwargs)
            finally:
                timer.seconds += time.perf_counter() - t0
                timer.cpu_seconds += time.process_time() - c0
                ends = getattr(clock, "ends", [])
                if len(ends) > 1:
                    timer.steady_seconds += ends[-1][0] - ends[0][0]
                    timer.steady_cpu_seconds += ends[-1][1] - ends[0][1]
                    timer.steady_epochs += len(ends) - 1

        keras.Model.fit = fit

    def close(self) -> None:
        import keras

        keras.Model.fit = self._fit


def _module_train(ref: str, preset: str):
    from dl_core import topics

    trainer = topics.trainer(ref)
    return trainer.train_fn, trainer.PRESETS[preset]


def _job_reporter(key: str):
    from dl_core.jobs import Reporter
    from dl_core.jobs.db import _connect

    with _connect() as con:
        con.execute(
            "INSERT OR REPLACE INTO jobs (key, fn, config, state) VALUES (?, 'bench', '{}', "
            "'running')",
            (key,),
        )
    return Reporter(key)


def _timed(reporter):
    """``reporter`` with its own time added up in ``reporter.own_seconds``: the time its
    hooks take (persisting events, checkpoints, looking up Stop), on whichever thread."""
    reporter.own_seconds = 0.0
    for name in ("record", "checkpoint", "check"):
        method = getattr(reporter, name)

        def timed(*args, _method=method, **kwargs):
            t0 = time.perf_counter()
            try:
                return _method(*args, **kwargs)
            finally:
                reporter.own_seconds += time.perf_counter() - t0

        setattr(reporter, name, timed)
    return reporter


@dataclasses.dataclass
class _Run:
    seconds: float  # wall, inside fit
    cpu: float  # this process's CPU, inside fit
    steady: float  # wall, after each fit's first epoch
    steady_cpu: float
    epochs: int  # epochs in the steady part
    own: float  # the reporter's own time (0 for the baseline)


def _fit_seconds(train, cfg, reporter) -> _Run:
    import keras

    timer = _FitTimer()
    try:
        keras.backend.clear_session()
        train(cfg, None, reporter)
    finally:
        timer.close()
    return _Run(
        timer.seconds,
        timer.cpu_seconds,
        timer.steady_seconds,
        timer.steady_cpu_seconds,
        timer.steady_epochs,
        getattr(reporter, "own_seconds", 0.0),
    )


def measure(name: str, rounds: int) -> dict[str, Any]:
    path, preset, changes = TOPICS[name]
    train, base = _module_train(path, preset)
    cfg = dataclasses.replace(base, **changes)
    _fit_seconds(train, cfg, _Silent())  # warm up imports, datasets and kernels
    _fit_seconds(train, cfg, _job_reporter(f"bench-{name}-warm"))
    plain: list[_Run] = []
    ours: list[_Run] = []
    for r in range(rounds):
        for variant in ("plain", "ours") if r % 2 == 0 else ("ours", "plain"):
            if variant == "plain":
                plain.append(_fit_seconds(train, cfg, _Silent()))
            else:
                ours.append(_fit_seconds(train, cfg, _timed(_job_reporter(f"bench-{name}-{r}"))))

    def med(runs: list[_Run], field: str) -> float:
        return statistics.median(getattr(run, field) for run in runs)

    p, o = med(plain, "seconds"), med(ours, "seconds")
    pc, oc = med(plain, "cpu"), med(ours, "cpu")
    figures = {
        f"{name}: plain fit / with reporting, wall s (median of {rounds})": f"{p:.2f} / {o:.2f}",
        f"{name}: same, CPU s": f"{pc:.2f} / {oc:.2f}",
        f"{name}: ratio wall | CPU (target >= 0.95)": f"{p / o:.3f} | {pc / oc:.3f}",
    }
    epochs = ours[0].epochs
    if epochs:
        ps, os_ = med(plain, "steady"), med(ours, "steady")
        psc, osc = med(plain, "steady_cpu"), med(ours, "steady_cpu")
        figures |= {
            f"{name}: steady state ({epochs} epochs after the first), wall s": (
                f"{ps:.2f} / {os_:.2f}"
            ),
            f"{name}: steady-state throughput ratio wall | CPU": (
                f"{ps / os_:.3f} | {psc / osc:.3f}"
            ),
        }
    own = med(ours, "own")
    figures[f"{name}: reporter's own time, s (share of fit with reporting)"] = (
        f"{own:.3f} ({own / o:.1%})"
    )
    return figures


def main() -> dict:
    os.environ.setdefault("DL_EXPLORER_HOME", tempfile.mkdtemp(prefix="dl-bench-overhead-"))
    rounds = int(os.environ.get("BENCH_OVERHEAD_ROUNDS", 2))
    wanted = os.environ.get("BENCH_OVERHEAD_TOPICS")
    names = [n.strip() for n in wanted.split(",")] if wanted else list(TOPICS)
    figures: dict[str, Any] = {"baseline": BASELINE}
    for name in names:
        try:
            figures |= measure(name, rounds)
        except Exception as err:  # noqa: BLE001 - one topic's failure must not hide the others
            figures[f"{name}: error"] = f"{type(err).__name__}: {str(err)[:200]}"
    figures["load average (1 min) at the end"] = os.getloadavg()[0]
    return report("overhead", figures)


if __name__ == "__main__":
    main()
