"""Resilience: NIS2 self-assessment, advice and adoption, NIS2 incident reporting, incident
pictures, requests for information and ISAC meetings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from vrisac.reports.models import Report
from vrisac.sharing.models import SharedContent
from vrisac.sharing.policy import SharedQuerySet
from vrisac.sharing.tlp import TLP

from . import nis2
from .periods import Period

#: The kinds of organisation that assess themselves, record adoption and form the benchmark.
ASSESSING_KINDS = ("region", "institute")


class Measure(models.Model):
    """One of the ten cybersecurity risk-management measures of NIS2 Article 21(2), a to j."""

    key = models.CharField(max_length=1, unique=True)
    title_en = models.CharField(max_length=300)
    title_nl = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return f"{self.key}. {self.title}"

    @property
    def title(self) -> str:
        return self.title_nl if (get_language() or "nl").startswith("nl") else self.title_en


class Maturity(models.IntegerChoices):
    NONE = 0, _("0 · none")
    INITIAL = 1, _("1 · initial")
    REPEATABLE = 2, _("2 · repeatable")
    DEFINED = 3, _("3 · defined")
    MANAGED = 4, _("4 · managed")
    OPTIMISED = 5, _("5 · optimised")


class Assessment(models.Model):
    """An organisation's self-assessment of the NIS2 measures for one quarter."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="+")
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year", "quarter"],
                                    name="one_assessment_per_organisation_and_quarter"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4),
                                   name="assessment_quarter_1_to_4"),
        ]
        indexes = [models.Index(fields=["year", "quarter", "state"])]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.period.key}"

    def get_absolute_url(self) -> str:
        return reverse("resilience:assessment", args=[self.period.key])

    @property
    def period(self) -> Period:
        return Period(self.year, self.quarter)


class Score(models.Model):
    """The maturity an organisation gives itself on one measure in one quarter, with evidence."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(choices=Maturity.choices)
    evidence = models.TextField(blank=True, max_length=5000)

    class Meta:
        ordering = ["measure__position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "measure"],
                                    name="one_score_per_measure"),
            models.CheckConstraint(condition=Q(level__lte=5), name="score_level_0_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.measure_id}={self.level}"


class AssessmentCorrection(models.Model):
    """A change of the scores an organisation submitted for a quarter, which counts in the
    benchmark only once an ISAC coordinator accepts it."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for a coordinator")
        ACCEPTED = "accepted", _("accepted")
        REFUSED = "refused", _("refused")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE,
                                   related_name="corrections")
    #: measure key -> the level asked for (all ten measures).
    levels = models.JSONField()
    reason = models.TextField(_("reason"), max_length=1000)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assessment"], condition=Q(state="pending"),
                                    name="one_pending_correction_per_assessment"),
        ]

    def __str__(self) -> str:
        return f"correction {self.assessment_id}: {self.state}"


class ImprovementAction(models.Model):
    """Something an organisation will do to raise its maturity on a measure."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")
        DROPPED = "dropped", _("dropped")

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="+")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE,
                                   related_name="actions")
    title = models.CharField(_("action"), max_length=300)
    owner = models.CharField(_("owner"), max_length=150)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    state = models.CharField(_("status"), max_length=16, choices=State.choices,
                             default=State.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["measure__position", "due_date", "pk"]

    def __str__(self) -> str:
        return self.title


# ---- advice linked to measures ----


class Advice(models.Model):
    """An advice report of the ISAC, linked to the NIS2 measures it strengthens."""

    class Level(models.TextChoices):
        TACTICAL = "tactical", _("tactical")
        STRATEGIC = "strategic", _("strategic")

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="nis2_advice")
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    measures = models.ManyToManyField(Measure, related_name="advice",
                                      verbose_name=_("NIS2 measures"))
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-linked_at"]

    def __str__(self) -> str:
        return f"advice {self.report_id}"


class Adoption(models.Model):
    """Whether an organisation adopted an advice, as its own participants recorded it."""

    class State(models.TextChoices):
        ADOPTED = "adopted", _("adopted")
        PLANNED = "planned", _("planned")
        NOT_ADOPTED = "not_adopted", _("not adopted")
        NOT_APPLICABLE = "not_applicable", _("not applicable")

    advice = models.ForeignKey(Advice, on_delete=models.CASCADE, related_name="adoptions")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="+")
    state = models.CharField(_("status"), max_length=16, choices=State.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["advice", "organisation"],
                                    name="one_adoption_per_advice_and_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.advice_id}/{self.organisation_id}: {self.state}"


# ---- NIS2 incident reporting ----


class Nis2IncidentQuerySet(models.QuerySet["Nis2Incident"]):
    def visible_to(self, user: Any) -> Nis2IncidentQuerySet:
        """Those who may see the incident report and belong to its organisation: NIS2
        reporting is the entity's own legal duty."""
        from vrisac.sharing.policy import viewer_for

        viewer = viewer_for(user)
        if not viewer.reads_content:
            return self.none()
        return self.filter(
            report__in=Report.objects.visible_to(user).values("pk"),
            organisation_id__in=viewer.organisation_ids,
        )


