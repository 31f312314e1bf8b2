"""The warnings pages speak Dutch by default, and each reader gets reasons in their language.

(Every catalogue's completeness is checked once for the whole project in
tests/test_translations.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from vrisac.core.testing import client_for

APPS = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_pages_are_dutch_by_default_and_english_on_request(people: dict[str, Any]) -> None:
    client = client_for(people["utrecht"])
    assert "Onze waarschuwingen" in client.get(reverse("alerts:index")).content.decode()
    assert "Onze inventaris" in client.get(reverse("assets:list")).content.decode()
    client.cookies["vrisac_language"] = "en"
    english = client.get(reverse("alerts:index"))
    assert "Our warnings" in english.content.decode()


@pytest.mark.django_db
def test_reasons_follow_the_reader(people: dict[str, Any], tmp_path: Any) -> None:
    from vrisac.alerts.models import Warning

    from .helpers import add_item, import_and_match, nvd_cve, nvd_page

    add_item(people["utrecht"], vendor="Cisco", product="IOS", version="12.2(55)SE3")
    import_and_match("nvd", [nvd_page(tmp_path, [nvd_cve("CVE-2018-0171", [
        {"vulnerable": True, "criteria": "cpe:2.3:o:cisco:ios:*:*:*:*:*:*:*:*",
         "versionEndExcluding": "12.2(55)SE12"}])])])
    warning = Warning.objects.get()
    client = client_for(people["utrecht"])
    dutch = client.get(warning.get_absolute_url()).content.decode()
    assert "valt binnen" in dutch and "is within" not in dutch
    client.cookies["vrisac_language"] = "en"
    english = client.get(warning.get_absolute_url()).content.decode()
    assert "is within" in english and "valt binnen" not in english
