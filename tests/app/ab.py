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


def open_link(page: str, **params) -> AppTest:
    """``page`` opened from a link that carries ``params`` from the app's first run on."""
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.query_params.update(params)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def compare_mode(
    at: AppTest, prefix: str, field: str, b_key: str | None = None, b_value=None, name="ab"
) -> AppTest:
    """Compare mode turned on (the toggle ``{prefix}.{name}``) and ``field`` chosen as the
    setting to change; with ``b_key``, run B's value (a select slider or a selectbox,
    ``{prefix}.{b_key}``) differs from run A's by default: ``b_value``."""
    at.toggle(key=f"{prefix}.{name}").set_value(True).run()
    at.selectbox(key=f"{prefix}.{name}_field").set_value(field).run()
    assert not at.exception, [e.value for e in at.exception]
    if b_key is not None:
        key = f"{prefix}.{b_key}"
        widgets = [w for w in (*at.select_slider, *at.selectbox) if w.key == key]
        assert widgets and widgets[0].value == b_value, (key, widgets and widgets[0].value)
    return at


def reopen(
    page: str, at: AppTest, runs: tuple[str, str], link: dict[str, str], opener=None
) -> AppTest:
    """The comparison ``at`` shows, opened again from its URL as a shared link (with
    ``opener``, default :func:`open_page`): the URL carries ``link`` (parameter: value) and
    the reopened page heads both runs' panes (``runs``)."""
    got = params(at)
    assert all(got.get(k) == v for k, v in link.items()), got
    again = (opener or open_page)(page, **got)
    text = markdown(again)
    assert runs[0] in text and runs[1] in text
    return again


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
