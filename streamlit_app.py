"""DL Explorer: the app shell. Builds the grouped navigation from ``ui.registry.PAGES``."""

import logging

import streamlit as st

import dl_core  # noqa: F401  (sets the Keras backend and quiet logging before any import)
from dl_core import jobs
from ui import memdebug, runtime, visitor
from ui.registry import GROUPS, PAGES
from ui.text import md_escape
from ui.theme import FAVICON, accessibility_css

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

st.set_page_config(page_title="DL Explorer", page_icon=FAVICON, layout="wide")
st.html(f"<style>{accessibility_css(st.context.theme.type)}</style>")  # focus ring, contrast
memdebug.start()  # off unless DL_EXPLORER_MEMORY_DEBUG names a folder (bench memory)
runtime.tune()  # no Keras reset and no full GC after each run (see ui/runtime.py)


@st.cache_resource(max_entries=1, show_spinner=False)
def start_workers() -> jobs.Executor:
    """Start the worker pool with the server, so it is warm before the first Train."""
    return jobs.get_executor()


start_workers()  # (workers are spawned without re-running this file: see dl_core.jobs.executors)

pages = {
    spec.path: st.Page(
        spec.path, title=spec.title, icon=spec.icon, default=spec.path == "app_pages/home.py"
    )
    for spec in PAGES
}
# Streamlit's own sidebar navigation nests its links in invalid lists (axe-core's ``list`` and
# ``listitem`` rules; upstream: streamlit/streamlit#8399): the navigation is page links here.
nav = st.navigation(list(pages.values()), position="hidden")
with st.sidebar:
    visitor.mount()  # this browser's anonymous id (a cookie; never in the URL)
    with st.container(key="dlx-nav"):
        for group in GROUPS:
            specs = [spec for spec in PAGES if spec.group == group]
            if group and specs:
                st.markdown(f"**{md_escape(group)}**")
            for spec in specs:
                st.page_link(pages[spec.path], width="stretch")
nav.run()
runtime.tune()  # freeze what this page imported (TensorFlow...) once
runtime.trim_heap()  # free C heap pages back to the system (at most every 10 s)
