"""Hostile visitor text through the real pages (issue 23): class names, zip folder and file
names, a CSV label and column, typed text and every URL parameter that holds text.

Each test runs the page in AppTest and reads what Streamlit would render as Markdown (bodies of
markdown, captions, alerts; metric, tab, expander, button and widget labels) and each plotly
figure's JSON. Every one must be inert: no live ``![..](..)``, ``[..](..)``, ``<img``,
``<script``, ``<b>``, autolink ``<http..>``, ``$\\href``, entity or bare URL made from the
payload, while the payload itself is there, escaped, where the page shows it.
"""

from __future__ import annotations

import base64
import io
import re
import zipfile

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, RUN_TIMEOUT
from ui.figures import FIGURE_MARKDOWN
from ui.text import md_escape

PAYLOAD = (
    "<img src=x onerror=alert(1)> <script>alert(2)</script> <b>bold</b> "
    "[j](javascript:alert(3)) ![t](http://127.0.0.1:9/t.png) it"
)
EXTRAS = (
    "[a link](http://127.0.0.1:9/l) <http://127.0.0.1:9/x> "
    r"$\href{http://127.0.0.1:9/y}{x}$ &lt;b&gt;"
)
HOSTILE = f"{PAYLOAD} {EXTRAS}"
# A zip member name cannot hold '/', so folder and file names use a slash-free variant.
FOLDER = (
    r"<img src=x onerror=alert(1)> ![t](t.png) [j](javascript:alert(3)) "
    r"<b>b $\href{x}{y}$ &lt;b&gt;"
)

# Markup that must never be live in a Markdown body (a backslash before it makes it text).
LIVE_MARKDOWN = re.compile(
    r"(?<!\\)!(?<!\\)\[|(?<!\\)\]\(|(?<!\\)<(?:img|script|b>|http|a )|(?<!\\)\$(?<!\\)\\href"
    r"|(?<!\\)&(?:lt|gt|amp);|https?://127|127\.0\.0\.1:9"
)
# Markup that plotly would render in a figure (its labels take a subset of HTML).
LIVE_PLOTLY = re.compile(r"<(?:img|script|b>|a |http)")


# The figures drawn in the first paint (ui.figures.show_now): a Markdown image whose alt text
# is Markdown (checked like any body) and whose picture is our own SVG, in base64. Visitor text
# in the SVG is XML-escaped, not Markdown-escaped. A visitor cannot forge the pattern: md_escape
# escapes "!" and "[" (ui.figures.FIGURE_MARKDOWN is the pattern).
# The home page's map: our own HTML (an inline SVG with links), in a raw HTML block.
OWN_HTML = re.compile(r'class="dlx-image-now"')


def _pictures(at: AppTest) -> list[str]:
    """Our own SVG and HTML drawn in the first paint, with their embedded pictures taken out:
    what is left must hold no markup."""
    own = re.compile(r'<image [^>]*href="data:image/(?:png|jpeg);base64,[A-Za-z0-9+/=]+"/>')
    out = [m.value for m in at.markdown if OWN_HTML.search(m.value)]
    for m in at.markdown:
        if found := FIGURE_MARKDOWN.fullmatch(m.value):
            out.append(own.sub("", base64.b64decode(found.group(2)).decode()))
    return out


def _bodies(at: AppTest) -> list[str]:
    """Everything on the page that Streamlit renders as Markdown (not the pictures' HTML)."""
    out: list[str] = []
    for kind in (
        "caption",
        "warning",
        "error",
        "info",
        "success",
        "title",
        "header",
        "subheader",
        "toast",
    ):
        out += [str(e.value) for e in getattr(at, kind)]
    for m in at.markdown:
        if found := FIGURE_MARKDOWN.fullmatch(m.value):
            out.append(found.group(1))  # a figure's alt text
        elif not OWN_HTML.search(m.value):
            out.append(m.value)
    out += [str(m.label) for m in at.metric] + [str(m.value) for m in at.metric]
    out += [str(t.label) for t in at.tabs] + [str(e.label) for e in at.expander]
    for kind in (
        "button",
        "text_input",
        "text_area",
        "selectbox",
        "slider",
        "toggle",
        "number_input",
        "multiselect",
        "checkbox",
        "radio",
    ):
        out += [str(getattr(w, "label", "")) for w in getattr(at, kind)]
    return out


