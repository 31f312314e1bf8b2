"""End to end in headless Chromium: log in with the second factor, write and publish a
report, see it as another region, and fail to see a TLP:RED report not addressed to you."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from vrisac.accounts.tests.test_login import current_code
from vrisac.core.testing import PASSWORD, make_person, make_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Any, user: Any) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/2fa/authenticate/**")
    page.fill("input[name=code]", current_code(user))
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard/")


def log_out(page: Any) -> None:
    page.click("header form[action$='/accounts/logout/'] button")
    page.wait_for_load_state()


def test_share_a_report_and_respect_red(page: Any, screenshot_dir: Path) -> None:
    utrecht = make_person("participant", "utrecht", name="Pieter Jansen")
    haaglanden = make_person("participant", "haaglanden", name="Joost Bakker")
    coordinator = make_person("coordinator", "nipv", name="Sanne de Vries")
    red = make_report(coordinator, tlp="TLP:RED", audience="people",
                      audience_people=[coordinator], title="Rode melding")

    log_in(page, utrecht)
    assert page.locator("html").get_attribute("lang") == "nl"
    page.screenshot(path=str(screenshot_dir / "foundation-dashboard.png"), full_page=True)
    page.click("text=Melding delen")
    page.select_option("select[name=kind]", "incident")
    page.fill("input[name=title]", "Ransomware bij de regio")
    page.fill("textarea[name=summary]", "Versleuteling van de fileservers.")
    page.fill("textarea[name=body]", "## Tijdlijn\n\n* 03:12 eerste melding")
    page.check("input[name=tlp][value='TLP:AMBER']")
    page.check("input[name=audience][value=participants]")
    page.click("button[name=preview], button:has-text('Voorbeeld')")
    page.wait_for_selector("#preview h2")
    page.screenshot(path=str(screenshot_dir / "foundation-new-report.png"), full_page=True)
    page.click("button[name=publish]")
    page.wait_for_selector("h1:has-text('Ransomware bij de regio')")
    url = page.url
    page.screenshot(path=str(screenshot_dir / "foundation-report.png"), full_page=True)
    log_out(page)

    # The second factor's code may be used once per period: let it move on.
    time.sleep(0.1)
    log_in(page, haaglanden)
    page.goto(url)
    assert page.locator("h1").inner_text() == "Ransomware bij de regio"
    assert "Veiligheidsregio Utrecht" in page.content()
    page.fill("textarea[name=body]", "Wij zien hetzelfde.")
    page.click("button:has-text('Reageren')")
    page.wait_for_selector("#thread li:has-text('Wij zien hetzelfde.')")
    response = page.goto(page.base_url + f"/reports/{red.pk}/")
    assert response is not None and response.status == 404
    page.js_errors.clear()  # the browser logs the 404 we asked for
    page.goto(page.base_url + "/reports/")
    assert "Rode melding" not in page.content()
    page.screenshot(path=str(screenshot_dir / "foundation-list-other-region.png"), full_page=True)
    assert page.js_errors == []
