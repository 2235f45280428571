"""Jobs: every recent training job on this server, with Stop for running ones."""

import datetime as dt

import pandas as pd
import streamlit as st

from dl_core import jobs
from ui.links import job_url

st.title("Training jobs")
st.markdown(
    "Every page trains through this queue. Jobs with the same settings and data are shared: "
    "if someone already trained it, you get the result at once. A job that crashes or runs "
    "out of memory fails with a message; the server keeps going."
)


@st.fragment(run_every=2.0)
def job_table() -> None:
    recent = jobs.list_jobs(limit=100)
    counts = jobs.counts()
    st.caption(" · ".join(f"{k}: {v}" for k, v in counts.items()))
    if not recent:
        st.info("No jobs yet. Train something on a topic page and it will appear here.")
        return
    rows = []
    for j in recent:
        full = jobs.status(j.key) if j.state != "done" else j  # a stopped job keeps its progress
        rows.append({
            "job": j.label,
            "page": job_url(j.fn, j.config),
            "state": j.state,
            "progress": round(100 * full.fraction()) if full else 0,
            "submitted": dt.datetime.fromtimestamp(j.created).strftime("%Y-%m-%d %H:%M:%S"),
            "duration (s)": round(j.duration, 1) if j.duration is not None else None,
            "error": j.error or "",
            "key": j.key[:12],
        })  # fmt: skip
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        column_config={
            "progress": st.column_config.ProgressColumn(
                "progress", min_value=0, max_value=100, format="%d%%"
            ),
            "page": st.column_config.LinkColumn(
                "page", display_text="open", help="The page and settings this job trained"
            ),
        },
    )
    active = [j for j in recent if j.active]
    for j in active:
        c1, c2 = st.columns([4, 1])
        c1.write(f"**{j.label}** — {j.state} — `{j.key[:12]}`")
        if c2.button("Stop", key=f"stop-{j.key}", icon=":material/stop:"):
            jobs.cancel(j.key)
            st.rerun(scope="fragment")


job_table()
