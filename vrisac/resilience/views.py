"""Pages of resilience. Thin: they call services and selectors; not allowed answers 404."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import orjson
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vrisac.core.errors import DomainError, NotAllowed, NotFound
from vrisac.core.paging import page_of
from vrisac.core.types import AuthenticatedRequest
from vrisac.reports.selectors import report_get
from vrisac.sharing.policy import can_moderate, viewer_for

from . import charts, forms, nis2, pdf, selectors, services, strategic
from .models import Nis2Stage
from .periods import Period, recent

View = Callable[..., HttpResponse]


def hidden(view: View) -> View:
    """Not allowed and not found answer the same: 404."""

    @functools.wraps(view)
    def wrapper(request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (NotFound, NotAllowed, PermissionDenied):
            raise Http404 from None

    return login_required(wrapper)


def _form_error(form: Any, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _apply(request: AuthenticatedRequest, form: Any, action: Callable[[dict[str, Any]], Any],
           success: str) -> None:
    """Run a service with a bound form's data and say what happened in a message. Not found
    stays not found (404); another refusal becomes an error message naming what was wrong."""
    if not form.is_valid():
        messages.error(request, " ".join(f"{form.fields[f].label}: {e[0]}"
                                         for f, e in form.errors.items() if f in form.fields))
        return
    try:
        action(form.cleaned_data)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return
    messages.success(request, success)


def _period(key: str | None) -> Period:
    if not key:
        return Period.current()
    try:
        return Period.parse(key)
    except ValueError:
        raise Http404 from None


def _own(request: AuthenticatedRequest) -> Any:
    organisation = selectors.own_organisation(request.user)
    if organisation is None:
        raise Http404
    return organisation


def _file(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _svg(figure: Any) -> HttpResponse:
    """A chart as its own resource: matplotlib's SVG has a <style> block and style attributes,
    which the page's policy would block inline; shown through <img> it runs nothing."""
    response = HttpResponse(charts.render(figure, "svg"), content_type=charts.SVG)
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
    response["Cache-Control"] = "private, max-age=60"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---- the hub ----