class Nis2Incident(models.Model):
    """The NIS2 reporting of a significant incident: its stages, deadlines and submissions."""

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="nis2")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="+")
    aware_at = models.DateTimeField(_("became aware at"))
    handled_at = models.DateTimeField(_("handling ended at"), null=True, blank=True)
    csirt_reference = models.CharField(_("reference of the CSIRT"), max_length=100,
                                       blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)

    objects = Nis2IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-aware_at"]

    def __str__(self) -> str:
        return f"NIS2 {self.pk} (report {self.report_id})"

    def get_absolute_url(self) -> str:
        return reverse("resilience:nis2_detail", args=[self.pk])

    @property
    def ongoing(self) -> bool:
        return self.handled_at is None


class Nis2Stage(models.Model):
    """One report to the CSIRT: early warning, notification, intermediate or final report."""

    class Stage(models.TextChoices):
        EARLY_WARNING = nis2.EARLY_WARNING, _("Early warning")
        INCIDENT_NOTIFICATION = nis2.INCIDENT_NOTIFICATION, _("Incident notification")
        INTERMEDIATE_REPORT = nis2.INTERMEDIATE_REPORT, _("Intermediate report")
        FINAL_REPORT = nis2.FINAL_REPORT, _("Final report")

    incident = models.ForeignKey(Nis2Incident, on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField(max_length=32, choices=Stage.choices)
    number = models.PositiveSmallIntegerField(default=1)
    #: Intermediate reports: when the CSIRT asked, and by when (if it said).
    requested_at = models.DateTimeField(null=True, blank=True)
    requested_due = models.DateTimeField(null=True, blank=True)
    request_note = models.CharField(max_length=500, blank=True)
    content = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    #: Final report only: the progress report sent in its place while the incident went on.
    progress_content = models.JSONField(default=dict, blank=True)
    progress_submitted_at = models.DateTimeField(null=True, blank=True)
    progress_submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                              on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["incident", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "stage", "number"],
                                    name="one_stage_row_per_number"),
        ]

    def __str__(self) -> str:
        return f"{self.stage} #{self.number} of {self.incident_id}"


