"""The anonymous visitor id of this browser: who asked for a job, whose Stop counts.

The id lives in a first-party cookie (and localStorage), so it survives a refresh and new
tabs in the same browser; it never goes into the shareable URL, so a shared link still
reproduces the view and joins the same cached job. On a browser's very first page the
server proposes a fresh id and a tiny component stores it (or answers with the id this
browser already had, which then wins).

The operator of a public demo is whoever entered ``DL_EXPLORER_ADMIN_TOKEN`` on the Jobs
page in this session: the operator may stop any job.
"""

from __future__ import annotations

import functools
import hmac
import os
import re
import secrets
from pathlib import Path

import streamlit as st

COOKIE = "dlx_visitor"
_VALID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_JS = Path(__file__).parent / "components" / "visitor.js"


@functools.cache
def _js() -> str:
    return _JS.read_text()


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no request context (AppTest): no cookie
        return None
    return value if isinstance(value, str) and _VALID.match(value) else None


def _remember(value: str) -> None:
    st.session_state["_dlx_visitor"] = value


def visitor_id() -> str:
    """This browser's anonymous id (made on first use, then kept for the session)."""
    current = st.session_state.get("_dlx_visitor")
    if current is None:
        current = _cookie() or secrets.token_urlsafe(18)
        _remember(current)
    return current


def mount() -> None:
    """Store the id in the browser when the request did not carry it (call once per run)."""
    current = visitor_id()
    if _cookie() == current:
        return
    component = st.components.v2.component("dl_explorer.visitor", js=_js())
    result = component(
        data={"proposed": current},
        key="dlx-visitor",
        default={"id": None},
        on_id_change=lambda: None,
    )
    known = getattr(result, "id", None) if result is not None else None
    if isinstance(known, str) and _VALID.match(known) and known != current:
        _remember(known)


def admin_token() -> str:
    """The operator token configured on this server ('' when none is set)."""
    return os.environ.get("DL_EXPLORER_ADMIN_TOKEN", "")


def is_operator() -> bool:
    """Whether this session entered the operator token."""
    return bool(st.session_state.get("_dlx_operator")) and bool(admin_token())


def try_operator(token: str) -> bool:
    """Check ``token`` against ``DL_EXPLORER_ADMIN_TOKEN`` (constant time); remember a match."""
    expected = admin_token()
    ok = bool(expected) and hmac.compare_digest(token.encode(), expected.encode())
    st.session_state["_dlx_operator"] = ok
    return ok
