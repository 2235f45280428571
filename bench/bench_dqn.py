"""DQN benchmarks (issue 8).

1. CartPole-v1, default preset, 3 seeds: environment steps and wall time until the greedy
   evaluation (20 episodes) averages ≥ 475. Target: ≤ 60k steps and ≤ 5 minutes.
2. Environment steps per second while training, same network, schedule and seed, against
   three baselines (each printed with its definition next to its ratio):

   - ``predict/fit``: ``model.predict`` per action, ``model.predict`` ×3 + ``model.fit`` per
     gradient step (what many tutorials do; the weakest);
   - ``on_batch``: ``predict_on_batch`` per action, ``predict_on_batch`` ×3 +
     ``train_on_batch`` per gradient step;
   - ``compiled step``: a hand-written ``tf.function`` gradient step (Bellman target, Huber
     loss, Adam, all in one graph; ``jit_compile=True`` when XLA compiles it on this
     machine) called once per gradient step, and a compiled forward pass per action.

   The headline is the ratio against the strongest (fastest) baseline, in CPU time (steadier
   than wall time on a shared machine; both are printed). Each run starts from a fresh agent,
   so set-up and tracing (XLA compilation for the compiled step) count, as in a real job.

Run: ``flock /tmp/dl-bench.lock .venv/bin/python -m bench dqn`` (``DQN_BENCH_SEEDS=0,1``
to run fewer seeds, ``DQN_BENCH_SEEDS=`` for none; ``DQN_BENCH_RATE_STEPS`` sets the
environment steps of the speed comparison, 1536 by default, ``DQN_BENCH_ROUNDS`` its
alternating rounds, 2 by default).
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time

import keras
import numpy as np

from bench.common import report
from dl_core import dqn


class PlainLoopAgent(dqn.Agent):
    """The same networks driven the way many tutorials do: ``predict``/``fit`` per step."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.gamma, self.double = args[6], args[7]
        self.online.compile(
            optimizer=keras.optimizers.Adam(args[4], clipnorm=10.0), loss=keras.losses.Huber()
        )

    def q_values(self, obs: np.ndarray) -> np.ndarray:
        return self._predict(self.online, np.asarray(obs, np.float32))

    def _predict(self, model, x: np.ndarray) -> np.ndarray:
        return model.predict(x, verbose=0)

    def _fit(self, x: np.ndarray, y: np.ndarray) -> float:
        return self.online.fit(x, y, verbose=0).history["loss"][-1]

    def train(self, batches: list[dict[str, np.ndarray]]) -> float:
        losses = []
        for b in batches:
            q_next_t = self._predict(self.target, b["next_obs"])
            q_next_o = self._predict(self.online, b["next_obs"])
            y = dqn.bellman_targets(
                b["rewards"],
                b["terminated"],
                q_next_t,
                self.gamma,
                q_next_o if self.double else None,
            )
            q = self._predict(self.online, b["obs"])
            q[np.arange(len(y)), b["actions"]] = y
            losses.append(self._fit(b["obs"], q))
        return float(np.mean(losses))


class OnBatchLoopAgent(PlainLoopAgent):
    """The same loop with Keras' cheaper per-call entry points: ``*_on_batch``."""

    def _predict(self, model, x: np.ndarray) -> np.ndarray:
        return np.asarray(model.predict_on_batch(x))

    def _fit(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.asarray(self.online.train_on_batch(x, y)))


class CompiledStepAgent(dqn.Agent):
    """The same networks with a hand-written compiled gradient step (TensorFlow backend).

    One ``tf.function`` computes Q(s′) with the target (and online, for Double DQN) network,
    the Bellman target, the Huber TD loss of the taken actions and applies Adam (clipnorm
    10, as ours); ``jit_compile=True`` when XLA accepts it (``JIT`` records which).
    """

    JIT: bool | None = None  # set after the first agent: did XLA compile the step?

    def __init__(self, *args, **kwargs) -> None:
        import tensorflow as tf

        super().__init__(*args, **kwargs)
        gamma, double, kind = args[6], args[7], args[5]
        online, target = self.online, self.target
        opt = keras.optimizers.Adam(args[4], clipnorm=10.0)
        opt.build(online.trainable_variables)

        def step(obs, actions, rewards, terminated, next_obs):
            q_next_t = target(next_obs, training=False)
            chooser = online(next_obs, training=False) if double else q_next_t
            best = tf.argmax(chooser, axis=1, output_type=tf.int32)
            value = tf.gather(q_next_t, best, batch_dims=1)
            y = tf.stop_gradient(rewards + gamma * (1.0 - terminated) * value)
            with tf.GradientTape() as tape:
                q = online(obs, training=True)
                q_taken = tf.gather(q, actions, batch_dims=1)  # Q(s, a) of the taken a
                if kind == "mse":
                    loss = tf.reduce_mean(tf.square(y - q_taken))
                else:  # Huber, δ = 1, as TDLoss
                    loss = tf.reduce_mean(keras.losses.huber(y[:, None], q_taken[:, None]))
            grads = tape.gradient(loss, online.trainable_variables)
            opt.apply(grads, online.trainable_variables)
            return loss

        def forward(obs):
            return online(obs, training=False)

        jit = CompiledStepAgent.JIT is not False
        self._step = tf.function(step, jit_compile=jit)
        self._forward = tf.function(forward, jit_compile=jit)
        if CompiledStepAgent.JIT is None:  # probe once whether XLA compiles these on this CPU
            try:
                self._forward(np.zeros((1, online.input_shape[-1]), np.float32))
                CompiledStepAgent.JIT = True
            except Exception:  # no XLA here: the same graphs, not XLA-compiled
                CompiledStepAgent.JIT = False
                self._step = tf.function(step)
                self._forward = tf.function(forward)

    def q_values(self, obs: np.ndarray) -> np.ndarray:
        return self._forward(np.asarray(obs, np.float32)).numpy()

    def train(self, batches: list[dict[str, np.ndarray]]) -> float:
        losses = [
            self._step(b["obs"], b["actions"], b["rewards"], b["terminated"], b["next_obs"]).numpy()
            for b in batches
        ]
        return float(np.mean(losses))


