"""The incident picture: it obeys the incident report's label and audience, followers are
notified of updates, the source of an anonymous report stays hidden, and it exports."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from vrisac.core.errors import DomainError, NotFound
from vrisac.core.testing import client_for, make_report
from vrisac.notifications.models import Notification
from vrisac.resilience import services
from vrisac.resilience.models import IncidentPicture, PictureUpdate

pytestmark = pytest.mark.django_db


def test_coordinator_starts_and_keeps_the_picture_followers_are_notified(
        people: dict[str, Any], incident_report: Any, django_capture_on_commit_callbacks: Any
) -> None:
    coordinator, vnog, utrecht = people["coordinator"], people["vnog"], people["utrecht"]
    picture = services.picture_start(report=incident_report, acting_user=coordinator)
    services.picture_follow(picture=picture, user=utrecht)
    with django_capture_on_commit_callbacks(execute=True):
        services.picture_add_update(picture=picture, acting_user=coordinator,
                                    known="Versleuteling van de fileservers",
                                    fallback="Meldkamer op de gescheiden zone")
    notified = set(Notification.objects.filter(kind="incident_update")
                   .values_list("recipient_id", flat=True))
    # The author of the report follows from the start; the coordinator wrote the update.
    assert notified == {vnog.pk, utrecht.pk}
    with django_capture_on_commit_callbacks(execute=True):
        services.picture_set_summary(picture=picture, acting_user=vnog, state="contained",
                                     summary="Ingedamd; herstel loopt.")
    picture.refresh_from_db()
    assert picture.state == "contained"
    page = client_for(utrecht).get(f"/resilience/incidents/{incident_report.pk}/")
    html = page.content.decode()
    assert "Ingedamd; herstel loopt." in html and "Meldkamer op de gescheiden zone" in html
    # A participant who is not of the report's organisation follows but does not edit.
    with pytest.raises(NotFound):
        services.picture_add_update(picture=picture, acting_user=utrecht, known="x")
    assert client_for(utrecht).post(f"/resilience/incidents/{incident_report.pk}/updates/",
                                    {"known": "x"}).status_code == 404
    inbox = client_for(utrecht).get("/notifications/").content.decode()
    assert incident_report.title in inbox


def test_the_picture_obeys_the_reports_audience(people: dict[str, Any]) -> None:
    vnog = people["vnog"]
    report = make_report(vnog, kind="incident", title="Alleen voor Utrecht",
                         tlp="TLP:AMBER", audience="organisations",
                         audience_organisations=[people["utrecht"].memberships.get()
                                                 .organisation])
    picture = services.picture_start(report=report, acting_user=vnog)
    services.picture_add_update(picture=picture, acting_user=vnog, known="details")
    url = f"/resilience/incidents/{report.pk}/"
    assert client_for(people["utrecht"]).get(url).status_code == 200
    for key in ("haaglanden", "coordinator", "partner", "observer", "admin"):
        client = client_for(people[key])
        assert client.get(url).status_code == 404, key
        assert client.get(url + "briefing.pdf").status_code == 404, key
        listing = client.get("/resilience/incidents/")
        assert "Alleen voor Utrecht" not in listing.content.decode(), key
    with pytest.raises(NotFound):
        services.picture_follow(picture=picture, user=people["haaglanden"])
    # Narrowing the audience later narrows the picture too.
    from vrisac.reports.services import report_update

    report_update(report=report, acting_user=vnog, audience="organisation")
    assert client_for(people["utrecht"]).get(url).status_code == 404


def test_followers_who_lose_access_are_not_notified(people: dict[str, Any],
                                                    incident_report: Any,
                                                    django_capture_on_commit_callbacks: Any
                                                    ) -> None:
    from vrisac.reports.services import report_update

    vnog = people["vnog"]
    picture = services.picture_start(report=incident_report, acting_user=vnog)
    services.picture_follow(picture=picture, user=people["haaglanden"])
    report_update(report=incident_report, acting_user=vnog, audience="organisation")
    with django_capture_on_commit_callbacks(execute=True):
        services.picture_add_update(picture=picture, acting_user=vnog, known="x")
    assert not Notification.objects.filter(recipient=people["haaglanden"],
                                           kind="incident_update").exists()


def test_anonymous_source_stays_hidden_in_the_timeline(people: dict[str, Any]) -> None:
    haaglanden = people["haaglanden"]
    report = make_report(haaglanden, kind="incident", anonymous=True, title="Anoniem incident")
    picture = services.picture_start(report=report, acting_user=people["coordinator"])
    services.picture_add_update(picture=picture, acting_user=haaglanden, known="eigen update")
    services.picture_add_update(picture=picture, acting_user=people["coordinator"],
                                advice="advies van het ISAC")
    other = client_for(people["utrecht"]).get(f"/resilience/incidents/{report.pk}/")
    html = other.content.decode()
    assert "eigen update" in html and "Haaglanden" not in html
    assert "Nederlands Instituut Publieke Veiligheid" in html
    own = client_for(haaglanden).get(f"/resilience/incidents/{report.pk}/").content.decode()
    assert "Haaglanden" in own


def test_bad_updates_are_refused_whole(people: dict[str, Any], incident_report: Any) -> None:
    picture = services.picture_start(report=incident_report, acting_user=people["vnog"])
    with pytest.raises(DomainError) as err:
        services.picture_add_update(picture=picture, acting_user=people["vnog"])
    assert err.value.field == "known"
    with pytest.raises(DomainError) as err:
        services.picture_add_update(picture=picture, acting_user=people["vnog"],
                                    known="ok", actions="a" * 5001)
    assert err.value.field == "actions"
    with pytest.raises(DomainError) as err:
        services.picture_add_update(picture=picture, acting_user=people["vnog"], known="ok",
                                    at=timezone.now() + timedelta(days=2))
    assert err.value.field == "at"
    assert not PictureUpdate.objects.exists()
    threat = make_report(people["vnog"], kind="threat")
    with pytest.raises(DomainError):
        services.picture_start(report=threat, acting_user=people["vnog"])


def test_briefing_pdf_carries_the_label_and_survives_hostile_text(
        people: dict[str, Any], incident_report: Any) -> None:
    vnog = people["vnog"]
    picture = services.picture_start(report=incident_report, acting_user=vnog)
    hostile = "<script>alert(1)</script> " + "A" * 400 + " 😀 中文 ‮RTL"
    services.picture_add_update(picture=picture, acting_user=vnog, known=hostile,
                                indicators="198.51.100.7")
    services.picture_set_summary(picture=picture, acting_user=vnog, state="active",
                                 summary="Kort beeld voor het crisisteam")
    answer = client_for(people["utrecht"]).get(
        f"/resilience/incidents/{incident_report.pk}/briefing.pdf")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.content)).pages)
    assert "TLP:AMBER" in text and "Kort beeld voor het crisisteam" in text
    assert "198.51.100.7" in text
    page = client_for(people["utrecht"]).get(f"/resilience/incidents/{incident_report.pk}/")
    assert "<script>alert(1)</script>" not in page.content.decode()


def test_picture_list_query_budget(people: dict[str, Any],
                                   django_assert_max_num_queries: Any) -> None:
    for i in range(8):
        report = make_report(people["vnog"], kind="incident", title=f"Incident {i}")
        services.picture_start(report=report, acting_user=people["coordinator"])
    client = client_for(people["utrecht"])
    with django_assert_max_num_queries(15):
        html = client.get("/resilience/incidents/").content.decode()
    assert html.count("Incident ") >= 8
    assert IncidentPicture.objects.count() == 8
