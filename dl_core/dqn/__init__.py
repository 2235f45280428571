"""Deep Q-networks on Gymnasium: learn Q(s, a) from replayed experience.

DQN (Mnih et al. 2015, "Human-level control through deep reinforcement learning") fits a
network Q_θ(s, ·) to the Bellman target y = r + γ·max_a′ Q_target(s′, a′), using a replay
buffer (uncorrelated mini-batches) and a slowly updated target network (a target that does
not move with every gradient step). Double DQN (van Hasselt et al. 2016) lets the online
network choose a′ and the target network score it.

Reads top to bottom across the package:

- :mod:`.config`    ``Config``, ``PRESETS``, ``validate``, the step cap
- :mod:`.data`      the environments (where the experience comes from), their descriptions
  and "solved" thresholds
- :mod:`.model`     replay buffer, ε schedule, Q-network, Bellman target, target update
- :mod:`.train`     ``train`` (a job), evaluation
- :mod:`.analysis`  the stored history unpacked, moving averages (arrays in, arrays out)
- :mod:`.replay`    record an episode's frames, Q-values and actions; the animated replay
- :mod:`.plots`     figures: learning curves, Q-values through an episode
- :mod:`.pretrained` the shipped agents (``python -m dl_core.dqn export`` retrains them)
"""

from dl_core.dqn.analysis import curves, moving_average, unpack_history
from dl_core.dqn.config import CHOICES, MAX_STEPS, PRESETS, Config, clamp, for_env, validate
from dl_core.dqn.data import ENVS, EnvSpec, make_env, spec
from dl_core.dqn.model import (
    Agent,
    ReplayBuffer,
    TDLoss,
    bellman_targets,
    build_q_network,
    epsilon,
    update_target,
)
from dl_core.dqn.train import evaluate, pack_history, train, warmup_jobs

__all__ = [
    "ENVS",
    "MAX_STEPS",
    "PRESETS",
    "CHOICES",
    "Agent",
    "Config",
    "EnvSpec",
    "ReplayBuffer",
    "TDLoss",
    "bellman_targets",
    "build_q_network",
    "clamp",
    "epsilon",
    "evaluate",
    "for_env",
    "make_env",
    "pack_history",
    "spec",
    "train",
    "unpack_history",
    "curves",
    "moving_average",
    "update_target",
    "validate",
    "warmup_jobs",
]