def _figures(at: AppTest) -> list[str]:
    return [el.proto.spec for el in at.get("plotly_chart")]


def _assert_inert(at: AppTest, shown: str | None = None) -> None:
    """No live markup anywhere; ``shown`` (escaped) appears in some body when given."""
    assert not at.exception, [e.value for e in at.exception]
    bodies = _bodies(at)
    live = [b for b in bodies if LIVE_MARKDOWN.search(b)]
    assert not live, live
    live_fig = [m.group(0) for f in _figures(at) for m in LIVE_PLOTLY.finditer(f)]
    assert not live_fig, live_fig
    live_html = [m.group(0) for h in _pictures(at) for m in LIVE_PLOTLY.finditer(h)]
    assert not live_html, live_html  # names in a picture's HTML are escaped for HTML
    if shown is not None:
        assert any(md_escape(shown) in b for b in bodies), (md_escape(shown), bodies)


def _page(path: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.run()
    at.switch_page(path)
    at.query_params.update(params)
    at.run()
    return at


def _png(colour, seed) -> bytes:
    rng = np.random.default_rng(seed)
    img = np.full((40, 40, 3), 240, np.uint8)
    img[8:32, 8:32] = colour
    img = np.clip(img.astype(int) + rng.integers(-12, 12, img.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def test_injection_class_names_on_transfer_learning(fresh_home):
    """Class 1 named in the link (a crafted link), class 2 typed: the 'Few images' warning,
    the class-count bars and the thumbnails keep both as text."""
    at = _page(
        "app_pages/transfer_learning.py",
        preset="tiny",
        src="Upload images per class",
        cls_name0=PAYLOAD,
    )
    at.text_input(key="tl.cls_name1").set_value(EXTRAS).run()
    for i, colour in enumerate([(200, 30, 30), (30, 30, 200)]):
        files = [(f"{i}-{k}.png", _png(colour, 10 * i + k), "image/png") for k in range(3)]
        at.file_uploader(key=f"tl.cls_files{i}").set_value(files)
    at.run()
    _assert_inert(at, PAYLOAD)
    assert any(md_escape(EXTRAS) in w.value for w in at.warning)  # "Few images in …"
    assert any("&lt;img src=x" in f for f in _figures(at))  # escaped for plotly, present
    assert any(">&lt;img src=x onerror=alert(1)&gt;" in h for h in _pictures(at))  # a row label


def test_injection_zip_folder_and_file_names(fresh_home):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for k in range(3):
            zf.writestr(f"{FOLDER}/{k}.png", _png((200, 30, 30), k))
            zf.writestr(f"plain/{k}.png", _png((30, 30, 200), 5 + k))
        zf.writestr(f"{FOLDER}/{FOLDER}.txt", b"not an image")
    at = _page("app_pages/transfer_learning.py", preset="tiny", src="Upload a zip of class folders")
    at.file_uploader(key="tl.zip_file").set_value(
        ("classes.zip", buf.getvalue(), "application/zip")
    )
    at.run()
    _assert_inert(at, FOLDER)
    assert any("file(s) were not used" in e.label for e in at.expander)  # the skipped file


def test_injection_csv_label_and_column_on_basics(fresh_home):
    rows = "\n".join(
        f"{i % 7 / 7:.3f},{(i * 3) % 11 / 11:.3f},{PAYLOAD if i % 2 else 'plain'}"
        for i in range(40)
    )
    csv = f"{FOLDER},y,label\n{rows}\n".encode()
    at = _page("app_pages/basics.py", preset="tiny", src="CSV")
    at.file_uploader(key="basics.csv").set_value(("hostile.csv", csv, "text/csv")).run()
    _assert_inert(at, FOLDER)  # "Your columns … are scaled"
    one = f"x,y,label\n1,2,{PAYLOAD}\n3,4,{PAYLOAD}\n".encode()
    at.file_uploader(key="basics.csv").set_value(("one.csv", one, "text/csv")).run()
    _assert_inert(at, PAYLOAD)  # "Every row has the label '…'"
    assert any("two classes" in e.value for e in at.error)


def test_injection_typed_text_on_attention(fresh_home):
    at = _page("app_pages/attention.py")
    at.text_area(key="attention.text").set_value(HOSTILE).run()
    _assert_inert(at)
    assert any("&lt;" in f for f in _figures(at))  # the tokens are in the figures, escaped
    at.slider(key="attention.query").set_value(1).run()  # token 1: the text's first, '<'
    _assert_inert(at)
    caption = next(c.value for c in at.caption if "scores every key" in c.value)
    assert caption.startswith("'\\<'")  # query token 1 of the text: '<', escaped


def test_injection_typed_text_on_text_generation(fresh_home):
    corpus = ("HAMLET:\nTo be, or not to be, that is the question.\n" * 20 + HOSTILE + "\n") * 3
    at = _page(
        "app_pages/text_generation.py",
        preset="tiny",
        txt_src="Paste",
        len="30",
        prompt=PAYLOAD,
        temps="0",
    )
    at.text_area(key="textgen.txt_paste").set_value(corpus).run()
    _assert_inert(at)
    assert any("top of the scale" in h and ">&lt;</text>" in h for h in _pictures(at))  # a bar
    next(b for b in at.button if b.key == "textgen.train").click().run()
    _assert_inert(at, PAYLOAD)  # the prompt above the sample
    at.text_input(key="textgen.temps").set_value(PAYLOAD).run()
    _assert_inert(at, PAYLOAD)  # "Temperatures must be numbers … (got '…')"
    assert any("Temperatures must be numbers" in e.value for e in at.error)


# Every URL parameter that holds free text (others are checked against their options):
# (page, parameters, text expected on the page, escaped).
URL_TEXT = [
    ("app_pages/attention.py", {"text": HOSTILE}, None),
    ("app_pages/attention.py", {"view": "Compare two sentences", "a": HOSTILE, "b": PAYLOAD}, None),
    ("app_pages/attention.py", {"view": "Sentence embeddings", "sents": HOSTILE}, None),
    (
        "app_pages/attention.py",
        {"view": "Train a tiny transformer", "preset": "tiny", "probe": PAYLOAD},
        None,
    ),
    ("app_pages/basics.py", {"preset": "tiny", "hidden": PAYLOAD}, None),
    ("app_pages/basics.py", {"preset": "tiny", "add": HOSTILE}, None),
    ("app_pages/cnn.py", {"preset": "tiny", "kernel": "custom", "custom": PAYLOAD}, "<img"),
    ("app_pages/dqn.py", {"env": PAYLOAD}, PAYLOAD),
    ("app_pages/segmentation.py", {"preset": "tiny", "strokes": HOSTILE}, None),
    (
        "app_pages/transfer_learning.py",
        {"preset": "tiny", "src": "Upload images per class", "cls_name0": HOSTILE},
        None,
    ),
    (
        "app_pages/text_generation.py",
        {"preset": "tiny", "prompt": PAYLOAD, "temps": PAYLOAD, "in_text": HOSTILE},
        None,
    ),
]


@pytest.mark.parametrize(
    "path,params,shown", URL_TEXT, ids=[f"{p[10:-3]}-{'-'.join(q)}" for p, q, _ in URL_TEXT]
)
def test_injection_url_parameters(fresh_home, path, params, shown):
    at = _page(path, **params)
    _assert_inert(at, shown)
