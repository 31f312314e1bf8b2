
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from vrisac.accounts.models import User
from vrisac.api.answers import Answer
from vrisac.api.auth import require_scope
from vrisac.api.pagination import Mapped, Paging
from vrisac.core.errors import DomainError
from vrisac.intel.api import IndicatorBrief, IndicatorIn, indicator_briefs
from vrisac.organisations.models import Organisation
from vrisac.sharing.policy import sees_named_people, sees_source, viewer_for

from . import selectors, services
from .models import Comment, Report

router = Router(tags=["reports"])

KindLiteral = Literal["incident", "threat", "vulnerability", "advice", "warning"]
TlpLiteral = Literal["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]
AudienceLiteral = Literal[
    "organisation", "organisations", "people", "participants", "partners", "public"
]


class ReportOut(Answer):
    id: int
    uuid: str
    kind: str
    title: str
    summary: str
    body: str
    tlp: str
    audience: str
    audience_organisations: list[str]
    audience_people: list[str]
    anonymous: bool
    status: str
    organisation: str | None = Field(description="Source organisation; null when anonymous "
                                                 "and you may not know the source.")
    author: str | None
    tags: list[str]
    version: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    retracted_at: datetime | None
    retraction_reason: str
    indicators: list[IndicatorBrief] = Field(
        default_factory=list, description="Its indicators; their correlations are at "
                                          "/api/v1/indicators?report_id=ID.")


class ReportIn(Schema):
    kind: KindLiteral
    title: str = Field(max_length=200)
    summary: str = Field("", max_length=2000)
    body: str = Field("", max_length=200_000)
    tlp: TlpLiteral
    audience: AudienceLiteral
    audience_organisations: list[str] = Field(default_factory=list, max_length=50)
    audience_people: list[str] = Field(default_factory=list, max_length=200)
    anonymous: bool = False
    tags: list[str] = Field(default_factory=list, max_length=20)
    status: Literal["draft", "published"] = "draft"
    indicators: list[IndicatorIn] = Field(default_factory=list, max_length=10_000)


class ReportPatch(Schema):
    kind: KindLiteral | None = None
    title: str | None = Field(None, max_length=200)
    summary: str | None = Field(None, max_length=2000)
    body: str | None = Field(None, max_length=200_000)
    tlp: TlpLiteral | None = None
    audience: AudienceLiteral | None = None
    audience_organisations: list[str] | None = Field(None, max_length=50)
    audience_people: list[str] | None = Field(None, max_length=200)
    anonymous: bool | None = None
    tags: list[str] | None = Field(None, max_length=20)


class RetractIn(Schema):
    reason: str = Field("", max_length=500)


class ReportFilters(Schema):
    kind: KindLiteral | None = None
    tlp: TlpLiteral | None = None
    status: Literal["draft", "published", "retracted"] | None = None
    organisation: str | None = Field(None, max_length=64)
    tag: str | None = Field(None, max_length=64)
    q: str | None = Field(None, max_length=200)


class CommentOut(Schema):
    id: int
    report_id: int
    author: str | None
    organisation: str | None
    body: str
    created_at: datetime


class CommentIn(Schema):
    body: str = Field(max_length=20_000)


def report_names(report_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """Per report: its tags, named organisations (slugs) and named people (e-mail), in the
    order the relations list them, three queries of tuples for a page (not model objects)."""
    names: dict[int, dict[str, list[str]]] = {
        pk: {"tags": [], "audience_organisations": [], "audience_people": []}
        for pk in report_ids}
    shapes = (
        ("tags", Report.tags.through, "tag__name", ("tag__name",)),
        ("audience_organisations", Report.audience_organisations.through, "organisation__slug",
         ("organisation__kind", "organisation__number", "organisation__name")),
        ("audience_people", Report.audience_people.through, "user__email", ("user__name",)),
    )
    for key, through, column, order in shapes:
        for report_id, name in (through.objects.filter(report_id__in=report_ids)
                                .order_by("report_id", *order).values_list("report_id", column)):
            names[report_id][key].append(name)
    return names


def report_out(report: Report, user: Any, indicators: list[dict[str, Any]] | None = None,
               names: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """``report`` as the caller may see it; ``indicators`` and ``names`` when the page read
    them already."""
    viewer = viewer_for(user)
    source = sees_source(viewer, report)
    names = names if names is not None else report_names([report.pk])[report.pk]
    people = names["audience_people"]
    if not sees_named_people(viewer, report):
        people = [email for email in people if email == getattr(user, "email", None)]
    return {
        "id": report.pk,
        "uuid": str(report.uuid),
        "kind": report.kind,
        "title": report.title,
        "summary": report.summary,
        "body": report.body,
        "tlp": report.tlp,
        "audience": report.audience,
        "audience_organisations": names["audience_organisations"],
        "audience_people": people,
        "anonymous": report.anonymous,
        "status": report.status,
        "organisation": report.organisation.slug if source else None,
        "author": report.author.name if source else None,
        "tags": names["tags"],
        "version": report.version,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
        "published_at": report.published_at,
        "retracted_at": report.retracted_at,
        "retraction_reason": report.retraction_reason,
        "indicators": (indicators if indicators is not None
                       else indicator_briefs([report.pk])[report.pk]),
    }


def _organisations(slugs: list[str]) -> list[Organisation]:
    found = list(Organisation.objects.filter(slug__in=slugs))
    missing = sorted(set(slugs) - {o.slug for o in found})
    if missing:
        raise DomainError(_("Unknown organisation(s): %(s)s") % {"s": ", ".join(missing)},
                          field="audience_organisations")
    return found


def _people(emails: list[str]) -> list[User]:
    wanted = {e.strip().lower() for e in emails}
    found = list(User.objects.filter(email__in=wanted, is_active=True))
    missing = sorted(wanted - {u.email for u in found})
    if missing:
        raise DomainError(_("Unknown person(s): %(s)s") % {"s": ", ".join(missing)},
                          field="audience_people")
    return found


@router.get("", response=list[ReportOut])
@paginate(Paging)
def list_reports(request: HttpRequest, filters: Query[ReportFilters]) -> Any:
    """Reports you may see, newest first. Paged with ``limit`` and ``offset``; the answer is
    ``{"items": [...], "count": N}``, where ``count`` is counted up to 2,000 (a count of
    2,000 means "2,000 or more"; page on with ``offset`` until ``items`` is empty)."""
    require_scope(request, "reports:read")
    qs = selectors.report_list(user=request.user, **filters.dict())

    def answers(reports: list[Report]) -> list[dict[str, Any]]:
        ids = [report.pk for report in reports]
        briefs, names = indicator_briefs(ids), report_names(ids)
        return [report_out(report, request.user, briefs[report.pk], names[report.pk])
                for report in reports]

    return Mapped(qs, answers)


@router.post("", response={201: ReportOut})
def create_report(request: HttpRequest, payload: ReportIn) -> Status[dict[str, Any]]:
    """Share a report. ``"status": "published"`` publishes it at once."""
    require_scope(request, "reports:write")
    report = services.report_create(
        author=request.user,
        kind=payload.kind,
        title=payload.title,
        summary=payload.summary,
        body=payload.body,
        tlp=payload.tlp,
        audience=payload.audience,
        audience_organisations=_organisations(payload.audience_organisations),
        audience_people=_people(payload.audience_people),
        anonymous=payload.anonymous,
        tags=payload.tags,
        publish=payload.status == "published",
        indicators=[item.dict() for item in payload.indicators],
    )
    report = selectors.report_get(user=request.user, pk=report.pk, record_view=False)
    return Status(201, report_out(report, request.user))


@router.get("/{report_id}", response=ReportOut)
def get_report(request: HttpRequest, report_id: int) -> dict[str, Any]:
    require_scope(request, "reports:read")
    return report_out(selectors.report_get(user=request.user, pk=report_id), request.user)


@router.patch("/{report_id}", response=ReportOut)
def update_report(request: HttpRequest, report_id: int, payload: ReportPatch) -> dict[str, Any]:
    require_scope(request, "reports:write")
    report = selectors.report_get(user=request.user, pk=report_id, record_view=False)
    data = payload.dict(exclude_unset=True)
    orgs = data.pop("audience_organisations", None)
    people = data.pop("audience_people", None)
    tags = data.pop("tags", None)
    services.report_update(
        report=report,
        acting_user=request.user,
        audience_organisations=_organisations(orgs) if orgs is not None else None,
        audience_people=_people(people) if people is not None else None,
        tags=tags,
        **{k: v for k, v in data.items() if v is not None},
    )
    return report_out(selectors.report_get(user=request.user, pk=report_id, record_view=False),
                      request.user)


@router.post("/{report_id}/publish", response=ReportOut)
def publish_report(request: HttpRequest, report_id: int) -> dict[str, Any]:
    require_scope(request, "reports:write")
    report = selectors.report_get(user=request.user, pk=report_id, record_view=False)
    services.report_publish(report=report, acting_user=request.user)
    return report_out(selectors.report_get(user=request.user, pk=report_id, record_view=False),
                      request.user)


@router.post("/{report_id}/retract", response=ReportOut)
def retract_report(request: HttpRequest, report_id: int, payload: RetractIn) -> dict[str, Any]:
    require_scope(request, "reports:write")
    report = selectors.report_get(user=request.user, pk=report_id, record_view=False)
    services.report_retract(report=report, acting_user=request.user, reason=payload.reason)
    return report_out(selectors.report_get(user=request.user, pk=report_id, record_view=False),
                      request.user)


def comment_out(comment: Comment, user: Any) -> dict[str, Any]:
    from .presentation import comment_author_visible

    show = comment_author_visible(comment, user)
    return {
        "id": comment.pk,
        "report_id": comment.report_id,
        "author": comment.author.name if show else None,
        "organisation": comment.organisation.slug if show else None,
        "body": comment.body,
        "created_at": comment.created_at,
    }


@router.get("/{report_id}/comments", response=list[CommentOut])
def list_comments(request: HttpRequest, report_id: int) -> list[dict[str, Any]]:
    require_scope(request, "reports:read")
    report = selectors.report_get(user=request.user, pk=report_id, record_view=False)
    return [comment_out(c, request.user)
            for c in selectors.report_comments(report=report, user=request.user)]


@router.post("/{report_id}/comments", response={201: CommentOut})
def create_comment(request: HttpRequest, report_id: int, payload: CommentIn
                   ) -> Status[dict[str, Any]]:
    require_scope(request, "reports:write")
    report = selectors.report_get(user=request.user, pk=report_id, record_view=False)
    comment = services.comment_create(report=report, author=request.user, body=payload.body)
    return Status(201, comment_out(comment, request.user))

