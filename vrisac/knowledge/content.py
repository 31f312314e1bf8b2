"""The public site's first content (``data/``), read by the data migration."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class PageText:
    title: str
    summary: str
    body: str


def parse_page(text: str, source: str = "") -> PageText:
    """A page file: ``---``, ``title:`` and ``summary:`` lines, ``---``, then Markdown."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---" or "---" not in [x.strip() for x in lines[1:]]:
        raise ValueError(f"{source}: a page starts with a --- header --- block")
    end = [x.strip() for x in lines[1:]].index("---") + 1
    header: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        key, sep, value = line.partition(":")
        if not sep or key.strip() not in ("title", "summary"):
            raise ValueError(f"{source}, line {number}: expected 'title:' or 'summary:'")
        header[key.strip()] = value.strip()
    if not header.get("title"):
        raise ValueError(f"{source}: the header has no title")
    return PageText(header["title"], header.get("summary", ""),
                    "\n".join(lines[end + 1:]).strip() + "\n")


def page_texts(slug: str) -> dict[str, str]:
    """The six text fields of a page, from ``data/pages/<slug>.nl.md`` and ``.en.md``."""
    fields: dict[str, str] = {}
    for lang in ("nl", "en"):
        path = DATA / "pages" / f"{slug}.{lang}.md"
        page = parse_page(path.read_text(encoding="utf-8"), source=str(path.name))
        fields[f"title_{lang}"] = page.title
        fields[f"summary_{lang}"] = page.summary
        fields[f"body_{lang}"] = page.body
    return fields


def media_items() -> list[dict[str, Any]]:
    return list(json.loads((DATA / "media.json").read_text(encoding="utf-8"))["items"])
