"""Forms of the resilience pages. They collect input; the rules live in the services."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vrisac.sharing.models import Audience
from vrisac.sharing.tlp import TLP

from . import nis2
from .models import Adoption, Advice, Attendance, ImprovementAction, IncidentPicture, Maturity


class LocalDateTimeField(forms.DateTimeField):
    """A moment typed on the clock of Europe/Amsterdam, returned as an aware UTC datetime.

    A time that does not exist there (the hour skipped on the last Sunday of March) is
    refused; a time that occurs twice (the last Sunday of October) is taken at its first
    occurrence.
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        wall = None
        for fmt in self.input_formats:
            try:
                wall = datetime.strptime(str(value).strip(), fmt)
                break
            except ValueError:
                continue
        if wall is None:
            raise forms.ValidationError(_("Enter a date and time."), code="invalid")
        moment = wall.replace(tzinfo=nis2.AMSTERDAM, fold=0)
        back = moment.astimezone(UTC).astimezone(nis2.AMSTERDAM).replace(tzinfo=None)
        if back != wall:
            raise forms.ValidationError(
                _("%(time)s does not exist in the Netherlands (the clocks moved forward)."),
                params={"time": wall.strftime("%d-%m-%Y %H:%M")}, code="nonexistent")
        return moment.astimezone(UTC)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            return nis2.local(value).strftime("%Y-%m-%dT%H:%M")
        return value


LEVEL_CHOICES = [("", _("— not scored —")), *[(str(v), label) for v, label in Maturity.choices]]


