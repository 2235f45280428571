"""Visitor text never becomes markup (issue 23): the escaping helpers, and a check over the page
and ui code that every string reaching a Markdown-rendering Streamlit call is escaped.

The check reads the source with ``ast``: the text arguments of ``st.markdown``, ``st.warning``,
``st.caption``, metric, tab, expander and button labels, ``help=`` and image ``caption=`` must
be literals, f-strings whose every ``{...}`` is escaped (``md_escape(...)``), a number (a
numeric format such as ``{x:.2f}``, ``len(...)``) or listed in ``SAFE`` below with its reason,
or ``md_escape(...)`` / ``md_list(...)`` calls. ``st.warning(f"... {name}")`` fails it.
"""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from dl_core import viz
from ui.figures import (
    FIGURE_MARKDOWN,
    colour_bar,
    encoded_image,
    images_now,
    show_bars_now,
    show_boxes_now,
    show_gallery_now,
    show_image_now,
    show_matrix_now,
    show_rows_now,
    svg_of,
)
from ui.text import JOINER, md_escape, md_list, md_stream, text_block, text_blocks

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = (
    "<img src=x onerror=alert(1)> <script>alert(2)</script> <b>bold</b> "
    "[j](javascript:alert(3)) ![t](http://127.0.0.1:9/t.png) it"
)
EXTRA = [
    "[a link](http://127.0.0.1:9/l)",
    "<http://127.0.0.1:9/x>",
    r"$\href{http://127.0.0.1:9/y}{x}$",
    "&lt;b&gt; &amp;",
    ":material/home: :smile: :red[red] :blue-badge[b]",
    "# heading\n> quote\n- item\n1. one\n    code",
    "*em* _em_ **strong** ~~gone~~ `code` a|b",
    "www.example.com mail@example.com https://example.com",
]

# -- the helper ---------------------------------------------------------------------------------


def _unescaped_specials(escaped: str) -> list[str]:
    """ASCII punctuation in ``escaped`` that is not preceded by a backslash (a live special)."""
    live, i = [], 0
    while i < len(escaped):
        c = escaped[i]
        if c == "\\":
            i += 2
            continue
        if c in "!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~":
            live.append(c)
        i += 1
    return live


@pytest.mark.parametrize("text", [PAYLOAD, *EXTRA])
def test_markdown_escape_leaves_no_live_special(text):
    out = md_escape(text)
    assert _unescaped_specials(out) == []
    assert "\n" not in out
    # Undoing the escapes gives the visitor's text back (newlines and runs of blanks become
    # single spaces; the invisible joiner is the only addition).
    back = re.sub(r"\\(.)", r"\1", out).replace(JOINER, "")
    assert back == " ".join(text.split())


def test_markdown_escape_breaks_text_level_rules():
    """Rules Streamlit's renderer applies to text after escapes are resolved: bare URLs,
    e-mail addresses, emoji and icon shortcodes. A joiner must sit inside each."""
    out = md_escape(EXTRA[-1] + " " + EXTRA[4]).replace("\\", "")
    assert "://" not in out and "www." not in out.lower() and "@example" not in out
    assert not re.search(r":[\w/-]+:", out)  # no shortcode survives
    assert not re.search(r"https?://", out)


def test_markdown_escape_keeps_lines_when_asked():
    out = md_escape("# one\n    two\r\nthree", lines=True)
    assert out.split("  \n") == ["\\# one", "two", "three"]
    assert md_list(["a*b", "[x](y)"]) == "- a\\*b\n- \\[x\\]\\(y\\)"


def test_markdown_escape_leaves_plain_colons_alone():
    assert md_escape("cats: 3 images") == "cats\\: 3 images"  # no joiner before a blank


def test_markdown_stream_escapes_token_by_token():
    """Streamed characters keep their blanks, and the joined stream is as inert as md_escape."""
    text = "see ![t](http://127.0.0.1:9/t.png) at www.x.org :smile:\nnext"
    out = "".join(md_stream(list(text)))
    assert _unescaped_specials(out.replace("  \n", " ")) == []
    assert "see \\!\\[t\\]" in out and out.count("  \n") == 1
    plain = out.replace("\\", "")
    assert "://" not in plain and "www." not in plain and ":smile" not in plain
    assert re.sub(r"\\(.)", r"\1", out).replace(JOINER, "") == text.replace("\n", "  \n")


