"""Writes on resilience: self-assessments and improvement actions, advice and its adoption,
NIS2 incident reporting, incident pictures, requests for information and meetings.

One transaction each, the audit row inside it, notifications and e-mail once it commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record
from vrisac.core.errors import DomainError, NotAllowed, NotFound
from vrisac.organisations.models import Organisation
from vrisac.reports.models import Report
from vrisac.sharing.models import Audience, Status
from vrisac.sharing.policy import PARTICIPANT_ROLES, can_moderate, can_view, viewer_for
from vrisac.sharing.rules import validate_sharing
from vrisac.sharing.tlp import TLP

from . import nis2
from .models import (
    SECTION_LABELS,
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
from .selectors import correction_changes

# ---- shared checks ----


def clean_text(value: str | None, *, field: str, max_length: int, required: bool = False,
               label: str | None = None) -> str:
    """Trimmed text without control characters, within its length; ``DomainError`` naming the
    field otherwise."""
    text = (value or "").strip()
    name = label or field
    if required and not text:
        raise DomainError(_("%(field)s cannot be empty.") % {"field": name}, field=field)
    if len(text) > max_length:
        raise DomainError(
            _("%(field)s is longer than %(n)d characters.") % {"field": name, "n": max_length},
            field=field,
        )
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise DomainError(_("%(field)s contains control characters.") % {"field": name},
                          field=field)
    return text


def _aware(moment: datetime, field: str) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None \
            or moment.utcoffset() is None:
        raise DomainError(_("Give the moment with its offset, e.g. 2026-03-28T10:00+01:00."),
                          field=field)
    return nis2.to_utc(moment)


def _not_future(moment: datetime, field: str) -> None:
    if moment > timezone.now() + timedelta(minutes=5):
        raise DomainError(_("This moment lies in the future."), field=field)


def assessing_organisation(user: Any) -> Organisation:
    """The organisation a participant assesses and answers for (a region or NIPV)."""
    from .selectors import own_organisation

    organisation = own_organisation(user)
    if organisation is None:
        raise NotFound(_("Not found."))
    return organisation


def _measures_by_key(keys: Iterable[str]) -> list[Measure]:
    keys = list(dict.fromkeys(keys))
    found = {m.key: m for m in Measure.objects.filter(key__in=keys)}
    missing = [k for k in keys if k not in found]
    if missing:
        raise DomainError(_("Unknown NIS2 measure(s): %(keys)s") % {"keys": ", ".join(missing)},
                          field="measures")
    return [found[k] for k in keys]


# ---- self-assessment ----


@transaction.atomic
def assessment_get_or_start(*, acting_user: Any, period: Period) -> Assessment:
    """This quarter's assessment of the participant's organisation; a new one starts from the
    scores and evidence of the latest earlier quarter, so only what changed needs an edit."""
    organisation = assessing_organisation(acting_user)
    if period > Period.current():
        raise DomainError(_("A quarter that has not begun cannot be assessed yet."),
                          field="period")
    assessment, created = Assessment.objects.get_or_create(
        organisation=organisation, year=period.year, quarter=period.quarter)
    if created:
        earlier = (Assessment.objects.filter(organisation=organisation)
                   .exclude(pk=assessment.pk)
                   .filter(year__lte=period.year)
                   .exclude(year=period.year, quarter__gt=period.quarter)
                   .order_by("-year", "-quarter").first())
        if earlier is not None:
            Score.objects.bulk_create([
                Score(assessment=assessment, measure_id=s.measure_id, level=s.level,
                      evidence=s.evidence)
                for s in earlier.scores.all()
            ])
        audit_record(action="resilience.assessment.start", actor=acting_user, obj=assessment,
                     organisation_id=organisation.pk,
                     details={"period": period.key,
                              "copied_from": earlier.period.key if earlier else None})
    return assessment


def _own_assessment(assessment: Assessment, user: Any) -> Assessment:
    organisation = assessing_organisation(user)
    if assessment.organisation_id != organisation.pk:
        raise NotFound(_("Not found."))
    return assessment


@transaction.atomic
def assessment_save(
    *,
    assessment: Assessment,
    acting_user: Any,
    scores: Mapping[str, tuple[int | None, str]],
    submit: bool = False,
) -> Assessment:
    """Store the scores (measure key -> level 0-5 or None, evidence) of one quarter; with
    ``submit`` the assessment counts in the benchmark, which needs all ten measures."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _own_assessment(assessment, acting_user)
    measures = {m.key: m for m in Measure.objects.all()}
    unknown = sorted(set(scores) - set(measures))
    if unknown:
        raise DomainError(_("Unknown NIS2 measure(s): %(keys)s") % {"keys": ", ".join(unknown)},
                          field="scores")
    existing = {s.measure_id: s for s in assessment.scores.all()}
    frozen = assessment.state == Assessment.State.SUBMITTED
    for key, (level, evidence) in scores.items():
        measure = measures[key]
        field = f"level_{key}"
        evidence = clean_text(evidence, field=f"evidence_{key}", max_length=5000,
                              label=_("Evidence for measure %(key)s") % {"key": key})
        current = existing.get(measure.pk)
        if frozen and (current.level if current is not None else None) != level:
            # The benchmark must not move with the organisation's own answers: whoever can
            # change its scores and look again learns the others' (docs/resilience.md).
            raise DomainError(
                _("Measure %(key)s: submitted scores are frozen for the quarter. Ask for a "
                  "correction instead; it counts once an ISAC coordinator accepts it.")
                % {"key": key}, field=field)
        if level is None:
            if current is not None:
                current.delete()
            continue
        if not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= 5:
            raise DomainError(_("Measure %(key)s: the score is a whole number from 0 to 5.")
                              % {"key": key}, field=field)
        if current is None:
            Score.objects.create(assessment=assessment, measure=measure, level=level,
                                 evidence=evidence)
        elif (current.level, current.evidence) != (level, evidence):
            current.level, current.evidence = level, evidence
            current.save(update_fields=["level", "evidence"])
    if submit and not frozen:
        answered = assessment.scores.count()
        if answered < len(measures):
            raise DomainError(
                _("Score all %(n)d measures before submitting (%(done)d done).")
                % {"n": len(measures), "done": answered}, field="scores")
        assessment.state = Assessment.State.SUBMITTED
        assessment.submitted_at = timezone.now()
        assessment.submitted_by = acting_user
    assessment.save()
    audit_record(action="resilience.assessment.submit" if submit and not frozen else
                 "resilience.assessment.save", actor=acting_user, obj=assessment,
                 organisation_id=assessment.organisation_id,
                 details={"period": assessment.period.key, "measures": sorted(scores)})
    return assessment


