"""The forms of the pages reach the services: each POST stores what it says, and a refusal
comes back as a message without storing anything."""

from __future__ import annotations

from typing import Any

import pytest

from vrisac.core.testing import client_for
from vrisac.resilience import services
from vrisac.resilience.models import (
    Adoption,
    Attendance,
    ImprovementAction,
    MinutesItem,
    Nis2Stage,
    PictureUpdate,
)
from vrisac.resilience.periods import Period

pytestmark = pytest.mark.django_db


def test_participant_forms(people: dict[str, Any], tracked: Any) -> None:
    vnog = client_for(people["vnog"])
    key = Period.current().key
    assert vnog.post(f"/resilience/assessment/{key}/actions/", {
        "measure": "c", "title": "Papieren draaiboek", "owner": "CISO",
        "due_date": "2027-01-15"}).status_code == 302
    action = ImprovementAction.objects.get()
    assert vnog.post(f"/resilience/actions/{action.pk}/", {"state": "done"}).status_code == 302
    action.refresh_from_db()
    assert action.state == "done"
    # A missing owner is refused with a message and stores nothing.
    answer = vnog.post(f"/resilience/assessment/{key}/actions/",
                       {"measure": "a", "title": "x"}, follow=True)
    assert ImprovementAction.objects.count() == 1
    assert "Eigenaar" in answer.content.decode()
    url = f"/resilience/nis2/{tracked.pk}/"
    assert vnog.post(url + "request/", {"requested_at": "2026-11-01T10:00",
                                        "due": "2026-11-03T10:00"}).status_code == 302
    assert Nis2Stage.objects.filter(stage="intermediate_report").count() == 1
    assert vnog.post(url + "update/", {"handled_at": "", "csirt_reference": "CSIRT-42"}
                     ).status_code == 302
    tracked.refresh_from_db()
    assert tracked.csirt_reference == "CSIRT-42"
    early = tracked.stages.get(stage="early_warning")
    assert vnog.post(url + f"stages/{early.pk}/", {
        "summary": "s", "suspected_malicious": "yes", "cross_border": "no"}).status_code == 302
    early.refresh_from_db()
    assert early.submitted_at is not None
    assert client_for(people["utrecht"]).post(url + "update/", {
        "csirt_reference": "x"}).status_code == 404


def test_picture_advice_and_meeting_forms(people: dict[str, Any], incident_report: Any
                                          ) -> None:
    coordinator = client_for(people["coordinator"])
    base = f"/resilience/incidents/{incident_report.pk}/"
    assert coordinator.get(base).status_code == 200  # the start page
    assert coordinator.post(base + "start/").status_code == 302
    assert coordinator.post(base + "updates/", {"known": "Bekend", "at": ""}).status_code == 302
    assert coordinator.post(base + "summary/", {"state": "closed", "summary": "Klaar"}
                            ).status_code == 302
    assert PictureUpdate.objects.get().known == "Bekend"
    from vrisac.resilience.models import IncidentPicture

    assert IncidentPicture.objects.get().state == "closed"
    utrecht = client_for(people["utrecht"])
    assert utrecht.post(base + "follow/", {"follow": "1"}).status_code == 302
    assert incident_report.picture.followers.filter(user=people["utrecht"]).exists()
    report = services.advice_publish(author=people["coordinator"], title="Advies", summary="",
                                     body="", tlp="TLP:GREEN", audience="participants",
                                     level="tactical", measure_keys=["a"])
    assert utrecht.post(f"/resilience/advice/{report.pk}/adoption/",
                        {"state": "planned", "note": "Q1"}).status_code == 302
    assert Adoption.objects.get().state == "planned"
    meeting = services.meeting_create(author=people["coordinator"], title="Overleg",
                                      starts_at=incident_report.created_at)
    url = f"/resilience/meetings/{meeting.pk}/"
    assert coordinator.post(url + "attendance/", {
        f"person_{people['utrecht'].pk}": "present"}).status_code == 302
    assert Attendance.objects.get().state == "present"
    assert coordinator.post(url + "minutes/", {"heading": "Rood", "tlp": "TLP:RED"}
                            ).status_code == 302
    assert coordinator.post(url + "minutes/publish/").status_code == 302
    assert MinutesItem.objects.get().status == "published"
    assert "Rood" in utrecht.get(url).content.decode()
