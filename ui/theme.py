"""The app's stylesheet (focus ring, contrast), read once per server process.

The entry script runs on every page view, so what it computes at its top level is computed
again for each view; the file is read here, at import, instead.
"""

from __future__ import annotations

import re
from pathlib import Path

CSS = (Path(__file__).parent / "accessibility.css").read_text()
# The tab's icon, from this folder: Streamlit shows a ``:material/...`` page icon by asking
# fonts.gstatic.com for its SVG, which fails offline and tells Google of every visit.
FAVICON = str(Path(__file__).parent / "favicon.svg")
_DARK_TEXT = re.search(r"@media \(prefers-color-scheme: dark\) \{(.*)\}", CSS, re.S).group(1)


def accessibility_css(theme: str | None) -> str:
    """The app's stylesheet; the dark theme's rules also when the viewer chose dark in the
    menu (the stylesheet alone follows the system setting)."""
    return CSS + (_DARK_TEXT if theme == "dark" else "")
