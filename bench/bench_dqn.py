"""DQN benchmarks (issue 8).

1. CartPole-v1, default preset, 3 seeds: environment steps and wall time until the greedy
   evaluation (20 episodes) averages ≥ 475. Target: ≤ 60k steps and ≤ 5 minutes.
2. Environment steps per second while training: our agent (compiled ``predict_on_batch``
   for actions, Bellman target inside the loss graph, ``fit`` over a whole training phase)
   vs a plain loop calling the same Keras model (``model.predict`` per action,
   ``model.predict`` ×3 + ``model.fit`` per gradient step), same schedule, side by side.

Run: ``flock /tmp/dl-bench.lock .venv/bin/python -m bench dqn`` (``DQN_BENCH_SEEDS=0,1``
to run fewer seeds).
"""

from __future__ import annotations

import dataclasses
import os
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
        return self.online.predict(np.asarray(obs, np.float32), verbose=0)

    def train(self, batches: list[dict[str, np.ndarray]]) -> float:
        losses = []
        for b in batches:
            q_next_t = self.target.predict(b["next_obs"], verbose=0)
            q_next_o = self.online.predict(b["next_obs"], verbose=0)
            y = dqn.bellman_targets(
                b["rewards"],
                b["terminated"],
                q_next_t,
                self.gamma,
                q_next_o if self.double else None,
            )
            q = self.online.predict(b["obs"], verbose=0)
            q[np.arange(len(y)), b["actions"]] = y
            losses.append(self.online.fit(b["obs"], q, verbose=0).history["loss"][-1])
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


def steps_per_second(agent_cls: type, steps: int) -> float:
    cfg = dataclasses.replace(
        dqn.PRESETS["default"],
        total_steps=steps,
        learning_starts=512,
        eval_every=10**9,
        eval_episodes=1,
        stop_when_solved=False,
    )
    t0 = time.time()
    dqn.train(cfg, agent_cls=agent_cls)
    return steps / (time.time() - t0)


def main() -> None:
    seeds = [int(s) for s in os.environ.get("DQN_BENCH_SEEDS", "0,1,2").split(",")]
    figures: dict[str, object] = {}
    for seed in seeds:
        r = steps_to_solve(seed)
        figures[f"seed {seed}: env steps to greedy ≥475 (20 ep)"] = r["solved_at"] or "not solved"
        figures[f"seed {seed}: wall time (s)"] = round(r["wall_s"], 1)
        figures[f"seed {seed}: best greedy eval"] = r["best_eval"]
        print(seed, r, flush=True)
    steps = int(os.environ.get("DQN_BENCH_RATE_STEPS", 1536))
    ours = steps_per_second(dqn.Agent, steps)
    plain = steps_per_second(PlainLoopAgent, steps)
    cfg = dqn.PRESETS["default"]
    grads = cfg.gradient_steps * sum(1 for s in range(512, steps + 1) if s % cfg.train_freq == 0)
    figures[f"env steps/s, our agent ({steps} steps, {grads} gradient steps)"] = round(ours, 1)
    figures[f"env steps/s, plain predict/fit loop (same {steps} steps)"] = round(plain, 1)
    figures["speed-up (ours / plain)"] = round(ours / plain, 2)
    report("dqn", figures)


if __name__ == "__main__":
    main()
