"""REST API of resilience: NIS2 incident reporting, the measures, the benchmark and the
strategic aggregates. Mounted at the API root: paths start with /nis2/ or /resilience/."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from vrisac.api.auth import require_scope
from vrisac.core.errors import DomainError, NotFound
from vrisac.reports.selectors import report_get
from vrisac.sharing.policy import MIN_GROUP_SIZE

from . import nis2, selectors, services, strategic
from .periods import Period

router = Router(tags=["resilience"])


class Nis2StartIn(Schema):
    report: int = Field(description="The id of an incident report of your organisation.")
    aware_at: str = Field(max_length=64, description="When your organisation became aware "
                                                     "of the incident: ISO 8601 with offset.")


class StageOut(Schema):
    id: int
    stage: str = Field(description="early_warning, incident_notification, "
                                   "intermediate_report or final_report")
    number: int
    due: str | None = Field(description="ISO 8601 with the Europe/Amsterdam offset; null "
                                        "while not yet determined.")
    status: str = Field(description="open, submitted or overdue")
    submitted_at: str | None
    progress_submitted_at: str | None
    content: dict[str, str]
    progress_content: dict[str, str]


class Nis2Out(Schema):
    id: int
    report: int
    organisation: str
    aware_at: str
    handled_at: str | None
    ongoing: bool
    csirt_reference: str
    stages: list[StageOut]


class SubmitIn(Schema):
    content: dict[str, str] = Field(default_factory=dict)
    progress: bool = Field(False, description="a progress report in place of the final "
                                              "report, while the incident is ongoing")


def parse_moment(value: str, field: str) -> datetime:
    """ISO 8601 with an offset; naive or malformed moments are refused naming the field."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise DomainError(_("%(field)s is not an ISO 8601 moment, e.g. "
                            "2026-03-28T10:00:00+01:00.") % {"field": field},
                          field=field) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise DomainError(_("%(field)s needs its offset, e.g. 2026-03-28T10:00:00+01:00.")
                          % {"field": field}, field=field)
    return moment


def incident_out(incident: Any) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "report": incident.report_id,
        "organisation": incident.organisation.slug,
        "aware_at": nis2.iso_amsterdam(incident.aware_at),
        "handled_at": nis2.iso_amsterdam(incident.handled_at),
        "ongoing": incident.ongoing,
        "csirt_reference": incident.csirt_reference,
        "stages": [
            {
                "id": info.row.pk,
                "stage": info.stage,
                "number": info.row.number,
                "due": nis2.iso_amsterdam(info.due),
                "status": info.status,
                "submitted_at": nis2.iso_amsterdam(info.row.submitted_at),
                "progress_submitted_at": nis2.iso_amsterdam(info.row.progress_submitted_at),
                "content": info.row.content,
                "progress_content": info.row.progress_content,
            }
            for info in selectors.stage_infos(incident)
        ],
    }


@router.post("/nis2/incidents", response={201: Nis2Out})
def start_incident(request: HttpRequest, payload: Nis2StartIn) -> Status[dict[str, Any]]:
    """Mark an incident report as a significant incident (NIS2) and start its deadlines."""
    require_scope(request, "resilience:write")
    report = report_get(user=request.user, pk=payload.report, record_view=False)
    aware_at = parse_moment(payload.aware_at, "aware_at")
    incident = services.nis2_start(report=report, aware_at=aware_at, acting_user=request.user)
    return Status(201, incident_out(selectors.nis2_get(user=request.user, pk=incident.pk)))


@router.get("/nis2/incidents", response=list[Nis2Out])
def list_incidents(request: HttpRequest) -> list[dict[str, Any]]:
    """The significant incidents of your organisation, newest first."""
    require_scope(request, "resilience:read")
    return [incident_out(i) for i in
            selectors.nis2_list(user=request.user).select_related("organisation")[:200]]


@router.get("/nis2/incidents/{incident_id}", response=Nis2Out)
def get_incident(request: HttpRequest, incident_id: int) -> dict[str, Any]:
    """One significant incident with its stages, deadlines and statuses."""
    require_scope(request, "resilience:read")
    return incident_out(selectors.nis2_get(user=request.user, pk=incident_id))