@transaction.atomic
def correction_request(
    *,
    assessment: Assessment,
    acting_user: Any,
    scores: Mapping[str, tuple[int | None, str]],
    reason: str,
) -> AssessmentCorrection:
    """Ask to change the levels of a submitted assessment. The evidence is stored at once (it
    is the organisation's own and counts nowhere); the levels wait, outside the benchmark,
    until an ISAC coordinator accepts them."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _own_assessment(assessment, acting_user)
    if assessment.state != Assessment.State.SUBMITTED:
        raise DomainError(_("Only a submitted assessment is corrected; change the draft "
                            "and submit it."), field="scores")
    if assessment.corrections.filter(state=AssessmentCorrection.State.PENDING).exists():
        raise DomainError(_("A correction of this quarter is already waiting for a "
                            "coordinator."), field="scores")
    reason = clean_text(reason, field="reason", max_length=1000, required=True,
                        label=_("Reason for the correction"))
    measures = list(Measure.objects.values_list("key", flat=True))
    unknown = sorted(set(scores) - set(measures))
    if unknown:
        raise DomainError(_("Unknown NIS2 measure(s): %(keys)s") % {"keys": ", ".join(unknown)},
                          field="scores")
    submitted = dict(assessment.scores.values_list("measure__key", "level"))
    levels: dict[str, int] = {}
    for key in measures:
        level = scores[key][0] if key in scores else submitted.get(key)
        if not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= 5:
            raise DomainError(_("Measure %(key)s: the score is a whole number from 0 to 5.")
                              % {"key": key}, field=f"level_{key}")
        levels[key] = level
    if levels == submitted:
        raise DomainError(_("Nothing to correct: these are the submitted scores."),
                          field="scores")
    # The evidence only: the levels stay as submitted until the correction is accepted.
    assessment_save(assessment=assessment, acting_user=acting_user,
                    scores={key: (submitted.get(key), evidence)
                            for key, (_level, evidence) in scores.items()})
    correction = AssessmentCorrection.objects.create(
        assessment=assessment, levels=levels, reason=reason, requested_by=acting_user)
    audit_record(action="resilience.assessment.correction.request", actor=acting_user,
                 obj=correction, organisation_id=assessment.organisation_id,
                 details={"period": assessment.period.key,
                          "measures": sorted(correction_changes(correction))})
    return correction


@transaction.atomic
def correction_decide(
    *,
    correction: AssessmentCorrection,
    acting_user: Any,
    accept: bool,
    note: str = "",
) -> AssessmentCorrection:
    """An ISAC coordinator accepts a correction (its levels replace the submitted ones and
    count in the benchmark) or refuses it, saying why. Nobody decides on their own request."""
    if not viewer_for(acting_user).is_coordinator:
        raise NotAllowed(_("Only ISAC coordinators decide on corrections."))
    correction = (AssessmentCorrection.objects.select_for_update()
                  .select_related("assessment").get(pk=correction.pk))
    if correction.requested_by_id == acting_user.pk:
        raise NotAllowed(_("Another coordinator decides on a correction you asked for."))
    if correction.state != AssessmentCorrection.State.PENDING:
        raise DomainError(_("This correction has already been decided."), field="decision")
    note = clean_text(note, field="note", max_length=500, required=not accept,
                      label=_("Note"))
    changed = sorted(correction_changes(correction))
    if accept:
        scores = {s.measure.key: s for s in
                  correction.assessment.scores.select_related("measure")}
        for key, level in correction.levels.items():
            score = scores.get(key)
            if score is None:
                Score.objects.create(assessment=correction.assessment,
                                     measure=Measure.objects.get(key=key), level=level)
            elif score.level != level:
                score.level = level
                score.save(update_fields=["level"])
    correction.state = (AssessmentCorrection.State.ACCEPTED if accept
                        else AssessmentCorrection.State.REFUSED)
    correction.decided_by, correction.decided_at = acting_user, timezone.now()
    correction.decision_note = note
    correction.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    audit_record(action="resilience.assessment.correction."
                 + ("accept" if accept else "refuse"), actor=acting_user, obj=correction,
                 organisation_id=correction.assessment.organisation_id,
                 details={"period": correction.assessment.period.key, "measures": changed})
    return correction


def _action_fields(title: str, owner: str, due_date: date | None) -> tuple[str, str]:
    title = clean_text(title, field="title", max_length=300, required=True, label=_("Action"))
    owner = clean_text(owner, field="owner", max_length=150, required=True, label=_("Owner"))
    if due_date is not None and not isinstance(due_date, date):
        raise DomainError(_("The due date is not a date."), field="due_date")
    return title, owner


@transaction.atomic
def action_create(
    *,
    assessment: Assessment,
    acting_user: Any,
    measure_key: str,
    title: str,
    owner: str,
    due_date: date | None = None,
) -> ImprovementAction:
    _own_assessment(assessment, acting_user)
    (measure,) = _measures_by_key([measure_key])
    title, owner = _action_fields(title, owner, due_date)
    action = ImprovementAction.objects.create(
        organisation_id=assessment.organisation_id, measure=measure, assessment=assessment,
        title=title, owner=owner, due_date=due_date, created_by=acting_user)
    audit_record(action="resilience.action.create", actor=acting_user, obj=action,
                 organisation_id=assessment.organisation_id,
                 details={"measure": measure.key, "period": assessment.period.key})
    return action


@transaction.atomic
def action_update(
    *,
    action: ImprovementAction,
    acting_user: Any,
    state: str,
    title: str | None = None,
    owner: str | None = None,
    due_date: date | None = None,
) -> ImprovementAction:
    action = ImprovementAction.objects.select_for_update().get(pk=action.pk)
    if action.organisation_id != assessing_organisation(acting_user).pk:
        raise NotFound(_("Not found."))
    if state not in ImprovementAction.State.values:
        raise DomainError(_("Unknown status."), field="state")
    new_title, new_owner = _action_fields(title if title is not None else action.title,
                                          owner if owner is not None else action.owner,
                                          due_date)
    action.title, action.owner, action.state = new_title, new_owner, state
    if due_date is not None:
        action.due_date = due_date
    action.save()
    audit_record(action="resilience.action.update", actor=acting_user, obj=action,
                 organisation_id=action.organisation_id, details={"state": state})
    return action


# ---- advice linked to measures, and its adoption ----


def _require_coordinator(user: Any) -> None:
    if not viewer_for(user).is_coordinator:
        raise NotAllowed(_("Only ISAC coordinators publish advice."))


@transaction.atomic
def advice_link(*, report: Report, acting_user: Any, level: str,
                measure_keys: Sequence[str]) -> Advice:
    """Link an advice report to the NIS2 measures it strengthens (coordinators)."""
    _require_coordinator(acting_user)
    if not can_view(acting_user, report):
        raise NotFound(_("Report not found."))
    if report.kind != Report.Kind.ADVICE:
        raise DomainError(_("Only advice reports can be linked to measures."), field="report")
    if level not in Advice.Level.values:
        raise DomainError(_("Choose tactical or strategic."), field="level")
    measures = _measures_by_key(measure_keys)
    if not measures:
        raise DomainError(_("Choose at least one NIS2 measure."), field="measures")
    advice, _created = Advice.objects.update_or_create(
        report=report, defaults={"level": level, "linked_by": acting_user})
    advice.measures.set(measures)
    audit_record(action="resilience.advice.link", actor=acting_user, obj=advice,
                 details={"report": report.pk, "level": level,
                          "measures": [m.key for m in measures]})
    return advice


@transaction.atomic
def advice_publish(
    *,
    author: Any,
    title: str,
    summary: str,
    body: str,
    tlp: str,
    audience: str,
    level: str,
    measure_keys: Sequence[str],
    audience_organisations: Sequence[Organisation] = (),
    audience_people: Sequence[Any] = (),
) -> Advice:
    """Publish an advice report and link it to measures, in one go (coordinators)."""
    from vrisac.reports.services import report_create

    _require_coordinator(author)
    if not measure_keys:
        raise DomainError(_("Choose at least one NIS2 measure."), field="measures")
    _measures_by_key(measure_keys)
    report = report_create(
        author=author, kind=Report.Kind.ADVICE, title=title, summary=summary, body=body,
        tlp=tlp, audience=audience, audience_organisations=audience_organisations,
        audience_people=audience_people, tags=["nis2"], publish=True)
    return advice_link(report=report, acting_user=author, level=level,
                       measure_keys=measure_keys)


@transaction.atomic
def adoption_record(*, advice: Advice, acting_user: Any, state: str,
                    note: str = "") -> Adoption:
    """Record whether the participant's organisation adopted an advice it may see."""
    organisation = assessing_organisation(acting_user)
    if not can_view(acting_user, advice.report):
        raise NotFound(_("Report not found."))
    if state not in Adoption.State.values:
        raise DomainError(_("Unknown status."), field="state")
    note = clean_text(note, field="note", max_length=500, label=_("Note"))
    adoption, _created = Adoption.objects.update_or_create(
        advice=advice, organisation=organisation,
        defaults={"state": state, "note": note, "recorded_by": acting_user})
    audit_record(action="resilience.adoption.record", actor=acting_user, obj=adoption,
                 organisation_id=organisation.pk,
                 details={"advice": advice.pk, "state": state})
    return adoption


