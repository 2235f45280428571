"""The basics page's in-browser player (a Streamlit v2 component; JavaScript in ui/components/).

Play, Step, Back, Reset and the scrubber redraw the boundary, the neuron tiles and the loss
curves in the browser from the recorded weights, so a Step costs milliseconds, not a rerun.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent / "components"


def source() -> str:
    """The component's JavaScript module: the maths, then the player."""
    return (HERE / "mlp_math.js").read_text() + "\n" + (HERE / "mlp_player.js").read_text()


@functools.cache
def _assets() -> tuple[str, str]:
    return source(), (HERE / "mlp_player.css").read_text()


def _component():
    # Registered on every run (cheap; an identical definition is not a conflict), so it
    # exists in whichever Streamlit runtime is serving, tests' included.
    js, css = _assets()
    return st.components.v2.component("dl_explorer.mlp_player", js=js, css=css)


def mlp_player(data: dict, *, key: str, on_view: Callable[[], None], on_extend: Callable[[], None]):
    """Mount the player with a payload from :func:`dl_core.basics.player.payload`.

    Returns the component's result: ``view`` ({id, step, by, speed, playing}, once the visitor has
    stopped on a step) and ``extend`` (set for one run when Step went past the end).
    """
    # Only the state key goes in ``default``: a trigger named there would always read None.
    return _component()(
        data=data,
        key=key,
        default={"view": None},
        on_view_change=on_view,
        on_extend_change=on_extend,
    )


def point_editor(data: dict, *, key: str, on_added: Callable[[], None]):
    """Mount the click-to-add data editor (payload: :func:`dl_core.basics.player.editor_payload`).

    Its ``added`` state is the list of ``[x, y, target]`` the visitor has added.
    """
    return _component()(data=data, key=key, default={"added": None}, on_added_change=on_added)
