"""The Gymnasium environments the DQN page offers, with what a visitor needs to read them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import dl_core  # noqa: F401  (SDL_VIDEODRIVER=dummy before pygame loads)
from dl_core.errors import ConfigError


@dataclass(frozen=True)
class EnvSpec:
    """One environment: id, a short description, action names and the "solved" return."""

    id: str
    title: str
    observation: str
    actions: tuple[str, ...]
    reward: str
    solved: float  # average greedy return that counts as solved
    max_steps: int  # time limit of one episode


ENVS: dict[str, EnvSpec] = {
    "CartPole-v1": EnvSpec(
        "CartPole-v1",
        "Balance a pole on a cart",
        "4 numbers: cart position and velocity, pole angle and angular velocity.",
        ("push left", "push right"),
        "+1 for every step the pole stays up (at most 500).",
        475.0,
        500,
    ),
    "Acrobot-v1": EnvSpec(
        "Acrobot-v1",
        "Swing a two-link arm above a line",
        "6 numbers: cos and sin of both joint angles, and both angular velocities.",
        ("torque −1", "no torque", "torque +1"),
        "−1 every step until the tip swings above the line (episode ends at 500 steps).",
        -100.0,
        500,
    ),
    "MountainCar-v0": EnvSpec(
        "MountainCar-v0",
        "Drive an under-powered car up a hill",
        "2 numbers: car position and velocity.",
        ("accelerate left", "coast", "accelerate right"),
        "−1 every step until the car reaches the flag (episode ends at 200 steps).",
        -110.0,
        200,
    ),
    "LunarLander-v3": EnvSpec(
        "LunarLander-v3",
        "Land a lunar module between the flags (Box2D)",
        "8 numbers: position, velocity, angle, angular velocity, and two leg-contact flags.",
        ("do nothing", "fire left engine", "fire main engine", "fire right engine"),
        "Shaped: closer and slower to the pad is better, +100 for landing, −100 for a "
        "crash, small costs for firing engines.",
        200.0,
        1000,
    ),
}


def spec(env_id: str) -> EnvSpec:
    """The :class:`EnvSpec` for ``env_id``; ``ConfigError`` if the page does not offer it."""
    if env_id not in ENVS:
        raise ConfigError(
            f"There is no environment called '{env_id}' here. Choose one of: {', '.join(ENVS)}."
        )
    return ENVS[env_id]


def make_env(env_id: str, render: bool = False):
    """A Gymnasium environment (``rgb_array`` rendering when ``render`` is true)."""
    import gymnasium as gym

    spec(env_id)
    return gym.make(env_id, render_mode="rgb_array" if render else None)


def sizes(env_id: str) -> tuple[int, int]:
    """(observation size, number of actions)."""
    env = make_env(env_id)
    try:
        return int(np.prod(env.observation_space.shape)), int(env.action_space.n)
    finally:
        env.close()