@router.post("/nis2/incidents/{incident_id}/stages/{stage_id}/submit", response=Nis2Out)
def submit_stage(request: HttpRequest, incident_id: int, stage_id: int,
                 payload: SubmitIn) -> dict[str, Any]:
    """Record that a stage was sent to the CSIRT, with the fields the directive asks for."""
    require_scope(request, "resilience:write")
    incident = selectors.nis2_get(user=request.user, pk=incident_id)
    stage = selectors.nis2_stage_get(user=request.user, incident=incident, pk=stage_id)
    services.nis2_submit(stage=stage, acting_user=request.user, content=payload.content,
                         progress=payload.progress)
    return incident_out(selectors.nis2_get(user=request.user, pk=incident_id))


class MeasureOut(Schema):
    key: str
    title_en: str
    title_nl: str


@router.get("/resilience/measures", response=list[MeasureOut], auth=None)
def list_measures(request: HttpRequest) -> list[Any]:
    """The ten NIS2 Article 21(2) measures (public facts)."""
    return selectors.measure_list()


class DistributionOut(Schema):
    n: int = Field(description="how many organisations answered")
    median: float | None = Field(
        description=f"null below the minimum group ({MIN_GROUP_SIZE} answers)")
    q1: float | None
    q3: float | None


class BenchmarkRowOut(Schema):
    measure: str
    own: int | None
    distribution: DistributionOut


class BenchmarkOut(Schema):
    period: str
    respondents: int
    rows: list[BenchmarkRowOut]


def _period(value: str | None) -> Period:
    if not value:
        return Period.current()
    try:
        return Period.parse(value)
    except ValueError as exc:
        raise DomainError(str(exc), field="period") from None


def _distribution(d: Any) -> dict[str, Any]:
    return {"n": d.n, "median": d.median, "q1": d.q1, "q3": d.q3}


@router.get("/resilience/benchmark", response=BenchmarkOut)
def get_benchmark(request: HttpRequest, period: str | None = None) -> dict[str, Any]:
    """Your organisation's scores beside the distribution of all regions (median and
    quartiles, from the minimum group of the sharing policy on); the scores as submitted,
    or as a coordinator accepted their correction."""
    require_scope(request, "resilience:read")
    organisation = selectors.own_organisation(request.user)
    if organisation is None:
        raise NotFound(_("Not found."))
    quarter = _period(period)
    return {
        "period": quarter.key,
        "respondents": selectors.respondents(quarter),
        "rows": [{"measure": r.measure.key, "own": r.own,
                  "distribution": _distribution(r.distribution)}
                 for r in selectors.benchmark_rows(period=quarter, organisation=organisation)],
    }


class StrategicOut(Schema):
    period: str
    months: list[str]
    reports_by_kind: dict[str, list[int]]
    respondents: int
    maturity: dict[str, list[DistributionOut]]
    quarters: list[str]
    adoption_by_measure: dict[str, float | None]
    nis2: dict[str, int]
    warnings: dict[str, Any] | None


@router.get("/resilience/strategic", response=StrategicOut)
def get_strategic(request: HttpRequest, period: str | None = None) -> dict[str, Any]:
    """The strategic picture: aggregates only (owner observer, coordinators)."""
    require_scope(request, "resilience:read")
    try:
        strategic.require_aggregates(request.user)
    except PermissionDenied:
        raise HttpError(403, _("The strategic picture is for the owner and the "
                               "coordinators.")) from None
    picture = strategic.strategic_picture(_period(period))
    w = picture.warnings
    return {
        "period": picture.period.key,
        "months": picture.months,
        "reports_by_kind": picture.reports,
        "respondents": picture.respondents,
        "quarters": [q.key for q in picture.quarters],
        "maturity": {k: [_distribution(d) for d in v] for k, v in picture.maturity.items()},
        "adoption_by_measure": {m.key: s.share for m, s in picture.adoption},
        "nis2": vars(picture.nis2),
        "warnings": None if not w.available else {
            "by_priority": dict(w.by_priority), "by_state": dict(w.by_state),
            "open_kritiek": w.open_kritiek,
            "median_seconds_to_acknowledge": w.median_seconds_to_acknowledge,
            "months": w.months, "monthly": w.monthly,
        },
    }
