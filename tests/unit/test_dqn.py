"""DQN pieces on hand-made inputs, and the tiny preset end to end."""

import dataclasses
import io

import keras
import numpy as np
import pytest
from PIL import Image

from dl_core import dqn
from dl_core.dqn import plots, pretrained, replay
from dl_core.errors import ConfigError


# -- replay buffer --------------------------------------------------------------------------
def test_replay_buffer_wraps_around_and_keeps_the_newest():
    buf = dqn.ReplayBuffer(capacity=5, obs_size=2)
    for i in range(8):
        buf.add(np.full(2, i), i % 2, float(i), np.full(2, i + 1), i == 7)
    assert len(buf) == 5 and buf.pos == 3
    assert sorted(buf.rewards.tolist()) == [3.0, 4.0, 5.0, 6.0, 7.0]  # 0, 1, 2 overwritten
    assert buf.obs[0].tolist() == [5, 5] and buf.next_obs[0].tolist() == [6, 6]
    assert buf.terminated.tolist() == [0, 0, 1, 0, 0]  # step 7 went to slot 2


def test_replay_buffer_samples_only_stored_transitions_consistently():
    buf = dqn.ReplayBuffer(capacity=100, obs_size=3)
    for i in range(10):
        buf.add(np.full(3, i), i % 3, float(i), np.full(3, i + 0.5), False)
    batch = buf.sample(256, np.random.default_rng(0))
    assert batch["obs"].shape == (256, 3) and batch["actions"].shape == (256,)
    assert set(batch["rewards"].tolist()) == set(map(float, range(10)))  # never an empty slot
    np.testing.assert_array_equal(batch["obs"][:, 0], batch["rewards"])  # rows stay together
    np.testing.assert_array_equal(batch["next_obs"][:, 0], batch["rewards"] + 0.5)
    np.testing.assert_array_equal(batch["actions"], batch["rewards"].astype(int) % 3)


# -- Bellman target ---------------------------------------------------------------------------
Q_TARGET = np.array([[1.0, 5.0], [2.0, 0.0], [3.0, 4.0]], np.float32)  # Q_target(s′, ·)
Q_ONLINE = np.array([[9.0, 0.0], [0.0, 9.0], [0.0, 1.0]], np.float32)  # Q_online(s′, ·)
REWARDS = np.array([1.0, 1.0, -1.0], np.float32)
TERMINATED = np.array([0.0, 0.0, 1.0], np.float32)


def test_bellman_target_dqn_bootstraps_only_non_terminal():
    y = dqn.bellman_targets(REWARDS, TERMINATED, Q_TARGET, gamma=0.5)
    np.testing.assert_allclose(y, [1 + 0.5 * 5, 1 + 0.5 * 2, -1.0])


def test_bellman_target_double_dqn_lets_the_online_network_choose():
    y = dqn.bellman_targets(REWARDS, TERMINATED, Q_TARGET, gamma=0.5, q_next_online=Q_ONLINE)
    np.testing.assert_allclose(y, [1 + 0.5 * 1, 1 + 0.5 * 0, -1.0])  # target scores a*


@pytest.mark.parametrize("double", [False, True])
@pytest.mark.parametrize("kind", ["huber", "mse"])
def test_loss_in_the_graph_matches_the_numpy_target(double, kind):
    q = np.array([[0.0, 2.0], [1.0, 1.0], [5.0, -5.0]], np.float32)  # Q_online(s, ·)
    actions = np.array([1, 0, 0], np.float32)
    y_pred = np.concatenate([q, Q_ONLINE, Q_TARGET], axis=1)
    y_true = np.stack([actions, REWARDS, TERMINATED], axis=1)
    got = np.asarray(dqn.TDLoss(2, 0.5, double, kind, reduction=None)(y_true, y_pred))
    y = dqn.bellman_targets(REWARDS, TERMINATED, Q_TARGET, 0.5, Q_ONLINE if double else None)
    err = y - q[np.arange(3), actions.astype(int)]
    want = err**2 if kind == "mse" else np.where(abs(err) <= 1, 0.5 * err**2, abs(err) - 0.5)
    np.testing.assert_allclose(got, want, rtol=1e-5)


# -- target network and ε -------------------------------------------------------------------
def test_target_update_hard_copies_and_soft_averages():
    online, target = dqn.build_q_network(3, 2, 4, 1), dqn.build_q_network(3, 2, 4, 1)
    w_on, w_t = online.get_weights(), target.get_weights()
    dqn.update_target(online, target, tau=0.1)
    for got, o, t in zip(target.get_weights(), w_on, w_t, strict=True):
        np.testing.assert_allclose(got, 0.1 * o + 0.9 * t, rtol=1e-5, atol=1e-6)
    dqn.update_target(online, target, tau=1.0)
    for got, o in zip(target.get_weights(), w_on, strict=True):
        np.testing.assert_array_equal(got, o)