# ---- NIS2 incident reporting ----


def _nis2_allowed(user: Any, report: Report) -> None:
    """The incident report's own organisation, if the policy lets them see it."""
    viewer = viewer_for(user)
    if (not viewer.reads_content or not can_view(user, report)
            or report.organisation_id not in viewer.organisation_ids):
        raise NotFound(_("Report not found."))


@transaction.atomic
def nis2_start(*, report: Report, aware_at: datetime, acting_user: Any) -> Nis2Incident:
    """Mark an incident report as a significant incident (NIS2) and start its deadlines."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    _nis2_allowed(acting_user, report)
    if report.kind != Report.Kind.INCIDENT:
        raise DomainError(_("Only an incident report can be a significant incident."),
                          field="report")
    if report.status == Status.RETRACTED:
        raise DomainError(_("A retracted report cannot be tracked."), field="report")
    if Nis2Incident.objects.filter(report=report).exists():
        raise DomainError(_("This incident is already tracked as a significant incident."),
                          field="report", code="exists")
    aware_at = _aware(aware_at, "aware_at")
    _not_future(aware_at, "aware_at")
    incident = Nis2Incident.objects.create(
        report=report, organisation_id=report.organisation_id, aware_at=aware_at,
        started_by=acting_user)
    Nis2Stage.objects.bulk_create([
        Nis2Stage(incident=incident, stage=stage)
        for stage in (nis2.EARLY_WARNING, nis2.INCIDENT_NOTIFICATION, nis2.FINAL_REPORT)
    ])
    audit_record(action="resilience.nis2.start", actor=acting_user, obj=incident,
                 organisation_id=report.organisation_id,
                 details={"report": report.pk, "aware_at": aware_at.isoformat()})
    return incident


def _incident_for_update(incident: Nis2Incident, user: Any) -> Nis2Incident:
    locked = Nis2Incident.objects.select_for_update().select_related("report").get(
        pk=incident.pk)
    _nis2_allowed(user, locked.report)
    return locked


def clean_stage_content(stage_kind: str, content: Mapping[str, Any]) -> dict[str, str]:
    """The fields of one stage, checked against what the directive asks (``nis2.STAGE_FIELDS``)."""
    fields = nis2.STAGE_FIELDS[stage_kind]
    known = {f.name for f in fields}
    unknown = sorted(set(content) - known)
    if unknown:
        raise DomainError(_("Unknown field(s): %(names)s") % {"names": ", ".join(unknown)},
                          field=unknown[0])
    cleaned: dict[str, str] = {}
    for spec in fields:
        raw = content.get(spec.name)
        value = clean_text(raw if isinstance(raw, str) else ("" if raw is None else str(raw)),
                           field=spec.name, max_length=spec.max_length,
                           required=spec.required, label=str(spec.label))
        if spec.kind == "choice" and value and value not in {c for c, _l in spec.choices}:
            raise DomainError(_("%(field)s: choose one of the options.")
                              % {"field": spec.label}, field=spec.name)
        cleaned[spec.name] = value
    return cleaned


@transaction.atomic
def nis2_submit(*, stage: Nis2Stage, acting_user: Any, content: Mapping[str, Any],
                progress: bool = False) -> Nis2Stage:
    """Record that a stage was sent to the CSIRT, with what it contained. ``progress``: the
    progress report that stands in for the final report while the incident is ongoing."""
    incident = _incident_for_update(stage.incident, acting_user)
    stage = Nis2Stage.objects.select_for_update().get(pk=stage.pk, incident=incident)
    if stage.submitted_at is not None:
        raise DomainError(_("This report was already submitted."), field="stage")
    if stage.stage == nis2.FINAL_REPORT:
        notification = incident.stages.get(stage=nis2.INCIDENT_NOTIFICATION)
        if notification.submitted_at is None:
            raise DomainError(_("Submit the incident notification first."), field="stage")
    if progress:
        if stage.stage != nis2.FINAL_REPORT:
            raise DomainError(_("Only the final report can be replaced by a progress report."),
                              field="stage")
        if not incident.ongoing:
            raise DomainError(_("The incident is no longer ongoing: submit the final report."),
                              field="stage")
        if stage.progress_submitted_at is not None:
            raise DomainError(_("The progress report was already submitted."), field="stage")
        stage.progress_content = clean_stage_content("progress", content)
        stage.progress_submitted_at = timezone.now()
        stage.progress_submitted_by = acting_user
    else:
        stage.content = clean_stage_content(stage.stage, content)
        stage.submitted_at = timezone.now()
        stage.submitted_by = acting_user
    stage.save()
    audit_record(action="resilience.nis2.progress" if progress else "resilience.nis2.submit",
                 actor=acting_user, obj=stage, organisation_id=incident.organisation_id,
                 details={"incident": incident.pk, "stage": stage.stage,
                          "number": stage.number})
    return stage


@transaction.atomic
def nis2_request_intermediate(
    *,
    incident: Nis2Incident,
    acting_user: Any,
    requested_at: datetime,
    due: datetime | None = None,
    note: str = "",
) -> Nis2Stage:
    """The CSIRT or the competent authority asked for an intermediate report."""
    incident = _incident_for_update(incident, acting_user)
    requested_at = _aware(requested_at, "requested_at")
    _not_future(requested_at, "requested_at")
    if due is not None:
        due = _aware(due, "requested_due")
        if due <= requested_at:
            raise DomainError(_("The deadline lies before the request."), field="requested_due")
    note = clean_text(note, field="request_note", max_length=500, label=_("Note"))
    number = incident.stages.filter(stage=nis2.INTERMEDIATE_REPORT).count() + 1
    stage = Nis2Stage.objects.create(
        incident=incident, stage=nis2.INTERMEDIATE_REPORT, number=number,
        requested_at=requested_at, requested_due=due, request_note=note)
    audit_record(action="resilience.nis2.request", actor=acting_user, obj=stage,
                 organisation_id=incident.organisation_id,
                 details={"incident": incident.pk, "number": number})
    return stage


@transaction.atomic
def nis2_update(
    *,
    incident: Nis2Incident,
    acting_user: Any,
    handled_at: datetime | None = None,
    reopen: bool = False,
    csirt_reference: str | None = None,
    aware_at: datetime | None = None,
) -> Nis2Incident:
    """Record the end of handling (or reopen), the CSIRT's reference, or correct the moment of
    becoming aware while nothing has been submitted yet."""
    incident = _incident_for_update(incident, acting_user)
    changed: dict[str, Any] = {}
    if aware_at is not None:
        aware_at = _aware(aware_at, "aware_at")
        _not_future(aware_at, "aware_at")
        if incident.stages.filter(submitted_at__isnull=False).exists():
            raise DomainError(_("The moment of becoming aware cannot change after a report "
                                "was submitted."), field="aware_at")
        incident.aware_at = aware_at
        changed["aware_at"] = aware_at.isoformat()
    if handled_at is not None:
        handled_at = _aware(handled_at, "handled_at")
        _not_future(handled_at, "handled_at")
        if handled_at < incident.aware_at:
            raise DomainError(_("Handling cannot end before the incident became known."),
                              field="handled_at")
        incident.handled_at = handled_at
        changed["handled_at"] = handled_at.isoformat()
    elif reopen:
        incident.handled_at = None
        changed["handled_at"] = None
    if csirt_reference is not None:
        incident.csirt_reference = clean_text(csirt_reference, field="csirt_reference",
                                              max_length=100, label=_("Reference"))
        changed["csirt_reference"] = incident.csirt_reference
    incident.save()
    audit_record(action="resilience.nis2.update", actor=acting_user, obj=incident,
                 organisation_id=incident.organisation_id, details=changed)
    return incident


@transaction.atomic
def nis2_export_record(*, incident: Nis2Incident, acting_user: Any, fmt: str) -> None:
    _nis2_allowed(acting_user, incident.report)
    audit_record(action="resilience.nis2.export", actor=acting_user, obj=incident,
                 organisation_id=incident.organisation_id,
                 details={"format": fmt, "tlp": incident.report.tlp})


# ---- incident picture ----


def _picture_editor(user: Any, report: Report) -> None:
    """Coordinators and the report's own organisation keep the picture; both must see it."""
    if not viewer_for(user).reads_content or not can_moderate(user, report):
        raise NotFound(_("Report not found."))


