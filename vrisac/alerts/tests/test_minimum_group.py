"""The sharing policy's minimum group on every figure of warnings across organisations: a
count of organisations below ``MIN_GROUP_SIZE`` reads "fewer than 6" and no product name is
shown beside it, on the coordinators' and the observer's overview, its API, the ISAC warning
and the strategic picture (page, PDF, API).

One organisation after another starts running the same vulnerable product; at each step
every face is read as the coordinator and as the owner observer.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from pypdf import PdfReader

from vrisac.advisories.models import Vulnerability
from vrisac.alerts.services import isac_warning_report
from vrisac.core.testing import api_client, client_for, make_person
from vrisac.resilience.periods import Period
from vrisac.sharing.policy import MIN_GROUP_SIZE

from .helpers import SAMPLES, add_item, import_and_match, match_items, nvd_cve, nvd_page

pytestmark = pytest.mark.django_db

CVE = "CVE-2021-27104"  # in the KEV sample: exploited
CPE = "cpe:2.3:a:citrix:netscaler_application_delivery_controller:{}:*:*:*:*:*:*:*"
CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
PRODUCT = "NetScaler ADC"
#: The organisations that, one after another, run the affected version.
SLUGS = ("twente", "zeeland", "drenthe", "flevoland", "groningen", "fryslan", "limburg-noord")


def _text(response: Any) -> str:
    if response["Content-Type"].startswith("application/pdf"):
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    return response.content.decode()


def _overview_row(html: str) -> str:
    row = re.search(rf"<tr>\s*<td><a href=\"[^\"]*{CVE}[^\"]*\">.*?</tr>", html, re.S)
    assert row is not None, "the vulnerability has its row"
    return row.group(0)


def test_no_count_under_the_minimum_group_stands_beside_a_product(
        people: dict[str, Any], tmp_path: Path) -> None:
    import_and_match("nvd", [nvd_page(tmp_path, [nvd_cve(CVE, [
        {"vulnerable": True, "criteria": CPE.format("*"), "versionStartIncluding": "13.1",
         "versionEndExcluding": "13.1-49.15"}], vector=CRITICAL)])])
    import_and_match("kev", [SAMPLES / "kev-sample-25.json"])  # internet-facing: kritiek
    readers = {"coordinator": people["coordinator"], "observer": people["observer"]}
    token = api_client(people["coordinator"], ["warnings:read", "resilience:read"])
    period = Period.current().key
    for hit, slug in enumerate(SLUGS, start=1):
        user = make_person("participant", slug)
        match_items(add_item(user, vendor="Citrix", product=PRODUCT, version="13.1-49.13",
                             cpe=CPE.format("13.1-49.13"), internet_facing=True,
                             criticality="high"))
        shown = hit >= MIN_GROUP_SIZE
        for who, reader in readers.items():
            html = client_for(reader).get(reverse("alerts:overview")).content.decode()
            row = _overview_row(html)
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            assert (PRODUCT in html) is shown, (who, hit)
            if shown:
                assert cells[2] == str(hit) and PRODUCT in cells[3], (who, hit)
            else:
                assert cells[2] == "minder dan 6" and cells[3] == "", (who, hit)
                assert "bij minder dan 6 organisaties" in html, (who, hit)
            if hit in (MIN_GROUP_SIZE - 1, len(SLUGS)):
                # The strategic picture names no product, whatever the group.
                for url in (reverse("resilience:strategic"),
                            reverse("resilience:strategic_pdf", args=[period])):
                    assert PRODUCT not in _text(client_for(reader).get(url)), (who, hit, url)
        [answer] = [r for r in token.get("/api/v1/warnings/overview").json()
                    if r["cve"] == CVE]
        assert answer["regions"] == (hit if shown else None), hit
        assert answer["products"] == ([f"Citrix {PRODUCT}"] if shown else []), hit
        statistics = token.get("/api/v1/warnings/statistics").json()
        assert statistics["open_kritiek_regions"] == (hit if shown else None), hit
        assert PRODUCT not in token.get("/api/v1/resilience/strategic").content.decode()
        page = client_for(people["coordinator"]).get(
            reverse("alerts:isac_report", args=[CVE])).content.decode()
        assert (f"Minder dan {MIN_GROUP_SIZE} organisaties" in page) is not shown, hit
        assert (f"{hit} organisaties gebruiken" in page) is shown, hit


def test_the_isac_warning_report_counts_from_the_minimum_group(
        people: dict[str, Any], tmp_path: Path) -> None:
    import_and_match("nvd", [nvd_page(tmp_path, [nvd_cve(CVE, [
        {"vulnerable": True, "criteria": CPE.format("*"), "versionStartIncluding": "13.1",
         "versionEndExcluding": "13.1-49.15"}], vector=CRITICAL)])])
    for slug in SLUGS[:MIN_GROUP_SIZE - 1]:
        match_items(add_item(make_person("participant", slug), vendor="Citrix",
                             product=PRODUCT, version="13.1-49.13",
                             cpe=CPE.format("13.1-49.13")))
    vulnerability = Vulnerability.objects.get(cve_id=CVE)
    few = isac_warning_report(vulnerability=vulnerability, acting_user=people["coordinator"],
                              tlp="TLP:GREEN", publish=False)
    assert "Fewer than 6 regions" in few.summary or "Minder dan 6 regio" in few.summary
    assert not re.search(r"\b[1-5] regio", few.summary + few.body)
    match_items(add_item(make_person("participant", SLUGS[MIN_GROUP_SIZE - 1]),
                         vendor="Citrix", product=PRODUCT, version="13.1-49.13",
                         cpe=CPE.format("13.1-49.13")))
    enough = isac_warning_report(vulnerability=vulnerability, acting_user=people["coordinator"],
                                 tlp="TLP:GREEN", publish=False)
    assert enough.summary.startswith("6 ")