def test_epsilon_schedule_is_linear_then_flat():
    eps = dqn.epsilon(np.array([0, 500, 1000, 5000]), 1.0, 0.1, 1000)
    np.testing.assert_allclose(eps, [1.0, 0.55, 0.1, 0.1])
    assert dqn.epsilon(250, 0.5, 0.0, 1000) == pytest.approx(0.375)


# -- settings -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "changes, words",
    [
        (dict(gamma=1.5), "between 0 and 1"),
        (dict(buffer_size=8, batch_size=16), "must hold at least one batch"),
        (dict(total_steps=0), "at least 1 environment step"),
        (dict(env_id="Pong-v5"), "no environment called 'Pong-v5'"),
        (dict(target_update="sometimes"), "'hard' or 'soft'"),
    ],
)
def test_bad_settings_raise_a_sentence(changes, words):
    with pytest.raises(ConfigError, match=words):
        dqn.validate(dataclasses.replace(dqn.PRESETS["tiny"], **changes))


def test_a_budget_above_the_server_limit_is_capped_with_a_message():
    cfg, msgs = dqn.clamp(dataclasses.replace(dqn.PRESETS["default"], total_steps=10**7))
    assert cfg.total_steps == dqn.MAX_STEPS and "capped" in msgs[0]
    assert dqn.clamp(dqn.PRESETS["default"]) == (dqn.PRESETS["default"], [])


# -- frames and the tiny preset end to end --------------------------------------------------
@pytest.mark.parametrize("env_id", list(dqn.ENVS))
def test_frames_have_the_render_shape_and_q_values_every_action(env_id):
    model = replay.untrained_network(env_id, 8, 1, seed=0)
    h, w, _ = replay.render_size(env_id)
    ep = replay.record_episode(model, env_id, seed=0, eps=0.5, width=w, max_frames=20)
    assert ep["frames"].shape[1:] == (h, w, 3) and ep["frames"].dtype == np.uint8
    n_actions = len(dqn.ENVS[env_id].actions)
    assert ep["q"].shape == (len(ep["actions"]), n_actions)
    assert ep["frames"].shape[0] == len(ep["frame_steps"]) <= 22
    assert ep["frames"].std() > 0  # something was drawn


def test_numpy_q_function_matches_the_network_and_falls_back_for_other_models():
    import keras

    from dl_core.dqn.model import numpy_q_function

    model = replay.untrained_network("LunarLander-v3", 16, 2, seed=3)
    obs = np.random.default_rng(0).normal(size=(7, 8)).astype(np.float32)
    q = numpy_q_function(model)(obs)
    assert q.shape == (7, 4) and q.dtype == np.float32
    np.testing.assert_allclose(q, model.predict_on_batch(obs), rtol=1e-5, atol=1e-5)
    inputs = keras.Input((8,))
    other = keras.Model(inputs, keras.layers.Dense(4, activation="tanh")(inputs))
    np.testing.assert_allclose(
        numpy_q_function(other)(obs), other.predict_on_batch(obs), rtol=1e-5, atol=1e-5
    )  # not the plain MLP: Keras computes it


def test_the_agent_acts_on_its_current_weights_after_each_training_phase():
    agent = dqn.Agent(4, 2, 16, 1, 1e-2)
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(32, 4)).astype(np.float32)
    before = agent.q_values(obs)
    np.testing.assert_allclose(before, agent.online.predict_on_batch(obs), atol=1e-5)
    buffer = dqn.ReplayBuffer(64, 4)
    for i in range(64):
        buffer.add(obs[i % 32], i % 2, 1.0, obs[(i + 1) % 32], False)
    agent.train([buffer.sample(32, rng) for _ in range(3)])
    after = agent.q_values(obs)
    assert not np.allclose(after, before)  # the training phase moved the weights...
    np.testing.assert_allclose(after, agent.online.predict_on_batch(obs), atol=1e-5)  # ...seen


