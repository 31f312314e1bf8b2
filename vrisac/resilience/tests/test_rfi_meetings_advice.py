"""Requests for information, meetings with TLP minutes, and advice with adoption."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from vrisac.core.errors import DomainError, NotAllowed, NotFound
from vrisac.core.testing import api_client, client_for, make_person, make_report
from vrisac.resilience import services
from vrisac.resilience.models import InformationAnswer, MinutesItem

pytestmark = pytest.mark.django_db


# ---- requests for information ----


def test_anonymous_question_hides_the_asker_but_not_from_coordinators(
        people: dict[str, Any]) -> None:
    question = services.rfi_create(author=people["haaglanden"], anonymous=True,
                                   title="Heeft iemand dit gezien?", body="Vreemde logins")
    url = f"/resilience/questions/{question.pk}/"
    html = client_for(people["utrecht"]).get(url).content.decode()
    assert "Heeft iemand dit gezien?" in html and "Haaglanden" not in html
    assert "Haaglanden" in client_for(people["coordinator"]).get(url).content.decode()
    assert "Haaglanden" not in client_for(people["utrecht"]).get(
        "/resilience/questions/").content.decode()


def test_answers_follow_the_questions_audience(people: dict[str, Any]) -> None:
    question = services.rfi_create(author=people["utrecht"], title="Vraag aan allen")
    services.rfi_answer(request=question, author=people["vnog"], body="Ja, wij ook",
                        anonymous=True)
    answer = client_for(people["utrecht"]).post(f"/resilience/questions/{question.pk}/",
                                                {"body": "Dank!"})
    assert answer.status_code == 302
    html = client_for(people["haaglanden"]).get(
        f"/resilience/questions/{question.pk}/").content.decode()
    assert "Ja, wij ook" in html and "Dank!" in html and "Gelderland" not in html
    for key in ("partner", "observer", "admin"):
        client = client_for(people[key])
        assert client.get(f"/resilience/questions/{question.pk}/").status_code == 404, key
        assert "Vraag aan allen" not in client.get("/resilience/questions/").content.decode()
        with pytest.raises(NotFound):
            services.rfi_answer(request=question, author=people[key], body="x")
    assert InformationAnswer.objects.visible_to(people["partner"]).count() == 0
    assert InformationAnswer.objects.visible_to(people["haaglanden"]).count() == 2


def test_rfi_input_rules(people: dict[str, Any]) -> None:
    with pytest.raises(DomainError) as err:
        services.rfi_create(author=people["utrecht"], title="", body="")
    assert err.value.field == "title"
    with pytest.raises(DomainError) as err:
        services.rfi_create(author=people["utrecht"], title="x", tlp="TLP:RED")
    assert err.value.field == "tlp"
    with pytest.raises(NotAllowed):
        services.rfi_create(author=people["observer"], title="x")
    question = services.rfi_create(author=people["utrecht"], title="Gesloten vraag")
    services.rfi_close(request=question, acting_user=people["utrecht2"])
    with pytest.raises(DomainError):
        services.rfi_answer(request=question, author=people["vnog"], body="te laat")
    with pytest.raises(NotFound):
        services.rfi_close(request=question, acting_user=people["vnog"])


def test_rfi_list_query_budget(people: dict[str, Any],
                               django_assert_max_num_queries: Any) -> None:
    for i in range(10):
        q = services.rfi_create(author=people["vnog"], title=f"Vraag {i}", anonymous=i % 2 == 0)
        services.rfi_answer(request=q, author=people["utrecht"], body="antwoord")
    client = client_for(people["utrecht"])
    with django_assert_max_num_queries(15):
        assert client.get("/resilience/questions/").status_code == 200


# ---- meetings ----


@pytest.fixture
def meeting(people: dict[str, Any]) -> Any:
    coordinator = people["coordinator"]
    item = services.meeting_create(author=coordinator, title="Kwartaaloverleg",
                                   starts_at=timezone.now() - timedelta(days=1),
                                   agenda="1. Opening")
    services.attendance_record(meeting=item, acting_user=coordinator, entries={
        people["utrecht"].pk: "present", coordinator.pk: "present",
        people["haaglanden"].pk: "absent"})
    return item


def test_minutes_are_amber_by_default_and_red_items_are_for_those_present(
        people: dict[str, Any], meeting: Any) -> None:
    coordinator = people["coordinator"]
    normal = services.minutes_item_add(meeting=meeting, acting_user=coordinator,
                                       heading="Algemeen punt", body="Voor iedereen")
    secret = services.minutes_item_add(meeting=meeting, acting_user=coordinator,
                                       heading="Geheim punt", body="Alleen aanwezigen",
                                       tlp="TLP:RED")
    assert normal.tlp == "TLP:AMBER" and normal.status == "draft"
    url = f"/resilience/meetings/{meeting.pk}/"
    # Drafts: only their author (the minute-taker) sees them.
    assert "Algemeen punt" not in client_for(people["utrecht"]).get(url).content.decode()
    services.minutes_publish(meeting=meeting, acting_user=coordinator)
    present = client_for(people["utrecht"]).get(url).content.decode()
    absent = client_for(people["haaglanden"]).get(url).content.decode()
    assert "Algemeen punt" in present and "Geheim punt" in present
    assert "Algemeen punt" in absent and "Geheim punt" not in absent
    for key in ("partner", "observer", "admin"):
        assert client_for(people[key]).get(url).status_code == 404
    assert list(MinutesItem.objects.visible_to(people["haaglanden"])) == [normal]
    # Correcting the attendance moves the RED item with it.
    services.attendance_record(meeting=meeting, acting_user=coordinator, entries={
        people["haaglanden"].pk: "present", people["utrecht"].pk: "excused"})
    assert "Geheim punt" in client_for(people["haaglanden"]).get(url).content.decode()
    assert "Geheim punt" not in client_for(people["utrecht"]).get(url).content.decode()
    assert set(secret.audience_people.values_list("pk", flat=True)) == {
        coordinator.pk, people["haaglanden"].pk}


def test_meeting_rules(people: dict[str, Any]) -> None:
    with pytest.raises(NotAllowed):
        services.meeting_create(author=people["utrecht"], title="x", starts_at=timezone.now())
    item = services.meeting_create(author=people["coordinator"], title="Leeg overleg",
                                   starts_at=timezone.now())
    with pytest.raises(DomainError) as err:
        services.minutes_item_add(meeting=item, acting_user=people["coordinator"],
                                  heading="Rood", tlp="TLP:RED")
    assert err.value.field == "tlp"
    with pytest.raises(DomainError):
        services.attendance_record(meeting=item, acting_user=people["coordinator"],
                                   entries={people["observer"].pk: "present"})
    assert client_for(people["utrecht"]).post(
        f"/resilience/meetings/{item.pk}/minutes/", {"heading": "x", "tlp": "TLP:AMBER"}
    ).status_code == 302
    assert not MinutesItem.objects.exists()


# ---- advice and adoption ----


def test_coordinator_publishes_advice_linked_to_measures_and_adoption_is_shown_from_six(
        people: dict[str, Any], six_regions: list[Any]) -> None:
    coordinator = people["coordinator"]
    answer = client_for(coordinator).post("/resilience/advice/new/", {
        "title": "Advies: back-ups offline", "summary": "s", "body": "b", "tlp": "TLP:GREEN",
        "audience": "participants", "level": "strategic", "measures": ["c", "b"]})
    assert answer.status_code == 302
    from vrisac.resilience.models import Advice

    advice = Advice.objects.get()
    assert advice.report.kind == "advice" and advice.report.status == "published"
    assert sorted(m.key for m in advice.measures.all()) == ["b", "c"]
    with pytest.raises(NotAllowed):
        services.advice_publish(author=people["utrecht"], title="x", summary="", body="",
                                tlp="TLP:GREEN", audience="participants", level="tactical",
                                measure_keys=["a"])
    for user in six_regions[:5]:
        services.adoption_record(advice=advice, acting_user=user, state="adopted")
    rows = client_for(six_regions[0]).get("/resilience/benchmark/").content.decode()
    assert "minder dan 6 antwoorden" in rows and "100%" not in rows
    services.adoption_record(advice=advice, acting_user=six_regions[5], state="not_adopted")
    rows = client_for(six_regions[0]).get("/resilience/benchmark/").content.decode()
    assert "83%" in rows
    from vrisac.resilience.selectors import adoption_by_measure

    shares = {m.key: s for m, s in adoption_by_measure()}
    assert shares["c"].share == 0.833 and not shares["a"].shown
    with pytest.raises(NotFound):
        services.adoption_record(advice=advice, acting_user=people["observer"],
                                 state="adopted")


def test_advice_the_policy_hides_is_not_listed_and_cannot_be_adopted(
        people: dict[str, Any]) -> None:
    coordinator = people["coordinator"]
    report = make_report(coordinator, kind="advice", title="Advies alleen voor Utrecht",
                         audience="organisations",
                         audience_organisations=[people["utrecht"].memberships.get()
                                                 .organisation])
    advice = services.advice_link(report=report, acting_user=coordinator, level="tactical",
                                  measure_keys=["a"])
    assert "Advies alleen voor Utrecht" in client_for(people["utrecht"]).get(
        "/resilience/advice/").content.decode()
    assert "Advies alleen voor Utrecht" not in client_for(people["haaglanden"]).get(
        "/resilience/advice/").content.decode()
    assert client_for(people["haaglanden"]).post(
        f"/resilience/advice/{advice.pk}/adoption/", {"state": "adopted"}).status_code == 404
    with pytest.raises(DomainError):
        services.advice_link(report=make_report(coordinator, kind="threat"),
                             acting_user=coordinator, level="tactical", measure_keys=["a"])
    with pytest.raises(DomainError) as err:
        services.advice_link(report=report, acting_user=coordinator, level="tactical",
                             measure_keys=["q"])
    assert err.value.field == "measures"


def test_advice_list_query_budget(people: dict[str, Any],
                                  django_assert_max_num_queries: Any) -> None:
    coordinator = people["coordinator"]
    for i in range(8):
        report = make_report(coordinator, kind="advice", title=f"Advies {i}")
        services.advice_link(report=report, acting_user=coordinator, level="tactical",
                             measure_keys=["a", "j"])
    make_person("participant", "twente")
    client = client_for(people["utrecht"])
    with django_assert_max_num_queries(20):
        assert client.get("/resilience/advice/").status_code == 200
    api = api_client(people["utrecht"], ["resilience:read"])
    assert len(api.get("/api/v1/resilience/measures").json()) == 10
