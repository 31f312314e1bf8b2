"""Matching inventories against advisories: versions, VEX, KEV, priority and the reasons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vrisac.alerts.models import Warning
from vrisac.assets.services import item_update

from .helpers import SAMPLES, add_item, import_and_match, match_items, nvd_cve, nvd_page

pytestmark = pytest.mark.django_db

CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
NETSCALER = "cpe:2.3:a:citrix:netscaler_application_delivery_controller:*:*:*:*:*:*:*:*"


def _netscaler_cve(tmp_path: Path) -> Path:
    return nvd_page(tmp_path, [nvd_cve("CVE-2023-4966", [
        {"vulnerable": True, "criteria": NETSCALER, "versionStartIncluding": "13.1",
         "versionEndExcluding": "13.1-49.15"},
        {"vulnerable": True, "criteria": NETSCALER, "versionStartIncluding": "14.1",
         "versionEndExcluding": "14.1-8.50"},
    ], vector=CRITICAL)])


def test_cpe_range_match_explains_rule_and_field(people: dict[str, Any], tmp_path: Path) -> None:
    user = people["utrecht"]
    hit = add_item(user, vendor="Citrix", product="NetScaler ADC", version="13.1-49.13",
                   cpe="cpe:2.3:a:citrix:netscaler_application_delivery_controller:13.1-49.13:"
                       "*:*:*:*:*:*:*", internet_facing=True, criticality="high")
    fixed = add_item(user, vendor="Citrix", product="NetScaler ADC", version="13.1-49.15",
                     cpe="cpe:2.3:a:citrix:netscaler_application_delivery_controller:13.1-49.15:"
                         "*:*:*:*:*:*:*")
    import_and_match("nvd", [_netscaler_cve(tmp_path)])
    warning = Warning.objects.get()
    assert warning.item == hit and warning.confidence == "confirmed"
    reason = warning.match_reason_list[0]
    assert "CPE" in reason and "NVD configurations[0].nodes[0].cpeMatch[0]" in reason
    assert "13.1-49.13" in reason and ">= 13.1, < 13.1-49.15" in reason
    # 9.8 + internet-facing + high criticality: hoog, with each reason listed.
    assert warning.priority == "hoog"
    assert any("CVSS v3 base score 9.8" in r for r in warning.priority_reason_list)
    assert any("internet-facing" in r for r in warning.priority_reason_list)
    assert not Warning.objects.filter(item=fixed).exists()


def test_name_match_without_cpe_and_wildcard_cpe(people: dict[str, Any], tmp_path: Path) -> None:
    user = people["utrecht"]
    by_name = add_item(user, vendor="Citrix Systems, Inc.",
                       product="NetScaler Application Delivery Controller", version="14.1-4.42")
    wildcard = add_item(user, vendor="Citrix", product="NetScaler",
                        cpe="cpe:2.3:a:citrix:netscaler_application_delivery_controller:*:*:*:*:"
                            "*:*:*:*")
    import_and_match("nvd", [_netscaler_cve(tmp_path)])
    by_item = {w.item_id: w for w in Warning.objects.all()}
    assert by_item[by_name.pk].confidence == "confirmed"
    assert "vendor and product" in by_item[by_name.pk].match_reason_list[0]
    # "*" in the inventory CPE: any version; the platform cannot confirm one: check this.
    assert by_item[wildcard.pk].confidence == "check"


def test_uncomparable_version_is_check_never_silence(people: dict[str, Any],
                                                      tmp_path: Path) -> None:
    user = people["utrecht"]
    item = add_item(user, vendor="Cisco", product="IOS", version="12.2(55)SE3")
    other_train = add_item(user, vendor="Cisco", product="IOS", version="12.2(55)EX3")
    page = nvd_page(tmp_path, [nvd_cve("CVE-2018-0171", [
        {"vulnerable": True, "criteria": "cpe:2.3:o:cisco:ios:*:*:*:*:*:*:*:*",
         "versionEndExcluding": "12.2(55)SE12"}])])
    import_and_match("nvd", [page])
    warnings = {w.item_id: w for w in Warning.objects.all()}
    assert warnings[item.pk].confidence == "confirmed"
    assert warnings[other_train.pk].confidence == "check"
    newer = add_item(user, vendor="Cisco", product="IOS", version="15.0(2)EX")
    match_items(newer)
    assert not Warning.objects.filter(item=newer).exists()
    assert "cannot be compared" in warnings[other_train.pk].match_reason_list[0]


def test_csaf_fixed_and_vex_remove_matches(people: dict[str, Any], tmp_path: Path) -> None:
    user = people["utrecht"]
    affected = add_item(user, vendor="CSAF Tools", product="CVRF-CSAF-Converter",
                        version="1.0.0-rc1")
    fixed = add_item(user, vendor="CSAF Tools", product="CVRF-CSAF-Converter",
                     version="1.0.0-rc2")
    vex = add_item(user, vendor="Example Company", product="ABC", version="4.2")
    # NVD says every version before 1.0.0 final, and the Treck CVE for everything of ABC:
    page = nvd_page(tmp_path, [
        nvd_cve("CVE-2022-27193", [{"vulnerable": True, "criteria":
                "cpe:2.3:a:csaf-tools:cvrf-csaf-converter:*:*:*:*:*:*:*:*",
                "versionEndExcluding": "1.0.0"}]),
        nvd_cve("CVE-2020-11896", [{"vulnerable": True, "criteria":
                "cpe:2.3:a:example:abc:*:*:*:*:*:*:*:*"}]),
    ])
    import_and_match("nvd", [page])
    assert {w.item_id for w in Warning.objects.filter(withdrawn_at__isnull=True)} == {
        affected.pk, fixed.pk, vex.pk}
    # The vendor's CSAF marks rc2 fixed; the VEX document marks ABC 4.2 not affected.
    import_and_match("csaf", [SAMPLES / "oasis-example-bsi-2022-0001.json",
                              SAMPLES / "oasis-vex-2022-evd-uc-02-na-001.json"])
    current = {w.item_id: w for w in Warning.objects.filter(withdrawn_at__isnull=True)}
    assert set(current) == {affected.pk}
    advisory = current[affected.pk].advisory
    assert advisory is not None and advisory.tracking_id == "BSI-2022-0001"
    assert current[affected.pk].remediations[0]["category"] == "vendor_fix"
    withdrawn = Warning.objects.get(item=fixed)
    assert withdrawn.withdrawn_at is not None
    assert any("marked fixed" in r for r in withdrawn.match_reason_list)


def test_kev_product_only_unless_versions_known(people: dict[str, Any], tmp_path: Path) -> None:
    user = people["utrecht"]
    httpd = add_item(user, vendor="Apache", product="HTTP Server", version="2.4.49",
                     internet_facing=True)
    struts = add_item(user, vendor="Apache", product="Struts", version="2.5.30")
    import_and_match("kev", [SAMPLES / "kev-sample-25.json"])
    kev_warnings = {w.vulnerability.cve_id: w for w in Warning.objects.filter(item=httpd)}
    assert set(kev_warnings) == {"CVE-2021-42013", "CVE-2021-41773", "CVE-2019-0211"}
    w = kev_warnings["CVE-2021-41773"]
    assert w.confidence == "check" and w.priority == "kritiek"
    assert any("no NVD, CVE 5 or CSAF record" in r for r in w.match_reason_list)
    assert any("Known Exploited" in r for r in w.priority_reason_list)
    # NVD gives versions for CVE-2017-5638 (Struts): those decide, KEV raises the priority.
    page = nvd_page(tmp_path, [nvd_cve("CVE-2017-5638", [
        {"vulnerable": True, "criteria": "cpe:2.3:a:apache:struts:*:*:*:*:*:*:*:*",
         "versionStartIncluding": "2.3.5", "versionEndExcluding": "2.3.32"}],
        vector=CRITICAL)])
    import_and_match("nvd", [page])
    assert not Warning.objects.filter(item=struts, vulnerability__cve_id="CVE-2017-5638",
                                      withdrawn_at__isnull=True).exists()
    item_update(item=struts, acting_user=user, version="2.3.31")
    match_items(struts)
    w = Warning.objects.get(item=struts, vulnerability__cve_id="CVE-2017-5638")
    assert w.confidence == "confirmed" and w.priority == "kritiek"


def test_purl_match_with_univers(people: dict[str, Any], tmp_path: Path) -> None:
    user = people["utrecht"]
    old = add_item(user, vendor="netty", product="netty", version="4.1.100.Final",
                   purl="pkg:maven/io.netty/netty-codec-http@4.1.100.Final")
    record = json.loads((SAMPLES / "trustify-CVE-2024-29025.json").read_text())
    record["containers"]["cna"]["affected"].append({
        "vendor": "netty", "product": "netty-codec-http",
        "packageURL": "pkg:maven/io.netty/netty-codec-http",
        "versions": [{"version": "0", "lessThan": "4.1.108.Final", "status": "affected",
                      "versionType": "maven"}]})
    path = tmp_path / "CVE-2024-29025.json"
    path.write_text(json.dumps(record))
    import_and_match("cve5", [path])
    warning = Warning.objects.get(item=old)
    assert warning.match_reason_list[0].startswith("purl pkg:maven/io.netty/netty-codec-http")


def test_changed_inventory_item_rematches(people: dict[str, Any], tmp_path: Path) -> None:
    user = people["utrecht"]
    item = add_item(user, vendor="Citrix", product="NetScaler ADC", version="13.1-49.13",
                    cpe="cpe:2.3:a:citrix:netscaler_application_delivery_controller:13.1-49.13:"
                        "*:*:*:*:*:*:*")
    import_and_match("nvd", [_netscaler_cve(tmp_path)])
    assert Warning.objects.get().withdrawn_at is None
    item_update(item=item, acting_user=user, version="13.1-49.15",
                cpe="cpe:2.3:a:citrix:netscaler_application_delivery_controller:13.1-49.15:"
                    "*:*:*:*:*:*:*")
    match_items(item)
    assert Warning.objects.get().withdrawn_at is not None


def test_epss_change_reprioritises_without_rematching(people: dict[str, Any],
                                                      tmp_path: Path) -> None:
    from vrisac.core.jobs import job_run

    user = people["utrecht"]
    add_item(user, vendor="Cisco", product="IOS", version="12.2(55)SE3", internet_facing=True)
    import_and_match("nvd", [nvd_page(tmp_path, [nvd_cve("CVE-2018-0171", [
        {"vulnerable": True, "criteria": "cpe:2.3:o:cisco:ios:*:*:*:*:*:*:*:*",
         "versionEndExcluding": "12.2(55)SE12"}], vector=CRITICAL)])])
    before = Warning.objects.get()
    assert before.priority == "hoog"
    epss = tmp_path / "epss.csv"
    epss.write_text("cve,epss,percentile\nCVE-2018-0171,0.97,0.999\n")
    row = job_run("advisories.import_epss", arguments={"locations": [str(epss)]})
    assert row.result["rematch"]["updated"] == 1
    after = Warning.objects.get()
    assert after.priority == "kritiek" and any("EPSS 0.97" in r for r in after.priority_reason_list)
    assert after.match_reason_list == before.match_reason_list


def test_coordinators_extend_the_alias_table(people: dict[str, Any], tmp_path: Path,
                                             django_capture_on_commit_callbacks: Any) -> None:
    from django.urls import reverse

    from vrisac.advisories.services import alias_add
    from vrisac.core.errors import NotAllowed
    from vrisac.core.testing import client_for

    user = people["utrecht"]
    item = add_item(user, vendor="Citrix", product="NetScaler ADC", version="13.1-49.13")
    import_and_match("nvd", [_netscaler_cve(tmp_path)])
    assert not Warning.objects.filter(item=item).exists()  # "netscaleradc" is not NVD's name
    with pytest.raises(NotAllowed):
        alias_add(kind="product", alias="NetScaler ADC", acting_user=user,
                  canonical="NetScaler Application Delivery Controller")
    client = client_for(people["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("advisories:aliases"), {
            "kind": "product", "alias": "NetScaler ADC",
            "canonical": "netscaler_application_delivery_controller"})
    assert response.status_code == 302
    warning = Warning.objects.get(item=item)
    assert warning.confidence == "confirmed"
    assert client_for(user).get(reverse("advisories:aliases")).status_code == 404
