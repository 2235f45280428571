"""The basics page in Chromium: train the tiny preset, Step and Play, upload a real CSV."""

import re

import pytest

from tests.browser import axe
from tests.browser.conftest import assert_no_exception, screenshot, wait_idle
from tests.timeouts import TRAIN_S, UI_S, ceiling_ms, wait_until

pytestmark = pytest.mark.browser


def _button(page, key: str):
    return page.locator(f".st-key-basics-{key} button").first


def _player(page, act: str):
    """A control of the in-browser player (its buttons carry data-act)."""
    return page.locator(f".st-key-basics-player button[data-act={act}]")


def _shown(page, text: str, seconds: float = UI_S) -> None:
    page.locator(".st-key-basics-player .stats").get_by_text(re.compile(text)).wait_for(
        timeout=ceiling_ms(seconds)
    )


def _in_link(page, part: str) -> None:
    page.wait_for_function(f"() => location.search.includes({part!r})")


def _section(page, name: str) -> None:
    """Choose a section with the control a visitor clicks; it goes into the link."""
    page.locator(".st-key-basics-section").get_by_role("radio", name=name, exact=True).click()
    page.wait_for_function(
        f"() => new URLSearchParams(location.search).get('section') === {name!r}",
    )


def _param(page, name: str, value: str | None) -> None:
    """Wait until the link's ``name`` is exactly ``value`` (None: gone from the link)."""
    want = "null" if value is None else repr(value)
    page.wait_for_function(f"() => new URLSearchParams(location.search).get({name!r}) === {want}")


def test_train_step_play_extend_and_screenshot(page, server):
    base, _ = server
    page.goto(f"{base}/basics?preset=tiny&data=xor&feat=%5B%22x%22,%22y%22,%22xy%22%5D&epochs=6")
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, "basics-first-load")
    _button(page, "train").click()
    _shown(page, r"Epoch 0\.00", TRAIN_S)  # a worker trained it; the browser draws it
    _player(page, "step").click()
    _shown(page, r"Epoch 1\.00")  # 80 training points / batch 20: 4 batches
    _in_link(page, "step=4")  # the shown step reaches the link once the visitor stops
    page.locator(".st-key-basics-player select[data-ctl=by]").select_option("batch")
    _player(page, "step").click()
    _shown(page, r"Epoch 1\.25 \(batch 5\)")
    _in_link(page, "by=batch")
    _player(page, "back").click()
    _shown(page, r"Epoch 1\.00")
    page.keyboard.press("ArrowRight")  # keys work while the player has focus
    _shown(page, r"Epoch 1\.25")
    page.keyboard.press("ArrowLeft")
    _shown(page, r"Epoch 1\.00")
    stats = page.locator(".st-key-basics-player .stats").inner_text()
    assert re.search(r"train loss \d\.\d{3} · test loss \d\.\d{3} · train accuracy", stats), stats
    page.locator(".st-key-basics-player canvas[data-out=net]").hover(position={"x": 60, "y": 150})
    page.get_by_text(re.compile("alone")).first.wait_for()  # a hovered neuron shown large
    axe.assert_accessible(page)  # no serious axe-core violation here
    screenshot(page, "basics-step")
    page.locator(".st-key-basics-player canvas[data-out=loss]").scroll_into_view_if_needed()
    screenshot(page, "basics-step-curves")
    _player(page, "reset").click()
    _shown(page, r"Epoch 0\.00")
    _player(page, "play").click()
    _shown(page, r"Epoch 6\.00.*end of the recording")  # Play runs to the end
    assert_no_exception(page)
    screenshot(page, "basics-played")
    _player(page, "step").click()  # past the end: 20 more epochs in a new job
    _in_link(page, "epochs=26")
    page.get_by_text(re.compile(r"Basics — done")).wait_for(timeout=ceiling_ms(TRAIN_S))
    page.locator(
        ".st-key-basics-player .stats",
        has_text=re.compile(r"Epoch 6\.00 \(batch 24\)"),
        has_not_text="end of the recording",
    ).wait_for()  # the new recording, same step
    _player(page, "step").click()
    _shown(page, r"Epoch 6\.25")  # still stepping by batch, as the link says
    _in_link(page, "step=25")
    link = page.evaluate("location.href")
    page.goto(link + "&play=1")  # a shared link that was playing: plays on arrival
    shown = page.locator(".st-key-basics-player .dlx")
    shown.wait_for(timeout=ceiling_ms(TRAIN_S))  # the extended recording, from the cache
    # it moves on without a click
    wait_until(lambda: int(shown.get_attribute("data-index") or 0) > 25, UI_S, "Play to move on")
    assert_no_exception(page)
    _section(page, "Export")
    page.get_by_text("Download the trained model").wait_for()
    assert "PlaneFeatures" in page.locator('[data-testid="stCode"]').first.inner_text()
    screenshot(page, "basics-export")
    _section(page, "Lessons")
    page.get_by_text("A loss surface").wait_for()
    page.locator(".st-key-basics-fig_surface .js-plotly-plot").wait_for()  # drawn on choosing
    assert "play=" not in page.url  # the player is not on show, so the link does not play
    page.locator(".st-key-basics-fig_perc").scroll_into_view_if_needed()
    screenshot(page, "basics-lessons")
    page.locator(".st-key-basics-fig_surface").scroll_into_view_if_needed()
    screenshot(page, "basics-lessons-surface")


