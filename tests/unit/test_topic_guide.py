"""docs/topic-guide.md is true: its template, written into a temporary folder, makes a topic
that registers and passes ``check_topic``; its links lead to files that exist; its page
example calls only what exists."""

import ast
import re
import sys
from pathlib import Path

import pytest

import dl_core
from dl_core import topics
from dl_core.testing import check_topic

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "topic-guide.md"
NAME = "mytopic"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


def _template() -> tuple[dict[str, str], str, str]:
    """The package files by name, the registry line and the page example."""
    files, register, page = {}, "", ""
    for block in _blocks():
        first = block.splitlines()[0]
        if first.startswith(f"# dl_core/{NAME}/"):
            files[first.split("/")[-1].strip()] = block
        elif first.startswith("# dl_core/topics.py"):
            register = block
        elif "st.title" in block:
            page = block
    return files, register, page


@pytest.fixture
def guide_topic(tmp_path, monkeypatch):
    files, register, _ = _template()
    package = tmp_path / NAME
    package.mkdir()
    for name, text in files.items():
        (package / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(dl_core, "__path__", [*dl_core.__path__, str(tmp_path)])
    exec(register, vars(topics))  # the guide's one registry line, as if added to topics.py
    yield topics.get(NAME)
    topics.unregister(NAME)
    for mod in [m for m in sys.modules if m.startswith(f"dl_core.{NAME}")]:
        del sys.modules[mod]
    if hasattr(dl_core, NAME):
        delattr(dl_core, NAME)


def test_template_has_every_file_of_the_table():
    files, register, page = _template()
    assert set(files) == {
        "config.py",
        "data.py",
        "model.py",
        "train.py",
        "analysis.py",
        "plots.py",
        "__init__.py",
    }
    assert register and page
    table = GUIDE.read_text(encoding="utf-8")
    for name in files:
        assert f"`dl_core/<topic>/{name}`" in table


def test_template_topic_registers_and_passes_check_topic(guide_topic, fresh_home, inline_jobs):
    assert guide_topic in topics.TOPICS
    assert topics.trainer(f"dl_core.{NAME}.train:train").Config.__module__ == (
        f"dl_core.{NAME}.config"
    )
    check_topic(guide_topic)


def test_page_example_uses_only_what_exists(guide_topic):
    from ui import jobs as ui_jobs
    from ui.state import UrlState

    tree = ast.parse(_template()[2])
    namespaces = {NAME: guide_topic.module, "ui_jobs": ui_jobs, "url": UrlState("x")}
    used = [
        (node.value.id, node.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
    ]
    missing = [f"{n}.{a}" for n, a in used if n in namespaces and not hasattr(namespaces[n], a)]
    assert not missing
    assert {(NAME, "train"), (NAME, "PRESETS"), ("ui_jobs", "train_panel")} <= set(used)


def test_links_lead_to_files_that_exist():
    text = GUIDE.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+)\)", text)
    assert links
    assert [link for link in links if not (GUIDE.parent / link).exists()] == []
