"""What a topic page says about itself from its declaration in :mod:`dl_core.topics`."""

from __future__ import annotations

import streamlit as st

from dl_core import topics
from ui.text import md_escape


def backends_caption(name: str) -> None:
    """A one-line caption under the title: the Keras backends the topic ``name`` needs."""
    st.caption(md_escape(topics.get(name).backends_line))