def steps_to_solve(seed: int) -> dict[str, float]:
    cfg = dataclasses.replace(dqn.PRESETS["default"], seed=seed, eval_episodes=20)
    t0 = time.time()
    out = dqn.train(cfg)
    return {
        "solved_at": out["solved_at_step"],
        "wall_s": time.time() - t0,
        "best_eval": out["best_eval_return"],
    }


def steps_per_second(agent_cls: type, steps: int) -> tuple[float, float]:
    """Environment steps per wall second and per CPU second (this process) of one run."""
    cfg = dataclasses.replace(
        dqn.PRESETS["default"],
        total_steps=steps,
        learning_starts=512,
        eval_every=10**9,
        eval_episodes=1,
        stop_when_solved=False,
    )
    t0, c0 = time.perf_counter(), time.process_time()
    dqn.train(cfg, agent_cls=agent_cls)
    return steps / (time.perf_counter() - t0), steps / (time.process_time() - c0)


def main() -> None:
    seeds = [int(s) for s in os.environ.get("DQN_BENCH_SEEDS", "0,1,2").split(",") if s]
    figures: dict[str, object] = {}
    for seed in seeds:
        r = steps_to_solve(seed)
        figures[f"seed {seed}: env steps to greedy ≥475 (20 ep)"] = r["solved_at"] or "not solved"
        figures[f"seed {seed}: wall time (s)"] = round(r["wall_s"], 1)
        figures[f"seed {seed}: best greedy eval"] = r["best_eval"]
        print(seed, r, flush=True)
    steps = int(os.environ.get("DQN_BENCH_RATE_STEPS", 1536))
    rounds = int(os.environ.get("DQN_BENCH_ROUNDS", 2))
    cfg = dqn.PRESETS["default"]
    grads = cfg.gradient_steps * sum(1 for s in range(512, steps + 1) if s % cfg.train_freq == 0)
    agents = [("ours", dqn.Agent, OURS)] + BASELINES
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in agents}
    # Warm-up, not counted: the process's one-time start-up (TensorFlow's runtime, its first
    # traces) would otherwise fall on whichever agent runs first.
    for _, cls, _ in agents:
        if cls is not PlainLoopAgent:
            steps_per_second(cls, 768)  # one training phase
    for r in range(rounds):  # alternate the order: the machine's load drifts
        for name, cls, _ in agents if r % 2 == 0 else agents[::-1]:
            if cls is PlainLoopAgent and runs[name]:
                continue  # 30-50× slower than the rest: one run is enough to rank it
            runs[name].append(steps_per_second(cls, steps))
            print(name, runs[name][-1], flush=True)
    wall = {k: statistics.median(v[0] for v in runs[k]) for k in runs}
    cpu = {k: statistics.median(v[1] for v in runs[k]) for k in runs}
    figures["speed runs"] = (
        f"{steps} env steps, {grads} gradient steps, each run from a fresh agent (set-up and "
        f"tracing included) after one uncounted warm-up run per agent, median of {rounds} "
        f"alternating rounds (predict/fit: one run); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    figures["env steps/s, our agent, wall | CPU"] = f"{wall['ours']:.1f} | {cpu['ours']:.1f}"
    figures["  our agent is"] = OURS
    for name, cls, definition in BASELINES:
        if cls is CompiledStepAgent:
            xla = "jit_compile=True (XLA)" if CompiledStepAgent.JIT else "no XLA on this machine"
            definition = f"{definition}; {xla}"
        figures[f"env steps/s, baseline {name}, wall | CPU"] = f"{wall[name]:.1f} | {cpu[name]:.1f}"
        figures[f"  speed-up vs {name}, wall | CPU"] = (
            f"{wall['ours'] / wall[name]:.2f} | {cpu['ours'] / cpu[name]:.2f}"
        )
        figures[f"  {name} is"] = definition
    strongest = max((n for n, _, _ in BASELINES), key=cpu.get)
    figures[f"HEADLINE speed-up vs the strongest baseline ({strongest}), CPU time"] = round(
        cpu["ours"] / cpu[strongest], 2
    )
    report("dqn", figures)


OURS = (
    "a NumPy copy of the online weights per action (taken again after each training phase); "
    "Bellman target inside the loss graph; "
    "one fit() call per training phase, its 128 gradient steps in one compiled call "
    "(steps_per_execution=128)"
)
BASELINES = [
    (
        "predict/fit",
        PlainLoopAgent,
        "model.predict per action; predict ×3 + fit per gradient step",
    ),
    (
        "on_batch",
        OnBatchLoopAgent,
        "predict_on_batch per action; predict_on_batch ×3 + train_on_batch per gradient step",
    ),
    (
        "compiled step",
        CompiledStepAgent,
        "hand-written tf.function step (target, Huber loss, Adam) per gradient step; "
        "tf.function forward per action",
    ),
]


if __name__ == "__main__":
    main()
