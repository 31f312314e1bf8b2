"""NIS2 incident reporting: who may start and see it, the API, the stages and exports."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from vrisac.core.errors import DomainError, NotFound
from vrisac.core.testing import api_client, client_for, make_person, make_report
from vrisac.resilience import services
from vrisac.resilience.models import Nis2Incident

pytestmark = pytest.mark.django_db


def _start(client: Any, report: Any, aware_at: str) -> Any:
    return client.post("/api/v1/nis2/incidents", {"report": report.pk, "aware_at": aware_at},
                       content_type="application/json")


def test_api_starts_tracking_and_returns_deadlines_across_spring(
        people: dict[str, Any], incident_report: Any) -> None:
    client = api_client(people["vnog"], ["resilience:read", "resilience:write"])
    created = _start(client, incident_report, "2026-03-28T10:00:00+01:00")
    assert created.status_code == 201, created.content
    incident_id = created.json()["id"]
    got = client.get(f"/api/v1/nis2/incidents/{incident_id}").json()
    stages = {s["stage"]: s for s in got["stages"]}
    assert list(stages) == ["early_warning", "incident_notification", "final_report"]
    assert stages["early_warning"]["due"] == "2026-03-29T11:00:00+02:00"
    assert stages["incident_notification"]["due"] == "2026-03-31T11:00:00+02:00"
    assert stages["final_report"]["due"] is None
    assert {s["status"] for s in got["stages"]} == {"overdue", "open"}
    assert stages["final_report"]["status"] == "open"


def test_api_deadlines_across_autumn_and_final_report(people: dict[str, Any],
                                                      incident_report: Any) -> None:
    client = api_client(people["vnog"], ["resilience:read", "resilience:write"])
    incident_id = _start(client, incident_report, "2026-10-24T10:00:00+02:00").json()["id"]
    got = client.get(f"/api/v1/nis2/incidents/{incident_id}").json()
    stages = {s["stage"]: s for s in got["stages"]}
    assert stages["early_warning"]["due"] == "2026-10-25T09:00:00+01:00"
    assert stages["incident_notification"]["due"] == "2026-10-27T09:00:00+01:00"
    submitted = client.post(
        f"/api/v1/nis2/incidents/{incident_id}/stages/{stages['incident_notification']['id']}"
        "/submit", {"content": {"update": "u", "severity": "high", "impact": "i"}},
        content_type="application/json")
    assert submitted.status_code == 200, submitted.content
    stages = {s["stage"]: s for s in submitted.json()["stages"]}
    assert stages["incident_notification"]["status"] == "submitted"
    assert stages["incident_notification"]["submitted_at"] is not None
    assert stages["final_report"]["due"] is not None


@pytest.mark.parametrize(("aware_at", "malformed"), [
    ("2026-03-28T10:00:00", False),
    ("28-03-2026 10:00", True),
    ("", True),
])
def test_api_refuses_a_moment_without_offset(people: dict[str, Any], incident_report: Any,
                                             aware_at: str, malformed: bool) -> None:
    client = api_client(people["vnog"], ["resilience:read", "resilience:write"])
    answer = _start(client, incident_report, aware_at)
    assert answer.status_code == 400
    assert answer.json()["field"] == "aware_at"
    detail = answer.json()["detail"]
    assert detail.startswith("aware_at") and "2026-03-28T10:00:00+01:00" in detail
    assert ("ISO 8601" in detail) == malformed
    assert not Nis2Incident.objects.exists()


def test_api_refuses_a_future_moment_and_a_second_start(people: dict[str, Any],
                                                       incident_report: Any) -> None:
    client = api_client(people["vnog"], ["resilience:read", "resilience:write"])
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert _start(client, incident_report, future).status_code == 400
    assert _start(client, incident_report, "2026-03-28T10:00:00+01:00").status_code == 201
    again = _start(client, incident_report, "2026-03-28T10:00:00+01:00")
    assert again.status_code == 400
    assert again.json()["field"] == "report"


def test_only_the_reports_own_organisation_starts_and_sees_tracking(
        people: dict[str, Any], incident_report: Any) -> None:
    tracked = services.nis2_start(report=incident_report, acting_user=people["vnog"],
                                  aware_at=timezone.now() - timedelta(hours=1))
    for key in ("utrecht", "coordinator", "partner", "observer", "admin"):
        # Each with every scope its role allows; partner and admin have no resilience scope.
        client = api_client(people[key])
        answer = client.get(f"/api/v1/nis2/incidents/{tracked.pk}")
        assert answer.status_code == (403 if key in ("partner", "admin") else 404), key
        listed = client.get("/api/v1/nis2/incidents")
        assert listed.status_code in (200, 403)
        if listed.status_code == 200:
            assert listed.json() == [], key
        assert client_for(people[key]).get(tracked.get_absolute_url()).status_code == 404
    colleague = client_for(people["vnog"])
    assert colleague.get(tracked.get_absolute_url()).status_code == 200
    other = make_report(people["utrecht"], kind="incident")
    with pytest.raises(NotFound):
        services.nis2_start(report=other, acting_user=people["vnog"],
                            aware_at=timezone.now())
    answer = _start(api_client(people["vnog"], ["resilience:write"]), other,
                    "2026-03-28T10:00:00+01:00")
    assert answer.status_code == 404


def test_a_report_the_policy_hides_cannot_be_tracked_even_by_its_organisation(
        people: dict[str, Any]) -> None:
    # Utrecht's second participant may not see a TLP:RED report addressed to others.
    secret = make_report(people["utrecht"], kind="incident", tlp="TLP:RED", audience="people",
                         audience_people=[people["coordinator"]])
    with pytest.raises(NotFound):
        services.nis2_start(report=secret, acting_user=people["utrecht2"],
                            aware_at=timezone.now())
    assert services.nis2_start(report=secret, acting_user=people["utrecht"],
                               aware_at=timezone.now())


def test_only_incident_reports_can_be_significant(people: dict[str, Any]) -> None:
    threat = make_report(people["vnog"], kind="threat")
    with pytest.raises(DomainError) as err:
        services.nis2_start(report=threat, acting_user=people["vnog"], aware_at=timezone.now())
    assert err.value.field == "report"


def test_stage_fields_are_checked_and_nothing_half_written(people: dict[str, Any],
                                                         tracked: Any) -> None:
    early = tracked.stages.get(stage="early_warning")
    with pytest.raises(DomainError) as err:
        services.nis2_submit(stage=early, acting_user=people["vnog"],
                             content={"summary": "x", "suspected_malicious": "perhaps",
                                      "cross_border": "no"})
    assert err.value.field == "suspected_malicious"
    with pytest.raises(DomainError) as err:
        services.nis2_submit(stage=early, acting_user=people["vnog"],
                             content={"summary": "bad\x00text", "suspected_malicious": "yes",
                                      "cross_border": "no"})
    assert err.value.field == "summary"
    with pytest.raises(DomainError) as err:
        services.nis2_submit(stage=early, acting_user=people["vnog"],
                             content={"summary": "x", "suspected_malicious": "yes",
                                      "cross_border": "no", "extra": "?"})
    assert err.value.field == "extra"
    early.refresh_from_db()
    assert early.submitted_at is None and early.content == {}
    services.nis2_submit(stage=early, acting_user=people["vnog"],
                         content={"summary": "x", "suspected_malicious": "yes",
                                  "cross_border": "unknown"})
    with pytest.raises(DomainError):
        services.nis2_submit(stage=early, acting_user=people["vnog"],
                             content={"summary": "changed", "suspected_malicious": "no",
                                      "cross_border": "no"})
    early.refresh_from_db()
    assert early.content["summary"] == "x"


def test_final_report_needs_the_notification_and_progress_needs_an_ongoing_incident(
        people: dict[str, Any], tracked: Any) -> None:
    from vrisac.resilience.selectors import stage_infos

    vnog = people["vnog"]
    final = tracked.stages.get(stage="final_report")
    content = {"description": "d", "root_cause": "r", "mitigation": "m"}
    with pytest.raises(DomainError):
        services.nis2_submit(stage=final, acting_user=vnog, content=content)
    services.nis2_submit(stage=tracked.stages.get(stage="incident_notification"),
                         acting_user=vnog,
                         content={"update": "u", "severity": "critical", "impact": "i"})
    services.nis2_submit(stage=final, acting_user=vnog, progress=True,
                         content={"status_update": "s", "mitigation": "m"})
    info = next(i for i in stage_infos(tracked) if i.stage == "final_report")
    assert info.due is None and info.status == "open"
    handled = timezone.now() - timedelta(minutes=5)
    services.nis2_update(incident=tracked, acting_user=vnog, handled_at=handled)
    tracked.refresh_from_db()
    info = next(i for i in stage_infos(tracked) if i.stage == "final_report")
    assert info.due is not None and info.due > handled + timedelta(days=27)
    with pytest.raises(DomainError):
        services.nis2_submit(stage=final, acting_user=vnog, progress=True,
                             content={"status_update": "s", "mitigation": "m"})
    services.nis2_submit(stage=final, acting_user=vnog, content=content)


def test_intermediate_report_on_request(people: dict[str, Any], tracked: Any) -> None:
    from vrisac.resilience.selectors import stage_infos

    asked = timezone.now() - timedelta(hours=1)
    stage = services.nis2_request_intermediate(
        incident=tracked, acting_user=people["vnog"], requested_at=asked,
        due=asked + timedelta(hours=48), note="CSIRT vraagt stand van zaken")
    infos = stage_infos(tracked)
    assert [i.stage for i in infos] == ["early_warning", "incident_notification",
                                        "intermediate_report", "final_report"]
    assert next(i for i in infos if i.row == stage).due == asked + timedelta(hours=48)
    with pytest.raises(DomainError) as err:
        services.nis2_request_intermediate(incident=tracked, acting_user=people["vnog"],
                                           requested_at=asked, due=asked - timedelta(hours=1))
    assert err.value.field == "requested_due"


def test_exports_for_the_csirt_are_audited(people: dict[str, Any], tracked: Any) -> None:
    from pypdf import PdfReader

    from vrisac.core.models import AuditEvent

    client = client_for(people["vnog"])
    data = client.get(f"/resilience/nis2/{tracked.pk}/export.json")
    assert data.status_code == 200
    body = json.loads(data.content)
    assert body["tlp"] == "TLP:AMBER"
    assert next(s["stage"] for s in body["stages"]) == "early_warning"
    assert body["stages"][0]["due"].endswith(("+01:00", "+02:00"))
    pdf = client.get(f"/resilience/nis2/{tracked.pk}/export.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    import io

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "TLP:AMBER" in text and "Ransomware op de fileservers" in text
    assert AuditEvent.objects.filter(action="resilience.nis2.export").count() == 2
    assert client_for(people["utrecht"]).get(
        f"/resilience/nis2/{tracked.pk}/export.json").status_code == 404


def test_start_page_takes_dutch_time_and_refuses_the_missing_spring_hour(
        people: dict[str, Any], incident_report: Any) -> None:
    client = client_for(people["vnog"])
    url = f"/resilience/nis2/start/{incident_report.pk}/"
    answer = client.post(url, {"aware_at": "2026-03-29T02:30"})
    assert answer.status_code == 200
    assert "2:30" in answer.content.decode() or "02:30" in answer.content.decode()
    assert not Nis2Incident.objects.exists()
    answer = client.post(url, {"aware_at": "2026-03-28T10:00"})
    incident = Nis2Incident.objects.get()
    assert answer.status_code == 302
    assert incident.aware_at.isoformat() == "2026-03-28T09:00:00+00:00"
    assert client_for(people["utrecht"]).get(url).status_code == 404


def test_list_query_budget(people: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    vnog = people["vnog"]
    for i in range(6):
        report = make_report(vnog, kind="incident", title=f"Incident {i}")
        services.nis2_start(report=report, acting_user=vnog,
                            aware_at=timezone.now() - timedelta(hours=i))
    client = client_for(vnog)
    api = api_client(vnog, ["resilience:read"])
    with django_assert_max_num_queries(20):
        assert client.get("/resilience/nis2/").status_code == 200
    with django_assert_max_num_queries(12):
        assert len(api.get("/api/v1/nis2/incidents").json()) == 6
    make_person("participant", "twente")