@transaction.atomic
def picture_start(*, report: Report, acting_user: Any) -> IncidentPicture:
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not can_view(acting_user, report):
        raise NotFound(_("Report not found."))
    _picture_editor(acting_user, report)
    if report.kind != Report.Kind.INCIDENT:
        raise DomainError(_("Only an incident report gets an incident picture."),
                          field="report")
    if report.status != Status.PUBLISHED:
        raise DomainError(_("Publish the incident report first."), field="report")
    picture, created = IncidentPicture.objects.get_or_create(
        report=report, defaults={"started_by": acting_user})
    if created:
        followers = {acting_user.pk, report.author_id}
        PictureFollower.objects.bulk_create(
            [PictureFollower(picture=picture, user_id=pk) for pk in followers],
            ignore_conflicts=True)
        audit_record(action="resilience.picture.start", actor=acting_user, obj=picture,
                     details={"report": report.pk, "tlp": report.tlp})
    return picture


@transaction.atomic
def picture_set_summary(*, picture: IncidentPicture, acting_user: Any, summary: str,
                        state: str) -> IncidentPicture:
    """Keep the short picture at the top current, and the status."""
    picture = IncidentPicture.objects.select_for_update().select_related("report").get(
        pk=picture.pk)
    _picture_editor(acting_user, picture.report)
    if state not in IncidentPicture.State.values:
        raise DomainError(_("Unknown status."), field="state")
    picture.summary = clean_text(summary, field="summary", max_length=2000,
                                 label=_("Current picture"))
    picture.state = state
    picture.summary_updated_at = timezone.now()
    picture.summary_updated_by = acting_user
    picture.save()
    audit_record(action="resilience.picture.summary", actor=acting_user, obj=picture,
                 details={"report": picture.report_id, "state": state})
    _notify_followers(picture, acting_user)
    return picture


