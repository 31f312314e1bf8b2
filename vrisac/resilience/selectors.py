"""Reads on resilience. Shared content goes through the sharing policy; an organisation's own
records (self-assessment, actions, adoption, NIS2 reporting) are read by its own people only;
everyone else gets aggregates under the benchmark's minimum-group rule."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record
from vrisac.core.errors import NotFound
from vrisac.organisations.models import Organisation
from vrisac.reports.models import Report
from vrisac.sharing.models import Status
from vrisac.sharing.policy import can_see_source, viewer_for
from vrisac.sharing.tlp import AUDITED_VIEWS

from . import benchmark, nis2
from .models import (
    ASSESSING_KINDS,
    Adoption,
    Advice,
    Assessment,
    AssessmentCorrection,
    Attendance,
    ImprovementAction,
    IncidentPicture,
    InformationAnswer,
    InformationRequest,
    Measure,
    Meeting,
    MinutesItem,
    Nis2Incident,
    Nis2Stage,
    PictureFollower,
    PictureUpdate,
    Score,
)
from .periods import Period


def measure_list() -> list[Measure]:
    return list(Measure.objects.all())


def own_organisation(user: Any) -> Organisation | None:
    """The region or institute the user answers for, or None (observer, partner, admin)."""
    viewer = viewer_for(user)
    if not viewer.is_participant:
        return None
    return (Organisation.objects.filter(pk__in=viewer.organisation_ids, kind__in=ASSESSING_KINDS)
            .order_by("pk").first())


# ---- self-assessment ----


def assessment_get(*, user: Any, period: Period) -> Assessment | None:
    organisation = own_organisation(user)
    if organisation is None:
        raise NotFound(_("Not found."))
    return (Assessment.objects.filter(organisation=organisation, year=period.year,
                                      quarter=period.quarter)
            .prefetch_related(Prefetch("scores", Score.objects.select_related("measure")))
            .first())


def assessment_history(*, user: Any) -> list[Assessment]:
    """The organisation's own assessments, oldest first, with their scores."""
    organisation = own_organisation(user)
    if organisation is None:
        raise NotFound(_("Not found."))
    return list(Assessment.objects.filter(organisation=organisation)
                .prefetch_related("scores").order_by("year", "quarter"))


def action_list(*, user: Any) -> QuerySet[ImprovementAction]:
    organisation = own_organisation(user)
    if organisation is None:
        return ImprovementAction.objects.none()
    return (ImprovementAction.objects.filter(organisation=organisation)
            .select_related("measure", "assessment"))


