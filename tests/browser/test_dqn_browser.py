"""The DQN page in Chromium: the pretrained agent's replay with Q-values on first load,
then a tiny agent trained by a real worker process and replayed."""

import pytest

from tests.browser import axe
from tests.browser.conftest import assert_no_exception, screenshot, wait_idle
from tests.timeouts import TRAIN_S, UI_S, ceiling_ms, wait_until

pytestmark = pytest.mark.browser


def test_replay_with_q_values_then_train_tiny(page, server):
    base, _ = server
    page.goto(f"{base}/dqn?preset=tiny&seed=1")
    wait_idle(page)
    assert_no_exception(page)
    page.get_by_text("Training of the pretrained agent").wait_for()
    page.get_by_text("pretrained — return 500").wait_for()  # the shipped agent balances
    replays = page.locator('[data-testid="stImage"] img')
    wait_until(lambda: replays.count() >= 2, UI_S, "two replays")
    figures = page.locator(".js-plotly-plot")
    wait_until(lambda: figures.count() >= 2, UI_S, "training curves and Q-values")
    replays.last.scroll_into_view_if_needed()  # the app scrolls inside its own container
    assert screenshot(page, "dqn-pretrained-replay").stat().st_size > 30_000
    code = page.locator('[data-testid="stCode"]')
    assert code.count() == 0  # the sources are sent when the visitor opens them
    page.get_by_text("Show the code").click()
    code.first.wait_for()
    assert "def bellman_targets" in code.first.inner_text()
    wait_idle(page)

    page.get_by_role("button", name="Train").click()
    page.get_by_text("Training of your agent").wait_for(timeout=ceiling_ms(TRAIN_S))
    wait_idle(page)
    assert_no_exception(page)
    page.get_by_text("final — return").wait_for()
    assert "preset=tiny" in page.url and "seed=1" in page.url
    page.locator('[data-testid="stImage"] img').last.scroll_into_view_if_needed()
    axe.assert_accessible(page)  # no serious axe-core violation here
    assert screenshot(page, "dqn-trained-tiny").stat().st_size > 30_000
