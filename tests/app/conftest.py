"""AppTest fixtures: every app test starts with empty Streamlit caches."""

from pathlib import Path

import pytest
import streamlit as st

from tests.timeouts import TRAIN_S, ceiling

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
RUN_TIMEOUT = ceiling(TRAIN_S)  # one ceiling for every script run (some train a tiny preset)


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """Cached models and data from one test must not leak into the next."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
