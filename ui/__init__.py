"""Streamlit-only helpers shared by every page: URL state, job progress, uploads, code, errors.

dl_core computes; ui/ draws. Pages combine the two in a few lines.
"""
