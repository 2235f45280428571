"""What the DQN page can ask for: ``Config``, its ``PRESETS`` (and per-environment
settings), ``validate`` and the server's step cap."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from dl_core.dqn.data import spec
from dl_core.errors import ConfigError

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


# What a comparison may change (the second run's value): a list of options or (min, max, step).
CHOICES: list[tuple[str, str, list | tuple]] = [
    ("Double DQN", "double", [False, True]),
    ("Width", "width", [16, 32, 64, 128, 256, 512]),
    ("Hidden layers", "depth", (1, 4, 1)),
    ("Learning rate", "lr", [1e-4, 3e-4, 6.3e-4, 1e-3, 2.3e-3, 4e-3, 1e-2]),
    ("Discount γ", "gamma", [0.9, 0.95, 0.98, 0.99, 0.995]),
    ("Loss", "loss", ["huber", "mse"]),
    ("Target update", "target_update", ["hard", "soft"]),
    ("Batch size", "batch_size", [16, 32, 64, 128, 256]),
    ("Seed", "seed", (0, 10_000, 1)),
]

PRESETS: dict[str, Config] = {
    "tiny": Config(
        width=16,
        depth=1,
        buffer_size=500,
        batch_size=16,
        learning_starts=50,
        eps_decay_steps=200,
        total_steps=300,
        eval_every=150,
        eval_episodes=2,
        train_freq=16,
        gradient_steps=4,
        target_period=64,
        checkpoints=2,
    ),
    "default": Config(total_steps=20_000),  # CartPole is usually solved well before
    "longer": Config(total_steps=60_000),
}

# Settings that suit an environment better than CartPole's defaults (applied by ``for_env``).
ENV_OVERRIDES: dict[str, dict[str, Any]] = {
    "CartPole-v1": {},
    "Acrobot-v1": dict(
        total_steps=100_000,
        lr=6.3e-4,
        batch_size=128,
        buffer_size=50_000,
        train_freq=4,
        gradient_steps=4,
        target_period=250,
        eps_decay_steps=12_000,
        eps_end=0.1,
        eval_every=5_000,
    ),
    "MountainCar-v0": dict(
        total_steps=120_000,
        eps_decay_steps=24_000,
        eps_end=0.07,
        lr=4e-3,
        gamma=0.98,
        batch_size=128,
        buffer_size=10_000,
        train_freq=16,
        gradient_steps=8,
        target_period=600,
        eval_every=8_000,
    ),
    "LunarLander-v3": dict(
        total_steps=150_000,
        eps_decay_steps=18_000,
        eps_end=0.1,
        lr=6.3e-4,
        buffer_size=50_000,
        batch_size=128,
        train_freq=4,
        gradient_steps=4,
        target_period=250,
        eval_every=10_000,
    ),
}


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
        raise ConfigError(
            f"The discount γ must be between 0 and 1 (got {cfg.gamma}): "
            "above 1, rewards far in the future would count more and Q-values diverge."
        )
    if cfg.total_steps <= 0:
        raise ConfigError("The step budget must be at least 1 environment step.")
    if cfg.batch_size < 1 or cfg.buffer_size < cfg.batch_size:
        raise ConfigError(
            f"The replay buffer ({cfg.buffer_size}) must hold at least one batch "
            f"({cfg.batch_size} transitions)."
        )
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
        msg = (
            f"The step budget was capped at {MAX_STEPS:,} environment steps "
            f"(asked: {cfg.total_steps:,}), the most this server runs in one job."
        )
        return dataclasses.replace(cfg, total_steps=MAX_STEPS), [msg]
    return cfg, []
