"""The threat intelligence API, mounted at the API root: ``/indicators``, ``/extract``,
``/sightings``, ``/search``, ``/exports/...`` and ``/feeds``. Every read goes through the
sharing policy; what you may not see answers 404 or is simply absent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile

from vrisac.api.answers import Answer
from vrisac.api.auth import require_scope
from vrisac.api.fields import Id
from vrisac.core.errors import DomainError, NotAllowed
from vrisac.reports.selectors import report_get
from vrisac.sharing.policy import viewer_for

from . import exports, selectors, services
from .extract import MAX_FILE_BYTES, MAX_TEXT_CHARS, extract, text_from_file
from .models import Indicator, IndicatorValue
from .presentation import indicator_out, show
from .warninglists import current_matcher

router = Router(tags=["intel"])

TypeLiteral = Literal[
    "ipv4", "ipv6", "cidr", "domain", "hostname", "url", "email", "md5", "sha1", "sha256",
    "sha512", "filename", "filepath", "regkey", "mutex", "user_agent", "asn", "cve", "ja3",
    "ja4",
]


class IndicatorIn(Schema):
    type: TypeLiteral
    value: str = Field(max_length=4096)
    for_detection: bool | None = Field(
        None, description="MISP's to_ids; by default true for network, hash and fingerprint "
                          "types, false for the rest.")
    comment: str = Field("", max_length=1000)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    file: str | None = Field(None, max_length=100, description=(
        "A label: hashes (and a file name) with the same label describe one file. Without "
        "labels, hashes given together (one of each kind) are taken as one file."))


class IndicatorBrief(Answer):
    """An indicator as shown inside a report; its correlations are at ``/indicators``."""

    id: int
    uuid: str
    type: str
    value: str
    for_detection: bool
    comment: str
    first_seen: datetime
    last_seen: datetime
    file_group: int | None
    warninglists: list[str]


_BRIEF_COLUMNS = ("report_id", "id", "uuid", "for_detection", "comment", "first_seen",
                  "last_seen", "file_group",
                  *(f"value__{column}" for column in IndicatorValue.KEY_COLUMNS))


def indicator_briefs(report_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The indicators of reports the caller already may see, by report id, in one query.

    Read as tuples rather than model objects: a page of 20 reports holds some 450
    indicators, and making objects of them (with their values) was most of that page's
    time."""
    matcher = current_matcher()
    briefs: dict[int, list[dict[str, Any]]] = {pk: [] for pk in report_ids}
    rows = (Indicator.objects.filter(report_id__in=list(report_ids))
            .order_by("report_id", "id").values_list(*_BRIEF_COLUMNS))
    for (report_id, pk, uuid, for_detection, comment, first_seen, last_seen, file_group,
         *value_columns) in rows:
        keys = IndicatorValue.keys_of(*value_columns)
        briefs[report_id].append({
            "id": pk, "uuid": str(uuid), "type": keys.type, "value": keys.value,
            "for_detection": for_detection, "comment": comment, "first_seen": first_seen,
            "last_seen": last_seen, "file_group": file_group,
            "warninglists": matcher.hits(keys),
        })
    return briefs


class CorrelationOut(Answer):
    report_id: int | None
    report_title: str | None
    feed_id: int | None
    feed_name: str | None
    indicator_id: int
    type: str
    value: str
    kind: Literal["exact", "cidr", "domain", "hash set"]


class IndicatorOut(Answer):
    id: int
    uuid: str
    type: str
    value: str
    report_id: int | None
    feed_id: int | None
    for_detection: bool
    comment: str
    first_seen: datetime
    last_seen: datetime
    tlp: str
    audience: str
    file_group: int | None
    warninglists: list[str]
    sightings: dict[str, int]
    correlations: list[CorrelationOut] = Field(
        description="Indicators in other reports and feeds you may see; nothing else is "
                    "counted or named.")
    correlations_not_listed: bool = Field(
        description="More correlations than the threshold among what you may see.")
    over_correlating: bool | None = Field(description="ISAC coordinators only, else null.")
    excluded_from_correlation: bool | None = Field(
        description="ISAC coordinators only, else null.")


class IndicatorPage(Answer):
    items: list[IndicatorOut]
    next_offset: int | None


class IndicatorFilters(Schema):
    value: str | None = Field(None, max_length=4096)
    type: TypeLiteral | None = None
    report_id: Id | None = None
    feed_id: Id | None = None
    for_detection: bool | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


class AddIn(Schema):
    report_id: Id
    indicators: list[IndicatorIn] = Field(max_length=10_000)


