"""Home: what DL Explorer is, which architecture fits which data, a card per topic."""

import streamlit as st

from ui import figures
from ui.cache import memo
from ui.registry import topic_pages
from ui.system import system_panel

# -- the page's longer teaching text ----------------------------------------------------------
HOW_TO_USE = (
    "1. Pick a topic below or in the sidebar.\n"
    "2. Every page first shows something worth looking at: the data, a pretrained or cached "
    "model, or an explanatory figure.\n"
    "3. Change the settings, press **Train**: progress appears within seconds, **Stop** "
    "works, and refreshing the page does not lose the job.\n"
    "4. Copy the address bar to share the exact view, seed included."
)

st.title("DL Explorer")
st.markdown(
    "Learn deep-learning architectures **by running them**. Each page trains a real Keras "
    "model — on bundled data or on your own images and text — and lets you look inside it: "
    "filters, attention, latent spaces, Q-values. Training runs on the server in the "
    "background; the address bar always holds a link that brings back exactly what you see."
)

with st.container(border=True):
    c1, c2 = st.columns([3, 1], vertical_alignment="center")
    c1.markdown(
        "**New to neural networks? Start with the basics:** a small network learns to separate "
        "two clouds of points, and you watch its decision boundary move step by step."
    )
    c2.page_link("app_pages/basics.py", label="Start with the basics", icon=":material/school:")

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Which architecture fits which data?")
    # an inline SVG: drawn with the page's first elements; plotly.js is not needed on Home
    figures.html_now(st, memo(figures.architecture_map_svg))
    st.caption(
        "Read left to right: the shape of your data, the architecture family built for it, "
        "and what it is used for. Click an architecture's name to open its page."
    )
with right:
    st.subheader("How to use it")
    st.markdown(HOW_TO_USE)

st.subheader("Topics")
cards = topic_pages()
if not cards:
    st.info("Topic pages are being added; the Jobs page shows the training queue.")
cols = st.columns(3)
for i, spec in enumerate(cards):
    with cols[i % 3].container(border=True):
        st.page_link(spec.path, label=spec.title, icon=spec.icon)
        st.caption(spec.blurb)
        if spec.data:
            st.caption(f"Data: {spec.data}")

st.subheader("This server")
system_panel()
st.page_link("app_pages/jobs.py", label="See all training jobs", icon=":material/list_alt:")
