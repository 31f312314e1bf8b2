"""Dutch first: every catalogue entry translated, placeholders kept, catalogues up to date,
and the interface in Dutch unless the visitor chooses English."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.test import Client
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdf]|\{[a-z_]+\}")


def catalogues() -> list[Path]:
    return sorted([*ROOT.glob("locale/*/LC_MESSAGES/django.po"),
                   *ROOT.glob("vrisac/*/locale/*/LC_MESSAGES/django.po"),
                   *ROOT.glob("vrisac/*/*/locale/*/LC_MESSAGES/django.po")])


def test_there_is_a_dutch_catalogue() -> None:
    assert any("/nl/" in str(p) for p in catalogues())


@pytest.mark.parametrize("path", catalogues(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_entry_is_translated_and_keeps_its_placeholders(path: Path) -> None:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if "fuzzy" in message.flags:
            problems.append(f"fuzzy: {ids[0]!r}")
        if not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = set(PLACEHOLDER.findall(str(ids[0])))
        for string in strings:
            if set(PLACEHOLDER.findall(str(string))) != wanted and len(ids) == 1:
                problems.append(f"placeholders differ: {ids[0]!r}")
    assert problems == []


@pytest.mark.skipif(shutil.which("xgettext") is None,
                    reason="GNU gettext (xgettext) is not installed; catalogue freshness is "
                           "checked where it is")
def test_catalogues_are_up_to_date(tmp_path: Path) -> None:
    """Extract the strings again into a copy; nothing may be missing from the catalogues."""
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".venv", "var", ".git", "node_modules", "test-artifacts", "*.mo", "__pycache__"))
    subprocess.run([str(Path(sys.executable).parent / "vrisac"), "messages", "--root", str(copy)],
                   cwd=copy, check=True, capture_output=True)

    def ids(base: Path) -> dict[str, set[str]]:
        found = {}
        for po in [*base.glob("locale/nl/LC_MESSAGES/django.po"),
                   *base.glob("vrisac/*/locale/nl/LC_MESSAGES/django.po"),
                   *base.glob("vrisac/*/*/locale/nl/LC_MESSAGES/django.po")]:
            with po.open("rb") as handle:
                found[str(po.relative_to(base))] = {
                    m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
        return found

    fresh, shipped = ids(copy), ids(ROOT)
    missing = {name: sorted(fresh[name] - shipped.get(name, set()))[:10] for name in fresh
               if fresh[name] - shipped.get(name, set())}
    assert missing == {}, "run `make messages` and translate the new entries"


def test_compiled_catalogue_translates() -> None:
    with translation.override("nl"):
        assert translation.gettext("Reports") == "Meldingen"
    with translation.override("en"):
        assert translation.gettext("Reports") == "Reports"


@pytest.mark.django_db
def test_dutch_by_default_english_by_browser_or_switch() -> None:
    page = Client().get("/accounts/login/").content.decode()
    assert '<html lang="nl">' in page and "Inloggen bij VR-ISAC" in page
    english = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").get("/accounts/login/")
    assert "Log in to VR-ISAC" in english.content.decode()
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert "Log in to VR-ISAC" in client.get("/accounts/login/").content.decode()
    assert not client.get("/accounts/login/").request["PATH_INFO"].startswith("/en/")
