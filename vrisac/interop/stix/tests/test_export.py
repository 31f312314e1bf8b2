"""A report as a STIX 2.1 bundle: valid for stix2-validator, every indicator type mapped,
the source hidden when anonymous, revoked once retracted, only for those who may see it."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from stix2validator import ValidationOptions, validate_parsed_json

from vrisac.core.errors import NotFound
from vrisac.core.testing import make_report
from vrisac.interop.stix.export import PLATFORM_IDENTITY, report_bundle
from vrisac.interop.stix.mapping import from_pattern, to_stix
from vrisac.interop.stix.selectors import report_bundle_for
from vrisac.reports.services import report_retract
from vrisac.sharing import tlp

from .conftest import EVERY_TYPE

pytestmark = pytest.mark.django_db

#: What strict mode still reports on an export, each with its reason in docs/exchange.md.
STRICT_FINDINGS = {"303", "401"}


def validate(bundle: dict[str, Any], *, strict: bool = False) -> list[str]:
    """The validator's errors, as ``code object: message`` lines."""
    result = validate_parsed_json(json.loads(json.dumps(bundle)),
                                  ValidationOptions(strict=strict))
    return [f"{error}" for error in result.errors] + [
        f"{obj.object_id}: {error}" for obj in getattr(result, "object_results", [])
        for error in obj.errors]


def by_type(bundle: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [obj for obj in bundle["objects"] if obj["type"] == type_]


def test_every_indicator_type_passes_the_validator(people: Any, every_type: Any) -> None:
    report = make_report(people["utrecht"], indicators=every_type, tags=["ransomware"])
    bundle = report_bundle(report)
    assert validate(bundle) == []
    indicators = by_type(bundle, "indicator")
    assert len(indicators) == len(EVERY_TYPE) - 1  # the CVE is a vulnerability
    assert [v["name"] for v in by_type(bundle, "vulnerability")] == ["CVE-2024-3400"]
    stix_report = by_type(bundle, "report")[0]
    assert stix_report["id"] == f"report--{report.uuid}"
    assert stix_report["labels"] == ["ransomware"]
    assert set(stix_report["object_refs"]) == {
        o["id"] for o in bundle["objects"]
        if o["type"] not in ("report", "marking-definition", "extension-definition",
                             "identity")}
    # Every indicator's pattern leads back to its type and value.
    for indicator in indicators:
        assert from_pattern(indicator["pattern"], indicator["x_vrisac_type"]) == (
            indicator["x_vrisac_type"], indicator["name"])
    # Observables, observations and relationships for all but the pattern-only types.
    assert len(by_type(bundle, "observed-data")) == len(EVERY_TYPE) - 4
    relationships = by_type(bundle, "relationship")
    assert {r["relationship_type"] for r in relationships} == {"based-on"}
    ids = {o["id"] for o in bundle["objects"]}
    assert all(r["source_ref"] in ids and r["target_ref"] in ids for r in relationships)
    assert {o["type"] for o in bundle["objects"]} >= {
        "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file", "directory",
        "windows-registry-key", "mutex", "autonomous-system"}


def test_strict_mode_reports_only_the_documented_findings(people: Any, every_type: Any
                                                          ) -> None:
    bundle = report_bundle(make_report(people["utrecht"], indicators=every_type))
    codes = {line.split("{", 1)[1].split("}", 1)[0] for line in validate(bundle, strict=True)}
    assert codes == STRICT_FINDINGS


def test_tlp_marking_definitions_with_their_extension(people: Any) -> None:
    report = make_report(people["utrecht"], tlp="TLP:GREEN",
                         indicators=[{"type": "ipv4", "value": "192.0.2.1"}])
    bundle = report_bundle(report)
    marking = by_type(bundle, "marking-definition")[0]
    assert marking["id"] == tlp.labels()["TLP:GREEN"].stix21_id
    extension = marking["extensions"]["extension-definition--60a3c5c5-0d10-413e-aab3-"
                                      "9e08dde9e88d"]
    assert extension == {"extension_type": "property-extension", "tlp_2_0": "green"}
    assert by_type(bundle, "extension-definition")[0]["id"].startswith("extension-definition--")
    marked = [o for o in bundle["objects"]
              if o["type"] not in ("marking-definition", "extension-definition", "identity")]
    assert all(o["object_marking_refs"] == [marking["id"]] for o in marked)


def test_anonymous_report_names_a_neutral_source(people: Any) -> None:
    named = report_bundle(make_report(people["utrecht"]))
    anonymous = report_bundle(make_report(people["utrecht"], anonymous=True))
    assert by_type(named, "identity")[0]["name"] == "Veiligheidsregio Utrecht"
    assert by_type(anonymous, "identity")[0]["id"] == PLATFORM_IDENTITY
    assert b"Utrecht" not in orjson.dumps(anonymous)
    assert by_type(anonymous, "report")[0]["created_by_ref"] == PLATFORM_IDENTITY


def test_retracted_report_goes_out_revoked(people: Any) -> None:
    report = make_report(people["utrecht"], indicators=[
        {"type": "domain", "value": "bad.example"}, {"type": "cve", "value": "CVE-2024-1234"}])
    before = report_bundle(report)
    report = report_retract(report=report, acting_user=people["utrecht"],
                            reason="false positive")
    after = report_bundle(report)
    assert validate(after) == []
    sdos = [o for o in after["objects"] if o["type"] in (
        "report", "indicator", "vulnerability", "relationship", "observed-data")]
    assert sdos and all(o.get("revoked") is True for o in sdos)
    assert not any(o.get("revoked") for o in before["objects"])
    old = {o["id"]: o["modified"] for o in before["objects"] if "modified" in o}
    assert all(o["modified"] > old[o["id"]] for o in sdos)


def test_only_for_those_who_may_see_the_report(people: Any) -> None:
    report = make_report(people["utrecht"], tlp="TLP:AMBER", audience="participants")
    with pytest.raises(NotFound):
        report_bundle_for(user=people["partner"], pk=report.pk)
    with pytest.raises(NotFound):
        report_bundle_for(user=people["observer"], pk=report.pk)
    _report, bundle = report_bundle_for(user=people["haaglanden"], pk=report.pk)
    assert by_type(bundle, "report")[0]["name"] == report.title


def test_pattern_escaping_round_trips() -> None:
    for type_, value in [("url", "http://x.example/a'b\\c"), ("filepath", "/etc/cron.d/x"),
                         ("filepath", "C:\\evil.exe"), ("asn", "AS1"),
                         ("regkey", "HKEY_CURRENT_USER\\Software\\It's")]:
        assert from_pattern(to_stix(type_, value).pattern, type_) == (type_, value)
    assert from_pattern("[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [url:value = 'x']") is None
    assert from_pattern("[ipv4-addr:value != '1.2.3.4']") is None
    assert from_pattern("not a pattern") is None


def test_export_command_writes_a_valid_bundle(people: Any, tmp_path: Any, capsys: Any
                                              ) -> None:
    report = make_report(people["utrecht"], indicators=EVERY_TYPE[:3])
    out = tmp_path / "bundle.json"
    call_command("export_stix", "--report", str(report.pk), "--out", str(out))
    bundle = json.loads(out.read_text())
    assert validate(bundle) == []
    assert by_type(bundle, "report")[0]["id"] == f"report--{report.uuid}"
    call_command("export_stix", "--report", str(report.pk), "--as", people["haaglanden"].email)
    assert json.loads(capsys.readouterr().out)["type"] == "bundle"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not found"):
        call_command("export_stix", "--report", str(report.pk), "--as",
                     people["partner"].email)
