"""The DQN training loop (runs in a job worker); ``Config`` is in :mod:`.config`."""

from __future__ import annotations

import time
from collections.abc import Callable

import keras
import numpy as np

from dl_core.dqn.config import PRESETS, Config, clamp, validate
from dl_core.dqn.data import make_env, sizes, spec
from dl_core.dqn.model import Agent, ReplayBuffer, copy_network, epsilon, update_target
from dl_core.errors import TrainingDiverged


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
    agent = agent_cls(
        obs_size,
        n_actions,
        cfg.width,
        cfg.depth,
        cfg.lr,
        cfg.loss,
        cfg.gamma,
        cfg.double,
        steps_per_phase=cfg.gradient_steps,
    )
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
                    raise TrainingDiverged(
                        "The Q-values blew up (NaN or huge): lower the "
                        "learning rate or γ, or use the Huber loss."
                    )
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
            report(
                step=step,
                total=cfg.total_steps,
                metrics={"return_avg20": np.mean(recent) if recent else 0.0, "epsilon": eps},
                preview=pack_history(rows) if live else None,
            )
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
