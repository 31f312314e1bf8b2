"""The visibility policy, held against an oracle written from the rules, on every read path
of the foundation: the queryset, the predicate, the turned-around recipient query, the REST
API (list and detail), the HTML pages (list and detail), comments and attachments."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from vrisac.accounts.models import User
from vrisac.core.errors import DomainError
from vrisac.core.testing import api_client, client_for, make_person, make_report, organisation
from vrisac.organisations.services import membership_end
from vrisac.reports.models import Attachment, Comment, Report
from vrisac.reports.services import attachment_add, comment_create, report_retract
from vrisac.sharing.models import Audience
from vrisac.sharing.policy import can_view, users_with_access, viewer_for
from vrisac.sharing.tlp import TLP

CONTENT = {"participant", "coordinator", "partner"}


@dataclass(frozen=True)
class Person:
    user: User
    org_id: int
    role: str
    active: bool


def oracle(person: Person | None, report: Report) -> bool:
    """The rules of docs/architecture.md, written independently of the policy module."""
    if person is not None and person.active and report.author_id == person.user.pk:
        return True
    if report.status not in ("published", "retracted"):
        return False
    if report.audience == "public":
        return True
    if person is None or not person.active or person.role not in CONTENT:
        return False
    if report.audience == "participants":
        return person.role in ("participant", "coordinator")
    if report.audience == "partners":
        return True
    if report.audience == "organisation":
        return person.org_id == report.organisation_id
    if report.audience == "organisations":
        named = set(report.audience_organisations.values_list("pk", flat=True))
        return person.org_id == report.organisation_id or person.org_id in named
    if report.audience == "people":
        return report.audience_people.filter(pk=person.user.pk).exists()
    raise AssertionError(report.audience)


report_spec = st.fixed_dictionaries({
    "author": st.integers(min_value=0, max_value=6),
    "tlp": st.sampled_from(TLP.values),
    "audience": st.sampled_from(Audience.values),
    "orgs": st.lists(st.sampled_from(["utrecht", "haaglanden", "ncsc", "zeeland"]),
                     max_size=2, unique=True),
    "people": st.lists(st.integers(min_value=0, max_value=10), max_size=3, unique=True),
    "anonymous": st.booleans(),
    "status": st.sampled_from(["draft", "published", "retracted"]),
})


class PolicyProperties(TestCase):
    """A fixed population in every role; generated reports; every path against the oracle."""

    people: list[Person]
    api: dict[int, Client]
    web: dict[int, Client]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.people = []

        def add(role: str, slug: str, active: bool = True) -> None:
            user = make_person(role, slug, active=active)
            cls.people.append(Person(user, organisation(slug).pk, role, active))

        add("participant", "utrecht")
        add("participant", "utrecht")
        add("participant", "haaglanden")
        add("coordinator", "nipv")
        add("partner", "ncsc")
        add("participant", "zeeland")
        add("partner", "ncsc")
        add("observer", "veiligheidsberaad")
        add("admin", "veiligheidsberaad")
        # Invited, not yet accepted: holds a seat and reads nothing.
        add("participant", "haaglanden", active=False)
        leaver = make_person("participant", "groningen")
        cls.people.append(Person(leaver, organisation("groningen").pk, "participant", True))
        # One API client and one browser session per person, made once for every example.
        cls.api = {p.user.pk: api_client(p.user) for p in cls.people
                   if viewer_for(p.user).reads_content}
        cls.web = {p.user.pk: client_for(p.user) for p in cls.people}

    def _make_reports(self, specs: list[dict[str, Any]]) -> list[Report]:
        reports = []
        authors = [p for p in self.people[:7]]
        for spec in specs:
            author = authors[spec["author"]].user
            people = [self.people[i].user for i in spec["people"]]
            try:
                report = make_report(
                    author,
                    tlp=spec["tlp"],
                    audience=spec["audience"],
                    audience_organisations=[organisation(s) for s in spec["orgs"]],
                    audience_people=people,
                    anonymous=spec["anonymous"],
                    publish=spec["status"] != "draft",
                    kind="incident",
                )
            except DomainError:
                continue
            if spec["status"] == "retracted":
                report = report_retract(report=report, acting_user=author)
            reports.append(report)
        return reports

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(specs=st.lists(report_spec, min_size=1, max_size=5))
    def test_every_read_path_matches_the_rules(self, specs: list[dict[str, Any]]) -> None:
        reports = self._make_reports(specs)
        # The leaver's seat ends after the reports exist: what they wrote is then hidden too.
        leaver = self.people[-1]
        membership_end(membership=leaver.user.memberships.get(status="active"))
        people = [*self.people[:-1], Person(User.objects.get(pk=leaver.user.pk),
                                            leaver.org_id, leaver.role, False)]
        for report in reports:
            if report.status == "published" and report.author.is_active:
                comment_create(report=report, author=report.author, body="reply")
            attachment_add(report=report, uploaded_by=report.author,
                           stream=io.BytesIO(b"ioc list\n"), filename="iocs.txt") \
                if report.status != "retracted" and report.author.is_active else None
        recipients = {r.pk: set(users_with_access(r).values_list("pk", flat=True))
                      for r in reports}
        viewers: list[Person | None] = [None, *people]
        for person in viewers:
            user = person.user if person else None
            expected = {r.pk for r in reports if oracle(person, r)}
            from django.contrib.auth.models import AnonymousUser

            subject = User.objects.get(pk=user.pk) if user else AnonymousUser()
            visible = set(Report.objects.visible_to(subject).filter(
                pk__in=[r.pk for r in reports]).values_list("pk", flat=True))
            assert visible == expected, (person, "queryset")
            for report in reports:
                assert can_view(subject, report) == (report.pk in expected), (person, "predicate")
                if person is not None and person.active:
                    in_recipients = person.user.pk in recipients[report.pk]
                    assert in_recipients == (report.pk in expected), (person, "recipients")
            comments = set(Comment.objects.visible_to(subject).filter(
                report__in=reports).values_list("report_id", flat=True))
            assert comments <= expected
            files = set(Attachment.objects.visible_to(subject).filter(
                report__in=reports).values_list("report_id", flat=True))
            assert files <= expected
            self._check_faces(person, subject, reports, expected)

    def _check_faces(self, person: Person | None, subject: Any, reports: list[Report],
                     expected: set[int]) -> None:
        ids = [r.pk for r in reports]
        if person is not None and person.active and person.user.pk in self.api:
            api = self.api[person.user.pk]
            listed = {item["id"] for item in api.get("/api/v1/reports?limit=200").json()["items"]}
            assert listed & set(ids) == expected, (person, "api list")
            for report in reports:
                status = api.get(f"/api/v1/reports/{report.pk}").status_code
                assert status == (200 if report.pk in expected else 404), (person, "api detail")
        web = self.web[person.user.pk] if person is not None and person.active else Client()
        for report in reports:
            response = web.get(f"/reports/{report.pk}/")
            if person is None or not person.active:
                assert response.status_code in (302, 404), (person, "web detail")
                continue
            assert response.status_code == (200 if report.pk in expected else 404), (
                person, "web detail")
            for attachment in report.attachments.all():
                got = web.get(f"/reports/attachments/{attachment.uuid}/").status_code
                assert got == (200 if report.pk in expected else 404), (person, "download")

    @settings(max_examples=15, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(specs=st.lists(report_spec, min_size=1, max_size=5))
    def test_the_compiled_policy_holds_in_every_shape_of_query(
            self, specs: list[dict[str, Any]]) -> None:
        """``visible_to`` puts the policy in as SQL compiled once per viewer (``Visible``),
        with the query's own alias for the table: the same rows whether the query stands
        alone, is a sub-query (``U0``), an EXISTS, or is combined with another query."""
        from django.db.models import Exists, OuterRef

        from vrisac.organisations.models import Organisation
        from vrisac.sharing.policy import visible_q

        reports = self._make_reports(specs)
        ids = [r.pk for r in reports]
        for person in self.people:
            subject = User.objects.get(pk=person.user.pk)
            expected = {r.pk for r in reports if oracle(person, r)}
            uncompiled = set(Report.objects.filter(visible_q(Report, viewer_for(subject)),
                                                   pk__in=ids).values_list("pk", flat=True))
            assert uncompiled == expected, (person, "the policy's Q itself")
            shapes = {
                "alone": Report.objects.visible_to(subject).filter(pk__in=ids),
                "sub-query": Report.objects.filter(
                    pk__in=Report.objects.visible_to(subject).filter(pk__in=ids).values("pk")),
                "exists": Report.objects.filter(pk__in=ids).filter(Exists(
                    Report.objects.visible_to(subject).filter(pk=OuterRef("pk")))),
                "combined": Report.objects.visible_to(subject).filter(pk__in=ids)
                | Report.objects.none(),
                "counted": Report.objects.visible_to(subject).filter(pk__in=ids).distinct(),
            }
            for shape, qs in shapes.items():
                assert set(qs.values_list("pk", flat=True)) == expected, (person, shape)
            # Inside a query on another table: the organisations whose reports one sees.
            sources = Organisation.objects.filter(Exists(
                Report.objects.visible_to(subject).filter(pk__in=ids,
                                                          organisation_id=OuterRef("pk"))))
            assert set(sources.values_list("pk", flat=True)) == {
                r.organisation_id for r in reports if r.pk in expected}, (person, "outer")
            counted = Report.objects.visible_to(subject).filter(pk__in=ids).count()
            assert counted == len(expected), (person, "count")


@pytest.mark.django_db
def test_observer_and_admin_read_no_contents(people: dict[str, User]) -> None:
    make_report(people["utrecht"], audience="participants", title="Participants only")
    make_report(people["utrecht"], audience="partners", tlp="TLP:GREEN", title="Partners")
    public = make_report(people["utrecht"], audience="public", tlp="TLP:CLEAR", title="Public")
    for key in ("observer", "admin"):
        assert list(Report.objects.visible_to(people[key])) == [public]
        assert client_for(people[key]).get("/reports/").status_code == 200


@pytest.mark.django_db
def test_anonymous_source_hidden_everywhere_but_from_coordinators_and_own_org(
    people: dict[str, User],
) -> None:
    report = make_report(people["haaglanden"], anonymous=True, title="Anon incident")
    comment_create(report=report, author=people["haaglanden"], body="more details")
    for key, sees in (("utrecht", False), ("partner", False), ("coordinator", True)):
        data = api_client(people[key]).get(f"/api/v1/reports/{report.pk}").json() \
            if key != "partner" else None
        if data is not None:
            assert (data["organisation"] == "haaglanden") is sees
            assert (data["author"] is not None) is sees
            comments = api_client(people[key]).get(
                f"/api/v1/reports/{report.pk}/comments").json()
            assert (comments[0]["organisation"] is not None) is sees
        page = client_for(people[key]).get(f"/reports/{report.pk}/")
        if key == "partner":
            assert page.status_code == 404
            continue
        html = page.content.decode()
        assert ("Veiligheidsregio Haaglanden" in html) is sees
        assert ("Joost Haaglanden" in html) is sees
    # Filtering the list by the source organisation must not reveal it either.
    listed = api_client(people["utrecht"]).get("/api/v1/reports?organisation=haaglanden").json()
    assert report.pk not in {i["id"] for i in listed["items"]}
