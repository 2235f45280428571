"""DL Explorer's library: data, models, training jobs and figures for every topic page.

Nothing here imports Streamlit (``tests/unit/test_boundary.py`` enforces it). Pages call
these functions; training runs in worker processes through :mod:`dl_core.jobs`.
"""

import os

__version__ = "0.1.0"

# Quiet TensorFlow's C++ logging and default to the TensorFlow backend; a user who sets
# KERAS_BACKEND=jax or torch keeps their choice (untested: see each Topic in dl_core.topics).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
