"""Every test named in docs/threat-model.md and docs/security.md exists, so the documents
cannot silently point at nothing after a rename."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("docs/threat-model.md", "docs/security.md")
REFERENCE = re.compile(r"`([\w/.-]+\.py)::([\w:]+)`")


def _defined(path: Path) -> set[str]:
    """``name`` and ``Class::name`` for every test function and class in a file."""
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
            names |= {f"{node.name}::{item.name}" for item in node.body
                      if isinstance(item, ast.FunctionDef)}
    return names


def references(doc: str) -> list[tuple[str, str]]:
    return REFERENCE.findall((ROOT / doc).read_text())


@pytest.mark.parametrize("doc", DOCS)
def test_every_test_named_in_the_document_exists(doc: str) -> None:
    named = references(doc)
    assert len(named) > 15
    missing = [f"{path}::{name}" for path, name in named
               if not (ROOT / path).is_file() or name not in _defined(ROOT / path)]
    assert missing == []


def test_a_renamed_test_would_be_noticed(tmp_path: Path) -> None:
    module = tmp_path / "test_x.py"
    module.write_text("def test_a():\n    pass\n\nclass Suite:\n    def test_b(self):\n"
                      "        pass\n")
    assert _defined(module) == {"test_a", "Suite", "Suite::test_b"}
    assert "test_c" not in _defined(module)


def test_the_threat_model_names_every_actor() -> None:
    text = (ROOT / "docs/threat-model.md").read_text().lower()
    for actor in ("participant", "coordinator", "owner observer", "partner",
                  "anonymous visitor", "stolen token", "malicious feed",
                  "compromised participant"):
        assert actor in text, actor
