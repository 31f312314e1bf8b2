"""Pulls from a live medallion 3.0.0: imported through the STIX importer, paged with
``next``, the watermark kept; a second pull imports nothing new."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from vrisac.core.errors import NotAllowed
from vrisac.core.jobs import job_run
from vrisac.core.models import AuditEvent
from vrisac.intel.models import Indicator
from vrisac.interop.stix.models import KeptObject
from vrisac.interop.taxii_client import client, testing
from vrisac.interop.taxii_client.models import RemoteCollection
from vrisac.interop.taxii_client.services import remote_pull, remote_save
from vrisac.reports.models import Report
from vrisac.reports.selectors import report_list
from vrisac.sharing.policy import can_view

from .conftest import indicator, post_objects

pytestmark = pytest.mark.django_db

TLP_AMBER_LEGACY = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def partner_collection(people: dict[str, Any], medallion: testing.Medallion,
                       **extra: Any) -> RemoteCollection:
    fields: dict[str, Any] = {
        "name": "medallion", "title": "Partner ISAC", "url": medallion.discovery_url,
        "auth": "basic", "username": testing.USER, "secret": testing.PASSWORD,
        "import_as": people["partner"], "tlp": "TLP:GREEN", "audience": "participants"}
    fields.update(extra)
    return remote_save(acting_user=people["coordinator"], **fields)


def campaign() -> list[dict[str, Any]]:
    """A partner's report with two indicators under TLP:AMBER (the legacy 1.0 marking id),
    a malware the platform does not model, and a loose TLP:GREEN indicator."""
    first = indicator("198.51.100.7", object_marking_refs=[TLP_AMBER_LEGACY])
    second = {**indicator("203.0.113.9"), "pattern": "[domain-name:value = "
              "'update.rooster-portaal.example']", "object_marking_refs": [TLP_AMBER_LEGACY]}
    malware = {"type": "malware", "spec_version": "2.1", "id": f"malware--{uuid.uuid4()}",
               "created": "2026-03-01T10:00:00.000Z", "modified": "2026-03-01T10:00:00.000Z",
               "name": "RoosterLoader", "is_family": True}
    report = {"type": "report", "spec_version": "2.1", "id": f"report--{uuid.uuid4()}",
              "created": "2026-03-01T10:00:00.000Z", "modified": "2026-03-01T10:00:00.000Z",
              "name": "Phishing tegen roosterportalen", "published": "2026-03-01T10:00:00Z",
              "report_types": ["campaign"], "object_marking_refs": [TLP_AMBER_LEGACY],
              "object_refs": [first["id"], second["id"], malware["id"]]}
    loose = indicator("192.0.2.44", object_marking_refs=[TLP_GREEN])
    return [first, second, malware, report, loose]


def test_pull_imports_through_the_stix_importer_and_a_second_pull_nothing(
        people: dict[str, Any], medallion: testing.Medallion) -> None:
    objects = campaign()
    post_objects(medallion, objects)
    remote = partner_collection(people, medallion)
    result = remote_pull(remote=remote, acting_user=people["coordinator"])
    assert result.status == "ok" and result.fetched == 5 and result.pages == 1
    assert result.created == 2  # the partner's report and the collection's loose indicators
    assert result.indicators == 3 and result.unmodelled == 1
    report = Report.objects.get(title="Phishing tegen roosterportalen")
    assert report.tlp == "TLP:AMBER"  # the legacy marking understood, stricter than GREEN
    assert report.organisation_id == remote.organisation_id == people["partner"].memberships.get(
        ).organisation_id
    assert report.audience == "participants" and report.author_id == people["partner"].pk
    assert set(Indicator.objects.filter(report=report).values_list("value__value", flat=True)
               ) == {"198.51.100.7", "update.rooster-portaal.example"}
    assert KeptObject.objects.filter(type="malware", report=report).count() == 1
    loose = Report.objects.exclude(pk=report.pk).get()
    assert loose.tlp == "TLP:GREEN"
    assert can_view(people["utrecht"], report)
    remote.refresh_from_db()
    assert remote.last_status == "ok" and remote.added_after
    assert remote.objects_url == f"{medallion.collection_url}objects/"
    assert (remote.last_count, remote.last_created, remote.last_indicators) == (5, 2, 3)

    counts = (Report.objects.count(), Indicator.objects.count(), KeptObject.objects.count())
    again = remote_pull(remote=remote)
    assert again.status == "unchanged" and again.fetched == 0
    assert (Report.objects.count(), Indicator.objects.count(),
            KeptObject.objects.count()) == counts
    remote.refresh_from_db()
    assert remote.last_status == "unchanged" and remote.added_after == result.added_after
    pulls = AuditEvent.objects.filter(action="taxii_client.remote.pull").order_by("seq")
    assert [e.details["status"] for e in pulls] == ["ok", "unchanged"]
    assert pulls[1].actor_label == "scheduler"


def test_later_pulls_take_only_what_was_added_and_update_by_modified(
        people: dict[str, Any], medallion: testing.Medallion,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "PAGE_LIMIT", 10)
    post_objects(medallion, [indicator(f"198.51.100.{n}") for n in range(25)])
    remote = partner_collection(people, medallion)
    first = remote_pull(remote=remote)
    assert (first.fetched, first.pages, first.indicators) == (25, 3, 25)
    report = Report.objects.get()
    post_objects(medallion, [indicator(f"198.51.100.{n}", modified="2026-04-01T08:00:00.000Z")
                             for n in range(100, 104)])
    remote.refresh_from_db()
    second = remote_pull(remote=remote)
    assert (second.fetched, second.pages) == (4, 1)
    assert second.updated == 1 and second.indicators == 4
    assert Indicator.objects.filter(report=report).count() == 29
    assert remote.added_after > first.added_after


def test_command_pulls_by_name(people: dict[str, Any], medallion: testing.Medallion) -> None:
    post_objects(medallion, campaign())
    partner_collection(people, medallion)
    out = StringIO()
    call_command("taxii_pull", "medallion", stdout=out)
    printed = json.loads(out.getvalue())
    assert printed["collection"] == "medallion" and printed["fetched"] == 5
    assert printed["status"] == "ok"
    listing = StringIO()
    call_command("taxii_pull", "--list", stdout=listing)
    assert listing.getvalue().startswith("medallion\tok\t20")
    with pytest.raises(CommandError, match="no remote collection of that name"):
        call_command("taxii_pull", "nope")


def test_the_scheduled_job_pulls_what_is_due(people: dict[str, Any],
                                            medallion: testing.Medallion) -> None:
    post_objects(medallion, campaign())
    due = partner_collection(people, medallion)
    resting = partner_collection(people, medallion, name="resting", interval_minutes=60)
    off = partner_collection(people, medallion, name="off", enabled=False)
    RemoteCollection.objects.filter(pk=resting.pk).update(
        last_pulled_at=timezone.now() - timedelta(minutes=10), added_after="x")
    row = job_run("taxii_client.pull_due")
    assert row.result == {"collections": {"medallion": "ok"}}
    due.refresh_from_db()
    off.refresh_from_db()
    assert due.last_status == "ok" and off.last_status == ""
    assert report_list(user=people["utrecht"]).filter(
        title="Phishing tegen roosterportalen").exists()


def test_a_person_who_left_fails_the_pull_clearly(people: dict[str, Any],
                                                 medallion: testing.Medallion) -> None:
    from vrisac.core.testing import end_all_memberships

    post_objects(medallion, campaign())
    remote = partner_collection(people, medallion)
    end_all_memberships("ncsc")
    remote = RemoteCollection.objects.get(pk=remote.pk)
    with translation.override("en"), pytest.raises(NotAllowed, match="share reports"):
        remote_pull(remote=remote)
    remote.refresh_from_db()
    assert remote.last_status == "failed" and remote.added_after == ""
    assert not Report.objects.exists()
