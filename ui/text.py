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
for all of them) and puts an invisible WORD JOINER (U+2060) after a ``:`` or ``@`` that is
followed by more text and inside ``www.``, which is what stops the text-level rules (a colon
before a space, as in "cats: 3 images", stays as it is). Newlines become spaces (or hard
line breaks with ``lines=True``).
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterable, Iterator
from typing import Any

JOINER = "\u2060"  # WORD JOINER: invisible, breaks shortcodes and literal autolinks
_TABLE = str.maketrans({c: "\\" + c for c in string.punctuation})
_GLUED = re.compile(r"(\\[:@])(?=\S)")  # ':' or '@' followed by more: http://, :smile:, a@b.c
_WWW = re.compile(r"(www)(?=\\\.)", re.IGNORECASE)
_BLANKS = re.compile(r"[ \t\r\f\v]+")


def md_escape(text: object, *, lines: bool = False) -> str:
    """``text`` as Markdown that Streamlit shows literally, character for character.

    Args:
        text: any value; ``str()`` of it is escaped.
        lines: keep line breaks (as Markdown hard breaks); otherwise newlines become spaces,
            which suits one-line places (labels, warnings, captions).
    """
    out = _escape(str(text).replace("\r\n", "\n").replace("\r", "\n"))
    if not lines:
        return _BLANKS.sub(" ", out.replace("\n", " ")).strip()
    # Leading blanks would start an indented code block; runs of blanks collapse in HTML anyway.
    return "  \n".join(_BLANKS.sub(" ", line).strip() for line in out.split("\n"))


def _escape(s: str) -> str:
    return _WWW.sub(r"\1" + JOINER, _GLUED.sub(r"\1" + JOINER, s.translate(_TABLE)))


def md_stream(tokens: Iterable[str]) -> Iterator[str]:
    """Tokens (characters or words) escaped one by one for ``st.write_stream``.

    Blanks are kept as they are and newlines become hard breaks; the joiners that
    :func:`md_escape` puts inside ``http://``, ``:smile:`` or ``www.`` are also put between
    tokens, since the renderer sees the text they make together.
    """
    before = ""
    for token in tokens:
        if token == "\n":
            yield "  \n"
        else:
            out = _escape(token)
            glued = before[-1:] in (":", "@") and token[:1].strip()
            if glued or (before.lower().endswith("www") and token.startswith(".")):
                out = JOINER + out
            yield out
        before = (before + token)[-3:]


def md_list(items: Iterable[object]) -> str:
    """A Markdown bullet list whose items are shown literally."""
    return "\n".join(f"- {md_escape(item)}" for item in items)


TEXT_BLOCK = "dlx-text"  # its look is in ui/accessibility.css


def text_block(where: Any, text: object) -> Any:
    """``text`` in a monospace box, line breaks kept: what ``st.code(text, language=None)``
    shows, less the copy button.

    ``st.code`` makes the browser load Streamlit's syntax highlighter (1.5 MB of JavaScript,
    every Prism language) even for plain text: 0.3-0.45 s of the main thread before a
    shared link's page first paints (profiled in headless Chromium on 2 cores). ``st.html``
    is already loaded for the app's stylesheet. The text is HTML-escaped, so a visitor's
    ``<script>`` or ``&amp;`` shows as typed; Markdown does not apply inside.
    """
    return where.html(f'<pre class="{TEXT_BLOCK}">{html.escape(str(text))}</pre>')


def text_blocks(html_elements: Iterable[Any]) -> list[str]:
    """The texts of the :func:`text_block` boxes among ``st.html`` bodies (tests read them)."""
    pattern = re.compile(rf'<pre class="{TEXT_BLOCK}">(.*?)</pre>', re.S)
    bodies = (getattr(e, "value", e) for e in html_elements)
    return [html.unescape(m) for body in bodies for m in pattern.findall(body)]
