"""dl_core is a library: it never imports Streamlit (pages draw, dl_core computes)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_dl_core_never_imports_streamlit():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "dl_core").rglob("*.py")
        if "streamlit" in _imports(p)
    ]
    assert offenders == []


def test_pages_do_not_train():
    """Training loops belong in dl_core: no .fit( or GradientTape in app_pages/."""
    for page in (ROOT / "app_pages").glob("*.py"):
        text = page.read_text()
        assert ".fit(" not in text and "GradientTape" not in text, page.name