def test_a_training_phase_in_one_compiled_call_takes_the_same_steps_as_one_call_each():
    rng = np.random.default_rng(1)
    obs = rng.normal(size=(64, 4)).astype(np.float32)
    buffer = dqn.ReplayBuffer(64, 4)
    for i in range(64):
        buffer.add(obs[i], i % 2, float(i % 3), obs[(i + 1) % 64], i % 7 == 0)
    batches = [buffer.sample(16, rng) for _ in range(dqn.Agent.FIT_FROM)]
    agents = []
    for steps_per_phase in (1, dqn.Agent.FIT_FROM):
        keras.utils.set_random_seed(0)
        agents.append(dqn.Agent(4, 2, 16, 1, 1e-2, steps_per_phase=steps_per_phase))
    assert agents[1].trainer.steps_per_execution == dqn.Agent.FIT_FROM
    start = agents[0].online.get_weights()
    for a, b in zip(start, agents[1].online.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # the same network to start from
    losses = [agent.train(batches) for agent in agents]  # fit(): 16 calls, then one
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)
    for a, b, s in zip(
        agents[0].online.get_weights(), agents[1].online.get_weights(), start, strict=True
    ):
        assert not np.allclose(a, s)  # all 16 steps were taken, in both
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("env_id", list(dqn.ENVS))
def test_replay_frames_are_drawn_360_wide_with_the_whole_scene(env_id):
    ep = replay.record_episode(
        replay.untrained_network(env_id, 8, 1, seed=0), env_id, seed=0, eps=1.0, max_frames=5
    )
    assert ep["frames"].shape[2] == 360 and ep["frames"].std() > 0
    if env_id == "MountainCar-v0":  # its goal flag (yellow, fixed 50 px tall) stays in view
        yellow = (ep["frames"][0] == np.array([204, 204, 0], np.uint8)).all(axis=-1)
        assert yellow.sum() > 20


def test_tiny_preset_trains_end_to_end_and_replays():
    events = []
    out = dqn.train(dqn.PRESETS["tiny"], None, lambda **e: events.append(e))
    assert out["env_steps"] == 300
    h = dqn.unpack_history(out["history"])
    assert len(h["evals"]) == 2 and len(h["episodes"]) > 3 and len(h["updates"]) >= 1
    assert [int(s) for s in out["checkpoint_steps"]] == [150, 300]
    assert any(e.get("preview") is not None for e in events)
    assert out["untrained"].get_weights()[0].tolist() != out["model"].get_weights()[0].tolist()
    fig = plots.plot_training(dqn.curves(out["history"]), "CartPole-v1")
    names = {t.name for t in fig.data}
    assert {"episode return", "moving average (20)", "greedy evaluation", "TD loss"} <= names
    assert any(s.y0 == 475 for s in fig.layout.shapes)  # the solved line
    ep = replay.record_episode(out["model"], "CartPole-v1", seed=1)
    gif = Image.open(io.BytesIO(replay.replay_gif(ep, ["left", "right"])))
    assert gif.n_frames == len(ep["frames"]) and gif.size[1] > ep["frames"].shape[1]  # + panel
    qfig = plots.plot_episode_q(ep, ["left", "right"])
    assert [t.name for t in qfig.data][::2] == ["Q(s, left)", "Q(s, right)"]
    assert qfig.layout.xaxis.title.text == "step"


def test_shipped_cartpole_agent_is_solved_and_served_from_the_store(fresh_home):
    meta = pretrained.load_meta("CartPole-v1")
    assert meta["solved"] and meta["eval_return"] >= 475
    res = pretrained.cached("CartPole-v1")
    assert (fresh_home / "artifacts" / res.key / "result.json").exists()
    returns = dqn.evaluate(res["model"].predict_on_batch, "CartPole-v1", 3, seed=99)
    assert returns.mean() >= 475  # balances on episodes it was not checked on
    assert list(replay.agents_of(res.key)) == ["pretrained"]


def test_moving_average():
    np.testing.assert_allclose(dqn.moving_average(np.arange(5.0), 2), [0, 0.5, 1.5, 2.5, 3.5])


@pytest.mark.parametrize("env_id", pretrained.available())
def test_every_shipped_agent_loads_and_says_how_it_was_made(env_id):
    meta = pretrained.load_meta(env_id)
    model = pretrained.load_model(env_id)
    assert model.output_shape[-1] == len(dqn.ENVS[env_id].actions)
    assert meta["command"].startswith(f"python -m dl_core.dqn export {env_id}")
    assert meta["eval_episodes"] == 20 and np.isfinite(meta["eval_return"])
    assert (pretrained.ASSETS / f"{env_id}.npz").stat().st_size < 400_000


def test_environment_overrides_keep_the_tiny_preset_tiny():
    assert dqn.for_env("tiny", "LunarLander-v3").total_steps == dqn.PRESETS["tiny"].total_steps
    assert dqn.for_env("default", "MountainCar-v0").total_steps > dqn.PRESETS["default"].total_steps
    for env_id in dqn.ENVS:
        assert dqn.validate(dqn.for_env("default", env_id)) == []
