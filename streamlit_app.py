"""DL Explorer: the app shell. Builds the grouped navigation from ``ui.registry.PAGES``."""

import logging

import streamlit as st

import dl_core  # noqa: F401  (sets the Keras backend and quiet logging before any import)
from dl_core import jobs
from ui import runtime, visitor
from ui.registry import GROUPS, PAGES

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

st.set_page_config(page_title="DL Explorer", page_icon=":material/neurology:", layout="wide")
runtime.tune()  # no Keras reset and no full GC after each run (see ui/runtime.py)


@st.cache_resource(max_entries=1, show_spinner=False)
def start_workers() -> jobs.Executor:
    """Start the worker pool with the server, so it is warm before the first Train."""
    return jobs.get_executor()


start_workers()  # (workers are spawned without re-running this file: see dl_core.jobs.executors)

sections: dict[str, list] = {g: [] for g in GROUPS}
for spec in PAGES:
    sections[spec.group].append(
        st.Page(
            spec.path, title=spec.title, icon=spec.icon, default=spec.path == "app_pages/home.py"
        )
    )
with st.sidebar:
    visitor.mount()  # this browser's anonymous id (a cookie; never in the URL)
nav = st.navigation({g: ps for g, ps in sections.items() if ps})
nav.run()
runtime.tune()  # freeze what this page imported (TensorFlow...) once
