from __future__ import annotations

from typing import Any

import pytest

from vrisac.core.testing import api_client, make_person, make_report
from vrisac.reports.models import Report

REQUIRED = {"id", "title", "kind", "tlp", "audience", "audience_organisations",
            "audience_people", "anonymous", "status", "summary", "body"}


def post(client: Any, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data, content_type="application/json")


@pytest.mark.django_db
def test_create_publish_and_read_back(people: dict[str, Any]) -> None:
    api = api_client(people["utrecht"])
    response = post(api, "/api/v1/reports", {
        "kind": "incident", "title": "Ransomware", "summary": "s", "body": "**b**",
        "tlp": "TLP:AMBER+STRICT", "audience": "organisations",
        "audience_organisations": ["haaglanden"], "status": "published", "tags": ["lockbit"]})
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) >= REQUIRED
    assert (data["tlp"], data["audience"], data["status"]) == (
        "TLP:AMBER+STRICT", "organisations", "published")
    assert data["audience_organisations"] == ["haaglanden"]
    assert api_client(people["haaglanden"]).get(f"/api/v1/reports/{data['id']}").status_code == 200
    assert api_client(people["vnog"]).get(f"/api/v1/reports/{data['id']}").status_code == 404


@pytest.mark.django_db
def test_named_people_by_email_and_publish_later(people: dict[str, Any]) -> None:
    api = api_client(people["utrecht"])
    response = post(api, "/api/v1/reports", {
        "kind": "threat", "title": "Red", "tlp": "TLP:RED", "audience": "people",
        "audience_people": [people["coordinator"].email]})
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "draft"
    assert data["audience_people"] == [people["coordinator"].email]
    coordinator = api_client(people["coordinator"])
    assert coordinator.get(f"/api/v1/reports/{data['id']}").status_code == 404
    assert post(api, f"/api/v1/reports/{data['id']}/publish", {}).status_code == 200
    assert coordinator.get(f"/api/v1/reports/{data['id']}").status_code == 200


@pytest.mark.django_db
def test_rule_violations_answer_400_with_the_field(people: dict[str, Any]) -> None:
    api = api_client(people["utrecht"])
    response = post(api, "/api/v1/reports", {"kind": "threat", "title": "x", "tlp": "TLP:RED",
                                             "audience": "participants"})
    assert response.status_code == 400 and response.json()["field"] == "audience"
    response = post(api, "/api/v1/reports", {"kind": "warning", "title": "x", "tlp": "TLP:AMBER",
                                             "audience": "participants"})
    assert response.status_code == 403
    response = post(api, "/api/v1/reports", {"kind": "threat", "title": "x", "tlp": "TLP:PINK",
                                             "audience": "participants"})
    assert response.status_code == 422
    response = post(api, "/api/v1/reports", {"kind": "threat", "title": "x", "tlp": "TLP:AMBER",
                                             "audience": "organisations",
                                             "audience_organisations": ["atlantis"]})
    assert response.status_code == 400 and "atlantis" in response.json()["detail"]
    assert Report.objects.count() == 0


@pytest.mark.django_db
def test_list_is_paged_filtered_and_policy_bound(people: dict[str, Any],
                                                 django_assert_max_num_queries: Any) -> None:
    for n in range(12):
        make_report(people["utrecht"], kind="threat" if n % 2 else "incident",
                    tags=["x"], audience="participants")
    make_report(people["utrecht"], audience="organisation", title="internal")
    api = api_client(people["haaglanden"])
    api.get("/api/v1/reports?limit=5")
    with django_assert_max_num_queries(12):
        page = api.get("/api/v1/reports?limit=5&offset=5").json()
    assert page["count"] == 12 and len(page["items"]) == 5
    kinds = {i["kind"] for i in api.get("/api/v1/reports?kind=threat&limit=50").json()["items"]}
    assert kinds == {"threat"}
    titles = {i["title"] for i in api.get("/api/v1/reports?limit=100").json()["items"]}
    assert "internal" not in titles


@pytest.mark.django_db
def test_comments_through_the_api(people: dict[str, Any]) -> None:
    report = make_report(people["utrecht"], audience="participants")
    api = api_client(people["vnog"])
    assert post(api, f"/api/v1/reports/{report.pk}/comments", {"body": "ook gezien"}
                ).status_code == 201
    comments = api_client(people["utrecht"]).get(f"/api/v1/reports/{report.pk}/comments").json()
    assert [c["body"] for c in comments] == ["ook gezien"]
    assert api_client(people["partner"]).get(
        f"/api/v1/reports/{report.pk}/comments").status_code == 404


@pytest.mark.django_db
def test_organisations_and_openapi(people: dict[str, Any]) -> None:
    api = api_client(people["partner"])
    orgs = api.get("/api/v1/organisations").json()
    assert len(orgs) == 28
    schema = api.get("/api/v1/openapi.json").json()
    assert "/api/v1/reports" in schema["paths"]
    assert schema["paths"]["/api/v1/reports"]["get"]


@pytest.mark.django_db
def test_partner_token_never_sees_participant_only_reports() -> None:
    author = make_person("participant", "utrecht")
    make_report(author, audience="participants", title="participants only")
    shared = make_report(author, audience="partners", tlp="TLP:GREEN", title="with partners")
    partner = api_client(make_person("partner", "ncsc"))
    items = partner.get("/api/v1/reports").json()["items"]
    assert [i["id"] for i in items] == [shared.pk]


@pytest.mark.django_db
def test_a_page_of_reports_names_what_each_report_names(people: dict[str, Any]) -> None:
    """The list reads tags, named organisations and named people for the whole page at once:
    each item says what the report's own answer says, in the same order."""
    api = api_client(people["utrecht"])
    made = []
    for title, orgs, tags in (("A", ["haaglanden", "twente"], ["zeta", "alpha"]),
                              ("B", ["haaglanden"], []), ("C", [], ["beta"])):
        response = post(api, "/api/v1/reports", {
            "kind": "incident", "title": title, "tlp": "TLP:AMBER", "status": "published",
            "audience": "organisations" if orgs else "participants",
            "audience_organisations": orgs, "tags": tags})
        assert response.status_code == 201, response.content
        made.append(response.json()["id"])
    red = post(api, "/api/v1/reports", {
        "kind": "threat", "title": "D", "tlp": "TLP:RED", "audience": "people",
        "status": "published",
        "audience_people": [people["coordinator"].email, people["haaglanden"].email]})
    made.append(red.json()["id"])
    listed = {item["id"]: item for item in api.get("/api/v1/reports?limit=50").json()["items"]}
    for pk in made:
        alone = api.get(f"/api/v1/reports/{pk}").json()
        report = Report.objects.get(pk=pk)
        related = {"tags": [t.name for t in report.tags.all()],
                   "audience_organisations": [o.slug for o in report.audience_organisations.all()],
                   "audience_people": [p.email for p in report.audience_people.all()]}
        for key, names in related.items():
            assert listed[pk][key] == alone[key] == names, (pk, key)
    assert listed[made[0]]["tags"] == ["alpha", "zeta"]
    assert len(listed[made[3]]["audience_people"]) == 2
