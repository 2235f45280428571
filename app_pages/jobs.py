"""Jobs: your training jobs in full, everyone else's as anonymous rows; Stop for your own."""

import datetime as dt

import pandas as pd
import streamlit as st

from dl_core import jobs
from dl_core.jobs import limits
from ui import visitor
from ui.jobs import describe, stop
from ui.links import job_url
from ui.text import md_escape

st.title("Training jobs")
st.markdown(
    "Every page trains through this queue. Jobs with the same settings and data are shared: "
    "if someone already trained it, you get the result at once. The queue takes turns "
    "between visitors, so nobody waits behind one person's long list. **Stop** withdraws "
    "your request; a job that another visitor also asked for keeps running for them."
)


def _row(j: jobs.JobStatus, mine: bool) -> dict:
    full = jobs.status(j.key) if j.state != "done" else j  # a stopped job keeps its progress
    row = {
        "yours": "✓" if mine else "",
        "topic": limits.topic_of(j.fn).replace("_", " "),
        "state": j.state,
        "duration (s)": round(j.duration, 1) if j.duration is not None else None,
    }
    if mine or visitor.is_operator():  # settings, names and errors only for their owner
        row |= {
            "job": j.label,
            "page": job_url(j.fn, j.config),
            "progress": round(100 * full.fraction()) if full else 0,
            "submitted": dt.datetime.fromtimestamp(j.created).strftime("%Y-%m-%d %H:%M:%S"),
            "error": j.error or "",
            "key": j.key[:12],
        }
    return row


@st.fragment(run_every=2.0)
def job_table() -> None:
    me = visitor.visitor_id()
    recent = jobs.list_jobs(limit=100)
    counts = jobs.counts()
    st.caption(md_escape(" · ".join(f"{k}: {v}" for k, v in counts.items())))
    if not recent:
        st.info("No jobs yet. Train something on a topic page and it will appear here.")
        return
    mine = [j for j in recent if me in j.requesters]
    st.subheader("Your jobs")
    if mine:
        st.dataframe(
            pd.DataFrame([_row(j, True) for j in mine]),
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
    else:
        st.caption("None yet in this browser.")
    for j in (j for j in recent if j.active and (me in j.requesters or visitor.is_operator())):
        full = jobs.status(j.key) or j
        c1, c2 = st.columns([4, 1])
        name = j.label if me in j.requesters else "another visitor's job"
        c1.markdown(f"**{md_escape(name)}** — {md_escape(describe(full))}")
        if c2.button("Stop", key=f"stop-{j.key}", icon=":material/stop:"):
            if not stop(full):
                st.toast("Your request is withdrawn; another visitor still wants this job.")
            st.rerun(scope="fragment")
    others = [j for j in recent if me not in j.requesters]
    st.subheader("Everyone else's")
    if others:
        st.dataframe(
            pd.DataFrame([_row(j, False) for j in others]),
            hide_index=True,
        )
    else:
        st.caption("No other jobs.")


job_table()

if visitor.admin_token():
    with st.expander("Operator", icon=":material/admin_panel_settings:"):
        if visitor.is_operator():
            st.success("Operator: you can stop any job and see every job's settings.")
        else:
            token = st.text_input("Operator token", type="password", key="operator-token")
            if token and not visitor.try_operator(token):
                st.error("That token is not this server's operator token.")
            elif token:
                st.rerun()