def test_markdown_escape_accepts_any_value():
    assert md_escape(3.5) == "3\\.5"
    assert md_escape("") == ""


def test_text_block_shows_visitor_text_as_text():
    class Where:  # a container: records what it was asked to show
        def html(self, body):
            self.body = body
            return body

    where = Where()
    text = PAYLOAD + "\nsecond line & <i>more</i>"
    text_block(where, text)
    assert "<script" not in where.body and "<img" not in where.body and "<i>" not in where.body
    assert "&lt;script&gt;" in where.body and "&amp;" in where.body
    assert text_blocks([where.body, "<style>p {}</style>"]) == [text]  # line break kept


class Where:  # a container: records what it was asked to show
    def markdown(self, body, unsafe_allow_html=False):
        self.body, self.html = body, unsafe_allow_html


def _figure(where: Where, images: int) -> str:
    """The SVG of the first-paint figure ``where`` was asked to show, checked: one plain
    Markdown image (no HTML allowed), whose alt text has no live Markdown, holding a
    well-formed SVG with ``images`` pictures and no tag a visitor could have written."""
    from xml.etree import ElementTree

    body = where.body
    assert where.html is False and "\n" not in body
    found = FIGURE_MARKDOWN.fullmatch(body)
    assert found, body[:200]
    assert not _unescaped_specials(found.group(1))  # the alt text: every mark escaped
    svg = svg_of(body)
    tree = ElementTree.fromstring(svg)  # well-formed: every name escaped
    tags = {el.tag.split("}")[-1] for el in tree.iter()}
    assert tags <= {"svg", "g", "text", "rect", "image", "circle", "defs", "linearGradient", "stop"}
    assert sum(el.tag.endswith("image") for el in tree.iter()) == images
    assert "<script" not in svg and "<b>" not in svg and "&lt;b&gt;bold&lt;/b&gt;" in svg
    return svg


def test_first_paint_image_shows_names_as_text_and_the_picture_as_it_is():
    where = Where()
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (12, 20, 3), dtype=np.uint8)
    name = PAYLOAD + "\n\n**not bold** & $x$"
    show_image_now(where, image, f"alt: {name}", width=300, legend=[(name, "#E69F00")])
    svg = _figure(where, 1)
    assert 'fill="#E69F00"' in svg and "**not bold** &amp; $x$" in svg
    [(alt, pixels)] = images_now([where.body])
    assert alt == "alt: " + " ".join(name.split())  # the description, as text, on one line
    assert np.array_equal(pixels, np.asarray(Image.open(io.BytesIO(encoded_image(image, 300)))))
    with pytest.raises(ValueError, match="colour"):
        show_image_now(where, image, "x", legend=[("a", "red; background: url(x)")])
    other = rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)
    show_rows_now(where, f"title {name}", [(name, image, "row 1"), ("b\n\nc", other, name)])
    svg = _figure(where, 2)
    assert "title &lt;img" in svg
    assert [alt for alt, _ in images_now([where.body])] == ["row 1", " ".join(name.split())]