@transaction.atomic
def picture_add_update(
    *,
    picture: IncidentPicture,
    acting_user: Any,
    at: datetime | None = None,
    **sections: str,
) -> PictureUpdate:
    """A dated entry on the timeline: what is known, affected, on fall-back, done, indicators,
    advice to the other regions. Followers are told once it is stored."""
    picture = IncidentPicture.objects.select_for_update().select_related("report").get(
        pk=picture.pk)
    _picture_editor(acting_user, picture.report)
    unknown = sorted(set(sections) - set(PictureUpdate.SECTIONS))
    if unknown:
        raise DomainError(_("Unknown field(s): %(names)s") % {"names": ", ".join(unknown)},
                          field=unknown[0])
    cleaned = {
        name: clean_text(sections.get(name), field=name, max_length=5000,
                         label=str(SECTION_LABELS[name]))
        for name in PictureUpdate.SECTIONS
    }
    if not any(cleaned.values()):
        raise DomainError(_("Fill in at least one part of the update."), field="known")
    moment = _aware(at, "at") if at is not None else timezone.now()
    _not_future(moment, "at")
    viewer = viewer_for(acting_user)
    update = PictureUpdate.objects.create(
        picture=picture, at=moment, author=acting_user,
        organisation_id=viewer.organisation_id or picture.report.organisation_id, **cleaned)
    picture.save(update_fields=["updated_at"])
    audit_record(action="resilience.picture.update", actor=acting_user, obj=update,
                 details={"report": picture.report_id})
    _notify_followers(picture, acting_user)
    return update


