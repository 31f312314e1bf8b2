"""In a real browser: a coordinator adds a partner's collection (a live medallion), pulls
it now and sees the outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vrisac.core.testing import browser_sign_in
from vrisac.interop.taxii_client import testing
from vrisac.reports.models import Report

from .conftest import indicator, post_objects

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_pull_and_read_the_outcome(page: Any, people: dict[str, Any],
                                       medallion: testing.Medallion,
                                       screenshot_dir: Path) -> None:
    post_objects(medallion, [indicator(f"198.51.100.{n}") for n in range(12)])
    browser_sign_in(page.context, page.base_url, people["coordinator"])
    page.goto(f"{page.base_url}/exchange/taxii/")
    page.get_by_role("link", name="Nieuwe externe collectie").click()
    page.locator("#id_name").wait_for()
    page.screenshot(path=str(screenshot_dir / "taxii-client-new.png"), full_page=True)
    page.locator("#id_name").fill("partner-isac")
    page.locator("#id_title").fill("Partner-ISAC")
    page.locator("#id_url").fill(medallion.discovery_url)
    page.get_by_label("Gebruikersnaam en wachtwoord").check()
    page.locator("#id_username").fill(testing.USER)
    page.locator("#id_secret").fill(testing.PASSWORD)
    page.locator("#id_import_as").select_option(
        label=f"{people['partner']} ({people['partner'].memberships.get().organisation.name})")
    page.screenshot(path=str(screenshot_dir / "taxii-client-form.png"), full_page=True)
    page.get_by_role("button", name="Opslaan").click()
    # The pull runs on the worker (inline in tests); the page it returns to shows the outcome
    # once the pull has finished, so wait for that page before reading it again.
    with page.expect_navigation():
        page.get_by_role("button", name="Nu ophalen").click()
    page.reload()
    body = page.locator("main").inner_text()
    assert "geïmporteerd" in body and "12 ontvangen" in body, body
    assert "nieuwe meldingen: 1" in body and "indicatoren toegevoegd: 12" in body, body
    assert testing.PASSWORD not in page.content()
    page.screenshot(path=str(screenshot_dir / "taxii-client-detail.png"), full_page=True)
    assert Report.objects.filter(author=people["partner"]).count() == 1
    assert page.js_errors == []
