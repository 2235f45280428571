"""One way to show problems: a visitor-facing sentence, never a traceback."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import streamlit as st

from dl_core.errors import UserError
from ui.text import md_escape

log = logging.getLogger("dl_explorer")


class EmptyState(Exception):  # noqa: N818 - a state, not an error
    """Raised inside :func:`shown_errors` for a normal empty state ("choose a photo"): shown
    as neutral information, not as an error."""


@contextlib.contextmanager
def shown_errors(container=None) -> Iterator[None]:
    """Show a :class:`UserError` raised inside the block with ``st.error`` (an
    :class:`EmptyState` with ``st.info``) and carry on.

    The message is plain text that may quote visitor input (a class or file name), so it is
    escaped for Markdown.

    Unexpected exceptions are not swallowed: Streamlit shows a generic error box
    (``client.showErrorDetails = "none"`` hides the traceback) and the app keeps serving.
    """
    try:
        yield
    except EmptyState as empty:
        (container or st).info(md_escape(str(empty)), icon=":material/info:")
    except UserError as err:
        (container or st).error(md_escape(err), icon=":material/error:")


def show_error(message: str) -> None:
    """A plain-text message (it may quote a visitor's file or class name) as an error box."""
    st.error(md_escape(message), icon=":material/error:")
