"""The "Show the code" expander: the dl_core functions a page calls, as they are."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import streamlit as st


def show_code(*objects: Callable[..., Any] | type, label: str = "Show the code") -> None:
    """An expander with the source of each function or class, in order."""
    with st.expander(label, icon=":material/code:"):
        for obj in objects:
            module = getattr(obj, "__module__", "")
            st.caption(f"`{module}.{getattr(obj, '__qualname__', obj)}`")
            try:
                st.code(inspect.getsource(obj), language="python")
            except (OSError, TypeError):
                st.write("Source not available.")
