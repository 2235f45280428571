"""Results of pure functions (figures, analyses) cached by the content of their arguments.

A page view reruns the whole script: without a cache every figure is rebuilt and every
analysis recomputed for each visitor and each widget change. :func:`memo` keys a call by
the function and a digest of its arguments, and keeps the value in one bounded,
server-wide ``st.cache_resource``::

    show_figure(st, memo(plots.plot_accuracy, history), key="acc")
    fmap = memo(explain.activations, model, batch, layer)

Arguments are hashed by value (NumPy arrays by dtype, shape and bytes; lists, tuples, dicts
and dataclasses field by field) except objects that cannot be (a Keras model, a job
result), which are hashed by identity: they must not change once passed here, which holds
for models and results loaded into ``st.cache_resource``. The value is shared by every
session, so callers never mutate it (``st.plotly_chart`` does not); a cached plotly figure
is serialised once, so changing it afterwards would not show.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import threading
import types
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import streamlit as st
from plotly.basedatatypes import BaseFigure

from dl_core import viz
from dl_core.describe import describe_figure

T = TypeVar("T")
MAX_ENTRIES = 256
_FUNCTIONS = (types.FunctionType, types.BuiltinFunctionType)

_tokens: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
_counter = itertools.count()
_lock = threading.Lock()


class Unhashable(TypeError):
    """An argument can be hashed neither by value nor by identity."""


def _identity(obj: Any) -> bytes:
    """A token that lives as long as ``obj`` (``id()`` alone could be reused)."""
    with _lock:
        try:
            token = _tokens.get(obj)
            if token is None:
                token = _tokens[obj] = next(_counter)
        except TypeError as err:  # no weak reference possible
            raise Unhashable(type(obj).__name__) from err
    return f"id:{type(obj).__qualname__}:{token}".encode()


def _feed(h: Any, obj: Any) -> None:
    if isinstance(obj, (str, bytes)):  # long texts: no repr() copy
        h.update(f"{type(obj).__name__}:{len(obj)}:".encode())
        h.update(obj.encode("utf-8", "surrogatepass") if isinstance(obj, str) else obj)
    elif obj is None or isinstance(obj, (bool, int, float, complex)):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
    elif isinstance(obj, np.ndarray):
        arr = np.ascontiguousarray(obj)
        h.update(f"nd:{arr.dtype.str}:{arr.shape};".encode())
        h.update(arr.view(np.uint8).data if arr.dtype != object else repr(arr).encode())
    elif isinstance(obj, np.generic):
        h.update(f"np:{obj.dtype.str}:{obj!r};".encode())
    elif isinstance(obj, (list, tuple)):
        h.update(f"{type(obj).__name__}[{len(obj)}:".encode())
        for item in obj:
            _feed(h, item)
        h.update(b"]")
    elif isinstance(obj, (set, frozenset)):
        h.update(f"{type(obj).__name__}[{len(obj)}:".encode())
        for item in sorted(obj, key=repr):
            _feed(h, item)
        h.update(b"]")
    elif isinstance(obj, dict):
        h.update(f"dict[{len(obj)}:".encode())
        for k, v in obj.items():
            _feed(h, k)
            _feed(h, v)
        h.update(b"]")
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(f"dc:{type(obj).__module__}.{type(obj).__qualname__}(".encode())
        for f in dataclasses.fields(obj):
            h.update(f.name.encode())
            _feed(h, getattr(obj, f.name))
        h.update(b")")
    elif isinstance(obj, types.MethodType):
        _feed(h, obj.__self__)
        _feed(h, obj.__func__)
    elif isinstance(obj, _FUNCTIONS) and "<" not in obj.__qualname__:
        # Page scripts all run as ``__main__``: the code's file tells their functions apart.
        code = getattr(obj, "__code__", None)
        where = f"{code.co_filename}:{code.co_firstlineno}" if code is not None else ""
        h.update(f"fn:{obj.__module__}.{obj.__qualname__}@{where};".encode())
    else:
        h.update(_identity(obj))


def digest(*args: Any, **kwargs: Any) -> str:
    """A content hash of the arguments (see the module docstring)."""
    h = hashlib.sha256()
    _feed(h, args)
    _feed(h, kwargs)
    return h.hexdigest()


def png_images(fig: Any) -> Any:
    """Hand the browser each RGB picture of ``fig`` as a PNG instead of pixel values.

    plotly.js draws an image trace given as ``z`` pixel by pixel, on the page's one thread:
    eight 300-pixel pictures kept a 2-core machine's Chromium busy for 8 s before the page's
    first figure, against under a second as PNGs (``source``), which the browser decodes
    natively. Hovering such an image shows the position, not the colour; traces that ask
    for the colour in a hover template, or have their own colour range, are left alone.
    """
    for trace in fig.data:
        if trace.type != "image" or trace.z is None or trace.source is not None:
            continue
        if (
            trace.colormodel not in (None, "rgb")
            or trace.zmin is not None
            or trace.zmax is not None
        ):
            continue
        template = trace.hovertemplate or ""
        if "z" in template or "color" in template:
            continue
        z = np.asarray(trace.z)
        if z.ndim != 3 or z.shape[2] != 3 or not z.size or z.min() < 0 or z.max() > 255:
            continue
        trace.update(source=viz.png_source(np.rint(z).astype(np.uint8)), z=None)
    return fig


def _freeze(fig: Any) -> Any:
    """Serialise a plotly figure once: ``st.plotly_chart`` calls ``to_dict()`` on every run,
    which deep-copies the figure and base64-encodes its arrays again. Its pictures go as
    PNGs (:func:`png_images`), which its description (read from the same dict: one copy of
    the figure, not two) does not look inside."""
    spec = png_images(fig).to_dict()
    fig.to_dict = lambda: spec  # readers only: st.plotly_chart turns it into JSON
    fig._description = describe_figure(spec)  # its text for screen readers (ui.figures)
    return fig


def frozen(value: T) -> T:
    """``value`` with every plotly figure in it (itself, or the values of a dict, the items
    of a list or tuple) serialised once (see :func:`_freeze`): for a page's own
    ``st.cache_resource`` of figures, shared by all sessions and never changed."""
    if isinstance(value, BaseFigure):
        return _freeze(value)
    if isinstance(value, dict):
        return {k: frozen(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(frozen(v) for v in value)
    return value


@st.cache_resource(max_entries=MAX_ENTRIES, show_spinner=False)
def _call(key: str, _fn: Callable[..., Any], _args: tuple, _kwargs: dict) -> Any:
    value = _fn(*_args, **_kwargs)
    if isinstance(value, BaseFigure):
        value = _freeze(value)
    return value


def memo(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, computed once per distinct arguments on this server."""
    try:
        key = digest(fn, *args, **kwargs)
    except Unhashable:
        return fn(*args, **kwargs)
    return _call(key, fn, args, kwargs)
