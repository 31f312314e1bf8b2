"""Import of STIX 2.1 bundles: round trip, updates by id and modified, revocation, legacy
TLP ids, kept objects, and bad input refused with nothing written."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vrisac.core.errors import DomainError
from vrisac.core.testing import make_report
from vrisac.intel.models import Indicator
from vrisac.interop.stix.export import report_bundle
from vrisac.interop.stix.models import KeptObject, StixLink
from vrisac.interop.stix.services import bundle_import
from vrisac.reports.models import Report
from vrisac.sharing import tlp

from .test_export import by_type, validate

pytestmark = pytest.mark.django_db


def data(bundle: dict[str, Any]) -> bytes:
    return orjson.dumps(bundle)


def snapshot(report: Report) -> dict[str, Any]:
    return {
        "kind": report.kind, "title": report.title, "summary": report.summary,
        "body": report.body, "tlp": report.tlp, "status": report.status,
        "tags": sorted(t.name for t in report.tags.all()),
        "indicators": sorted(
            (i.value.type, i.value.value, i.comment, i.for_detection,
             i.first_seen.isoformat(timespec="milliseconds"),
             i.last_seen.isoformat(timespec="milliseconds"))
            for i in Indicator.objects.filter(report=report).select_related("value")),
    }


def counts() -> tuple[int, int, int, int]:
    return (Report.objects.count(), Indicator.objects.count(), StixLink.objects.count(),
            KeptObject.objects.count())


def test_export_then_import_gives_back_the_same_report(people: Any, every_type: Any) -> None:
    report = make_report(people["utrecht"], kind="incident", summary="Short", body="# Long",
                         tlp="TLP:GREEN", tags=["phishing", "citrix"], indicators=every_type)
    report.refresh_from_db()
    before = snapshot(report)
    bundle = report_bundle(report)
    Report.objects.filter(pk=report.pk).delete()
    result = bundle_import(acting_user=people["haaglanden"], data=data(bundle), where="t.json")
    assert len(result.created) == 1 and not result.kept
    imported = Report.objects.get(pk=result.created[0])
    assert snapshot(imported) == before
    again = report_bundle(imported)
    assert by_type(again, "report")[0]["id"] == by_type(bundle, "report")[0]["id"]
    assert ({o["id"] for o in by_type(again, "indicator")}
            == {o["id"] for o in by_type(bundle, "indicator")})
    assert validate(again) == []


def test_reimport_changes_nothing_and_newer_versions_update(people: Any) -> None:
    author = people["utrecht"]
    bundle = report_bundle(make_report(author, indicators=[
        {"type": "domain", "value": "a.example"}]))
    stix_report = by_type(bundle, "report")[0]
    stix_report["id"] = "report--6f0b1c1e-3c3f-4b0a-9a55-2b1e7a0d4c11"
    first = bundle_import(acting_user=people["haaglanden"], data=data(bundle), where="b")
    state = counts()
    second = bundle_import(acting_user=people["haaglanden"], data=data(bundle), where="b")
    assert second.unchanged == first.created and counts() == state
    newer = copy.deepcopy(bundle)
    report = by_type(newer, "report")[0]
    report["name"] = "A new title"
    report["modified"] = "2099-01-01T00:00:00.000Z"
    indicator = copy.deepcopy(by_type(newer, "indicator")[0])
    indicator["id"] = "indicator--0c7a5f7b-54a3-4b9f-a1f0-4f0d4b7e8a11"
    indicator["pattern"] = "[domain-name:value = 'b.example']"
    indicator["name"] = "b.example"
    newer["objects"].append(indicator)
    report["object_refs"].append(indicator["id"])
    third = bundle_import(acting_user=people["haaglanden"], data=data(newer), where="b")
    assert third.updated == first.created
    updated = Report.objects.get(pk=first.created[0])
    assert updated.title == "A new title"
    assert sorted(Indicator.objects.filter(report=updated).values_list(
        "value__value", flat=True)) == ["a.example", "b.example"]
    assert StixLink.objects.filter(stix_id=indicator["id"]).exists()


def test_a_revoked_report_is_retracted(people: Any) -> None:
    bundle = report_bundle(make_report(people["utrecht"]))
    by_type(bundle, "report")[0]["id"] = "report--9d8a6c0e-2f4b-4c1e-8d7a-1b2c3d4e5f60"
    created = bundle_import(acting_user=people["haaglanden"], data=data(bundle), where="x")
    revoked = copy.deepcopy(bundle)
    by_type(revoked, "report")[0].update(revoked=True, modified="2099-01-01T00:00:00.000Z")
    result = bundle_import(acting_user=people["haaglanden"], data=data(revoked), where="x")
    assert result.retracted == created.created
    assert Report.objects.get(pk=created.created[0]).status == "retracted"


@pytest.mark.parametrize("label", ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT"])
def test_tlp_2_and_legacy_marking_ids_are_understood(people: Any, label: str) -> None:
    info = tlp.labels()[label]
    for n, marking in enumerate([info.stix21_id, *info.stix21_legacy_ids]):
        bundle = {"type": "bundle", "id": "bundle--1f5f9c4e-0b8e-4c1a-9d7e-2a3b4c5d6e7f",
                  "objects": [{
                      "type": "report", "spec_version": "2.1",
                      "id": f"report--{uuid.uuid4()}",
                      "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
                      "published": "2026-01-01T00:00:00Z", "name": f"{label} {n}",
                      "object_refs": ["identity--1f5f9c4e-0b8e-4c1a-9d7e-2a3b4c5d6e7f"],
                      "object_marking_refs": [marking]}]}
        result = bundle_import(acting_user=people["utrecht"], data=data(bundle), where="m")
        assert Report.objects.get(pk=result.created[0]).tlp == label


def test_objects_not_modelled_are_kept_reported_and_sent_again(people: Any) -> None:
    malware = {"type": "malware", "spec_version": "2.1",
               "id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc",
               "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
               "name": "Qakbot", "is_family": True}
    compound = {"type": "indicator", "spec_version": "2.1",
                "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "pattern": "[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [url:value = "
                           "'http://x.example/']", "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z"}
    report = {"type": "report", "spec_version": "2.1",
              "id": "report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcbd",
              "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
              "published": "2026-01-01T00:00:00.000Z", "name": "Qakbot again",
              "object_refs": [malware["id"], compound["id"]]}
    bundle = {"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
              "objects": [report, malware, compound]}
    result = bundle_import(acting_user=people["utrecht"], data=data(bundle), where="k.json")
    assert dict(result.kept) == {"malware": 1, "indicator": 1}
    assert any("malware" in note for note in result.notes)
    imported = Report.objects.get(pk=result.created[0])
    out = report_bundle(imported)
    assert malware in out["objects"] and compound in out["objects"]
    assert by_type(out, "report")[0]["id"] == report["id"]


def test_loose_indicators_become_one_report(people: Any) -> None:
    indicator = {"type": "indicator", "spec_version": "2.1",
                 "id": "indicator--2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901",
                 "created": "2026-01-01T00:00:00.000Z",
                 "modified": "2026-01-01T00:00:00.000Z",
                 "pattern": "[ipv4-addr:value = '198.51.100.9']", "pattern_type": "stix",
                 "valid_from": "2026-01-01T00:00:00Z"}
    bundle = {"type": "bundle", "id": "bundle--0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
              "objects": [indicator]}
    first = bundle_import(acting_user=people["utrecht"], data=data(bundle), where="loose")
    again = bundle_import(acting_user=people["utrecht"], data=data(bundle), where="loose")
    assert again.unchanged == first.created
    report = Report.objects.get(pk=first.created[0])
    assert list(Indicator.objects.filter(report=report).values_list(
        "value__value", flat=True)) == ["198.51.100.9"]


GOOD = {"type": "indicator", "spec_version": "2.1",
        "id": "indicator--2b3c4d5e-6f70-4182-93a4-b5c6d7e8f902",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.10']", "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"}


def _bundle(*objects: Any) -> bytes:
    return orjson.dumps({"type": "bundle", "id": "bundle--0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1b",
                         "objects": [GOOD, *objects]})


def _deep(levels: int) -> bytes:
    return (b'{"type": "bundle", "id": "bundle--0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1b", '
            b'"objects": [' + b'[' * levels + b']' * levels + b']}')


@pytest.mark.parametrize(("payload", "message"), [
    (b"{not json", "not valid JSON"),
    (b'{"type": "report"}', "not a STIX bundle"),
    (_bundle({**GOOD, "id": "indicator--not-a-uuid"}), "not a STIX identifier"),
    (_bundle({**GOOD, "id": "malware--2b3c4d5e-6f70-4182-93a4-b5c6d7e8f903"}),
     "is not of type indicator"),
    (_bundle({**GOOD, "id": "indicator--2b3c4d5e-6f70-4182-93a4-b5c6d7e8f904",
              "spec_version": "2.0"}), "spec_version 2.0 is not supported"),
    (_bundle({**GOOD, "id": "indicator--2b3c4d5e-6f70-4182-93a4-b5c6d7e8f905",
              "object_marking_refs": ["marking-definition--2b3c4d5e-6f70-4182-93a4-"
                                      "b5c6d7e8f9aa"]}), "unknown marking"),
    (_bundle({**GOOD, "id": "indicator--2b3c4d5e-6f70-4182-93a4-b5c6d7e8f906",
              "modified": "yesterday"}), "not a STIX timestamp"),
    (_bundle({"type": "report", "spec_version": "2.1", "created": "2026-01-01T00:00:00Z",
              "id": "report--aaaaaaaa-6f70-4182-93a4-b5c6d7e8f906", "name": "a",
              "object_refs": ["report--bbbbbbbb-6f70-4182-93a4-b5c6d7e8f906"]},
             {"type": "report", "spec_version": "2.1", "created": "2026-01-01T00:00:00Z",
              "id": "report--bbbbbbbb-6f70-4182-93a4-b5c6d7e8f906", "name": "b",
              "object_refs": ["report--aaaaaaaa-6f70-4182-93a4-b5c6d7e8f906"]}),
     "form a cycle"),
    (_bundle({**GOOD, "id": "indicator--2b3c4d5e-6f70-4182-93a4-b5c6d7e8f907",
              "pattern": "[ipv4-addr:value = '999.1.1.1']"}), "indicator--2b3c4d5e"),
    (_deep(40), "nested deeper"),
    (_deep(5000), "not valid JSON"),
])
def test_bad_input_is_refused_naming_the_place_and_writes_nothing(
        people: Any, payload: bytes, message: str) -> None:
    state = counts()
    with pytest.raises(DomainError, match=message) as caught:
        bundle_import(acting_user=people["utrecht"], data=payload, where="evil.json")
    assert "evil.json" in caught.value.message
    assert counts() == state


def test_a_bundle_over_the_size_limit_is_refused(people: Any, monkeypatch: Any) -> None:
    from vrisac.interop.stix import parsing

    monkeypatch.setattr(parsing, "MAX_BYTES", 1000)
    with pytest.raises(DomainError, match="larger than"):
        bundle_import(acting_user=people["utrecht"], data=_bundle() + b" " * 1000,
                      where="big.json")
    big = b" " * (20 * 1024 * 1024 + 1)
    monkeypatch.undo()
    with pytest.raises(DomainError, match="larger than 20 MB"):
        bundle_import(acting_user=people["utrecht"], data=big, where="big.json")


def test_import_command(people: Any, tmp_path: Any, capsys: Any) -> None:
    path = tmp_path / "in.json"
    path.write_bytes(_bundle())
    call_command("import_stix", str(path), "--org", "haaglanden", "--tlp", "TLP:GREEN")
    result = json.loads(capsys.readouterr().out)
    report = Report.objects.get(pk=result["created"][0])
    assert (report.organisation.slug, report.tlp, report.author) == (
        "haaglanden", "TLP:GREEN", people["haaglanden"])
    path.write_bytes(b"[]")
    with pytest.raises(CommandError, match=r"in\.json: not a STIX bundle"):
        call_command("import_stix", str(path), "--org", "haaglanden")
    with pytest.raises(CommandError, match="no current member"):
        call_command("import_stix", str(path), "--org", "zeeland")
