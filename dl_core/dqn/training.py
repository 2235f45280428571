"""Config, presets and the DQN training loop (runs in a job worker)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from dl_core.dqn.agent import Agent, ReplayBuffer, copy_network, epsilon, update_target
from dl_core.dqn.envs import make_env, sizes, spec
from dl_core.errors import ConfigError, TrainingDiverged

MAX_STEPS = 200_000  # the most environment steps one job may take on this server


@dataclass(frozen=True)
class Config:
    """Every choice the page offers, seed included."""

    env_id: str = "CartPole-v1"
    width: int = 256  # units per hidden layer
    depth: int = 2  # hidden layers
    lr: float = 2.3e-3
    gamma: float = 0.99
    eps_start: float = 1.0
    eps_end: float = 0.04
    eps_decay_steps: int = 8_000
    buffer_size: int = 100_000
    batch_size: int = 64
    learning_starts: int = 1_000
    train_freq: int = 256  # environment steps between training phases
    gradient_steps: int = 128  # gradient steps per training phase
    target_update: str = "hard"  # "hard" (copy every period) or "soft" (Polyak averaging)
    target_period: int = 256  # environment steps between hard copies
    tau: float = 0.005  # soft update rate per gradient step
    loss: str = "huber"  # "huber" or "mse"
    double: bool = False
    total_steps: int = 60_000  # environment-step budget
    eval_every: int = 2_048
    eval_episodes: int = 10
    stop_when_solved: bool = True
    checkpoints: int = 5
    seed: int = 0


PRESETS: dict[str, Config] = {
    "tiny": Config(width=16, depth=1, buffer_size=500, batch_size=16, learning_starts=50,
                   eps_decay_steps=200, total_steps=300, eval_every=150, eval_episodes=2,
                   train_freq=16, gradient_steps=4, target_period=64, checkpoints=2),
    "default": Config(total_steps=20_000),  # CartPole is usually solved well before
    "longer": Config(total_steps=60_000),
}  # fmt: skip

# Settings that suit an environment better than CartPole's defaults (applied by ``for_env``).
ENV_OVERRIDES: dict[str, dict[str, Any]] = {
    "CartPole-v1": {},
    "Acrobot-v1": dict(total_steps=100_000, lr=6.3e-4, batch_size=128, buffer_size=50_000,
                       train_freq=4, gradient_steps=4, target_period=250, eps_decay_steps=12_000,
                       eps_end=0.1, eval_every=5_000),
    "MountainCar-v0": dict(total_steps=120_000, eps_decay_steps=24_000, eps_end=0.07,
                           lr=4e-3, gamma=0.98, batch_size=128, buffer_size=10_000,
                           train_freq=16, gradient_steps=8, target_period=600, eval_every=8_000),
    "LunarLander-v3": dict(total_steps=150_000, eps_decay_steps=18_000, eps_end=0.1, lr=6.3e-4,
                           buffer_size=50_000, batch_size=128, train_freq=4, gradient_steps=4,
                           target_period=250, eval_every=10_000),
}  # fmt: skip


def for_env(preset: str, env_id: str) -> Config:
    """The preset with the environment's recommended settings (tiny stays tiny)."""
    base = dataclasses.replace(PRESETS[preset], env_id=env_id)
    if preset == "tiny":
        return base
    return dataclasses.replace(base, **ENV_OVERRIDES.get(env_id, {}))


def validate(cfg: Config) -> list[str]:
    """Raise ``ConfigError`` for impossible settings; return warnings for odd ones."""
    spec(cfg.env_id)
    if not 0.0 <= cfg.gamma <= 1.0:
        raise ConfigError(f"The discount γ must be between 0 and 1 (got {cfg.gamma}): "
                          "above 1, rewards far in the future would count more and Q-values diverge.")  # fmt: skip
    if cfg.total_steps <= 0:
        raise ConfigError("The step budget must be at least 1 environment step.")
    if cfg.batch_size < 1 or cfg.buffer_size < cfg.batch_size:
        raise ConfigError(f"The replay buffer ({cfg.buffer_size}) must hold at least one batch "
                          f"({cfg.batch_size} transitions).")  # fmt: skip
    if not (cfg.lr > 0 and min(cfg.width, cfg.depth, cfg.train_freq, cfg.gradient_steps) >= 1):
        raise ConfigError(
            "Learning rate, width, depth, train frequency and gradient steps must be positive."
        )
    if cfg.eval_every < 1 or cfg.eval_episodes < 1 or cfg.checkpoints < 1:
        raise ConfigError("Evaluate at least one episode every ≥ 1 steps; keep ≥ 1 checkpoint.")
    if not (0 <= cfg.eps_end <= 1 and 0 <= cfg.eps_start <= 1):
        raise ConfigError("ε must stay between 0 and 1.")
    if cfg.target_update not in ("hard", "soft") or cfg.loss not in ("huber", "mse"):
        raise ConfigError("Target update must be 'hard' or 'soft'; loss 'huber' or 'mse'.")
    if not 0 < cfg.tau <= 1 or cfg.target_period < 1:
        raise ConfigError("Soft update rate τ must be in (0, 1] and the target period ≥ 1.")
    warnings = []
    if cfg.learning_starts >= min(cfg.total_steps, MAX_STEPS):
        warnings.append("Learning starts after the step budget ends: the agent will not learn.")
    if cfg.learning_starts < cfg.batch_size:
        warnings.append("Learning starts before the buffer holds one batch; it waits for one.")
    return warnings


