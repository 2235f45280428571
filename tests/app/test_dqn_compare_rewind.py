"""DQN page: compare two agents (one setting changed), both replayed at one checkpoint (one
slider for both), their Q-values on the same frames, and a shared link that reopens them."""

from streamlit.testing.v1 import AppTest

from tests.app.ab import chart, compare_mode, errors, markdown, open_page, params, press, reopen
from ui.text import md_escape

PAGE = "app_pages/dqn.py"
OWN = {"preset": "tiny", "seed": "17"}
RUN_A, RUN_B = md_escape("A · Double DQN = False"), md_escape("B · Double DQN = True")


def _compare_double() -> AppTest:
    at = compare_mode(open_page(PAGE, **OWN), "dqn", "Double DQN", "ab_double", True)
    return press(at, "dqn.ab_train")


def test_compare_plain_and_double_dqn_shows_both_replays_and_q_differences():
    at = _compare_double()
    assert not errors(at), errors(at)
    text = markdown(at)
    assert RUN_A in text and RUN_B in text
    replays = [m.value for m in at.markdown if m.value.startswith("At ")]
    assert len(replays) == 2 and len(at.get("image")) == 2
    diff = chart(at, "ab-q-diff")
    assert {t["name"] for t in diff["data"]} >= {"push left", "push right"}  # CartPole


def test_rewind_both_agents_to_the_first_checkpoint_changes_the_q_differences():
    at = _compare_double()
    last = chart(at, "ab-q-diff")
    at.slider(key="dqn.ab_ckpt").set_value(1).run()  # one slider, both agents
    assert not at.exception and params(at)["ab_ckpt"] == "1"
    assert chart(at, "ab-q-diff")["data"] != last["data"]


def test_compare_url_with_two_configs_restores_the_dqn_comparison():
    again = reopen(PAGE, _compare_double(), (RUN_A, RUN_B), {"ab": "1", "ab_double": "1"})
    assert chart(again, "ab-q-diff")["data"]
