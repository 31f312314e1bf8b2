"""Warnings through every face: pages, API, command line; who may see what."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from vrisac.alerts.models import Warning
from vrisac.alerts.selectors import warning_statistics
from vrisac.alerts.services import warning_set_status
from vrisac.core.errors import DomainError
from vrisac.core.testing import api_client, client_for, organisation
from vrisac.reports.models import Report

from .helpers import SAMPLES, add_item, import_and_match, match_items, nvd_cve, nvd_page

pytestmark = pytest.mark.django_db

CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


@pytest.fixture
def warned(people: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """Utrecht and Haaglanden run an affected NetScaler; Utrecht also a fixed one."""
    cpe = "cpe:2.3:a:citrix:netscaler_application_delivery_controller:{}:*:*:*:*:*:*:*"
    utrecht = add_item(people["utrecht"], vendor="Citrix", product="NetScaler ADC",
                       version="13.1-49.13", cpe=cpe.format("13.1-49.13"), internet_facing=True,
                       criticality="high", owner="Team ICT")
    fixed = add_item(people["utrecht"], vendor="Citrix", product="NetScaler ADC",
                     version="14.1-12.35", cpe=cpe.format("14.1-12.35"))
    other = add_item(people["haaglanden"], vendor="Citrix", product="NetScaler ADC",
                     version="14.1-4.42", cpe=cpe.format("14.1-4.42"))
    page = nvd_page(tmp_path, [nvd_cve("CVE-2023-4966", [
        {"vulnerable": True, "criteria": cpe.format("*"), "versionStartIncluding": "13.1",
         "versionEndExcluding": "13.1-49.15"},
        {"vulnerable": True, "criteria": cpe.format("*"), "versionStartIncluding": "14.1",
         "versionEndExcluding": "14.1-8.50"}], vector=CRITICAL)])
    import_and_match("nvd", [page])
    import_and_match("kev", [SAMPLES / "kev-sample-25.json"])
    return {"utrecht": utrecht, "fixed": fixed, "other": other,
            "warning": Warning.objects.get(item=utrecht),
            "other_warning": Warning.objects.get(item=other)}


def test_warning_pages_for_the_organisation(people: dict[str, Any], warned: dict[str, Any],
                                            django_assert_max_num_queries: Any) -> None:
    client = client_for(people["utrecht"])
    with django_assert_max_num_queries(20):
        index = client.get(reverse("alerts:index"))
    assert index.status_code == 200
    body = index.content.decode()
    assert "CVE-2023-4966" in body and "14.1-4.42" not in body
    detail = client.get(warned["warning"].get_absolute_url()).content.decode()
    assert "NVD configurations[0].nodes[0].cpeMatch[0]" in detail
    assert "Team ICT" not in body  # the owner field stays on the item page


def test_other_organisations_get_404_everywhere(people: dict[str, Any],
                                                warned: dict[str, Any]) -> None:
    warning = warned["warning"]
    for role in ("haaglanden", "vnog", "coordinator", "partner", "observer", "admin"):
        client = client_for(people[role])
        assert client.get(warning.get_absolute_url()).status_code == 404, role
        assert client.post(reverse("alerts:acknowledge", args=[warning.pk])).status_code == 404
        assert client.post(warning.get_absolute_url(), {"status": "mitigated"}).status_code == 404
    api = api_client(people["haaglanden"], ["warnings:read", "warnings:write"])
    assert api.get(f"/api/v1/warnings/{warning.pk}").status_code == 404
    assert api.post(f"/api/v1/warnings/{warning.pk}/status", {"status": "mitigated"},
                    content_type="application/json").status_code == 404
    listed = api.get("/api/v1/warnings").json()
    assert [w["version"] for w in listed] == ["14.1-4.42"]
    # The lookup names only the asking organisation's own items.
    looked = api.get("/api/v1/warnings", {"cve": "CVE-2023-4966"}).json()
    assert [w["version"] for w in looked] == ["14.1-4.42"]
    warning.refresh_from_db()
    assert warning.status == "new"


def test_status_changes_and_statistics(people: dict[str, Any], warned: dict[str, Any]) -> None:
    client = client_for(people["utrecht2"])
    warning = warned["warning"]
    refused = client.post(warning.get_absolute_url(), {"status": "not_affected"})
    assert refused.status_code == 200 and "justification" in refused.context["form"].errors
    done = client.post(warning.get_absolute_url(),
                       {"status": "not_affected", "justification": "Gateway mode is off."})
    assert done.status_code == 302
    warning.refresh_from_db()
    assert warning.status == "not_affected" and warning.acknowledged_at is not None
    with pytest.raises(DomainError):
        warning_set_status(warning=warning, status="gone", acting_user=people["utrecht"])
    stats = warning_statistics()
    assert stats["by_status"]["not_affected"] == 1
    assert stats["median_seconds_to_acknowledge"] is not None
    assert sum(stats["by_priority"].values()) == Warning.objects.filter(
        withdrawn_at__isnull=True).count()
    assert stats["monthly"][-1]["acknowledged"] == 1
    assert "utrecht" not in json.dumps(stats).lower()


def test_api_list_lookup_and_status(people: dict[str, Any], warned: dict[str, Any],
                                    django_assert_max_num_queries: Any) -> None:
    api = api_client(people["utrecht"], ["warnings:read", "warnings:write"])
    extra = [add_item(people["utrecht"], vendor="Citrix", product="NetScaler ADC",
                      version=f"13.1-{n}.1",
                      cpe="cpe:2.3:a:citrix:netscaler_application_delivery_controller:"
                          f"13.1-{n}.1:*:*:*:*:*:*:*") for n in range(10, 16)]
    match_items(*extra)
    with django_assert_max_num_queries(12):  # token check and its audit row, then one query
        listed = api.get("/api/v1/warnings").json()
    assert len(listed) == 7
    for item in extra:
        item.delete()
    [w] = api.get("/api/v1/warnings").json()
    assert w["cves"] == ["CVE-2023-4966"] and w["advisory"] is None
    assert (w["product"], w["version"], w["priority"], w["confidence"], w["status"]) == (
        "NetScaler ADC", "13.1-49.13", "hoog", "confirmed", "new")
    assert any("CPE" in r for r in w["reasons"]) and any("CVSS" in r for r in w["reasons"])
    lookup = {r["version"]: r for r in api.get("/api/v1/warnings",
                                               {"cve": "CVE-2023-4966"}).json()}
    assert lookup["13.1-49.13"]["affected"] and lookup["13.1-49.13"]["answer"] == "affected"
    assert not lookup["14.1-12.35"]["affected"]
    assert any(">= 14.1, < 14.1-8.50" in r for r in lookup["14.1-12.35"]["reasons"]), \
        lookup["14.1-12.35"]["reasons"]
    changed = api.post(f"/api/v1/warnings/{w['id']}/status", {"status": "acknowledged"},
                       content_type="application/json")
    assert changed.json()["status"] == "acknowledged"
    assert api_client(people["utrecht"], ["warnings:read"]).post(
        f"/api/v1/warnings/{w['id']}/status", {"status": "mitigated"},
        content_type="application/json").status_code == 403
    # Aggregates across regions: coordinators only, counts only.
    assert api.get("/api/v1/warnings/statistics").status_code == 404
    assert api.get("/api/v1/warnings/overview").status_code == 404
    coordinator = api_client(people["coordinator"], ["warnings:read"])
    overview = coordinator.get("/api/v1/warnings/overview").json()
    # Two organisations are hit: fewer than the policy's minimum group, so no count and no
    # product name (vrisac/alerts/tests/test_minimum_group.py holds the rule in full).
    assert overview[0]["cve"] == "CVE-2023-4966" and overview[0]["regions"] is None
    assert overview[0]["products"] == []
    assert "utrecht" not in json.dumps(overview).lower()
    statistics = coordinator.get("/api/v1/warnings/statistics").json()
    assert statistics["open_kritiek"] >= 0 and statistics["open_kritiek_regions"] is None


def test_lookup_page_by_cve_advisory_and_product(people: dict[str, Any], warned: dict[str, Any],
                                                 tmp_path: Path) -> None:
    import_and_match("csaf", [SAMPLES / "oasis-example-bsi-2022-0001.json"])
    add_item(people["utrecht"], vendor="CSAF Tools", product="CVRF-CSAF-Converter",
             version="1.0.0-rc2")
    client = client_for(people["utrecht"])
    by_cve = client.get(reverse("alerts:lookup"), {"q": "cve-2023-4966"})
    states = {(r.item.version, r.state) for r in by_cve.context["rows"]}
    assert ("13.1-49.13", "affected") in states and ("14.1-12.35", "unaffected") in states
    by_advisory = client.get(reverse("alerts:lookup"), {"q": "BSI-2022-0001"})
    assert by_advisory.context["kind"] == "advisory"
    converter = [r for r in by_advisory.context["rows"] if r.item.product == "CVRF-CSAF-Converter"]
    assert converter[0].state == "not_affected"
    assert "product_status.first_fixed" in converter[0].reasons[0]
    by_product = client.get(reverse("alerts:lookup"), {"q": "netscaler"})
    assert {r.state for r in by_product.context["rows"]} == {"affected", "unaffected"}


def test_coordinator_overview_and_isac_report(people: dict[str, Any],
                                              warned: dict[str, Any]) -> None:
    client = client_for(people["coordinator"])
    page = client.get(reverse("alerts:overview"))
    assert page.status_code == 200
    [row] = [r for r in page.context["rows"] if r["cve_id"] == "CVE-2023-4966"]
    assert row["regions"] is None and row["products"] == []  # two: under the minimum group
    body = page.content.decode()
    assert "Utrecht" not in body and "Haaglanden" not in body and "13.1-49.13" not in body
    assert "minder dan 6" in body and "NetScaler" not in body
    response = client.post(reverse("alerts:isac_report", args=["CVE-2023-4966"]),
                           {"tlp": "TLP:GREEN", "extra": "Patch vandaag."})
    report = Report.objects.get(kind="warning")
    assert response.status_code == 302 and report.status == "published"
    assert report.audience == "participants"
    assert report.summary == "Minder dan 6 regio’s gebruiken een kwetsbaar product."
    assert "minder dan 6." in report.body
    assert "Utrecht" not in report.body and "Patch vandaag." in report.body
    for role in ("utrecht", "partner"):
        assert client_for(people[role]).get(reverse("alerts:overview")).status_code == 404
        assert client_for(people[role]).get(
            reverse("alerts:isac_report", args=["CVE-2023-4966"])).status_code == 404
    observer = client_for(people["observer"])
    assert observer.get(reverse("alerts:overview")).status_code == 200
    assert observer.get(reverse("alerts:isac_report", args=["CVE-2023-4966"])).status_code == 404


def test_warnings_command_prints_json(people: dict[str, Any], warned: dict[str, Any],
                                      capsys: Any) -> None:
    call_command("warnings", "--org", "utrecht", "--json")
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1
    row = rows[0]
    for key in ("cves", "advisory", "product", "version", "priority", "confidence", "reasons",
                "status"):
        assert key in row
    assert isinstance(row["cves"], list) and isinstance(row["reasons"], list)
    assert row["version"] == "13.1-49.13"


def test_import_commands_exit_zero_listing_skipped(tmp_path: Path, capsys: Any) -> None:
    page = json.loads((SAMPLES / "nvd-api2-single-entry.json").read_text())
    broken = json.loads(json.dumps(page["vulnerabilities"][0]))
    broken["cve"]["id"] = "NOT-A-CVE"
    page["vulnerabilities"].append(broken)
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page))
    call_command("import_nvd", str(path))
    out, err = capsys.readouterr()
    assert "1 new" in out and "1 skipped" in out
    assert (f"skipped: {path}: vulnerabilities[1] (NOT-A-CVE): id: 'NOT-A-CVE' is not a CVE "
            "id") in err
    call_command("import_epss", str(SAMPLES / "epss-sample.csv"))
    call_command("import_cve5", str(SAMPLES / "trustify-CVE-2024-29025.json"))
    call_command("import_csaf", str(SAMPLES / "oasis-example-bsi-2022-0001.json"))
    assert "csaf: 1 file(s), 1 record(s) read, 1 new" in capsys.readouterr().out


def test_partners_read_clear_and_green_advisories_only(people: dict[str, Any],
                                                       tmp_path: Path) -> None:
    import_and_match("csaf", [SAMPLES / "oasis-example-bsi-2022-0001.json",
                              SAMPLES / "oasis-vex-2022-evd-uc-02-na-001.json"])
    from vrisac.advisories.models import Advisory

    amber = Advisory.objects.get(tlp="TLP:AMBER")
    clear = Advisory.objects.get(tlp="TLP:CLEAR")
    partner = client_for(people["partner"])
    assert partner.get(reverse("alerts:index"))["Location"] == reverse("advisories:list")
    assert partner.get(clear.get_absolute_url()).status_code == 200
    assert partner.get(amber.get_absolute_url()).status_code == 404
    assert partner.get(reverse("advisories:vulnerability", args=["CVE-2020-11896"])
                       ).status_code == 404
    api = api_client(people["partner"], ["advisories:read"])
    assert [a["tracking_id"] for a in api.get("/api/v1/advisories").json()["items"]] == [
        "BSI-2022-0001"]
    assert api.get(f"/api/v1/advisories/{amber.pk}").status_code == 404
    participant = client_for(people["utrecht"])
    assert participant.get(amber.get_absolute_url()).status_code == 200
    assert client_for(people["observer"]).get(clear.get_absolute_url()).status_code == 404


def test_organisation_is_required_for_the_command(capsys: Any) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("warnings", "--org", "nowhere", "--json")
    assert organisation("utrecht").slug == "utrecht"


def test_advisory_lists_have_a_query_budget(people: dict[str, Any],
                                            django_assert_max_num_queries: Any,
                                            tmp_path: Path) -> None:
    documents = []
    base = json.loads((SAMPLES / "oasis-example-bsi-2022-0001.json").read_text())
    for n in range(12):
        base["document"]["tracking"]["id"] = f"BSI-2022-{n:04d}"
        path = tmp_path / f"adv-{n}.json"
        path.write_text(json.dumps(base))
        documents.append(path)
    import_and_match("csaf", documents)
    import_and_match("kev", [SAMPLES / "kev-sample-25.json"])
    client = client_for(people["utrecht"])
    with django_assert_max_num_queries(15):
        page = client.get(reverse("advisories:list"))
    assert page.status_code == 200 and "BSI-2022-0011" in page.content.decode()
    api = api_client(people["utrecht"], ["advisories:read"])
    api.get("/api/v1/advisories")  # the token's first use is audited once
    with django_assert_max_num_queries(6):
        listed = api.get("/api/v1/advisories", {"limit": 50}).json()
    assert listed["count"] == 12 and len(listed["items"]) == 12
    with django_assert_max_num_queries(15):
        vulnerability = client.get(reverse("advisories:vulnerability",
                                           args=["CVE-2022-27193"]))
    assert vulnerability.status_code == 200