def test_first_paint_figures_show_visitor_text_as_text():
    """The gallery, the table of pictures, the bar chart and the boxes over a picture: every
    name a visitor may have chosen (a class folder, a word, a file name) is text."""
    where, rng = Where(), np.random.default_rng(1)
    picture = rng.integers(0, 255, (10, 10, 3), dtype=np.uint8)
    name = PAYLOAD + "\n\n**not bold** & $x$"
    show_gallery_now(where, [(name, picture), ("b", picture)], cell=64, pixelated=True)
    assert "image-rendering: pixelated" in _figure(where, 2)
    assert [a for a, _ in images_now([where.body])] == [" ".join(name.split()), "b"]
    scale = colour_bar(["#440154", "#FDE725"], "0", "1", name)
    show_matrix_now(where, [[picture, picture]], [name], ["h0", name], [[name, "x"]], scale=scale)
    svg = _figure(where, 2)
    assert '<stop offset="0.000" stop-color="#440154"/>' in svg and 'stop-color="#FDE725"' in svg
    with pytest.raises(ValueError, match="colour"):
        colour_bar(["red); background: url(x"], "0", "1", "w")
    show_bars_now(where, [(name, 0.5), ("e", 0.25)], name, "{:.0%}".format, height=100)
    svg = _figure(where, 0)
    assert 'height="100.0"' in svg and 'height="50.0"' in svg  # the tallest is the scale's top
    assert "top of the scale: 50%" in svg and where.body.startswith("![")
    assert r"e 25\%" in where.body  # the alt text lists every bar
    with pytest.raises(ValueError, match="colour"):
        show_bars_now(where, [("a", 1.0)], "x", str, colour="url(x)")
    image = rng.integers(0, 255, (40, 80, 3), dtype=np.uint8)
    boxes = [(8, 4, 40, 20, name, "#0072B2", "solid"), (0, 0, 80, 40, "", "#FFFFFF", "dotted")]
    show_boxes_now(where, image, name, boxes, [(20, 10, "#E69F00")], [(name, "#0072B2")])
    svg = _figure(where, 1)
    # shown at its own width (80 px): a box is outlined 1 px outside its edges, under the
    # title (13 + 7 px) and the room for its label's tab (16 px)
    assert '<rect x="7.0" y="39.0" width="34.0" height="18.0" fill="none" stroke="#0072B2"' in svg
    assert 'stroke="#FFFFFF" stroke-width="2" stroke-dasharray="2 3"' in svg
    assert '<circle cx="20.0" cy="46.0"' in svg
    [(alt, pixels)] = images_now([where.body])
    assert alt.endswith(": " + " ".join(name.split())) and pixels.shape == (40, 80, 3)
    for bad in [(0, 0, 1, 1, "a", "red", "solid"), (0, 0, 1, 1, "a", "#000000", "dashed;x")]:
        with pytest.raises(ValueError):
            show_boxes_now(where, image, "t", [bad])


def test_home_map_is_well_formed_svg_with_a_link_per_architecture():
    from xml.etree import ElementTree

    from ui.figures import ARCHITECTURE_MAP, architecture_map_svg, page_href

    svg = ElementTree.fromstring(architecture_map_svg())  # well-formed: nothing unescaped
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.tag in ("svg", ns + "svg") and "\n" not in architecture_map_svg()
    links = [el for el in svg.iter() if el.tag in ("a", ns + "a")]
    assert [a.get("href") for a in links] == [page_href(p) for *_, p in ARCHITECTURE_MAP]
    assert all(a.get("target") == "_self" and "".join(a.itertext()) for a in links)


def test_injection_plotly_labels_are_plain():
    """Plotly renders <b>, <br> and <a href> in labels: the shared builders escape them."""
    fig = viz.bars([0.2, 0.8], ["<a href='http://127.0.0.1:9/'>x</a>", "&lt;"])
    assert set(fig.data[0].y) == {"&lt;a href='http://127.0.0.1:9/'&gt;x&lt;/a&gt;", "&amp;lt;"}
    cm = viz.confusion_matrix([[1, 0], [0, 1]], ["<b>a</b>", "b"])
    assert cm.data[0].x[0] == "&lt;b&gt;a&lt;/b&gt;"
    grid = viz.image_grid([[[0.0]], [[1.0]]], titles=["<i>x</i>", "y"])
    assert isinstance(grid, go.Figure)
    assert grid.layout.annotations[0].text == "&lt;i&gt;x&lt;/i&gt;"


# -- every Markdown-rendering call in app_pages/ and ui/ escapes what it interpolates ----------

# Calls whose text arguments Streamlit renders as Markdown (first positional argument or the
# named ones; ``write`` and the alerts take the first, ``metric`` label, value and delta).
TEXT_CALLS = {
    "markdown": 1,
    "write": 9,
    "warning": 1,
    "error": 1,
    "info": 1,
    "success": 1,
    "toast": 1,
    "caption": 1,
    "header": 1,
    "subheader": 1,
    "title": 1,
    "metric": 3,
    "tabs": 1,
    "expander": 1,
    "popover": 1,
    "status": 1,
    "button": 1,
    "download_button": 1,
    "link_button": 1,
    "page_link": 0,
    "toggle": 1,
    "checkbox": 1,
    "radio": 1,
}
TEXT_KEYWORDS = {"body", "label", "value", "delta", "help", "caption"}
# Page helpers that pass an argument on to a Markdown call: name -> index of that argument.
LOCAL_TEXT_FUNCS = {"url": 1, "picked": 1, "chart": 2}  # UrlState(widget, label, ...)
NOT_STREAMLIT = {"log", "logger", "logging", "warnings", "jobs"}  # (jobs.status: a job)
HELPERS = {"md_escape", "md_list"}
NUMERIC_CALLS = {"len", "int", "float", "round", "min", "max"}
NUMERIC_FORMAT = re.compile(r"[,_]|[bcdeEfFgGnoxX%]$")

