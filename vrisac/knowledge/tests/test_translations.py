"""Every Dutch text of the public site and the knowledge base is translated."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

CATALOGUES = [
    Path(__file__).resolve().parents[1] / "locale" / "nl" / "LC_MESSAGES" / "django.po",
    # the shared templates (base.html, the menus) around the public pages
    Path(settings.BASE_DIR) / "locale" / "nl" / "LC_MESSAGES" / "django.po",
]


@pytest.mark.parametrize("path", CATALOGUES, ids=["knowledge", "shared-templates"])
def test_no_untranslated_or_fuzzy_entry(path: Path) -> None:
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale="nl")
    assert not catalogue.fuzzy, f"{path}: the header is marked fuzzy"
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id)
    assert problems == [], f"{path}: untranslated or fuzzy: {problems}"
