"""Per-rerun costs that Streamlit adds once TensorFlow lives in the server process.

A Streamlit script run ends with two full garbage collections: ``runner.postScriptGC``
(turned off in ``.streamlit/config.toml``) and ``keras.backend.clear_session()``, which
Streamlit calls after every run as soon as ``keras`` is imported, to protect apps that build
models in the script. With TensorFlow loaded each full collection walks millions of objects:
about a second of CPU per page view and per widget change. Our pages never build models in
the script (results are loaded once into ``st.cache_resource``), and clearing the session
would also drop TensorFlow's kernel cache, so the next model call pays for it again.

:func:`tune` keeps Streamlit's other clean-up (closing matplotlib figures) and freezes the
objects of heavy imports out of the garbage collector's way once they are loaded.
"""

from __future__ import annotations

import gc
import logging
import sys

_LOG = logging.getLogger(__name__)
_HEAVY = ("tensorflow", "keras", "torch", "jax")
_frozen: set[str] = set()


def _close_matplotlib_figures() -> None:
    """What Streamlit's clean-up does besides resetting Keras."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")


def tune() -> None:
    """Skip the Keras reset after each script run; freeze newly imported frameworks."""
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:  # pragma: no cover - a Streamlit without this module
        return
    if getattr(script_runner, "_clean_problem_modules", None) is not _close_matplotlib_figures:
        if hasattr(script_runner, "_clean_problem_modules"):
            script_runner._clean_problem_modules = _close_matplotlib_figures
        else:  # pragma: no cover - the hook moved in a newer Streamlit
            _LOG.warning("Streamlit's per-run Keras reset was not found; reruns may be slow.")
    loaded = {m for m in _HEAVY if m in sys.modules}
    if loaded - _frozen:
        # Objects alive now (mostly module-level framework state) are never collected again,
        # so later full collections skip them.
        gc.collect()
        gc.freeze()
        _frozen.update(loaded)