# Interpolations known to be safe, per file, with the reason: numbers or app constants. Anything
# else that reaches a Markdown call must go through ``md_escape``.
SAFE: dict[str, set[str]] = {
    "app_pages/attention.py": {"layer", "head", "name", "out['unknown']"},  # ints; "A"/"B"
    "app_pages/basics.py": {"errors['xor'][-1]"},  # a count
    "app_pages/cnn.py": {
        "i",
        "j",
        "corner",
        "f",
        "kernel.shape",
        "fmap.shape[0]",
        "fmap.shape[1]",
        "fmap.shape[2]",
    },  # ints and shapes
    "app_pages/detection.py": {
        "image.shape[1]",
        "image.shape[0]",
        "small.shape[1]",
        "small.shape[0]",
        "step",
    },  # ints
    "app_pages/dqn.py": {
        "env.title",
        "env.reward",
        "env.observation",
        "', '.join(env.actions)",
        "source",
    },  # dqn.ENVS constants; one of two fixed phrases
    "app_pages/gan.py": {"name", "what", "gres['collapse_epochs']", "i + 1"},  # constants, ints
    "app_pages/home.py": {"spec.data"},  # ui.registry constant
    "app_pages/jobs.py": {"j.state", "j.key[:12]"},  # a state name; a hex digest
    "app_pages/segmentation.py": {
        "cfg.n_val",
        "result['epochs_run']",
        "unused",
        "res.n_fg",
        "res.n_bg",
        "res.n_conflict",
    },  # counts
    "app_pages/text_generation.py": {"tg.data.PLACEHOLDER", "best['unit']"},  # constant; int
    "app_pages/transfer_learning.py": {"cfg.seed"},
    "ui/code.py": {"module", "getattr(obj, '__qualname__', obj)"},  # our own functions
    "ui/figures.py": {"body"},  # html_now: our HTML, visitor text escaped (tested below)
    "ui/jobs.py": {"STATE_ICONS.get(status.state, '')", "label"},  # icons; a page's label
    "ui/system.py": {
        "_version('keras')",
        "_version('tensorflow')",
        "counts['running']",
        "counts['queued']",
    },  # versions; counts
    "ui/uploads.py": {"i + 1"},
}
# Whole arguments (not f-strings) known to be safe, per file: labels the page code itself wrote
# (loop variables over constant tables, helper parameters) and operator settings.
SAFE_ARGS: dict[str, set[str]] = {
    "app_pages/attention.py": {"label", "caption"},  # picked()/chart() parameters (checked
    # at their call sites through LOCAL_TEXT_FUNCS)
    "app_pages/basics.py": {"lab"},  # "x column", "y column", "Label column"
    "app_pages/cnn.py": {
        "label",
        "value",  # cnn.CHOICES labels; the page's own metrics
        "conv.explain_shape(grey.shape, kern.shape[0], stride, padding, pool_size)",
    },
    "app_pages/detection.py": {"det.HEAD_EXPLAINED"},  # our Markdown
    "app_pages/gan.py": {"label"},  # GAN_CONTROLS / VAE_CONTROLS labels
    "app_pages/home.py": {"spec.blurb", "spec.title"},  # ui.registry constants
    "app_pages/segmentation.py": {"seg.pretrained.SORRY", "['image | predicted mask'] * len(a)"},
    "app_pages/transfer_learning.py": {"transfer.MODE_TITLES[m]"},
    "ui/code.py": {"label"},  # show_code's label parameter (a constant at every call)
    # show_now: an SVG picture in base64, its alt text escaped by _alt (tested above)
    "ui/figures.py": {"svg_markdown(piece, ink())"},
    "ui/compare.py": {"button"},  # train_and_compare's button label (constants at call sites)
    "ui/jobs.py": {"text"},  # a page's button label + a constant suffix
    "ui/system.py": {
        "backend",
        "devices()[-1].split(' · ')[0]",
        "'\\n'.join(devices())",
        "' · '.join(devices())",
    },  # operator settings and hardware names
    "ui/uploads.py": {"label"},  # image_input's label parameter (constants at call sites)
}