def action_get(*, user: Any, pk: Any) -> ImprovementAction:
    try:
        return action_list(user=user).get(pk=pk)
    except (ImprovementAction.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Not found.")) from None


def correction_changes(correction: AssessmentCorrection) -> dict[str, int]:
    """measure key -> by how much the correction changes the submitted level (only the
    measures it changes). What a coordinator weighs, without seeing the scores themselves."""
    current = dict(correction.assessment.scores.values_list("measure__key", "level"))
    return {key: int(level) - current.get(key, 0)
            for key, level in sorted(correction.levels.items())
            if int(level) != current.get(key)}


def correction_latest(*, assessment: Assessment | None) -> AssessmentCorrection | None:
    """The organisation's latest correction of a quarter (waiting, accepted or refused), for
    its own assessment page (the caller has read the assessment as its own)."""
    if assessment is None:
        return None
    return assessment.corrections.order_by("-requested_at", "-pk").first()


@dataclass(frozen=True)
class CorrectionRow:
    """A correction as a coordinator weighs it: who asks, why, and by how much each measure
    would move; never the scores themselves."""

    correction: AssessmentCorrection
    changes: dict[str, int]
    accepted_before: int


def correction_queue(*, user: Any) -> list[CorrectionRow]:
    """The corrections waiting for a decision (ISAC coordinators only)."""
    if not viewer_for(user).is_coordinator:
        raise NotFound(_("Not found."))
    pending = list(AssessmentCorrection.objects
                   .filter(state=AssessmentCorrection.State.PENDING)
                   .select_related("assessment__organisation", "requested_by")
                   .annotate(accepted_before=Count(
                       "assessment__corrections", filter=Q(
                           assessment__corrections__state=AssessmentCorrection.State.ACCEPTED)))
                   .order_by("requested_at", "pk"))
    return [CorrectionRow(correction=c, changes=correction_changes(c),
                          accepted_before=c.accepted_before)
            for c in pending]


def correction_get(*, user: Any, pk: Any) -> AssessmentCorrection:
    if not viewer_for(user).is_coordinator:
        raise NotFound(_("Not found."))
    try:
        return AssessmentCorrection.objects.select_related("assessment").get(pk=pk)
    except (AssessmentCorrection.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Not found.")) from None


def corrections_waiting() -> int:
    """How many corrections wait for a coordinator (a count for the coordinators' hub)."""
    return AssessmentCorrection.objects.filter(
        state=AssessmentCorrection.State.PENDING).count()


@dataclass(frozen=True)
class BenchmarkRow:
    measure: Measure
    own: int | None
    distribution: benchmark.Distribution


def _submitted_scores(period: Period) -> dict[int, list[int]]:
    """measure id -> the levels of every submitted assessment of that quarter: as submitted,
    or as a coordinator accepted their correction (a waiting correction never counts)."""
    levels: dict[int, list[int]] = defaultdict(list)
    rows = Score.objects.filter(
        assessment__year=period.year, assessment__quarter=period.quarter,
        assessment__state=Assessment.State.SUBMITTED,
        assessment__organisation__kind__in=ASSESSING_KINDS,
    ).values_list("measure_id", "level")
    for measure_id, level in rows:
        levels[measure_id].append(level)
    return levels


def benchmark_rows(*, period: Period, organisation: Organisation | None) -> list[BenchmarkRow]:
    """Per measure: the organisation's own score (if any) beside the distribution of all
    submitted assessments of the quarter (median and quartiles from the policy's minimum
    group on, never more)."""
    levels = _submitted_scores(period)
    own: dict[int, int] = {}
    if organisation is not None:
        own = dict(Score.objects.filter(
            assessment__organisation=organisation, assessment__year=period.year,
            assessment__quarter=period.quarter).values_list("measure_id", "level"))
    return [BenchmarkRow(measure=m, own=own.get(m.pk),
                         distribution=benchmark.distribution(levels.get(m.pk, [])))
            for m in Measure.objects.all()]


def maturity_over_time(periods: list[Period]) -> dict[str, list[benchmark.Distribution]]:
    """measure key -> the distribution in each of ``periods`` (aggregates only)."""
    keys = dict(Measure.objects.values_list("pk", "key"))
    series: dict[str, list[benchmark.Distribution]] = {k: [] for k in keys.values()}
    for period in periods:
        levels = _submitted_scores(period)
        for pk, key in keys.items():
            series[key].append(benchmark.distribution(levels.get(pk, [])))
    return series


def respondents(period: Period) -> int:
    """How many organisations submitted an assessment of the quarter (a count, no names)."""
    return Assessment.objects.filter(
        year=period.year, quarter=period.quarter, state=Assessment.State.SUBMITTED,
        organisation__kind__in=ASSESSING_KINDS).count()


# ---- advice and adoption ----


def advice_list(*, user: Any, measure: str | None = None) -> QuerySet[Advice]:
    """Advice linked to measures, as far as the policy lets the user see the report."""
    qs = (Advice.objects.filter(report__in=Report.objects.visible_to(user).values("pk"))
          .select_related("report", "report__organisation")
          .prefetch_related("measures"))
    if measure:
        qs = qs.filter(measures__key=measure)
    return qs.order_by("-report__published_at", "-pk")


def advice_get(*, user: Any, pk: Any) -> Advice:
    try:
        return advice_list(user=user).get(pk=pk)
    except (Advice.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Not found.")) from None


def linkable_advice_reports(*, user: Any) -> QuerySet[Report]:
    """Published advice reports the coordinator sees that are not linked yet."""
    return (Report.objects.visible_to(user)
            .filter(kind=Report.Kind.ADVICE, status=Status.PUBLISHED, nis2_advice__isnull=True)
            .order_by("-published_at"))


@dataclass(frozen=True)
class AdoptionRow:
    advice: Advice
    own: Adoption | None
    share: benchmark.Share


def adoption_rows(*, user: Any) -> list[AdoptionRow]:
    """Each visible advice with the organisation's own answer and the share of organisations
    that adopted it (from the minimum group of answers on)."""
    advice = list(advice_list(user=user))
    organisation = own_organisation(user)
    counts = {
        row["advice_id"]: row for row in Adoption.objects.filter(
            advice__in=[a.pk for a in advice],
            organisation__kind__in=ASSESSING_KINDS,
        ).exclude(state=Adoption.State.NOT_APPLICABLE).values("advice_id").annotate(
            answered=Count("pk"), yes=Count("pk", filter=Q(state=Adoption.State.ADOPTED)))
    }
    own: dict[int, Adoption] = {}
    if organisation is not None:
        own = {a.advice_id: a for a in Adoption.objects.filter(
            organisation=organisation, advice__in=[a.pk for a in advice])}
    rows = []
    for item in advice:
        count = counts.get(item.pk, {"answered": 0, "yes": 0})
        rows.append(AdoptionRow(advice=item, own=own.get(item.pk),
                                share=benchmark.share(count["yes"], count["answered"])))
    return rows


def adoption_by_measure() -> list[tuple[Measure, benchmark.Share]]:
    """Per measure, the share of answers on its advice that say "adopted" (aggregates only:
    no advice titles, no organisations)."""
    rows = (Adoption.objects.filter(organisation__kind__in=ASSESSING_KINDS)
            .exclude(state=Adoption.State.NOT_APPLICABLE)
            .values("advice__measures")
            .annotate(answered=Count("organisation", distinct=True),
                      yes=Count("organisation", distinct=True,
                                filter=Q(state=Adoption.State.ADOPTED))))
    by_measure = {r["advice__measures"]: r for r in rows}
    result = []
    for measure in Measure.objects.all():
        row = by_measure.get(measure.pk, {"answered": 0, "yes": 0})
        result.append((measure, benchmark.share(row["yes"], row["answered"])))
    return result


# ---- NIS2 incident reporting ----


@dataclass(frozen=True)
class StageInfo:
    """One stage as the people reporting see it: its deadline and status now."""

    row: Nis2Stage
    due: datetime | None
    status: str
    #: Final report only: a progress report may be sent in its place now.
    progress_possible: bool = False

    @property
    def stage(self) -> str:
        return self.row.stage

    @property
    def label(self) -> str:
        label = str(nis2.STAGE_LABELS[self.row.stage])
        if self.row.stage == nis2.INTERMEDIATE_REPORT:
            label = f"{label} {self.row.number}"
        return label

    @property
    def fields(self) -> list[tuple[str, str]]:
        specs = nis2.STAGE_FIELDS[self.row.stage]
        return [(str(s.label), _display(s, self.row.content.get(s.name, ""))) for s in specs
                if self.row.content.get(s.name)]

    @property
    def progress_fields(self) -> list[tuple[str, str]]:
        specs = nis2.STAGE_FIELDS["progress"]
        return [(str(s.label), self.row.progress_content.get(s.name, "")) for s in specs
                if self.row.progress_content.get(s.name)]


def _display(spec: nis2.StageField, value: str) -> str:
    for code, label in spec.choices:
        if code == value:
            return str(label)
    return value


def stage_infos(incident: Nis2Incident, *, now: datetime | None = None) -> list[StageInfo]:
    """The stages in the order of the directive with their deadlines (exact hours in UTC,
    the final report one calendar month on in Europe/Amsterdam)."""
    now = now or timezone.now()
    rows = list(incident.stages.all())
    by_stage = {r.stage: r for r in rows if r.stage != nis2.INTERMEDIATE_REPORT}
    notification = by_stage.get(nis2.INCIDENT_NOTIFICATION)
    order = {key: i for i, key in enumerate(nis2.stage_keys())}
    infos = []
    for row in sorted(rows, key=lambda r: (order.get(r.stage, 99), r.number)):
        progress_possible = False
        if row.stage == nis2.EARLY_WARNING:
            due: datetime | None = nis2.early_warning_due(incident.aware_at)
        elif row.stage == nis2.INCIDENT_NOTIFICATION:
            due = nis2.notification_due(incident.aware_at)
        elif row.stage == nis2.INTERMEDIATE_REPORT:
            due = row.requested_due
        else:
            due = nis2.final_report_due(
                notification_submitted_at=notification.submitted_at if notification else None,
                progress_submitted_at=row.progress_submitted_at,
                handled_at=incident.handled_at)
            progress_possible = bool(
                incident.ongoing and row.submitted_at is None
                and row.progress_submitted_at is None
                and notification is not None and notification.submitted_at is not None)
        infos.append(StageInfo(
            row=row, due=due,
            status=nis2.stage_status(due=due, submitted_at=row.submitted_at, now=now),
            progress_possible=progress_possible))
    return infos


def nis2_list(*, user: Any) -> QuerySet[Nis2Incident]:
    return (Nis2Incident.objects.visible_to(user)
            .select_related("report").prefetch_related("stages").order_by("-aware_at"))


def nis2_get(*, user: Any, pk: Any) -> Nis2Incident:
    try:
        incident = nis2_list(user=user).get(pk=pk)
    except (Nis2Incident.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Not found.")) from None
    return incident


def nis2_for_report(*, user: Any, report: Report) -> Nis2Incident | None:
    return Nis2Incident.objects.visible_to(user).filter(report=report).first()


def nis2_may_start(*, user: Any, report: Report) -> bool:
    """The action on the report page: an incident report of the user's own organisation."""
    viewer = viewer_for(user)
    return bool(viewer.reads_content and report.kind == Report.Kind.INCIDENT
                and report.status != Status.RETRACTED
                and report.organisation_id in viewer.organisation_ids)


def nis2_stage_get(*, user: Any, incident: Nis2Incident, pk: Any) -> Nis2Stage:
    try:
        return incident.stages.get(pk=pk)
    except (Nis2Stage.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Not found.")) from None


# ---- incident picture ----


def picture_get(*, user: Any, report_id: Any, record_view: bool = True) -> IncidentPicture:
    """The picture of an incident report the user may see (policy); views of TLP:RED and
    TLP:AMBER+STRICT pictures are written to the audit log, as the report's are."""
    try:
        picture = (IncidentPicture.objects.visible_to(user)
                   .select_related("report", "report__organisation", "summary_updated_by")
                   .get(report_id=report_id))
    except (IncidentPicture.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Not found.")) from None
    if record_view and picture.report.tlp in AUDITED_VIEWS:
        audit_record(action="resilience.picture.view", actor=user, obj=picture,
                     details={"report": picture.report_id, "tlp": picture.report.tlp})
    return picture


def picture_for_report(*, user: Any, report: Report) -> IncidentPicture | None:
    return IncidentPicture.objects.visible_to(user).filter(report=report).first()


def picture_list(*, user: Any) -> QuerySet[IncidentPicture]:
    return (IncidentPicture.objects.visible_to(user).select_related("report")
            .annotate(update_count=Count("updates")).order_by("state", "-updated_at"))


def picture_updates(*, picture: IncidentPicture, user: Any) -> list[tuple[PictureUpdate, bool]]:
    """The timeline, newest first, each with whether its author may be shown (an update by
    the anonymous source's organisation would reveal the source)."""
    updates = (PictureUpdate.objects
               .filter(picture__in=IncidentPicture.objects.visible_to(user).values("pk"))
               .filter(picture=picture).select_related("author", "organisation"))
    report = picture.report
    source_known = can_see_source(user, report)
    return [(u, source_known or not report.anonymous
             or u.organisation_id != report.organisation_id) for u in updates]


def is_following(*, picture: IncidentPicture, user: Any) -> bool:
    return PictureFollower.objects.filter(picture=picture, user=user).exists()


# ---- requests for information ----


def rfi_list(*, user: Any) -> QuerySet[InformationRequest]:
    return (InformationRequest.objects.visible_to(user)
            .select_related("organisation", "author")
            .annotate(answer_count=Count("answers"))
            .order_by("closed_at", "-published_at", "-pk"))


def rfi_get(*, user: Any, pk: Any) -> InformationRequest:
    try:
        return (InformationRequest.objects.visible_to(user)
                .select_related("organisation", "author").get(pk=pk))
    except (InformationRequest.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Question not found.")) from None


def rfi_answers(*, request: InformationRequest, user: Any
                ) -> list[tuple[InformationAnswer, bool]]:
    """The thread, each answer with whether its source may be shown to the user."""
    answers = (InformationAnswer.objects.visible_to(user).filter(request=request)
               .select_related("author", "organisation"))
    return [(a, can_see_source(user, a)) for a in answers]


# ---- meetings ----


def meeting_list(*, user: Any) -> QuerySet[Meeting]:
    return Meeting.objects.visible_to(user).order_by("-starts_at")


def meeting_get(*, user: Any, pk: Any) -> Meeting:
    try:
        return Meeting.objects.visible_to(user).get(pk=pk)
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Meeting not found.")) from None


def minutes_for(*, meeting: Meeting, user: Any) -> QuerySet[MinutesItem]:
    """The items of the minutes the user may see: a TLP:RED item only for those present."""
    return (MinutesItem.objects.visible_to(user).filter(meeting=meeting)
            .order_by("position", "pk"))


def attendance_for(*, meeting: Meeting, user: Any) -> QuerySet[Attendance]:
    if not Meeting.objects.visible_to(user).filter(pk=meeting.pk).exists():
        return Attendance.objects.none()
    return (Attendance.objects.filter(meeting=meeting)
            .select_related("user").order_by("state", "user__name"))
