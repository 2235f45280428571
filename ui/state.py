"""Two-way sync of page controls with the URL (``st.query_params``).

Every control a page draws through :class:`UrlState` starts from the value in the address
bar (when there is a valid one) and writes its value back on every run, so copying the
address bar shares the exact view, seed included::

    url = UrlState("cnn")
    lr = url(st.select_slider, "Learning rate", "lr", 1e-3, options=[1e-4, 1e-3, 1e-2])
    seed = url(st.number_input, "Seed", "seed", 0, min_value=0, step=1)

A bad or stale value in the URL falls back to the default; it never raises.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

MAX_URL_TEXT = 400  # longer text stays out of the URL (it would make links unwieldy)

_OPTION_WIDGETS = ("selectbox", "radio", "select_slider", "segmented_control", "pills")


def dump(value: Any) -> str:
    """How a control's value is written in the URL."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return json.dumps(value)
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value, separators=(",", ":"))


def parse(raw: str, default: Any, options: Sequence[Any] | None = None) -> Any:
    """Read a URL value back as the type of ``default``; ``default`` if it does not fit."""
    try:
        if options is not None and len(options) and not isinstance(default, (list, tuple)):
            for opt in options:
                if dump(opt) == raw:
                    return opt
            return default
        if isinstance(default, str):
            return raw
        if isinstance(default, bool):
            return raw.lower() in ("1", "true", "yes", "on")
        value = json.loads(raw)
        if isinstance(default, int):
            return int(value) if float(value).is_integer() else default
        if isinstance(default, float):
            return float(value)
        if isinstance(default, (list, tuple)):
            if not isinstance(value, list) or len(value) > 1000:
                return default
            if default and not isinstance(default[0], str):
                value = [type(default[0])(v) for v in value]
            if options is not None:
                value = [v for v in value if v in options]
            return type(default)(value)
        return value
    except (ValueError, TypeError, json.JSONDecodeError, OverflowError):
        return default


class UrlState:
    """Controls of one page, mirrored into the URL under short names."""

    def __init__(self, page: str) -> None:
        self.page = page

    def key(self, name: str) -> str:
        return f"{self.page}.{name}"

    def __call__(
        self,
        widget: Callable[..., Any],
        label: str,
        name: str,
        default: Any,
        *,
        clamp: tuple[Any, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Draw ``widget(label, **kwargs)`` bound to URL parameter ``name``; return its value.

        Args:
            widget: a Streamlit input function (``st.slider``, ``st.selectbox``, ...), or the
                same method on a container (``col.slider``).
            label: the visible label.
            name: the URL parameter (short, unique on the page).
            default: the value when the URL has none; its type decides how the URL is read.
            clamp: optional (min, max) applied to numbers read from the URL.
            **kwargs: passed to the widget (``options``, ``min_value``, ``help``...).
        """
        key = self.key(name)
        options = kwargs.get("options")
        if options is not None:
            options = list(options)
        if key not in st.session_state:
            value = default
            raw = st.query_params.get(name)
            if raw is not None:
                value = parse(raw, default, options)
            if clamp is not None and isinstance(value, (int, float)):
                value = type(default)(min(max(value, clamp[0]), clamp[1]))
            value = self._fit(widget, value, default, kwargs)
            st.session_state[key] = value
        value = widget(label, key=key, **kwargs)
        self.set_param(name, value)
        return value

    def section(self, options: Sequence[str], name: str = "section") -> str:
        """The page's section, chosen on a full-width row of buttons and kept in the URL.

        Pages use this instead of ``st.tabs``: the choice is read from and written to the URL
        like every other control (``?section=Few-click on your photo``), and only the chosen
        section's code runs, where all tabs run on every rerun.
        """
        options = list(options)
        chosen = self(
            st.segmented_control,
            "Section",
            name,
            options[0],
            options=options,
            required=True,
            width="stretch",
            label_visibility="collapsed",
        )
        return chosen if chosen in options else options[0]

    def peek(self, name: str, default: Any, options: Sequence[Any] | None = None) -> Any:
        """The value control ``name`` has or would start from, without drawing it (for a
        section that needs another section's settings)."""
        key = self.key(name)
        if key in st.session_state:
            return st.session_state[key]
        raw = st.query_params.get(name)
        return default if raw is None else parse(raw, default, options)

    def set_param(self, name: str, value: Any) -> None:
        """Write one value into the URL (skipped for long text)."""
        text = dump(value)
        if len(text) > MAX_URL_TEXT:
            if name in st.query_params:
                del st.query_params[name]
            return
        if st.query_params.get(name) != text:
            st.query_params[name] = text

    def get_param(self, name: str) -> str | None:
        return st.query_params.get(name)

    def drop_param(self, name: str) -> None:
        if name in st.query_params:
            del st.query_params[name]

    def reset(self, keep: Sequence[str] = ("preset", "section")) -> None:
        """Forget the page's controls but ``keep`` (URL and widget state), so that the next
        run draws them from the new preset: a preset control's ``on_change``, e.g.
        ``url(st.segmented_control, ..., on_change=url.reset, args=(("preset", "txt_fp"),))``.
        """
        for name in [n for n in st.query_params if n not in keep]:
            del st.query_params[name]
            st.session_state.pop(self.key(name), None)

    @staticmethod
    def _fit(widget: Callable[..., Any], value: Any, default: Any, kwargs: dict[str, Any]) -> Any:
        """Keep a URL value inside the widget's own bounds and options."""
        name = getattr(widget, "__name__", "")
        options = kwargs.get("options")
        if options is not None and name in _OPTION_WIDGETS:
            allowed = list(options)
            if isinstance(value, list):  # multi-select pills / segmented control
                if not all(v in allowed for v in value):
                    return default
            elif value not in allowed:
                return default
        lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if lo is not None and value < lo:
                return default
            if hi is not None and value > hi:
                return default
        if (
            isinstance(value, (list, tuple))
            and isinstance(default, tuple)
            and len(value) != len(default)
        ):
            return default
        return value