def _notify_followers(picture: IncidentPicture, acting_user: Any) -> None:
    from vrisac.accounts.models import User
    from vrisac.notifications.services import notify_incident_update

    report = picture.report

    def send() -> None:
        followers = User.objects.filter(
            pk__in=picture.followers.exclude(user_id=acting_user.pk).values("user_id"))
        notify_incident_update(report=report, recipients=followers)

    transaction.on_commit(send)


@transaction.atomic
def picture_follow(*, picture: IncidentPicture, user: Any, follow: bool = True) -> bool:
    if not viewer_for(user).reads_content or not can_view(user, picture.report):
        raise NotFound(_("Report not found."))
    if follow:
        PictureFollower.objects.get_or_create(picture=picture, user=user)
    else:
        PictureFollower.objects.filter(picture=picture, user=user).delete()
    audit_record(action="resilience.picture.follow" if follow else
                 "resilience.picture.unfollow", actor=user, obj=picture)
    return follow


@transaction.atomic
def picture_export_record(*, picture: IncidentPicture, acting_user: Any) -> None:
    if not can_view(acting_user, picture.report):
        raise NotFound(_("Report not found."))
    audit_record(action="resilience.picture.export", actor=acting_user, obj=picture,
                 details={"report": picture.report_id, "tlp": picture.report.tlp})


# ---- requests for information ----

RFI_LABELS = (TLP.CLEAR, TLP.GREEN, TLP.AMBER)


@transaction.atomic
def rfi_create(*, author: Any, title: str, body: str = "", tlp: str = TLP.AMBER,
               anonymous: bool = False) -> InformationRequest:
    """Ask all participants a question, anonymously if chosen."""
    viewer = viewer_for(author)
    if not viewer.is_participant or viewer.organisation_id is None:
        raise NotAllowed(_("Only participants and coordinators ask the participants."))
    if tlp not in RFI_LABELS:
        raise DomainError(_("A question to all participants is TLP:CLEAR, TLP:GREEN or "
                            "TLP:AMBER."), field="tlp")
    validate_sharing(tlp=tlp, audience=Audience.PARTICIPANTS)
    request = InformationRequest.objects.create(
        title=clean_text(title, field="title", max_length=200, required=True,
                         label=_("Question")),
        body=clean_text(body, field="body", max_length=10_000, label=_("Details")),
        tlp=tlp, audience=Audience.PARTICIPANTS, anonymous=anonymous,
        status=Status.PUBLISHED, published_at=timezone.now(),
        organisation_id=viewer.organisation_id, author=author)
    audit_record(action="resilience.rfi.create", actor=author, obj=request,
                 details={"tlp": tlp, "anonymous": anonymous})
    return request


@transaction.atomic
def rfi_answer(*, request: InformationRequest, author: Any, body: str,
               anonymous: bool = False) -> InformationAnswer:
    viewer = viewer_for(author)
    request = InformationRequest.objects.select_for_update().get(pk=request.pk)
    if not viewer.is_participant or not can_view(author, request):
        raise NotFound(_("Question not found."))
    if request.closed_at is not None or request.status != Status.PUBLISHED:
        raise DomainError(_("This question is closed."), field="body")
    answer = InformationAnswer.objects.create(
        request=request, author=author, organisation_id=viewer.organisation_id or 0,
        anonymous=anonymous,
        body=clean_text(body, field="body", max_length=10_000, required=True,
                        label=_("Answer")))
    audit_record(action="resilience.rfi.answer", actor=author, obj=answer,
                 details={"request": request.pk, "anonymous": anonymous})
    return answer


