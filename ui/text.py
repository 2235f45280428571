"""Visitor text made literal before it meets Streamlit's Markdown.

Class names, file names inside zips, CSV labels, typed and uploaded text and URL values all
end up in warnings, captions, labels and titles. Streamlit renders those as GitHub-flavoured
Markdown with extras, so an unescaped ``![t](http://host/t.png)`` makes every visitor's
browser fetch an outside image. What the renderer (react-markdown, remark-gfm, remark-math,
remark-emoji, Streamlit's directives; seen in Streamlit 1.67's bundle) turns into markup:

- images, links, reference links, footnotes: ``![..](..)``, ``[..](..)``, ``[..][..]``, ``[^..]``
- autolinks ``<http://..>`` and raw HTML tags; entities such as ``&amp;`` (decoded)
- emphasis, strike-through, code, tables, headings, quotes, lists (``* _ ~ ` | # > - + 1.``)
- LaTeX between ``$`` (KaTeX renders ``\\href``), colour and badge directives ``:red[..]``
- after parsing, on the text itself (so a backslash does not stop them): bare URLs
  ``http://..`` / ``www.``, e-mail addresses, emoji and icon shortcodes ``:smile:``,
  ``:material/home:``

:func:`md_escape` backslash-escapes every ASCII punctuation character (CommonMark allows it
for all of them) and puts an invisible WORD JOINER (U+2060) after every ``:`` and ``@`` and
inside ``www.``, which is what stops the text-level rules. Newlines become spaces (or hard
line breaks with ``lines=True``).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable

JOINER = "\u2060"  # WORD JOINER: invisible, breaks shortcodes and literal autolinks
_BREAK_AFTER = ":@"
_ESCAPED = {c: "\\" + c for c in string.punctuation}
_ESCAPED.update({c: "\\" + c + JOINER for c in _BREAK_AFTER})
_TABLE = str.maketrans(_ESCAPED)
_WWW = re.compile(r"(www)(?=\\\.)", re.IGNORECASE)
_BLANKS = re.compile(r"[ \t\r\f\v]+")


def md_escape(text: object, *, lines: bool = False) -> str:
    """``text`` as Markdown that Streamlit shows literally, character for character.

    Args:
        text: any value; ``str()`` of it is escaped.
        lines: keep line breaks (as Markdown hard breaks); otherwise newlines become spaces,
            which suits one-line places (labels, warnings, captions).
    """
    s = str(text).replace("\r\n", "\n").replace("\r", "\n")
    out = _WWW.sub(r"\1" + JOINER, s.translate(_TABLE))
    if not lines:
        return _BLANKS.sub(" ", out.replace("\n", " ")).strip()
    # Leading blanks would start an indented code block; runs of blanks collapse in HTML anyway.
    return "  \n".join(_BLANKS.sub(" ", line).strip() for line in out.split("\n"))


def md_list(items: Iterable[object]) -> str:
    """A Markdown bullet list whose items are shown literally."""
    return "\n".join(f"- {md_escape(item)}" for item in items)