class Nis2Reminder(models.Model):
    """A reminder e-mail sent for a stage's deadline (each one once per deadline)."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("before the deadline")
        OVERDUE = "overdue", _("deadline passed")

    stage = models.ForeignKey(Nis2Stage, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    due = models.DateTimeField()
    recipients = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stage", "kind", "due"],
                                    name="one_reminder_per_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.stage_id}"


# ---- incident picture ----


class IncidentPictureQuerySet(models.QuerySet["IncidentPicture"]):
    def visible_to(self, user: Any) -> IncidentPictureQuerySet:
        """Exactly those who see the incident report, under its label and audience."""
        return self.filter(report__in=Report.objects.visible_to(user).values("pk"))


class IncidentPicture(models.Model):
    """The living situational picture of an incident while it is handled."""

    class State(models.TextChoices):
        ACTIVE = "active", _("active")
        CONTAINED = "contained", _("contained")
        CLOSED = "closed", _("closed")

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="picture")
    state = models.CharField(_("status"), max_length=16, choices=State.choices,
                             default=State.ACTIVE)
    summary = models.TextField(_("current picture"), max_length=2000, blank=True)
    summary_updated_at = models.DateTimeField(null=True, blank=True)
    summary_updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentPictureQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"picture of {self.report_id}"

    def get_absolute_url(self) -> str:
        return reverse("resilience:picture", args=[self.report_id])


SECTION_LABELS = {
    "known": _("What is known"),
    "affected": _("What is affected"),
    "fallback": _("Services running on fall-back"),
    "actions": _("Actions taken"),
    "indicators": _("Indicators"),
    "advice": _("Advice to the other regions"),
}


class PictureUpdate(models.Model):
    """A dated entry on the timeline of an incident picture."""

    SECTIONS = ("known", "affected", "fallback", "actions", "indicators", "advice")

    picture = models.ForeignKey(IncidentPicture, on_delete=models.CASCADE,
                                related_name="updates")
    at = models.DateTimeField(_("moment"))
    known = models.TextField(SECTION_LABELS["known"], blank=True, max_length=5000)
    affected = models.TextField(SECTION_LABELS["affected"], blank=True, max_length=5000)
    fallback = models.TextField(SECTION_LABELS["fallback"], blank=True,
                                max_length=5000)
    actions = models.TextField(SECTION_LABELS["actions"], blank=True, max_length=5000)
    indicators = models.TextField(SECTION_LABELS["indicators"], blank=True, max_length=5000)
    advice = models.TextField(SECTION_LABELS["advice"], blank=True, max_length=5000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"update {self.pk} of {self.picture_id}"

    def sections(self) -> list[tuple[Any, str]]:
        return [(SECTION_LABELS[name], getattr(self, name))
                for name in self.SECTIONS if getattr(self, name)]


class PictureFollower(models.Model):
    """A person who follows an incident picture and is told of its updates."""

    picture = models.ForeignKey(IncidentPicture, on_delete=models.CASCADE,
                                related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["picture", "user"], name="follow_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.picture_id}"


# ---- requests for information ----


class InformationRequest(SharedContent):
    """A question a participant puts to all participants ("has anyone seen this?")."""

    title = models.CharField(_("question"), max_length=200)
    body = models.TextField(_("details"), max_length=10_000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = SharedQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("resilience:rfi_detail", args=[self.pk])


class AnswerQuerySet(models.QuerySet["InformationAnswer"]):
    def visible_to(self, user: Any) -> AnswerQuerySet:
        """An answer is seen by exactly those who see the question."""
        return self.filter(
            request__in=InformationRequest.objects.visible_to(user).values("pk"))


class InformationAnswer(models.Model):
    """An answer in the thread of a request for information."""

    request = models.ForeignKey(InformationRequest, on_delete=models.CASCADE,
                                related_name="answers")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="+")
    anonymous = models.BooleanField(_("answer anonymously"), default=False)
    body = models.TextField(_("answer"), max_length=10_000)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"answer {self.pk} to {self.request_id}"


# ---- meetings ----


class Meeting(SharedContent):
    """An ISAC meeting with its agenda, attendance and minutes."""

    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    agenda = models.TextField(_("agenda"), max_length=10_000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SharedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("resilience:meeting", args=[self.pk])


class Attendance(models.Model):
    """Whether a person was at a meeting: present, excused or absent."""

    class State(models.TextChoices):
        PRESENT = "present", _("present")
        EXCUSED = "excused", _("excused")
        ABSENT = "absent", _("absent")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+")
    state = models.CharField(max_length=16, choices=State.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="attend_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.state} at {self.meeting_id}"


class MinutesItem(SharedContent):
    """One item of a meeting's minutes under its own label: TLP:AMBER by default; a TLP:RED
    item is shared with the people present only."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="minutes")
    position = models.PositiveSmallIntegerField(default=0)
    heading = models.CharField(_("heading"), max_length=200)
    body = models.TextField(_("text"), max_length=20_000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SharedQuerySet.as_manager()

    class Meta:
        ordering = ["meeting", "position", "pk"]

    def __str__(self) -> str:
        return self.heading


#: The label new minutes items get unless the minute-taker chooses another.
DEFAULT_MINUTES_TLP = TLP.AMBER