@transaction.atomic
def rfi_close(*, request: InformationRequest, acting_user: Any) -> InformationRequest:
    """The asker (or a colleague of the asking organisation) closes the question."""
    request = InformationRequest.objects.select_for_update().get(pk=request.pk)
    viewer = viewer_for(acting_user)
    if not can_view(acting_user, request) or not (
            request.author_id == viewer.user_id
            or request.organisation_id in viewer.organisation_ids):
        raise NotFound(_("Question not found."))
    request.closed_at = request.closed_at or timezone.now()
    request.save(update_fields=["closed_at"])
    audit_record(action="resilience.rfi.close", actor=acting_user, obj=request)
    return request


# ---- meetings ----


def _organisation_id(user: Any) -> int:
    organisation_id = viewer_for(user).organisation_id
    if organisation_id is None:
        raise NotAllowed(_("Only members of an organisation can do this."))
    return organisation_id


def _require_meeting_organiser(user: Any, meeting: Meeting | None = None) -> None:
    viewer = viewer_for(user)
    if not viewer.is_coordinator:
        raise NotAllowed(_("Only ISAC coordinators organise meetings."))
    if meeting is not None and not can_view(user, meeting):
        raise NotFound(_("Meeting not found."))


@transaction.atomic
def meeting_create(*, author: Any, title: str, starts_at: datetime, location: str = "",
                   agenda: str = "", tlp: str = TLP.GREEN) -> Meeting:
    _require_meeting_organiser(author)
    if tlp not in (TLP.CLEAR, TLP.GREEN, TLP.AMBER):
        raise DomainError(_("The agenda goes to all participants: TLP:CLEAR, TLP:GREEN or "
                            "TLP:AMBER."), field="tlp")
    validate_sharing(tlp=tlp, audience=Audience.PARTICIPANTS)
    meeting = Meeting.objects.create(
        title=clean_text(title, field="title", max_length=200, required=True,
                         label=_("Title")),
        starts_at=_aware(starts_at, "starts_at"),
        location=clean_text(location, field="location", max_length=200, label=_("Location")),
        agenda=clean_text(agenda, field="agenda", max_length=10_000, label=_("Agenda")),
        tlp=tlp, audience=Audience.PARTICIPANTS, status=Status.PUBLISHED,
        organisation_id=_organisation_id(author), author=author)
    audit_record(action="resilience.meeting.create", actor=author, obj=meeting,
                 details={"tlp": tlp})
    return meeting


def _present(meeting: Meeting) -> list[Any]:
    from vrisac.accounts.models import User

    return list(User.objects.filter(
        pk__in=meeting.attendance.filter(state=Attendance.State.PRESENT).values("user_id")))


def _sync_red_items(meeting: Meeting) -> None:
    """A TLP:RED item is shared with exactly the people present."""
    present = _present(meeting)
    for item in meeting.minutes.filter(tlp=TLP.RED):
        item.audience_people.set(present)


@transaction.atomic
def attendance_record(*, meeting: Meeting, acting_user: Any,
                      entries: Mapping[int, str]) -> int:
    """Record who was present, excused or absent (user id -> state). TLP:RED minutes follow
    the new list of people present."""
    _require_meeting_organiser(acting_user, meeting)
    from vrisac.accounts.models import User
    from vrisac.organisations.models import Membership

    allowed = set(User.objects.filter(
        is_active=True, pk__in=Membership.objects.current()
        .filter(role__in=PARTICIPANT_ROLES).values("user_id"),
    ).filter(pk__in=list(entries)).values_list("pk", flat=True))
    for user_id, state in entries.items():
        if user_id not in allowed:
            raise DomainError(_("Person %(id)s is not a participant.") % {"id": user_id},
                              field="attendance")
        if state not in Attendance.State.values and state != "":
            raise DomainError(_("Unknown attendance status."), field="attendance")
    for user_id, state in entries.items():
        if state:
            Attendance.objects.update_or_create(
                meeting=meeting, user_id=user_id,
                defaults={"state": state, "recorded_by": acting_user})
        else:
            Attendance.objects.filter(meeting=meeting, user_id=user_id).delete()
    _sync_red_items(meeting)
    audit_record(action="resilience.meeting.attendance", actor=acting_user, obj=meeting,
                 details={"present": sorted(k for k, v in entries.items() if v == "present")})
    return len(entries)


