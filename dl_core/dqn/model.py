"""The pieces of DQN: replay buffer, ε schedule, Q-network, Bellman target, target network.

Mnih et al. 2015, "Human-level control through deep reinforcement learning" (replay and a
target network); van Hasselt et al. 2016, "Deep Reinforcement Learning with Double
Q-learning" (Double DQN). Everything here is Keras layers, ``keras.ops`` and NumPy, so it
runs on any Keras backend.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


# -- replay buffer --------------------------------------------------------------------------
class ReplayBuffer:
    """A ring buffer of transitions (s, a, r, s′, terminated); the oldest are overwritten."""

    def __init__(self, capacity: int, obs_size: int) -> None:
        self.capacity = capacity
        self.obs = np.zeros((capacity, obs_size), np.float32)
        self.next_obs = np.zeros((capacity, obs_size), np.float32)
        self.actions = np.zeros(capacity, np.int32)
        self.rewards = np.zeros(capacity, np.float32)
        self.terminated = np.zeros(capacity, np.float32)
        self.pos = 0  # where the next transition goes
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(self, obs, action: int, reward: float, next_obs, terminated: bool) -> None:
        i = self.pos
        self.obs[i], self.actions[i], self.rewards[i] = obs, action, reward
        self.next_obs[i], self.terminated[i] = next_obs, float(terminated)
        self.pos = (self.pos + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """A uniform random batch (with replacement) of stored transitions."""
        idx = rng.integers(0, self.size, size=batch_size)
        return {
            "obs": self.obs[idx],  # (batch, obs_size)
            "actions": self.actions[idx],  # (batch,)
            "rewards": self.rewards[idx],
            "next_obs": self.next_obs[idx],
            "terminated": self.terminated[idx],
        }


# -- exploration ----------------------------------------------------------------------------
def epsilon(step: int | np.ndarray, start: float, end: float, decay_steps: int):
    """Linear ε schedule: ``start`` at step 0, ``end`` from ``decay_steps`` on."""
    frac = np.clip(np.asarray(step, np.float64) / max(decay_steps, 1), 0.0, 1.0)
    out = start + frac * (end - start)
    return float(out) if np.ndim(out) == 0 else out


# -- the Q-network --------------------------------------------------------------------------
def build_q_network(obs_size: int, n_actions: int, width: int = 128, depth: int = 2) -> keras.Model:
    """An MLP from an observation to one Q-value per action (no activation on the output)."""
    inputs = keras.Input((obs_size,), name="observation")
    x = inputs
    for i in range(depth):
        x = keras.layers.Dense(width, activation="relu", name=f"hidden_{i + 1}")(x)
    outputs = keras.layers.Dense(n_actions, name="q_values")(x)  # (batch, n_actions)
    return keras.Model(inputs, outputs, name="q_network")


def numpy_q_function(model: keras.Model):
    """``obs (batch, size) → Q (batch, actions)`` as a NumPy function of ``model``'s weights
    now, when ``model`` is :func:`build_q_network`'s MLP (Dense layers, ReLU or no
    activation); otherwise ``model.predict_on_batch``.

    A replay asks for one step's Q-values hundreds of times in a row: a ``predict_on_batch``
    costs a few milliseconds of TensorFlow dispatch each, the same product in NumPy a few
    microseconds."""
    relu, linear = keras.activations.get("relu"), keras.activations.get("linear")
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    plain = all(
        isinstance(layer, keras.layers.Dense)
        and layer.use_bias
        and layer.activation in (relu, linear)
        and not getattr(layer, "lora_enabled", False)
        and not getattr(layer, "quantization_mode", None)
        for layer in layers
    )
    if not plain or not layers:
        return lambda obs: np.asarray(model.predict_on_batch(np.asarray(obs, np.float32)))
    params = [
        (
            np.asarray(keras.ops.convert_to_numpy(layer.kernel), np.float32),
            np.asarray(keras.ops.convert_to_numpy(layer.bias), np.float32),
            layer.activation is relu,
        )
        for layer in layers
    ]

    def q(obs: np.ndarray) -> np.ndarray:
        x = np.asarray(obs, np.float32)
        for kernel, bias, is_relu in params:
            x = x @ kernel + bias
            if is_relu:
                np.maximum(x, 0.0, out=x)
        return x

    return q


def copy_network(model: keras.Model, name: str | None = None) -> keras.Model:
    """A fresh, uncompiled model with the same architecture and weights."""
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    if name:
        clone.name = name
    return clone


# -- the Bellman target ---------------------------------------------------------------------
def bellman_targets(
    rewards: np.ndarray,
    terminated: np.ndarray,
    q_next_target: np.ndarray,
    gamma: float,
    q_next_online: np.ndarray | None = None,
) -> np.ndarray:
    """y = r + γ·(1 − terminated)·Q_target(s′, a*).

    DQN: a* = argmax_a Q_target(s′, a). Double DQN (``q_next_online`` given): the online
    network picks a* = argmax_a Q_online(s′, a) and the target network scores it, which
    removes most of the max operator's over-estimation.
    """
    chooser = q_next_target if q_next_online is None else q_next_online
    best = np.argmax(chooser, axis=1)  # (batch,)
    value = np.take_along_axis(q_next_target, best[:, None], axis=1)[:, 0]
    return (rewards + gamma * (1.0 - terminated) * value).astype(np.float32)


@keras.saving.register_keras_serializable(package="dl_explorer")
class TDLoss(keras.losses.Loss):
    """The TD loss with the Bellman target computed in the graph (same formula as
    :func:`bellman_targets`).

    ``y_pred`` is (batch, 3·A): Q_online(s, ·), Q_online(s′, ·), Q_target(s′, ·).
    ``y_true`` is (batch, 3): action, reward, terminated.
    """

    def __init__(
        self, n_actions: int, gamma: float, double: bool = True, kind: str = "huber", **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.n_actions, self.gamma, self.double, self.kind = n_actions, gamma, double, kind

    def call(self, y_true, y_pred):
        a = self.n_actions
        q = y_pred[:, :a]  # (batch, A)
        q_next_online = ops.stop_gradient(y_pred[:, a : 2 * a])
        q_next_target = ops.stop_gradient(y_pred[:, 2 * a :])
        chooser = q_next_online if self.double else q_next_target
        best = ops.expand_dims(ops.argmax(chooser, axis=1), 1)  # (batch, 1)
        value = ops.take_along_axis(q_next_target, best, axis=1)[:, 0]
        y = y_true[:, 1] + self.gamma * (1.0 - y_true[:, 2]) * value  # (batch,)
        action = ops.expand_dims(ops.cast(y_true[:, 0], "int32"), 1)
        q_taken = ops.take_along_axis(q, action, axis=1)[:, 0]  # Q(s, a) of the taken a
        err = y - q_taken
        if self.kind == "mse":
            return ops.square(err)
        abs_err = ops.abs(err)
        return ops.where(abs_err <= 1.0, 0.5 * ops.square(err), abs_err - 0.5)  # Huber, δ = 1

    def get_config(self):
        return super().get_config() | dict(
            n_actions=self.n_actions, gamma=self.gamma, double=self.double, kind=self.kind
        )


# -- target network -------------------------------------------------------------------------
def update_target(online: keras.Model, target: keras.Model, tau: float = 1.0) -> None:
    """θ_target ← τ·θ_online + (1 − τ)·θ_target  (τ = 1: hard copy; small τ: Polyak average)."""
    if tau >= 1.0:
        target.set_weights(online.get_weights())
        return
    for t, o in zip(target.weights, online.weights, strict=True):
        t.assign(tau * o + (1.0 - tau) * t)


# -- the agent ------------------------------------------------------------------------------
class Agent:
    """Online and target Q-networks: NumPy inference between training phases, compiled
    gradient steps.

    The training graph sees the online network on s and s′ and the (frozen) target network
    on s′, and computes the Bellman target inside the loss, so one compiled call does a
    whole gradient step, and ``fit`` runs a whole training phase (``steps_per_phase``
    gradient steps) in one compiled call (``bench/bench_dqn.py`` compares with
    ``model.predict`` / ``model.fit``, ``*_on_batch`` and a hand-written compiled step).
    """

    FIT_FROM = 16  # phases of this many gradient steps or more go through fit()

    def __init__(
        self,
        obs_size: int,
        n_actions: int,
        width: int = 128,
        depth: int = 2,
        lr: float = 1e-3,
        loss: str = "huber",
        gamma: float = 0.99,
        double: bool = True,
        steps_per_phase: int = 1,
    ) -> None:
        self.n_actions = n_actions
        self.online = build_q_network(obs_size, n_actions, width, depth)
        self.target = copy_network(self.online, "target_q_network")
        self.target.trainable = False
        obs_in = keras.Input((obs_size,), name="obs")
        next_in = keras.Input((obs_size,), name="next_obs")
        out = keras.layers.Concatenate(name="q_all")(
            [self.online(obs_in), self.online(next_in), self.target(next_in)]
        )  # (batch, 3·A)
        self.trainer = keras.Model([obs_in, next_in], out, name="dqn_trainer")
        self.trainer.compile(
            optimizer=keras.optimizers.Adam(lr, clipnorm=10.0),
            loss=TDLoss(n_actions, gamma, double, loss),
            # A training phase's gradient steps run inside one compiled call (a loop in the
            # graph) instead of one Python round trip each: ~25 % more environment steps per
            # second at the default 128 steps a phase (``python -m bench dqn``).
            steps_per_execution=steps_per_phase if steps_per_phase >= self.FIT_FROM else 1,
        )
        self._q_now = None  # the online network in NumPy, until the next train()

    def q_values(self, obs: np.ndarray) -> np.ndarray:
        """Q(s, ·) for a batch of observations: (batch, obs_size) → (batch, n_actions).

        Between training phases the online weights do not change, and the agent acts on
        one observation at a time: a NumPy copy of them (:func:`numpy_q_function`, taken
        again after every :meth:`train`) answers in microseconds where a Keras call per
        step costs milliseconds."""
        if self._q_now is None:
            self._q_now = numpy_q_function(self.online)
        return self._q_now(obs)

    def act(
        self, obs: np.ndarray, eps: float, rng: np.random.Generator
    ) -> tuple[int, np.ndarray | None]:
        """ε-greedy action for one observation (and its Q-values when computed)."""
        if rng.random() < eps:
            return int(rng.integers(self.n_actions)), None
        q = self.q_values(obs[None])[0]
        return int(np.argmax(q)), q

    def train(self, batches: list[dict[str, np.ndarray]]) -> float:
        """One gradient step per replay batch; returns the mean TD loss."""
        self._q_now = None  # the weights change
        x = [
            np.concatenate([b["obs"] for b in batches]),
            np.concatenate([b["next_obs"] for b in batches]),
        ]
        y = np.concatenate(
            [np.stack([b["actions"], b["rewards"], b["terminated"]], 1) for b in batches]
        ).astype(np.float32)
        if len(batches) < self.FIT_FROM:  # a few steps: train_on_batch beats fit's set-up
            n = len(batches[0]["obs"])
            losses = [
                self.trainer.train_on_batch([x[0][i : i + n], x[1][i : i + n]], y[i : i + n])
                for i in range(0, len(y), n)
            ]
            return float(np.mean([np.asarray(v) for v in losses]))
        hist = self.trainer.fit(
            x, y, batch_size=len(batches[0]["obs"]), epochs=1, shuffle=False, verbose=0
        )
        return float(hist.history["loss"][-1])