@login_required
def index(request: AuthenticatedRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    organisation = selectors.own_organisation(request.user)
    period = Period.current()
    context: dict[str, Any] = {"organisation": organisation, "period": period,
                               "viewer": viewer}
    if viewer.is_coordinator:
        context["corrections_waiting"] = selectors.corrections_waiting()
    if organisation is not None:
        context["assessment"] = selectors.assessment_get(user=request.user, period=period)
        context["open_actions"] = selectors.action_list(user=request.user).exclude(
            state__in=["done", "dropped"]).count()
    if viewer.reads_content:
        context["incidents"] = list(selectors.nis2_list(user=request.user)[:5])
        context["pictures"] = list(selectors.picture_list(user=request.user)
                                   .exclude(state="closed")[:5])
        context["questions"] = list(selectors.rfi_list(user=request.user)
                                    .filter(closed_at__isnull=True)[:5])
        context["meetings"] = list(selectors.meeting_list(user=request.user)[:3])
    return render(request, "resilience/index.html", context)


# ---- self-assessment ----


@hidden
def assessment(request: AuthenticatedRequest, period: str) -> HttpResponse:
    quarter = _period(period)
    organisation = _own(request)
    measures = selectors.measure_list()
    existing = selectors.assessment_get(user=request.user, period=quarter)
    initial: dict[str, Any] = {}
    source = existing
    if source is None:
        history = [a for a in selectors.assessment_history(user=request.user)
                   if a.period < quarter]
        source = history[-1] if history else None
    if source is not None:
        for s in source.scores.all():
            key = next(m.key for m in measures if m.pk == s.measure_id)
            initial[f"level_{key}"] = str(s.level)
            initial[f"evidence_{key}"] = s.evidence
    form = forms.AssessmentForm(request.POST or None, initial=initial, measures=measures)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.assessment_get_or_start(acting_user=request.user, period=quarter)
            if "correct" in request.POST:
                services.correction_request(assessment=record, acting_user=request.user,
                                            scores=form.scores(),
                                            reason=form.cleaned_data["reason"])
                done = _("Your correction was sent. It counts in the benchmark once an ISAC "
                         "coordinator accepts it; until then your submitted scores count.")
            else:
                submit = "submit" in request.POST
                services.assessment_save(assessment=record, acting_user=request.user,
                                         scores=form.scores(), submit=submit)
                done = (_("Submitted: your scores count in the benchmark.") if submit
                        else _("Saved."))
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("resilience:assessment", period=quarter.key)
    actions = selectors.action_list(user=request.user)
    correction = selectors.correction_latest(assessment=existing)
    submitted = {s.measure.key: s.level for s in existing.scores.all()} if existing else {}
    return render(request, "resilience/assessment.html", {
        "period": quarter, "organisation": organisation, "assessment": existing,
        "correction": correction,
        "asked": [(key, level) for key, level in sorted(correction.levels.items())
                  if submitted.get(key) != level] if correction else [],
        "copied_from": source if existing is None else None,
        "form": form, "action_form": forms.ActionForm(measures=measures),
        "actions": actions, "state_choices": forms.ActionStateForm.base_fields["state"]
        .choices,  # type: ignore[attr-defined]
        "previous": quarter.previous(),
        "next": quarter.next() if quarter < Period.current() else None,
    })


@hidden
@require_POST
def action_create(request: AuthenticatedRequest, period: str) -> HttpResponse:
    quarter = _period(period)

    def add(data: dict[str, Any]) -> Any:
        record = services.assessment_get_or_start(acting_user=request.user, period=quarter)
        return services.action_create(
            assessment=record, acting_user=request.user, measure_key=data["measure"],
            title=data["title"], owner=data["owner"], due_date=data["due_date"])

    _apply(request, forms.ActionForm(request.POST, measures=selectors.measure_list()), add,
           _("The action was added."))
    return redirect(reverse("resilience:assessment", args=[quarter.key]) + "#actions")


@hidden
@require_POST
def action_update(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    action = selectors.action_get(user=request.user, pk=pk)
    _apply(request, forms.ActionStateForm(request.POST),
           lambda data: services.action_update(action=action, acting_user=request.user,
                                               state=data["state"]),
           _("The action was updated."))
    return redirect(reverse("resilience:assessment", args=[action.assessment.period.key])
                    + "#actions")


def _history_series(history: list[Any], measures: list[Any]
                    ) -> tuple[list[str], dict[str, list[int | None]]]:
    labels = [a.period.label for a in history]
    series: dict[str, list[int | None]] = {m.key: [] for m in measures}
    for a in history:
        levels = {s.measure_id: s.level for s in a.scores.all()}
        for m in measures:
            series[m.key].append(levels.get(m.pk))
    return labels, series


@hidden
def history(request: AuthenticatedRequest) -> HttpResponse:
    organisation = _own(request)
    measures = selectors.measure_list()
    items = selectors.assessment_history(user=request.user)
    labels, series = _history_series(items, measures)
    rows = [(m, series[m.key]) for m in measures]
    return render(request, "resilience/history.html", {
        "organisation": organisation, "assessments": items, "labels": labels, "rows": rows})


@hidden
def history_chart(request: AuthenticatedRequest) -> HttpResponse:
    _own(request)
    labels, series = _history_series(selectors.assessment_history(user=request.user),
                                     selectors.measure_list())
    return _svg(charts.own_history_chart(labels, series))


@hidden
def benchmark_page(request: AuthenticatedRequest) -> HttpResponse:
    organisation = _own(request)
    quarter = _period(request.GET.get("period"))
    return render(request, "resilience/benchmark.html", {
        "organisation": organisation, "period": quarter,
        "periods": recent(6),
        "rows": selectors.benchmark_rows(period=quarter, organisation=organisation),
        "respondents": selectors.respondents(quarter),
        "adoption": selectors.adoption_rows(user=request.user),
    })


@hidden
def benchmark_chart(request: AuthenticatedRequest, period: str) -> HttpResponse:
    organisation = _own(request)
    rows = selectors.benchmark_rows(period=_period(period), organisation=organisation)
    return _svg(charts.benchmark_chart(rows, own_label=_("your organisation")))


# ---- corrections of submitted self-assessments (coordinators) ----


@hidden
def corrections(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "resilience/corrections.html", {
        "rows": selectors.correction_queue(user=request.user),
        "form": forms.CorrectionDecisionForm()})


@hidden
@require_POST
def correction_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    correction = selectors.correction_get(user=request.user, pk=pk)
    form = forms.CorrectionDecisionForm(request.POST)
    _apply(request, form,
           lambda data: services.correction_decide(
               correction=correction, acting_user=request.user,
               accept=data["decision"] == "accept", note=data["note"]),
           _("The correction was accepted: it counts in the benchmark.")
           if request.POST.get("decision") == "accept"
           else _("The correction was refused; the organisation reads your note."))
    return redirect("resilience:corrections")


# ---- NIS2 incident reporting ----


@hidden
def nis2_list(request: AuthenticatedRequest) -> HttpResponse:
    if not viewer_for(request.user).reads_content:
        raise Http404
    incidents = [(i, selectors.stage_infos(i)) for i in selectors.nis2_list(user=request.user)]
    return render(request, "resilience/nis2_list.html", {"incidents": incidents})


@hidden
def nis2_start(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    report = report_get(user=request.user, pk=report_id, record_view=False)
    if not selectors.nis2_may_start(user=request.user, report=report):
        raise Http404
    existing = selectors.nis2_for_report(user=request.user, report=report)
    if existing is not None:
        return redirect(existing)
    form = forms.Nis2StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.nis2_start(report=report, acting_user=request.user,
                                           aware_at=form.cleaned_data["aware_at"])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The NIS2 deadlines are running."))
            return redirect(incident)
    return render(request, "resilience/nis2_start.html", {
        "report": report, "form": form, "significant": nis2.facts()["significant_incident"]})


@hidden
def nis2_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    incident = selectors.nis2_get(user=request.user, pk=pk)
    return render(request, "resilience/nis2_detail.html", {
        "incident": incident, "stages": selectors.stage_infos(incident),
        "request_form": forms.IntermediateRequestForm(),
        "update_form": forms.Nis2UpdateForm(initial={
            "handled_at": incident.handled_at, "csirt_reference": incident.csirt_reference}),
        "status_labels": nis2.STATUS_LABELS,
    })


@hidden
def nis2_submit(request: AuthenticatedRequest, pk: int, stage_id: int) -> HttpResponse:
    incident = selectors.nis2_get(user=request.user, pk=pk)
    stage: Nis2Stage = selectors.nis2_stage_get(user=request.user, incident=incident,
                                                pk=stage_id)
    progress = request.GET.get("progress") == "1" or request.POST.get("progress") == "1"
    kind = "progress" if progress else stage.stage
    info = next(i for i in selectors.stage_infos(incident) if i.row.pk == stage.pk)
    form = forms.stage_form_class(kind)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.nis2_submit(stage=stage, acting_user=request.user,
                                 content=form.cleaned_data, progress=progress)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Recorded as submitted to the CSIRT."))
            return redirect(incident)
    return render(request, "resilience/nis2_submit.html", {
        "incident": incident, "info": info, "form": form, "progress": progress,
        "contains": nis2.stage_facts(stage.stage)["contains"]})


@hidden
@require_POST
def nis2_request(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    incident = selectors.nis2_get(user=request.user, pk=pk)
    _apply(request, forms.IntermediateRequestForm(request.POST),
           lambda data: services.nis2_request_intermediate(
               incident=incident, acting_user=request.user, requested_at=data["requested_at"],
               due=data["due"], note=data["note"]),
           _("The intermediate report was added."))
    return redirect(incident)


@hidden
@require_POST
def nis2_update(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    incident = selectors.nis2_get(user=request.user, pk=pk)
    _apply(request, forms.Nis2UpdateForm(request.POST),
           lambda data: services.nis2_update(
               incident=incident, acting_user=request.user, handled_at=data["handled_at"],
               reopen="reopen" in request.POST, csirt_reference=data["csirt_reference"]),
           _("Changes saved."))
    return redirect(incident)


def nis2_export_data(incident: Any) -> dict[str, Any]:
    """The JSON the CSIRT gets: the API's view of the incident, with its context."""
    from .api import incident_out

    data = incident_out(incident)
    data["tlp"] = incident.report.tlp
    data["entity"] = incident.organisation.name
    data["incident_title"] = incident.report.title
    data["directive"] = "NIS2 (EU) 2022/2555, Art. 23"
    return data


@hidden
def nis2_export(request: AuthenticatedRequest, pk: int, fmt: str) -> HttpResponse:
    incident = selectors.nis2_get(user=request.user, pk=pk)
    services.nis2_export_record(incident=incident, acting_user=request.user, fmt=fmt)
    name = f"nis2-{incident.pk}-{incident.organisation.slug}"
    if fmt == "json":
        body = orjson.dumps(nis2_export_data(incident), option=orjson.OPT_INDENT_2)
        return _file(body, "application/json", f"{name}.json")
    return _file(pdf.nis2_export(incident, selectors.stage_infos(incident)),
                 "application/pdf", f"{name}.pdf")


# ---- incident picture ----


@hidden
def picture_list(request: AuthenticatedRequest) -> HttpResponse:
    if not viewer_for(request.user).reads_content:
        raise Http404
    page = page_of(request, selectors.picture_list(user=request.user), 25)
    return render(request, "resilience/picture_list.html", {"page": page})


@hidden
def picture(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    try:
        item = selectors.picture_get(user=request.user, report_id=report_id)
    except NotFound:
        # No picture yet: editors of a visible incident report may start one.
        report = report_get(user=request.user, pk=report_id, record_view=False)
        if report.kind != "incident" or not can_moderate(request.user, report):
            raise
        return render(request, "resilience/picture_start.html", {"report": report})
    editor = can_moderate(request.user, item.report)
    return render(request, "resilience/picture.html", {
        "picture": item, "report": item.report,
        "updates": selectors.picture_updates(picture=item, user=request.user),
        "following": selectors.is_following(picture=item, user=request.user),
        "editor": editor,
        "summary_form": forms.PictureSummaryForm(initial={
            "state": item.state, "summary": item.summary}) if editor else None,
        "update_form": forms.PictureUpdateForm() if editor else None,
    })


@hidden
@require_POST
def picture_start(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    report = report_get(user=request.user, pk=report_id, record_view=False)
    try:
        services.picture_start(report=report, acting_user=request.user)
        messages.success(request, _("The incident picture was started."))
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
        return redirect(report)
    return redirect("resilience:picture", report_id=report.pk)


@hidden
@require_POST
def picture_summary(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    item = selectors.picture_get(user=request.user, report_id=report_id, record_view=False)
    _apply(request, forms.PictureSummaryForm(request.POST),
           lambda data: services.picture_set_summary(
               picture=item, acting_user=request.user, summary=data["summary"],
               state=data["state"]),
           _("The picture was updated."))
    return redirect("resilience:picture", report_id=report_id)


@hidden
@require_POST
def picture_update(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    item = selectors.picture_get(user=request.user, report_id=report_id, record_view=False)
    _apply(request, forms.PictureUpdateForm(request.POST),
           lambda data: services.picture_add_update(
               picture=item, acting_user=request.user, **data),
           _("The update was added to the timeline."))
    return redirect("resilience:picture", report_id=report_id)


@hidden
@require_POST
def picture_follow(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    item = selectors.picture_get(user=request.user, report_id=report_id, record_view=False)
    follow = request.POST.get("follow") == "1"
    services.picture_follow(picture=item, user=request.user, follow=follow)
    messages.success(request, _("You follow this incident.") if follow
                     else _("You no longer follow this incident."))
    return redirect("resilience:picture", report_id=report_id)


@hidden
def picture_pdf(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    item = selectors.picture_get(user=request.user, report_id=report_id)
    services.picture_export_record(picture=item, acting_user=request.user)
    body = pdf.picture_briefing(item, selectors.picture_updates(picture=item,
                                                                user=request.user))
    return _file(body, "application/pdf", f"incident-picture-{report_id}.pdf")


# ---- advice and adoption ----


@hidden
def advice_list(request: AuthenticatedRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.reads_content:
        raise Http404
    measure = request.GET.get("measure") or None
    items = list(selectors.advice_list(user=request.user, measure=measure))
    organisation = selectors.own_organisation(request.user)
    own = {}
    if organisation is not None:
        own = {row.advice.pk: row.own for row in selectors.adoption_rows(user=request.user)}
    return render(request, "resilience/advice_list.html", {
        "items": [(a, own.get(a.pk)) for a in items], "measures": selectors.measure_list(),
        "measure": measure, "organisation": organisation,
        "adoption_form": forms.AdoptionForm(), "coordinator": viewer.is_coordinator,
    })


@hidden
def advice_new(request: AuthenticatedRequest) -> HttpResponse:
    if not viewer_for(request.user).is_coordinator:
        raise Http404
    measures = selectors.measure_list()
    form = forms.AdviceForm(request.POST or None, measures=measures)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            advice = services.advice_publish(
                author=request.user, title=data["title"], summary=data["summary"],
                body=data["body"], tlp=data["tlp"], audience=data["audience"],
                level=data["level"], measure_keys=data["measures"])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The advice was published."))
            return redirect(advice.report)
    return render(request, "resilience/advice_form.html", {"form": form, "link": False})


@hidden
def advice_link(request: AuthenticatedRequest) -> HttpResponse:
    if not viewer_for(request.user).is_coordinator:
        raise Http404
    reports = list(selectors.linkable_advice_reports(user=request.user)[:200])
    form = forms.AdviceLinkForm(request.POST or None, measures=selectors.measure_list(),
                                reports=reports)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = report_get(user=request.user, pk=data["report"], record_view=False)
            services.advice_link(report=report, acting_user=request.user, level=data["level"],
                                 measure_keys=data["measures"])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The advice was linked to the measures."))
            return redirect("resilience:advice")
    return render(request, "resilience/advice_form.html", {"form": form, "link": True})


@hidden
@require_POST
def adoption(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = selectors.advice_get(user=request.user, pk=pk)
    _apply(request, forms.AdoptionForm(request.POST),
           lambda data: services.adoption_record(advice=item, acting_user=request.user,
                                                 state=data["state"], note=data["note"]),
           _("Recorded for your organisation."))
    return redirect(reverse("resilience:advice") + f"#advice-{item.pk}")


# ---- requests for information ----


@hidden
def rfi_list(request: AuthenticatedRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.reads_content:
        raise Http404
    page = page_of(request, selectors.rfi_list(user=request.user), 25)
    return render(request, "resilience/rfi_list.html", {
        "page": page, "may_ask": viewer.is_participant})


@hidden
def rfi_new(request: AuthenticatedRequest) -> HttpResponse:
    if not viewer_for(request.user).is_participant:
        raise Http404
    form = forms.RfiForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.rfi_create(author=request.user, **form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Your question was put to all participants."))
            return redirect(item)
    return render(request, "resilience/rfi_form.html", {"form": form})


@hidden
def rfi_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = selectors.rfi_get(user=request.user, pk=pk)
    viewer = viewer_for(request.user)
    form = forms.AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rfi_answer(request=item, author=request.user, **form.cleaned_data)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            _form_error(form, exc)
        else:
            messages.success(request, _("Your answer was added."))
            return redirect(item)
    return render(request, "resilience/rfi_detail.html", {
        "item": item, "answers": selectors.rfi_answers(request=item, user=request.user),
        "form": form if viewer.is_participant and item.closed_at is None else None,
        "may_close": item.closed_at is None and (
            item.author_id == request.user.pk
            or item.organisation_id in viewer.organisation_ids),
    })


@hidden
@require_POST
def rfi_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = selectors.rfi_get(user=request.user, pk=pk)
    services.rfi_close(request=item, acting_user=request.user)
    messages.success(request, _("The question was closed."))
    return redirect(item)


# ---- meetings ----


@hidden
def meeting_list(request: AuthenticatedRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.reads_content:
        raise Http404
    page = page_of(request, selectors.meeting_list(user=request.user), 25)
    return render(request, "resilience/meeting_list.html", {
        "page": page, "organiser": viewer.is_coordinator})


@hidden
def meeting_new(request: AuthenticatedRequest) -> HttpResponse:
    if not viewer_for(request.user).is_coordinator:
        raise Http404
    form = forms.MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.meeting_create(author=request.user, **form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The meeting was planned."))
            return redirect(item)
    return render(request, "resilience/meeting_form.html", {"form": form})


def _participants() -> list[Any]:
    from vrisac.accounts.models import User
    from vrisac.organisations.models import Membership
    from vrisac.sharing.policy import PARTICIPANT_ROLES

    return list(User.objects.filter(
        is_active=True, pk__in=Membership.objects.current().filter(
            role__in=PARTICIPANT_ROLES).values("user_id")).order_by("name"))


@hidden
def meeting(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = selectors.meeting_get(user=request.user, pk=pk)
    organiser = viewer_for(request.user).is_coordinator
    attendance = list(selectors.attendance_for(meeting=item, user=request.user))
    return render(request, "resilience/meeting.html", {
        "meeting": item, "attendance": attendance,
        "minutes": selectors.minutes_for(meeting=item, user=request.user),
        "organiser": organiser,
        "item_form": forms.MinutesItemForm() if organiser else None,
        "attendance_form": forms.AttendanceForm(
            people=_participants(), current={a.user_id: a.state for a in attendance})
        if organiser else None,
    })


@hidden
@require_POST
def meeting_attendance(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = selectors.meeting_get(user=request.user, pk=pk)
    if not viewer_for(request.user).is_coordinator:
        raise Http404
    form = forms.AttendanceForm(request.POST, people=_participants(), current={})
    _apply(request, form,
           lambda data: services.attendance_record(meeting=item, acting_user=request.user,
                                                   entries=form.entries()),
           _("Attendance recorded."))
    return redirect(reverse("resilience:meeting", args=[item.pk]) + "#attendance")


@hidden
@require_POST
def minutes_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = selectors.meeting_get(user=request.user, pk=pk)
    _apply(request, forms.MinutesItemForm(request.POST),
           lambda data: services.minutes_item_add(meeting=item, acting_user=request.user,
                                                  **data),
           _("The item was added to the minutes."))
    return redirect(reverse("resilience:meeting", args=[item.pk]) + "#minutes")


@hidden
@require_POST
def minutes_publish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = selectors.meeting_get(user=request.user, pk=pk)
    services.minutes_publish(meeting=item, acting_user=request.user)
    messages.success(request, _("The minutes were published."))
    return redirect(reverse("resilience:meeting", args=[item.pk]) + "#minutes")


# ---- strategic picture ----


@hidden
def strategic_page(request: AuthenticatedRequest) -> HttpResponse:
    strategic.require_aggregates(request.user)
    quarter = _period(request.GET.get("period"))
    return render(request, "resilience/strategic.html", {
        "picture": strategic.strategic_picture(quarter), "periods": recent(6)})


STRATEGIC_CHARTS = ("reports", "maturity", "adoption", "warnings")


@hidden
def strategic_chart(request: AuthenticatedRequest, period: str, name: str) -> HttpResponse:
    strategic.require_aggregates(request.user)
    if name not in STRATEGIC_CHARTS:
        raise Http404
    picture = strategic.strategic_picture(_period(period), ask_warnings=name == "warnings")
    if name == "reports":
        figure = charts.stacked_bars(picture.months, {label: v for _k, label, v in
                                                      picture.kinds},
                                     title=_("Reports shared per month"), ylabel=_("reports"))
    elif name == "maturity":
        figure = charts.trend_chart([q.label for q in picture.quarters], picture.maturity,
                                    title=_("Median maturity per measure over the quarters"))
    elif name == "adoption":
        figure = charts.share_bars([m.key.upper() for m, _s in picture.adoption],
                                   [s.share for _m, s in picture.adoption],
                                   title=_("Share of answers saying \"adopted\""))
    else:
        figure = charts.stacked_bars(picture.warnings.months, picture.warnings.monthly,
                                     title=_("Warnings per month"), ylabel=_("warnings"))
    return _svg(figure)


@hidden
def strategic_pdf(request: AuthenticatedRequest, period: str) -> HttpResponse:
    strategic.require_aggregates(request.user)
    quarter = _period(period)
    body = pdf.quarterly_report(strategic.strategic_picture(quarter))
    return _file(body, "application/pdf",
                 f"digitale-weerbaarheid-veiligheidsregios-{quarter.key}.pdf")