def _sources() -> list[Path]:
    return sorted([*ROOT.glob("app_pages/*.py"), *ROOT.glob("ui/*.py"), ROOT / "streamlit_app.py"])


def _receiver(func: ast.expr) -> str:
    while isinstance(func, (ast.Attribute, ast.Subscript, ast.Call)):
        func = func.value if not isinstance(func, ast.Call) else func.func
    return func.id if isinstance(func, ast.Name) else ""


class _Checker:
    def __init__(self, rel: str) -> None:
        self.rel = rel
        self.safe = SAFE.get(rel, set())
        self.safe_args = SAFE_ARGS.get(rel, set())
        self.constants: set[str] = set()  # module-level names bound to literal text
        self.problems: list[str] = []

    def interp_ok(self, node: ast.FormattedValue) -> bool:
        spec = node.format_spec
        if isinstance(spec, ast.JoinedStr) and spec.values:
            last = spec.values[-1]
            if isinstance(last, ast.Constant) and NUMERIC_FORMAT.search(str(last.value)):
                return True
        value = node.value
        if isinstance(value, ast.Constant):
            return True
        if isinstance(value, ast.IfExp):  # one of two literals
            return all(isinstance(v, ast.Constant) for v in (value.body, value.orelse))
        if isinstance(value, ast.Call) and getattr(value.func, "id", "") in HELPERS | NUMERIC_CALLS:
            return True
        return ast.unparse(value) in self.safe

    def text_ok(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.JoinedStr):
            return all(
                isinstance(v, ast.Constant) or self.interp_ok(v)  # type: ignore[arg-type]
                for v in node.values
            )
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in HELPERS | NUMERIC_CALLS:
            return True
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.text_ok(node.left) and self.text_ok(node.right)
        if isinstance(node, ast.IfExp):
            return self.text_ok(node.body) and self.text_ok(node.orelse)
        if isinstance(node, (ast.List, ast.Tuple)):
            return all(self.text_ok(e) for e in node.elts)
        if isinstance(node, ast.Name) and node.id in self.constants:  # a page's teaching text
            return True
        return ast.unparse(node) in self.safe_args

    def check(self, call: ast.Call, args: list[ast.expr]) -> None:
        for arg in args:
            if not self.text_ok(arg):
                self.problems.append(f"{self.rel}:{call.lineno}: {ast.unparse(arg)[:90]}")

    def visit(self, tree: ast.AST) -> None:
        self.constants = {
            node.targets[0].id
            for node in getattr(tree, "body", [])
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id.isupper()
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        }
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            named = [k.value for k in call.keywords if k.arg in TEXT_KEYWORDS]
            if isinstance(func, ast.Attribute) and func.attr in TEXT_CALLS:
                if _receiver(func) in NOT_STREAMLIT or not (call.args or call.keywords):
                    continue
                self.check(call, call.args[: TEXT_CALLS[func.attr]] + named)
            elif isinstance(func, ast.Name) and func.id in LOCAL_TEXT_FUNCS:
                at = LOCAL_TEXT_FUNCS[func.id]
                self.check(call, call.args[at : at + 1] + named)
            elif named and isinstance(func, ast.Attribute) and func.attr == "image":
                self.check(call, named)


def test_markdown_calls_escape_visitor_text():
    problems = []
    for path in _sources():
        checker = _Checker(path.relative_to(ROOT).as_posix())
        checker.visit(ast.parse(path.read_text(), str(path)))
        problems += checker.problems
    assert not problems, "Unescaped text reaches Markdown (wrap it in md_escape):\n" + "\n".join(
        problems
    )


def test_markdown_check_catches_an_unescaped_warning():
    """The check above is not vacuous: an unescaped interpolation or variable is reported."""
    src = (
        "st.warning(f'Few images in {name}')\n"
        "c1.warning(w, icon='x')\n"
        "st.caption(f'{n:.2f} {md_escape(name)} {len(xs)}')\n"
        "st.tabs(['A', label])\n"
        "url(st.slider, f'Class {name}', 'n', 1)\n"
        "col.image(img, caption=f'true: {name}')\n"
        "log.warning(f'{name}')\n"
    )
    checker = _Checker("app_pages/example.py")
    checker.visit(ast.parse(src))
    lines = [p.split(":")[1] for p in checker.problems]
    assert lines == ["1", "2", "4", "5", "6"], checker.problems