def test_csv_upload(page, server, tmp_path):
    base, _ = server
    rows = "\n".join(
        f"{(i % 9) / 9:.3f},{(i * 5 % 13) / 13:.3f},{'red' if i % 3 else '<b>blue</b>'}"
        for i in range(80)
    )
    path = tmp_path / "my_points.csv"
    path.write_text(f"width,height,colour\n{rows}\n")
    page.goto(f"{base}/basics?preset=tiny&src=CSV")
    wait_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text("Label column").wait_for()
    wait_idle(page)
    assert_no_exception(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    bar = page.locator(".st-key-basics-editor .bar")
    bar.wait_for()
    assert "<b>blue</b>" in bar.inner_text()  # a label is text, never markup
    axe.assert_accessible(page)  # no serious axe-core violation here
    screenshot(page, "basics-csv")


def test_clicking_the_plane_adds_points_that_reach_the_link(page, server):
    base, _ = server
    page.goto(f"{base}/basics?preset=tiny&data=moons")
    wait_idle(page)
    plane = page.locator(".st-key-basics-editor canvas[data-out=plane]")
    plane.wait_for()
    box = plane.bounding_box()
    plane.click(position={"x": box["width"] / 2, "y": box["height"] / 2})  # about (0, 0)
    page.locator(".st-key-basics-editor input[value='1']").check()
    plane.click(position={"x": box["width"] * 0.8, "y": box["height"] * 0.3})
    _in_link(page, "add=")
    wait_idle(page)
    assert page.locator(".st-key-basics-editor .dlx").get_attribute("data-added") == "2"
    search = page.evaluate("decodeURIComponent(location.search)")
    first, second = search.split("add=")[1].split("&")[0].split(";")
    assert first.endswith(",0") and second.endswith(",1")  # the class chosen for each click
    x, y = (float(v) for v in first.split(",")[:2])
    assert abs(x) < 0.15 and abs(y) < 0.15
    screenshot(page, "basics-add-points")
    page.locator(".st-key-basics-editor button[data-act=undo]").click()
    page.wait_for_function(
        "() => !location.search.includes('%3B') && !location.search.includes(';')"
    )
    _button(page, "train").click()
    _shown(page, r"Epoch 0\.00", TRAIN_S)
    assert_no_exception(page)


def test_the_scrubber_dragged_with_the_mouse_writes_the_step_and_a_link_restores_it(page, server):
    base, _ = server
    link = f"{base}/basics?preset=tiny&data=xor&epochs=20&seed=7"
    page.goto(link)
    wait_idle(page)
    _button(page, "train").click()
    _shown(page, r"Epoch 0\.00", TRAIN_S)
    player = page.locator(".st-key-basics-player .dlx")
    scrub = page.locator(".st-key-basics-player input[data-ctl=scrub]")
    scrub.scroll_into_view_if_needed()
    box = scrub.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 3, y)  # the thumb, at step 0
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, y, steps=8)
    _param(page, "step", player.get_attribute("data-index"))  # a pause mid-drag reaches the link
    wait_idle(page)  # and the page has rerun while the mouse is still down
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=8)
    page.mouse.up()
    index = int(player.get_attribute("data-index"))
    assert 0 < index < int(scrub.get_attribute("max")) and scrub.input_value() == str(index)
    _param(page, "step", str(index))  # the dragged-to step is in the link
    wait_idle(page)
    assert player.get_attribute("data-index") == str(index)  # and the view stayed there
    shown = page.locator(".st-key-basics-player .stats").inner_text().split(" · ")[0]

    page.locator(".st-key-basics-player select[data-ctl=speed]").select_option("2")
    _param(page, "speed", "2")
    _player(page, "play").click()
    _param(page, "play", "1")
    _player(page, "play").click()  # Pause
    _param(page, "play", None)  # a paused player's link does not play
    wait_idle(page)

    page.goto(f"{link}&step={index}")  # a shared link: the view and the thumb at that step
    player.wait_for()
    assert player.get_attribute("data-index") == str(index)
    assert scrub.input_value() == str(index)  # the thumb where the view is, not at 0
    assert page.locator(".st-key-basics-player .stats").inner_text().startswith(shown)
    assert_no_exception(page)
    screenshot(page, "basics-link-step")

    page.goto(f"{link}&step=0&speed=2&play=1")  # a link that plays, paused by the visitor
    player.wait_for()
    _param(page, "play", "1")
    _player(page, "play").click()
    _param(page, "play", None)
    paused_at = player.get_attribute("data-index")
    assert scrub.input_value() == paused_at
    _param(page, "step", paused_at)
