"""The importers on real public samples and on hostile input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from vrisac.advisories.models import Advisory, AffectedProduct, Vulnerability
from vrisac.advisories.services import import_sources

pytestmark = pytest.mark.django_db


def test_nvd_api_page_and_bare_object(samples: Path) -> None:
    report = import_sources("nvd", [str(samples / "nvd-api2-single-entry.json")])
    assert (report.read, report.created, report.skipped) == (1, 1, [])
    vuln = Vulnerability.objects.get(cve_id="CVE-2022-1576")
    assert vuln.cvss3_vector.startswith("CVSS:3.1/AV:N/AC:L")
    assert vuln.cvss3_score == pytest.approx(6.5)
    assert vuln.has_versions
    st = AffectedProduct.objects.get(vulnerability=vuln)
    assert st.cpe_key == "themeisle:wp_maintenance_mode_\\&_coming_soon"
    assert st.version_end == "2.4.5" and st.version_end_incl is False
    assert st.field == "configurations[0].nodes[0].cpeMatch[0]"
    # The same CVE as a bare object: same revision, nothing changes.
    again = import_sources("nvd", [str(samples / "nvd-bare-cve-object.json")])
    assert (again.read, again.created, again.updated, again.unchanged) == (1, 0, 0, 1)
    assert AffectedProduct.objects.filter(vulnerability=vuln).count() == 1


def test_nvd_newer_revision_updates_in_place(samples: Path, tmp_path: Path) -> None:
    import_sources("nvd", [str(samples / "nvd-bare-cve-object.json")])
    cve = json.loads((samples / "nvd-bare-cve-object.json").read_text())
    cve["lastModified"] = "2025-01-01T00:00:00.000"
    cve["configurations"][0]["nodes"][0]["cpeMatch"][0]["versionEndExcluding"] = "2.4.6"
    path = tmp_path / "newer.json.gz"
    path.write_bytes(gzip.compress(json.dumps(cve).encode()))
    report = import_sources("nvd", [str(path)])
    assert (report.created, report.updated) == (0, 1)
    assert AffectedProduct.objects.get(vulnerability__cve_id="CVE-2022-1576").version_end == "2.4.6"
    assert Vulnerability.objects.count() == 1


def test_nvd_truncated_file_keeps_good_records_and_names_the_place(tmp_path: Path,
                                                                   samples: Path) -> None:
    page = json.loads((samples / "nvd-api2-single-entry.json").read_text())
    first = page["vulnerabilities"][0]
    second = json.loads(json.dumps(first))
    second["cve"]["id"] = "CVE-2022-0002"
    bad = json.loads(json.dumps(first))
    bad["cve"]["id"] = "CVE-2022-0003"
    bad["cve"]["configurations"][0]["nodes"][0]["cpeMatch"][0]["criteria"] = "cpe:2.3:a:broken"
    page["vulnerabilities"] = [first, bad, second]
    text = json.dumps(page)
    path = tmp_path / "page.json"
    path.write_text(text[: len(text) - 40])  # cut inside the last record
    report = import_sources("nvd", [str(path)])
    assert set(Vulnerability.objects.values_list("cve_id", flat=True)) == {"CVE-2022-1576"}
    reasons = [str(s) for s in report.skipped]
    assert any("vulnerabilities[1] (CVE-2022-0003)" in r and
               "configurations[0].nodes[0].cpeMatch[0].criteria" in r for r in reasons)
    assert any("(file)" in r and "ends early" in r for r in reasons)
    # Nothing of the bad record was stored.
    assert not Vulnerability.objects.filter(cve_id="CVE-2022-0003").exists()


def test_cve5_records_and_cisa_adp(samples: Path, tmp_path: Path) -> None:
    record = json.loads((samples / "trustify-CVE-2024-29025.json").read_text())
    record["containers"]["adp"] = [{
        "providerMetadata": {"orgId": "134c704f-9b21-4f2e-91b3-4a467353bcc0",
                             "shortName": "CISA-ADP"},
        "title": "CISA ADP Vulnrichment",
        "metrics": [{"other": {"type": "ssvc", "content": {
            "id": "CVE-2024-29025", "role": "CISA Coordinator", "version": "2.0.3",
            "options": [{"Exploitation": "poc"}, {"Automatable": "yes"},
                        {"Technical Impact": "partial"}]}}}],
    }]
    (tmp_path / "CVE-2024-29025.json").write_text(json.dumps(record))
    (tmp_path / "CVE-1999-0001.json").write_bytes((samples / "trustify-CVE-1999-0001.json")
                                                  .read_bytes())
    report = import_sources("cve5", [str(tmp_path)])
    assert report.created == 2 and report.skipped == []
    netty = Vulnerability.objects.get(cve_id="CVE-2024-29025")
    assert netty.ssvc_exploitation == "poc"
    assert netty.cvss3_score == pytest.approx(5.3)
    st = AffectedProduct.objects.get(vulnerability=netty)
    assert (st.name_key, st.version_expr) == ("netty:netty", "< 4.1.108.Final")
    # "n/a" vendor and product: nothing to match on, no statement.
    assert not AffectedProduct.objects.filter(vulnerability__cve_id="CVE-1999-0001").exists()


def test_kev_and_epss(samples: Path, tmp_path: Path) -> None:
    report = import_sources("kev", [str(samples / "kev-sample-25.json")])
    assert (report.read, report.created, len(report.skipped)) == (25, 25, 0)
    httpd = Vulnerability.objects.get(cve_id="CVE-2021-41773")
    assert httpd.on_kev and httpd.kev_vendor == "Apache" and not httpd.has_versions
    again = import_sources("kev", [str(samples / "kev-sample-25.json")])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 25)
    gz = tmp_path / "epss.csv.gz"
    gz.write_bytes(gzip.compress((samples / "epss-sample.csv").read_bytes()
                                 + b"CVE-2021-41773,0.94,0.999\nnot-a-cve,0.1,0.2\n"))
    report = import_sources("epss", [str(gz)])
    assert report.read == 7
    assert [(s.record, s.field) for s in report.skipped] == [("line 9", "cve")]
    httpd.refresh_from_db()
    assert httpd.epss == pytest.approx(0.94) and str(httpd.epss_date) == "2025-02-20"


def test_csaf_documents_update_in_place_and_respect_tlp(samples: Path, tmp_path: Path) -> None:
    report = import_sources("csaf", [str(samples / "oasis-example-bsi-2022-0001.json"),
                                     str(samples / "oasis-vex-2022-evd-uc-02-na-001.json")])
    assert (report.created, report.skipped) == (2, [])
    bsi = Advisory.objects.get(tracking_id="BSI-2022-0001")
    assert bsi.tlp == "TLP:CLEAR" and bsi.remediations[0]["category"] == "vendor_fix"
    statuses = set(bsi.affected.values_list("status", flat=True))
    assert statuses == {"affected", "fixed"}
    # A newer revision replaces it in place; the same one changes nothing.
    document = json.loads((samples / "oasis-example-bsi-2022-0001.json").read_text())
    document["document"]["tracking"]["version"] = "2"
    document["document"]["tracking"]["current_release_date"] = "2022-04-01T10:00:00.000Z"
    document["document"]["tracking"]["revision_history"].append(
        {"date": "2022-04-01T10:00:00.000Z", "number": "2", "summary": "Update"})
    document["vulnerabilities"][0]["product_status"]["known_affected"] = ["CSAFPID-0001"]
    newer = tmp_path / "bsi-2.json"
    newer.write_text(json.dumps(document))
    report = import_sources("csaf", [str(newer), str(samples / "oasis-example-bsi-2022-0001.json")])
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    bsi.refresh_from_db()
    assert bsi.version == "2"
    assert bsi.affected.filter(status="affected").count() == 1
    # TLP:RED is refused by name.
    document["document"]["distribution"]["tlp"]["label"] = "RED"
    document["document"]["tracking"]["id"] = "BSI-2022-RED"
    red = tmp_path / "red.json"
    red.write_text(json.dumps(document))
    report = import_sources("csaf", [str(red)])
    assert report.created == 0
    [skip] = report.skipped
    assert skip.field == "document.distribution.tlp.label" and "TLP:RED" in skip.reason
    assert not Advisory.objects.filter(tracking_id="BSI-2022-RED").exists()


def test_csaf_schema_invalid_and_oversized(samples: Path, tmp_path: Path, settings) -> None:
    document = json.loads((samples / "oasis-example-bsi-2022-0001.json").read_text())
    document["vulnerabilities"][0]["scores"][0]["cvss_v3"]["attackVector"] = "SPACE"
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps(document))
    unknown = json.loads((samples / "oasis-example-bsi-2022-0001.json").read_text())
    unknown["document"]["tracking"]["surprise"] = "unknown field"
    (tmp_path / "unknown.json").write_text(json.dumps(unknown))
    truncated = tmp_path / "truncated.json"
    truncated.write_text((samples / "oasis-example-bsi-2022-0001.json").read_text()[:900])
    settings.VRISAC_IMPORT_MAX_MB = {"csaf": 1}
    huge = tmp_path / "huge.json"
    with huge.open("w") as fh:
        fh.write('{"document": {"title": "' + "x" * (2 * 1024 * 1024) + '"}}')
    report = import_sources("csaf", [str(invalid), str(huge), str(truncated)])
    assert Advisory.objects.count() == 0
    by_file = {Path(s.file).name: s for s in report.skipped}
    assert "not valid JSON" in by_file["truncated.json"].reason
    # CSAF allows members it does not define: imported, and the report names them.
    lenient = import_sources("csaf", [str(tmp_path / "unknown.json")])
    assert lenient.created == 1
    assert [(i.record, i.field) for i in lenient.ignored] == [
        ("BSI-2022-0001", "document.tracking.surprise")]
    assert by_file["invalid.json"].field == "vulnerabilities[0].scores[0].cvss_v3.attackVector"
    assert "CSAF 2.0 schema" in by_file["invalid.json"].reason
    assert "larger than the limit" in by_file["huge.json"].reason


def test_csaf_product_tree_relationships_groups_and_purl() -> None:
    from vrisac.advisories.importers.csaf import parse_document
    from vrisac.advisories.normalise import NO_ALIASES

    document = {
        "document": {
            "category": "csaf_security_advisory", "csaf_version": "2.0",
            "distribution": {"tlp": {"label": "GREEN"}},
            "publisher": {"category": "coordinator", "name": "NCSC-NL",
                          "namespace": "https://www.ncsc.nl/"},
            "title": "Kwetsbaarheden verholpen in Example Gateway",
            "notes": [{"category": "other", "title": "Kans", "text": "high"},
                      {"category": "other", "title": "Schade", "text": "high"}],
            "tracking": {"id": "NCSC-2026-0001", "version": "1.0.0", "status": "final",
                         "initial_release_date": "2026-01-05T10:00:00Z",
                         "current_release_date": "2026-01-05T10:00:00Z",
                         "revision_history": [{"date": "2026-01-05T10:00:00Z",
                                               "number": "1.0.0", "summary": "Initiele versie"}]},
        },
        "product_tree": {
            "branches": [{"category": "vendor", "name": "Example", "branches": [
                {"category": "product_name", "name": "Gateway", "branches": [
                    {"category": "product_version_range", "name": "vers:all/<V2302.0016",
                     "product": {"name": "Example Gateway < V2302.0016", "product_id": "P1"}},
                    {"category": "product_version", "name": "V2302.0016",
                     "product": {"name": "Example Gateway V2302.0016", "product_id": "P2"}}]},
            ]}, {"category": "vendor", "name": "Acme", "branches": [
                {"category": "product_name", "name": "lib", "branches": [
                    {"category": "product_version", "name": "2.0.1", "product": {
                        "name": "acme lib 2.0.1", "product_id": "L1",
                        "product_identification_helper": {"purl": "pkg:npm/acme-lib@2.0.1"}}}]}]}],
            "relationships": [{"category": "installed_on", "product_reference": "L1",
                               "relates_to_product_reference": "P2",
                               "full_product_name": {"name": "acme lib on gateway",
                                                     "product_id": "R1"}}],
            "product_groups": [{"group_id": "G1", "product_ids": ["P1", "R1"]}],
        },
        "vulnerabilities": [{
            "cve": "CVE-2026-0001",
            "product_status": {"known_affected": ["P1", "R1"], "fixed": ["P2"]},
            "remediations": [{"category": "vendor_fix", "details": "Update to V2302.0016",
                              "group_ids": ["G1"]}],
        }],
    }
    parsed = parse_document(document, NO_ALIASES)
    assert parsed.fields["tlp"] == "TLP:GREEN"
    assert parsed.fields["ncsc_priority"] == "high/high"
    rows = {(r["status"], r.get("version_expr") or r.get("version_exact")): r
            for _cve, r in parsed.statements}
    assert rows[("affected", "vers:all/<V2302.0016")]["name_key"] == "example:gateway"
    lib = rows[("affected", "2.0.1")]
    assert lib["purl_key"] == "npm//acme-lib"
    assert lib["platform"] == "installed on Example Gateway V2302.0016"
    assert sorted(parsed.fields["remediations"][0]["products"]) == [
        "Example Gateway < V2302.0016", "acme lib on gateway"]
