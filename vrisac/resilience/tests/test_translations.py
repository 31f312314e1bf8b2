"""The Dutch catalogue of resilience is complete: no empty and no fuzzy entry."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "nl" / "LC_MESSAGES" / "django.po"


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    with CATALOGUE.open("rb") as handle:
        catalog = read_po(handle, locale="nl")
    assert len(catalog) > 300
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            problems.append(message.id)
    assert problems == []
    assert not catalog.fuzzy
