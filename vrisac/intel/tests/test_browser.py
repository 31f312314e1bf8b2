"""In a real browser: a report's indicators and correlations, and adding indicators from
pasted text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vrisac.core.testing import browser_sign_in, make_report
from vrisac.intel.models import Indicator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_report_indicators_and_extraction_in_the_browser(page: Any, people: dict,
                                                         screenshot_dir: Path) -> None:
    make_report(people["vnog"], title="Scans op de portalen",
                indicators=[{"type": "cidr", "value": "185.220.101.0/24"},
                            {"type": "domain", "value": "rooster-portaal.com"}])
    report = make_report(people["utrecht"], title="Phishing bij de meldkamer",
                         indicators=[{"type": "ipv4", "value": "185.220.101.47"}])
    browser_sign_in(page.context, page.base_url, people["utrecht"])
    page.goto(f"{page.base_url}{report.get_absolute_url()}")
    page.get_by_role("heading", name="Indicatoren").wait_for()
    assert page.get_by_text("Scans op de portalen").count() >= 1
    page.get_by_label("Indicatoren toevoegen uit geplakte tekst").fill(
        "Blokkeer hxxps://login.rooster-portaal[.]com/auth en 8.8.8.8 (resolver)")
    page.get_by_role("button", name="Indicatoren zoeken").click()
    page.get_by_role("heading", name="2 voorstellen").wait_for()
    page.screenshot(path=str(screenshot_dir / "intel-extract.png"), full_page=True)
    page.get_by_role("button", name="Aangevinkte indicatoren toevoegen").click()
    page.get_by_text("https://login.rooster-portaal.com/auth").first.wait_for()
    page.screenshot(path=str(screenshot_dir / "intel-report-indicators.png"), full_page=True)
    values = set(Indicator.objects.filter(report=report).values_list("value__value",
                                                                     flat=True))
    # The resolver was on a warninglist, so it was not ticked.
    assert values == {"185.220.101.47", "https://login.rooster-portaal.com/auth"}
    page.get_by_label("Zoeken in meldingen en indicatoren").fill("185.220.101.9")
    page.keyboard.press("Enter")
    page.get_by_text("185.220.101.0/24").first.wait_for()
    page.screenshot(path=str(screenshot_dir / "intel-search.png"), full_page=True)
    assert page.js_errors == []


def test_indicator_page_sighting_and_coordinator_pages(page: Any, people: dict,
                                                       screenshot_dir: Path) -> None:
    report = make_report(people["vnog"], title="C2-verkeer",
                         indicators=[{"type": "ipv4", "value": "8.8.8.8"},
                                     {"type": "ipv4", "value": "185.220.101.47"}])
    make_report(people["utrecht"], indicators=[{"type": "ipv4", "value": "185.220.101.47"}])
    pk = Indicator.objects.get(report=report, value__value="185.220.101.47").pk
    browser_sign_in(page.context, page.base_url, people["haaglanden"])
    page.goto(f"{page.base_url}/intel/indicators/{pk}/")
    page.get_by_role("heading", name="Waarnemingen").wait_for()
    page.get_by_label("Bron").fill("firewall")
    page.get_by_role("button", name="Vastleggen").click()
    page.get_by_text("Uw waarneming is vastgelegd.").wait_for()
    page.screenshot(path=str(screenshot_dir / "intel-indicator.png"), full_page=True)
    page.goto(f"{page.base_url}/intel/")
    page.get_by_text("Bekende publieke DNS-resolvers").first.wait_for()
    page.screenshot(path=str(screenshot_dir / "intel-index.png"), full_page=True)
    # A participant may not open the coordinators' pages (asked outside the page, so the
    # browser console stays clean for the check at the end).
    assert page.request.get(f"{page.base_url}/intel/warninglists/").status == 404
    page.context.clear_cookies()
    browser_sign_in(page.context, page.base_url, people["coordinator"])
    page.goto(f"{page.base_url}/intel/warninglists/")
    page.get_by_role("heading", name="Waarschuwingslijsten").wait_for()
    page.screenshot(path=str(screenshot_dir / "intel-warninglists.png"), full_page=True)
    assert page.js_errors == []
