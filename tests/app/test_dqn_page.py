"""The DQN page: pretrained replay on first load, controls in the URL, bad settings as
sentences, a tiny training run (inline) whose checkpoints can be replayed."""

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, RUN_TIMEOUT
from ui.figures import images_now
from ui.text import md_escape


def _page(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.run()
    at.switch_page("app_pages/dqn.py")
    if params:
        at.query_params.update(params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


def test_first_load_shows_the_pretrained_cartpole_agent_and_its_replay(fresh_home):
    # a first visit: an empty store, whatever other tests trained before this one
    at = _page()
    assert at.title[0].value.startswith("Deep Q-networks")
    assert any("pretrained agent" in s.value for s in at.subheader)
    assert at.selectbox(key="dqn.agent").value == "pretrained"
    texts = " ".join(m.value for m in at.markdown)
    assert "**pretrained** — return 500" in texts  # the shipped agent balances all 500 steps
    assert "**untrained** — return" in texts
    assert len(at.image) >= 2  # untrained and trained replays side by side
    [(alt, frame)] = images_now(m.value for m in at.markdown)  # the world, in the first paint
    assert alt == "Balance a pole on a cart: the first frame of an episode with seed 0."
    assert frame.shape[1] == 240 and frame.std() > 0
    assert at.query_params["env"] == ["CartPole-v1"] or "CartPole" in str(at.query_params["env"])
    at.selectbox(key="dqn.env").set_value("MountainCar-v0").run()  # the picture follows
    [(alt, other)] = images_now(m.value for m in at.markdown)
    assert alt.startswith("Drive an under-powered car") and not np.array_equal(other, frame)


def test_bad_settings_are_sentences():
    at = _page({"preset": "tiny", "gamma": "1.5"})
    assert "discount γ must be between 0 and 1" in _errors(at)
    at = _page({"preset": "tiny", "buffer": "8", "batch": "16"})
    assert md_escape("replay buffer (8) must hold at least one batch") in _errors(at)
    at = _page({"preset": "tiny", "steps": "0"})
    assert "at least 1 environment step" in _errors(at)
    at = _page({"preset": "tiny", "steps": "5000000"})
    assert any(md_escape("capped at 200,000") in w.value for w in at.warning)
    at = _page({"env": "Pong-v5"})  # not offered: said in a sentence, then CartPole
    assert md_escape("no environment called 'Pong-v5'") in _errors(at)
    assert at.selectbox(key="dqn.env").value == "CartPole-v1"


def test_tiny_training_run_then_replay_a_checkpoint():
    at = _page({"preset": "tiny", "seed": "3"})
    train = next(b for b in at.button if b.label.startswith("Train"))
    train.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("your agent" in s.value for s in at.subheader)
    options = at.selectbox(key="dqn.agent").options
    assert options[0] == "untrained" and options[-1] == "final"
    assert any(o.startswith("checkpoint @") for o in options)
    at.selectbox(key="dqn.agent").set_value(options[1]).run()
    assert not at.exception
    assert f"**{md_escape(options[1])}** — return" in " ".join(m.value for m in at.markdown)
    assert "seed" in at.query_params and "agent" in at.query_params