class AddOut(Schema):
    added: int
    items: list[IndicatorOut]


class IndicatorPatch(Schema):
    for_detection: bool | None = None
    comment: str | None = Field(None, max_length=1000)


class ExtractIn(Schema):
    text: str = Field(max_length=MAX_TEXT_CHARS)


class CandidateOut(Schema):
    type: str
    value: str
    group: int | None
    warninglists: list[str]


class ExtractOut(Schema):
    items: list[CandidateOut]
    truncated: bool


class SightingIn(Schema):
    value: str = Field(max_length=4096)
    type: TypeLiteral | None = None
    kind: Literal["seen", "false_positive", "expired"]
    seen_at: datetime | None = None
    source: str = Field("", max_length=200)
    named: bool = Field(False, description="Show your organisation's name to those who see "
                                           "the indicator (coordinators always see it).")


class SightingOut(Schema):
    id: int
    value: str
    type: str
    kind: str
    seen_at: datetime
    source: str
    organisation: str | None


class SightingsOut(Schema):
    counts: dict[str, int]
    items: list[SightingOut]


class ReportHit(Schema):
    id: int
    title: str
    kind: str
    tlp: str
    status: str
    published_at: datetime | None


class IndicatorHit(Schema):
    id: int
    type: str
    value: str
    report_id: int | None
    report_title: str | None
    feed_id: int | None
    feed_name: str | None
    match: str


class SearchOut(Schema):
    reports: list[ReportHit]
    indicators: list[IndicatorHit]


class ExportQuery(Schema):
    type: list[TypeLiteral] = Field(default_factory=list)
    since: str | None = Field(None, max_length=40)
    tlp: list[str] = Field(default_factory=list)
    for_detection: bool | None = None
    without_warninglisted: bool = False


class FeedOut(Schema):
    id: int
    name: str
    title: str
    format: str
    tlp: str
    audience: str
    status: str
    indicators: int
    last_fetched_at: datetime | None
    last_status: str | None = Field(description="ISAC coordinators only, else null.")
    last_message: str | None = Field(description="ISAC coordinators only, else null.")
    source: str | None = Field(description="URL or path; ISAC coordinators only, else null.")