class AssessmentForm(forms.Form):
    """A level and evidence per measure."""

    def __init__(self, *args: Any, measures: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.measures = measures
        for m in measures:
            self.fields[f"level_{m.key}"] = forms.ChoiceField(
                label=_("Maturity"), choices=LEVEL_CHOICES, required=False)
            self.fields[f"evidence_{m.key}"] = forms.CharField(
                label=_("Evidence"), required=False, max_length=5000,
                widget=forms.Textarea(attrs={"rows": 2}))

        self.fields["reason"] = forms.CharField(
            label=_("Reason for the correction"), required=False, max_length=1000,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=_("Only for a correction of submitted scores: an ISAC coordinator "
                        "reads it with the size of each change, never your scores."))

    def rows(self) -> list[tuple[Any, Any, Any]]:
        return [(m, self[f"level_{m.key}"], self[f"evidence_{m.key}"]) for m in self.measures]

    def scores(self) -> dict[str, tuple[int | None, str]]:
        data = self.cleaned_data
        return {
            m.key: (int(data[f"level_{m.key}"]) if data[f"level_{m.key}"] != "" else None,
                    data[f"evidence_{m.key}"])
            for m in self.measures
        }


class CorrectionDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[
        ("accept", _("Accept")), ("refuse", _("Refuse"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=500,
                           help_text=_("Required when you refuse: the organisation reads it."))


class ActionForm(forms.Form):
    measure = forms.ChoiceField(label=_("Measure"))
    title = forms.CharField(label=_("Action"), max_length=300)
    owner = forms.CharField(label=_("Owner"), max_length=150,
                            help_text=_("The person or role responsible."))
    due_date = forms.DateField(label=_("Due date"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, measures: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = [  # type: ignore[attr-defined]
            (m.key, f"{m.key}. {m.title}") for m in measures]


class ActionStateForm(forms.Form):
    state = forms.ChoiceField(label=_("Status"), choices=ImprovementAction.State.choices)


class Nis2StartForm(forms.Form):
    aware_at = LocalDateTimeField(
        label=_("Became aware of the incident at"),
        help_text=_("Time in the Netherlands. The deadlines count from this moment."))


def stage_form_class(kind: str) -> type[forms.Form]:
    """A form with the fields the directive asks of a stage (``nis2.STAGE_FIELDS``)."""
    fields: dict[str, forms.Field] = {}
    for spec in nis2.STAGE_FIELDS[kind]:
        if spec.kind == "choice":
            fields[spec.name] = forms.ChoiceField(
                label=spec.label, required=spec.required,
                choices=[("", "—"), *spec.choices])
        else:
            fields[spec.name] = forms.CharField(
                label=spec.label, required=spec.required, max_length=spec.max_length,
                widget=forms.Textarea(attrs={"rows": 4}))
    return type(f"Stage_{kind}_Form", (forms.Form,), fields)


class IntermediateRequestForm(forms.Form):
    requested_at = LocalDateTimeField(label=_("Requested at"))
    due = LocalDateTimeField(label=_("Deadline given by the CSIRT"), required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class Nis2UpdateForm(forms.Form):
    handled_at = LocalDateTimeField(label=_("Handling ended at"), required=False)
    csirt_reference = forms.CharField(label=_("Reference of the CSIRT"), max_length=100,
                                      required=False)


class PictureSummaryForm(forms.Form):
    state = forms.ChoiceField(label=_("Status"), choices=IncidentPicture.State.choices)
    summary = forms.CharField(label=_("Current picture"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("A few sentences: where things stand now."))


class PictureUpdateForm(forms.Form):
    at = LocalDateTimeField(label=_("Moment"), required=False,
                            help_text=_("Leave empty for now."))
    known = forms.CharField(label=_("What is known"), required=False, max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 3}))
    affected = forms.CharField(label=_("What is affected"), required=False, max_length=5000,
                               widget=forms.Textarea(attrs={"rows": 2}))
    fallback = forms.CharField(label=_("Services running on fall-back"), required=False,
                               max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    actions = forms.CharField(label=_("Actions taken"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    indicators = forms.CharField(label=_("Indicators"), required=False, max_length=5000,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    advice = forms.CharField(label=_("Advice to the other regions"), required=False,
                             max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


ADVICE_AUDIENCES = [(a, label) for a, label in Audience.choices
                    if a in (Audience.PARTICIPANTS, Audience.PARTNERS, Audience.PUBLIC)]


class MeasuresMixin(forms.Form):
    level = forms.ChoiceField(label=_("Level"), choices=Advice.Level.choices,
                              widget=forms.RadioSelect, initial=Advice.Level.TACTICAL)
    measures = forms.MultipleChoiceField(label=_("NIS2 measures"),
                                         widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, measures: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measures"].choices = [  # type: ignore[attr-defined]
            (m.key, f"{m.key}. {m.title}") for m in measures]


class AdviceForm(MeasuresMixin):
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(label=_("Summary"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    body = forms.CharField(label=_("Text"), max_length=200_000, required=False,
                           widget=forms.Textarea(attrs={"rows": 10, "class": "tall"}),
                           help_text=_("Markdown: **bold**, *italic*, lists and links."))
    tlp = forms.ChoiceField(label=_("TLP label"), widget=forms.RadioSelect, initial=TLP.GREEN,
                            choices=[(t, t) for t in (TLP.CLEAR, TLP.GREEN, TLP.AMBER)])
    audience = forms.ChoiceField(label=_("Share with"), choices=ADVICE_AUDIENCES,
                                 widget=forms.RadioSelect, initial=Audience.PARTICIPANTS)
    field_order = ["title", "summary", "body", "level", "measures", "tlp", "audience"]


class AdviceLinkForm(MeasuresMixin):
    report = forms.ChoiceField(label=_("Advice report"))
    field_order = ["report", "level", "measures"]

    def __init__(self, *args: Any, reports: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["report"].choices = [(str(r.pk), r.title)  # type: ignore[attr-defined]
                                         for r in reports]


class AdoptionForm(forms.Form):
    state = forms.ChoiceField(label=_("Your organisation"), choices=Adoption.State.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class RfiForm(forms.Form):
    title = forms.CharField(label=_("Question"), max_length=200,
                            help_text=_("For example: has anyone seen this?"))
    body = forms.CharField(label=_("Details"), max_length=10_000, required=False,
                           widget=forms.Textarea(attrs={"rows": 5}))
    tlp = forms.ChoiceField(label=_("TLP label"), widget=forms.RadioSelect, initial=TLP.AMBER,
                            choices=[(t, t) for t in (TLP.CLEAR, TLP.GREEN, TLP.AMBER)])
    anonymous = forms.BooleanField(
        label=_("Ask anonymously (others see \"a VR-ISAC participant\")"), required=False)


class AnswerForm(forms.Form):
    body = forms.CharField(label=_("Your answer"), max_length=10_000,
                           widget=forms.Textarea(attrs={"rows": 4}))
    anonymous = forms.BooleanField(label=_("Answer anonymously"), required=False)


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = LocalDateTimeField(label=_("Starts at"))
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    agenda = forms.CharField(label=_("Agenda"), max_length=10_000, required=False,
                             widget=forms.Textarea(attrs={"rows": 8}))
    tlp = forms.ChoiceField(label=_("TLP label of the agenda"), widget=forms.RadioSelect,
                            initial=TLP.GREEN,
                            choices=[(t, t) for t in (TLP.CLEAR, TLP.GREEN, TLP.AMBER)])


ATTENDANCE_CHOICES = [("", "—"), *Attendance.State.choices]


class AttendanceForm(forms.Form):
    def __init__(self, *args: Any, people: list[Any], current: dict[int, str],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = people
        for person in people:
            self.fields[f"person_{person.pk}"] = forms.ChoiceField(
                label=str(person), choices=ATTENDANCE_CHOICES, required=False,
                initial=current.get(person.pk, ""))

    def entries(self) -> dict[int, str]:
        return {p.pk: self.cleaned_data.get(f"person_{p.pk}") or "" for p in self.people}


class MinutesItemForm(forms.Form):
    heading = forms.CharField(label=_("Heading"), max_length=200)
    body = forms.CharField(label=_("Text"), max_length=20_000, required=False,
                           widget=forms.Textarea(attrs={"rows": 5}))
    tlp = forms.ChoiceField(
        label=_("TLP label"), widget=forms.RadioSelect, initial=TLP.AMBER,
        choices=[(t, t) for t in (TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)],
        help_text=_("TLP:RED items are visible to the people present only."))
