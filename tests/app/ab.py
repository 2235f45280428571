"""Helpers for the compare and rewind page tests: charts by key, the panes' headings."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, RUN_TIMEOUT


def open_page(page: str, **params) -> AppTest:
    """``page`` opened at a URL with ``params`` (as a shared link would)."""
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.run()
    at.switch_page(page)
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart(at: AppTest, key: str) -> dict:
    """The plotly spec of the chart drawn with ``key`` (``KeyError`` if none)."""
    for el in at.get("plotly_chart"):
        if el.proto.id and key in el.proto.id:
            return json.loads(el.proto.spec)
    raise KeyError(key)


def has_chart(at: AppTest, key: str) -> bool:
    try:
        chart(at, key)
    except KeyError:
        return False
    return True


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def params(at: AppTest) -> dict[str, str]:
    """The page's URL parameters as plain strings (what a shared link carries)."""
    out = {}
    for k in at.query_params:
        v = at.query_params[k]
        out[k] = v[0] if isinstance(v, list) else str(v)
    return out


def press(at: AppTest, key: str) -> AppTest:
    """Press the Train button ``key`` unless an earlier test already trained (then it is
    disabled and the cached result is shown)."""
    button = next(b for b in at.button if b.key == key)
    if not button.disabled:
        button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at