def clamp(cfg: Config) -> tuple[Config, list[str]]:
    """Cap the step budget at what this server allows; return the config and a message."""
    if cfg.total_steps > MAX_STEPS:
        msg = (f"The step budget was capped at {MAX_STEPS:,} environment steps "
               f"(asked: {cfg.total_steps:,}), the most this server runs in one job.")  # fmt: skip
        return dataclasses.replace(cfg, total_steps=MAX_STEPS), [msg]
    return cfg, []


# -- evaluation -----------------------------------------------------------------------------
def evaluate(
    q_fn: Callable[[np.ndarray], np.ndarray], env_id: str, episodes: int, seed: int
) -> np.ndarray:
    """Greedy returns of ``episodes`` episodes, run side by side (one batched Q call a step)."""
    envs = [make_env(env_id) for _ in range(episodes)]
    obs = np.stack([e.reset(seed=seed + i)[0] for i, e in enumerate(envs)]).astype(np.float32)
    returns = np.zeros(episodes)
    alive = np.ones(episodes, bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        actions = np.argmax(q_fn(obs[idx]), axis=1)
        for i, a in zip(idx, actions, strict=True):
            o, r, term, trunc, _ = envs[i].step(int(a))
            obs[i] = o
            returns[i] += r
            alive[i] = not (term or trunc)
    for e in envs:
        e.close()
    return returns


# -- history: one array that the live panel and the final figures both read ------------------
EPISODE, UPDATE, EVAL = 0, 1, 2


def pack_history(rows: list[tuple[float, ...]]) -> np.ndarray:
    """Rows (kind, env step, a, b, c) → a (n, 5) float array."""
    return np.asarray(rows, np.float32).reshape(-1, 5)


def unpack_history(arr: np.ndarray) -> dict[str, np.ndarray]:
    """(n, 5) history → ``episodes`` (step, return, length, ε), ``updates`` (step, loss,
    mean max-Q, ε), ``evals`` (step, mean return, std)."""
    arr = np.asarray(arr, np.float32).reshape(-1, 5)
    pick = lambda kind, cols: arr[arr[:, 0] == kind][:, cols]  # noqa: E731
    return {
        "episodes": pick(EPISODE, [1, 2, 3, 4]),
        "updates": pick(UPDATE, [1, 2, 3, 4]),
        "evals": pick(EVAL, [1, 2, 3]),
    }


# -- training -------------------------------------------------------------------------------
def train(cfg: Config, data: bytes | None = None, report=None, agent_cls: type = Agent) -> dict:
    """Train a DQN agent on ``cfg.env_id``; runs inside a job worker.

    Returns the trained Q-network, the untrained one, checkpoints along training, the
    history (episodes, updates, evaluations) and when it was solved.
    """
    validate(cfg)
    cfg, _ = clamp(cfg)
    report = report or (lambda **_: None)
    keras.utils.set_random_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    env_spec = spec(cfg.env_id)
    obs_size, n_actions = sizes(cfg.env_id)
    agent = agent_cls(obs_size, n_actions, cfg.width, cfg.depth, cfg.lr, cfg.loss,
                      cfg.gamma, cfg.double)  # fmt: skip
    untrained = copy_network(agent.online)
    buffer = ReplayBuffer(cfg.buffer_size, obs_size)
    env = make_env(cfg.env_id)
    obs, _ = env.reset(seed=cfg.seed)
    ckpt_at = set(np.linspace(0, cfg.total_steps, cfg.checkpoints + 1)[1:].astype(int).tolist())
    checkpoints, ckpt_steps = [], []
    rows: list[tuple[float, ...]] = []
    ep_return, ep_len, losses, max_qs = 0.0, 0, [], []
    solved_at, best_eval, t0, last_preview = None, -np.inf, time.time(), 0.0
    best_model, best_step = untrained, 0
    tau = 1.0 if cfg.target_update == "hard" else cfg.tau
    step = 0
    for step in range(1, cfg.total_steps + 1):
        eps = epsilon(step, cfg.eps_start, cfg.eps_end, cfg.eps_decay_steps)
        action, _ = agent.act(np.asarray(obs, np.float32), eps, rng)
        next_obs, reward, term, trunc, _ = env.step(action)
        buffer.add(obs, action, reward, next_obs, term)
        obs, ep_return, ep_len = next_obs, ep_return + float(reward), ep_len + 1
        if term or trunc:
            rows.append((EPISODE, step, ep_return, ep_len, eps))
            obs, _ = env.reset()
            ep_return, ep_len = 0.0, 0
        if step >= cfg.learning_starts and len(buffer) >= cfg.batch_size:
            if step % cfg.train_freq == 0:
                batches = [buffer.sample(cfg.batch_size, rng) for _ in range(cfg.gradient_steps)]
                loss = agent.train(batches)
                max_q = float(agent.q_values(batches[0]["obs"]).max(axis=1).mean())
                if not np.isfinite(loss) or abs(max_q) > 1e6:
                    raise TrainingDiverged("The Q-values blew up (NaN or huge): lower the "
                                           "learning rate or γ, or use the Huber loss.")  # fmt: skip
                losses.append(loss)
                max_qs.append(max_q)
                if cfg.target_update == "soft":  # τ per gradient step, applied per phase
                    update_target(agent.online, agent.target, 1 - (1 - tau) ** cfg.gradient_steps)
            if cfg.target_update == "hard" and step % cfg.target_period == 0:
                update_target(agent.online, agent.target, 1.0)
        at_eval = step % cfg.eval_every == 0 or step == cfg.total_steps
        if losses and (len(losses) * cfg.gradient_steps >= 100 or at_eval):
            rows.append((UPDATE, step, np.mean(losses), np.mean(max_qs), eps))
            losses, max_qs = [], []
        if at_eval:
            ret = evaluate(agent.q_values, cfg.env_id, cfg.eval_episodes, seed=10_000 + cfg.seed)
            rows.append((EVAL, step, ret.mean(), ret.std(), 0.0))
            report(
                step=step,
                total=cfg.total_steps,
                metrics={"eval_return": ret.mean()},
                preview=pack_history(rows),
            )  # the page draws the history (plot_training)
            last_preview = time.time()
            if ret.mean() > best_eval:
                best_eval, best_model, best_step = (
                    float(ret.mean()),
                    copy_network(agent.online),
                    step,
                )
            if ret.mean() >= env_spec.solved and solved_at is None:
                solved_at = step
        if step in ckpt_at or (solved_at == step and cfg.stop_when_solved):
            checkpoints.append(copy_network(agent.online))
            ckpt_steps.append(step)
        if solved_at is not None and cfg.stop_when_solved:
            break
        if step % 50 == 0:
            live = time.time() - last_preview > 3.0
            recent = [r[2] for r in rows if r[0] == EPISODE][-20:]
            report(step=step, total=cfg.total_steps,
                   metrics={"return_avg20": np.mean(recent) if recent else 0.0, "epsilon": eps},
                   preview=pack_history(rows) if live else None)  # fmt: skip
            if live:
                last_preview = time.time()
    env.close()
    return {
        "model": copy_network(agent.online),
        "untrained": untrained,
        "best": best_model,  # the network of the best greedy evaluation
        "best_step": best_step,
        "checkpoints": checkpoints,
        "checkpoint_steps": np.asarray(ckpt_steps, np.int64),
        "history": pack_history(rows),
        "solved_at_step": solved_at,
        "best_eval_return": best_eval,
        "env_steps": step,
        "wall_s": time.time() - t0,
        "env_id": cfg.env_id,
    }


def warmup_jobs() -> list[tuple]:
    """What ``python -m dl_core warmup`` trains: the default CartPole agent."""
    return [(train, PRESETS["default"], None, "DQN · CartPole default")]