class FeedIn(Schema):
    name: str = Field(max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = Field(max_length=200)
    url: str = Field("", max_length=1000)
    path: str = Field("", max_length=1000)
    format: Literal["csv", "text"] = "text"
    value_column: str = Field("", max_length=64)
    type_column: str = Field("", max_length=64)
    comment_column: str = Field("", max_length=64)
    delimiter: str = Field(",", min_length=1, max_length=1)
    has_header: bool = True
    default_type: TypeLiteral | None = None
    for_detection: bool = True
    skip_invalid: bool = False
    interval_minutes: int = Field(60, ge=5, le=10_080)
    tlp: Literal["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT"] = "TLP:GREEN"
    audience: Literal["participants", "partners", "public", "organisation"] = "participants"


class JobOut(Schema):
    job_id: int


def _shown(request: HttpRequest, rows: list[Any], correlations: bool = True
           ) -> list[dict[str, Any]]:
    return [indicator_out(s, request.user)
            for s in show(user=request.user, indicators=rows, with_correlations=correlations)]


@router.get("/indicators", response=IndicatorPage)
def list_indicators(request: HttpRequest, filters: Query[IndicatorFilters]) -> dict[str, Any]:
    """Indicators you may see, newest first, each with its correlations. ``value`` finds a
    value however it is written (``Evil[.]NL`` finds ``evil.nl``)."""
    require_scope(request, "intel:read")
    qs = selectors.indicator_list(user=request.user, type=filters.type, value=filters.value,
                                  report_id=filters.report_id, feed_id=filters.feed_id,
                                  for_detection=filters.for_detection)
    rows = list(qs[filters.offset:filters.offset + filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[:filters.limit]
    return {"items": _shown(request, rows),
            "next_offset": filters.offset + filters.limit if more else None}


@router.get("/indicators/{indicator_id}", response=IndicatorOut)
def get_indicator(request: HttpRequest, indicator_id: int) -> dict[str, Any]:
    require_scope(request, "intel:read")
    return _shown(request, [selectors.indicator_get(user=request.user, pk=indicator_id)])[0]


@router.post("/indicators", response={201: AddOut})
def add_indicators(request: HttpRequest, payload: AddIn) -> Status[Any]:
    """Add indicators to a report you may edit. All or nothing: an invalid item refuses
    the call and the error names it (``indicators[3].value``)."""
    require_scope(request, "intel:write")
    report = report_get(user=request.user, pk=payload.report_id, record_view=False)
    result = services.report_indicators_add(
        report=report, acting_user=request.user,
        items=[item.dict() for item in payload.indicators])
    digests = [p.row.item.digest for p in result.items]
    rows = list(selectors.indicators(request.user).filter(report_id=report.pk,
                                                          value__digest__in=digests))
    return Status(201, {"added": result.added, "items": _shown(request, rows)})


@router.patch("/indicators/{indicator_id}", response=IndicatorOut)
def update_indicator(request: HttpRequest, indicator_id: int, payload: IndicatorPatch
                     ) -> dict[str, Any]:
    require_scope(request, "intel:write")
    indicator = selectors.indicator_get(user=request.user, pk=indicator_id)
    services.indicator_update(indicator=indicator, acting_user=request.user,
                              for_detection=payload.for_detection, comment=payload.comment)
    return _shown(request, [selectors.indicator_get(user=request.user, pk=indicator_id)])[0]


@router.delete("/indicators/{indicator_id}", response={204: None})
def delete_indicator(request: HttpRequest, indicator_id: int) -> Status[None]:
    require_scope(request, "intel:write")
    indicator = selectors.indicator_get(user=request.user, pk=indicator_id)
    services.indicator_remove(indicator=indicator, acting_user=request.user)
    return Status(204, None)


def _candidates(text: str) -> dict[str, Any]:
    items, truncated = extract(text)
    return {"items": [c.as_dict() for c in items], "truncated": truncated}


@router.post("/extract", response=ExtractOut)
def extract_text(request: HttpRequest, payload: ExtractIn) -> dict[str, Any]:
    """Propose typed, refanged indicators found in free text, with warninglist hits. Nothing
    is stored: add the ones you choose with ``POST /indicators``."""
    require_scope(request, "intel:read")
    return _candidates(payload.text)


@router.post("/extract/file", response=ExtractOut)
def extract_file(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    """The same for an uploaded PDF or text file (at most 20 MB). The answer waits for the
    file to be read: a PDF is read by a process of its own within a work budget (page content
    and processor time, docs/operations.md), and one that needs more is refused (400) with
    a message naming the budget."""
    require_scope(request, "intel:read")
    if (file.size or 0) > MAX_FILE_BYTES:
        raise DomainError(_("The file %(f)s is larger than %(n)d MB.")
                          % {"f": file.name, "n": MAX_FILE_BYTES // (1024 * 1024)}, field="file")
    return _candidates(text_from_file(file.name or "upload", file.read()))


def _sighting_out(view: selectors.SightingView) -> dict[str, Any]:
    s = view.sighting
    return {"id": s.pk, "value": s.value.value, "type": s.value.type, "kind": s.kind,
            "seen_at": s.seen_at, "source": s.source, "organisation": view.organisation}


@router.post("/sightings", response={201: SightingsOut})
def add_sighting(request: HttpRequest, payload: SightingIn) -> Status[Any]:
    """Record that your organisation saw a value, found it a false positive, or considers
    it expired. Only on a value you can see on some indicator (404 otherwise)."""
    require_scope(request, "intel:write")
    made = services.sighting_add(acting_user=request.user, kind=payload.kind,
                                 value=payload.value, type=payload.type,
                                 seen_at=payload.seen_at, source=payload.source,
                                 named=payload.named)
    value_ids = sorted({s.value_id for s in made})
    counts = selectors.sighting_counts(value_ids=value_ids)
    total: dict[str, int] = {}
    for per_value in counts.values():
        for kind, n in per_value.items():
            total[kind] = total.get(kind, 0) + n
    view = selectors.SightingView
    return Status(201, {"counts": total, "items": [
        _sighting_out(view(s, s.organisation.name)) for s in made]})


@router.get("/indicators/{indicator_id}/sightings", response=SightingsOut)
def list_sightings(request: HttpRequest, indicator_id: int) -> dict[str, Any]:
    """Counts per kind, and the sightings; the organisation only when it chose to be named
    (coordinators always see it)."""
    require_scope(request, "intel:read")
    indicator = selectors.indicator_get(user=request.user, pk=indicator_id)
    counts = selectors.sighting_counts(value_ids=[indicator.value_id])[indicator.value_id]
    return {"counts": counts, "items": [
        _sighting_out(v) for v in selectors.sightings(user=request.user, indicator=indicator)]}


@router.get("/search", response=SearchOut)
def search(request: HttpRequest, q: str = Query(..., max_length=500)) -> dict[str, Any]:
    """One box: text finds reports (full-text), an address the networks that contain it, a
    network what lies inside, a domain its subdomains and URLs, a hash its file. Only what
    you may see."""
    require_scope(request, "intel:read")
    result = selectors.search(user=request.user, q=q)
    return {
        "reports": [{"id": r.pk, "title": r.title, "kind": r.kind, "tlp": r.tlp,
                     "status": r.status, "published_at": r.published_at}
                    for r in result.reports],
        "indicators": [{
            "id": i.pk, "type": i.value.type, "value": i.value.value,
            "report_id": i.report_id, "report_title": i.report_title,
            "feed_id": i.feed_id, "feed_name": i.feed_name,
            "match": match,
        } for i, match in result.indicators],
    }


def _export(request: HttpRequest, query: ExportQuery, fmt: str) -> StreamingHttpResponse:
    require_scope(request, "intel:read")
    filters = exports.parse_filters(types=list(query.type), since=query.since,
                                    tlp=list(query.tlp), for_detection=query.for_detection,
                                    without_warninglisted=query.without_warninglisted)
    services.export_record(acting_user=request.user, format=fmt, filters=filters)
    if fmt == "csv":
        response = StreamingHttpResponse(exports.csv_lines(user=request.user, filters=filters),
                                         content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="vrisac-indicators.csv"'
    else:
        response = StreamingHttpResponse(exports.text_lines(user=request.user, filters=filters),
                                         content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/exports/csv", response={200: None},
            openapi_extra={"responses": {200: {"content": {"text/csv": {}}}}})
def export_csv(request: HttpRequest, query: Query[ExportQuery]) -> StreamingHttpResponse:
    """CSV of the indicators you may see (published reports and feeds), safe to open in a
    spreadsheet. Filters: ``type`` (repeatable), ``since`` (last seen), ``tlp``
    (repeatable), ``for_detection``, ``without_warninglisted``."""
    return _export(request, query, "csv")


@router.get("/exports/text", response={200: None},
            openapi_extra={"responses": {200: {"content": {"text/plain": {}}}}})
def export_text(request: HttpRequest, query: Query[ExportQuery]) -> StreamingHttpResponse:
    """One value per line, each once (for a firewall or a DNS blocklist). Give ``type``."""
    if not query.type:
        raise DomainError(_("Give the type(s) of the list, e.g. type=ipv4."), field="type")
    return _export(request, query, "text")


def _feed_out(feed: Any, user: Any) -> dict[str, Any]:
    coordinator = viewer_for(user).is_coordinator
    return {
        "id": feed.pk, "name": feed.name, "title": feed.title, "format": feed.format,
        "tlp": feed.tlp, "audience": feed.audience, "status": feed.status,
        "indicators": getattr(feed, "indicator_count", 0),
        "last_fetched_at": feed.last_fetched_at,
        "last_status": feed.last_status if coordinator else None,
        "last_message": feed.last_message if coordinator else None,
        "source": feed.source_label if coordinator else None,
    }


@router.get("/feeds", response=list[FeedOut])
def list_feeds(request: HttpRequest) -> list[dict[str, Any]]:
    """The indicator feeds you may see."""
    require_scope(request, "intel:read")
    from django.db.models import Count

    return [_feed_out(f, request.user) for f in selectors.feeds(user=request.user)
            .annotate(indicator_count=Count("indicators"))]


@router.post("/feeds", response={201: FeedOut})
def create_feed(request: HttpRequest, payload: FeedIn) -> Status[Any]:
    """Configure a feed (ISAC coordinators). It is fetched on the schedule; ``POST
    /feeds/{id}/fetch`` fetches it now."""
    require_scope(request, "intel:write")
    from .feeds import feed_save

    data = payload.dict()
    feed = feed_save(acting_user=request.user, **{**data,
                                                  "default_type": data["default_type"] or ""})
    return Status(201, _feed_out(feed, request.user))


@router.post("/feeds/{feed_id}/fetch", response={202: JobOut})
def fetch_feed(request: HttpRequest, feed_id: int) -> Status[Any]:
    """Queue a fetch of the feed now (ISAC coordinators)."""
    require_scope(request, "intel:write")
    if not viewer_for(request.user).is_coordinator:
        raise NotAllowed(_("Only ISAC coordinators manage feeds."))
    from .feeds import feed_fetch_queue

    feed = selectors.feed_get(user=request.user, pk=feed_id)
    job = feed_fetch_queue(feed=feed, acting_user=request.user)
    return Status(202, {"job_id": job.pk})
