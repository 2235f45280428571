"""The "Show the code" expander: the dl_core functions a page calls, as they are."""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Callable
from typing import Any

import streamlit as st


@functools.lru_cache(maxsize=256)
def _source(obj: Callable[..., Any] | type) -> str | None:
    """The source text of ``obj`` (read once per server: ``inspect`` parses the file)."""
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return None


def show_code(*objects: Callable[..., Any] | type, label: str = "Show the code") -> None:
    """An expander with the source of each function or class, in order.

    The sources are sent only once the visitor opens it (a lazy expander: opening it reruns
    the page). A page's sources run to hundreds of lines, thousands of highlighted
    elements that the browser would otherwise build, hidden, before the page settles."""
    names = [f"{getattr(o, '__module__', '')}.{getattr(o, '__qualname__', o)}" for o in objects]
    box = st.expander(
        label,
        icon=":material/code:",
        key="dlx-code-" + hashlib.sha1("|".join(names).encode()).hexdigest()[:10],
        on_change="rerun",
    )
    if not box.open:
        return
    with box:
        for obj in objects:
            module = getattr(obj, "__module__", "")
            st.caption(f"`{module}.{getattr(obj, '__qualname__', obj)}`")
            source = _source(obj)
            if source is not None:
                st.code(source, language="python")
            else:
                st.write("Source not available.")
