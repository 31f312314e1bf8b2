"""The warning pages in a real browser (headless Chromium): what a CISO sees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vrisac.core.testing import browser_sign_in, make_person

from .helpers import SAMPLES, add_item, import_and_match

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DATA = SAMPLES.parent / "demo"


def test_warnings_pages(page: Any, screenshot_dir: Path) -> None:
    pieter = make_person("participant", "utrecht", name="Pieter Jansen")
    coordinator = make_person("coordinator", "nipv", name="Sanne de Vries")
    add_item(pieter, vendor="Citrix", product="NetScaler ADC", version="13.1-49.13",
             cpe="cpe:2.3:a:citrix:netscaler_application_delivery_controller:13.1-49.13:*:*:*:"
                 "*:*:*:*", internet_facing=True, criticality="high")
    add_item(pieter, vendor="Apache", product="HTTP Server", version="2.4.49",
             internet_facing=True)
    add_item(pieter, vendor="CSAF Tools", product="CVRF-CSAF-Converter", version="1.0.0-rc2")
    import_and_match("kev", [SAMPLES / "kev-sample-25.json", DATA / "kev-citrix-bleed.json"])
    import_and_match("nvd", [DATA / "nvd-citrix-bleed.json"])
    import_and_match("csaf", [SAMPLES / "oasis-example-bsi-2022-0001.json"])
    browser_sign_in(page.context, page.base_url, pieter)

    page.goto(f"{page.base_url}/warnings/")
    assert page.get_by_role("heading", name="Onze waarschuwingen").is_visible()
    assert page.locator(".warning-list li").count() == 4
    page.screenshot(path=str(screenshot_dir / "warnings-index.png"), full_page=True)

    # Each click loads a new page: wait for what it shows before looking further.
    page.get_by_role("link", name="CVE-2023-4966").first.click()
    page.get_by_role("heading", name="Waarom dit overeenkomt").wait_for()
    assert page.get_by_text("cpeMatch[4]").first.is_visible()
    page.get_by_label("Niet kwetsbaar").check()
    page.get_by_role("button", name="Status opslaan").click()
    page.get_by_text("Geef aan waarom u niet kwetsbaar bent").wait_for()
    page.get_by_label("In behandeling").check()
    page.get_by_role("button", name="Status opslaan").click()
    page.get_by_text("Status opgeslagen.").wait_for()
    page.screenshot(path=str(screenshot_dir / "warnings-detail.png"), full_page=True)

    page.goto(f"{page.base_url}/warnings/lookup/?q=BSI-2022-0001")
    assert page.get_by_text("marked fixed").first.is_visible() or \
        page.get_by_text("gemarkeerd als opgelost").first.is_visible()
    page.screenshot(path=str(screenshot_dir / "warnings-lookup.png"), full_page=True)

    page.goto(f"{page.base_url}/inventory/")
    assert page.get_by_role("heading", name="Onze inventaris").is_visible()
    page.screenshot(path=str(screenshot_dir / "inventory.png"), full_page=True)
    assert page.js_errors == []

    page.context.clear_cookies()
    browser_sign_in(page.context, page.base_url, coordinator)
    page.goto(f"{page.base_url}/warnings/overview/")
    assert page.get_by_role("heading", name="Waarschuwingen in alle regio’s").is_visible()
    assert "Utrecht" not in page.content()
    page.screenshot(path=str(screenshot_dir / "warnings-overview.png"), full_page=True)
    assert page.js_errors == []