@transaction.atomic
def minutes_item_add(*, meeting: Meeting, acting_user: Any, heading: str, body: str = "",
                     tlp: str = TLP.AMBER) -> MinutesItem:
    """Add an item to the minutes; a TLP:RED item is for the people present only. Items stay
    drafts until the minutes are published."""
    _require_meeting_organiser(acting_user, meeting)
    people: list[Any] = []
    if tlp == TLP.RED:
        people = _present(meeting)
        if not people:
            raise DomainError(_("Record who was present before adding a TLP:RED item."),
                              field="tlp")
        audience = Audience.PEOPLE
    else:
        audience = Audience.PARTICIPANTS
    if tlp not in TLP.values or tlp == TLP.CLEAR:
        raise DomainError(_("Minutes are TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED."),
                          field="tlp")
    validate_sharing(tlp=tlp, audience=audience, people=people)
    published = meeting.minutes.filter(status=Status.PUBLISHED).exists()
    item = MinutesItem.objects.create(
        meeting=meeting, position=meeting.minutes.count() + 1,
        heading=clean_text(heading, field="heading", max_length=200, required=True,
                           label=_("Heading")),
        body=clean_text(body, field="body", max_length=20_000, label=_("Text")),
        tlp=tlp, audience=audience,
        status=Status.PUBLISHED if published else Status.DRAFT,
        organisation_id=_organisation_id(acting_user), author=acting_user)
    if people:
        item.audience_people.set(people)
    audit_record(action="resilience.minutes.add", actor=acting_user, obj=item,
                 details={"meeting": meeting.pk, "tlp": tlp})
    return item


@transaction.atomic
def minutes_publish(*, meeting: Meeting, acting_user: Any) -> int:
    _require_meeting_organiser(acting_user, meeting)
    count = meeting.minutes.filter(status=Status.DRAFT).update(status=Status.PUBLISHED)
    audit_record(action="resilience.minutes.publish", actor=acting_user, obj=meeting,
                 details={"items": count})
    return count


# ---- NIS2 deadline reminders ----

#: How long before a deadline the reminder goes out, per stage.
REMINDER_LEAD = {
    nis2.EARLY_WARNING: timedelta(hours=6),
    nis2.INCIDENT_NOTIFICATION: timedelta(hours=24),
    nis2.INTERMEDIATE_REPORT: timedelta(hours=24),
    nis2.FINAL_REPORT: timedelta(days=7),
}


def nis2_reminder_recipients(incident: Nis2Incident) -> list[Any]:
    """The incident organisation's own people who may see the incident report."""
    from vrisac.organisations.models import Membership
    from vrisac.sharing.policy import CONTENT_ROLES, users_with_access

    members = Membership.objects.current().filter(
        organisation_id=incident.organisation_id, role__in=CONTENT_ROLES).values("user_id")
    return list(users_with_access(incident.report).filter(pk__in=members).order_by("pk"))


def nis2_send_reminders(*, now: datetime | None = None) -> dict[str, int]:
    """E-mail the organisation of each tracked incident before a deadline (and once when it
    has passed). Each reminder goes once per deadline: a moved deadline gets its own. A mail
    that cannot be sent leaves no record, so the next run tries again."""
    from django.conf import settings
    from django.core.mail import EmailMessage, get_connection
    from django.template.loader import render_to_string
    from django.utils import translation

    from vrisac.sharing.tlp import NO_CONTENT_IN_EMAIL

    from .models import Nis2Reminder
    from .selectors import stage_infos

    now = now or timezone.now()
    sent = checked = 0
    incidents = (Nis2Incident.objects.select_related("report", "organisation")
                 .prefetch_related("stages", "stages__reminders")
                 .filter(stages__submitted_at__isnull=True).distinct())
    for incident in incidents:
        for info in stage_infos(incident, now=now):
            checked += 1
            if info.due is None or info.row.submitted_at is not None:
                continue
            lead = REMINDER_LEAD[info.stage]
            if info.due <= now:
                kind = Nis2Reminder.Kind.OVERDUE
            elif info.due - lead <= now:
                kind = Nis2Reminder.Kind.BEFORE
            else:
                continue
            if any(r.kind == kind and r.due == info.due for r in info.row.reminders.all()):
                continue
            recipients = nis2_reminder_recipients(incident)
            with transaction.atomic():
                reminder, created = Nis2Reminder.objects.get_or_create(
                    stage=info.row, kind=kind, due=info.due,
                    defaults={"recipients": len(recipients)})
                if not created:
                    continue
                report = incident.report
                with translation.override(settings.LANGUAGE_CODE):
                    context = {
                        "incident": incident, "info": info, "kind": kind,
                        "due_local": nis2.local(info.due),
                        "link": settings.SITE_URL + incident.get_absolute_url(),
                        "title": "" if report.tlp in NO_CONTENT_IN_EMAIL else report.title,
                        "tlp": report.tlp,
                    }
                    subject = (_("NIS2: %(stage)s overdue") if kind == Nis2Reminder.Kind.OVERDUE
                               else _("NIS2: %(stage)s due %(due)s")) % {
                        "stage": info.label,
                        "due": nis2.local(info.due).strftime("%d-%m-%Y %H:%M")}
                    connection = get_connection()
                    messages = []
                    for user in recipients:
                        body = render_to_string("resilience/email/nis2_reminder.txt",
                                                {**context, "recipient": user})
                        messages.append(EmailMessage(subject=f"[VR-ISAC] {subject}", body=body,
                                                     to=[user.email], connection=connection))
                    connection.send_messages(messages)
                audit_record(action="resilience.nis2.reminder", obj=reminder,
                             organisation_id=incident.organisation_id,
                             actor_label="scheduler",
                             details={"incident": incident.pk, "stage": info.stage,
                                      "kind": kind, "recipients": len(recipients)})
                sent += 1
    return {"reminders": sent, "stages_checked": checked}
