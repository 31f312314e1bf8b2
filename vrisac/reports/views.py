from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vrisac.core.errors import DomainError, NotFound
from vrisac.core.markdown import render_markdown
from vrisac.core.paging import page_of
from vrisac.core.types import AuthenticatedRequest
from vrisac.sharing.policy import can_edit, can_moderate, sees_named_people, viewer_for
from vrisac.sharing.tlp import TLP

from . import attachments as files
from . import selectors, services
from .forms import AttachmentForm, CommentForm, ReportForm, RetractForm
from .models import Report
from .presentation import comment_author_visible


def _get(request: AuthenticatedRequest, pk: int, record_view: bool = True) -> Report:
    try:
        return selectors.report_get(user=request.user, pk=pk, record_view=record_view)
    except NotFound:
        raise Http404 from None


def _form_error(form: Any, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


@login_required
def report_list(request: AuthenticatedRequest) -> HttpResponse:
    params = request.GET
    qs = selectors.with_comment_counts(selectors.report_list(
        user=request.user,
        kind=params.get("kind") or None,
        tlp=params.get("tlp") or None,
        status=params.get("status") or None,
        tag=params.get("tag") or None,
        q=(params.get("q") or "")[:200] or None,
        mine=params.get("mine") == "1",
    ).prefetch_related("tags"))
    page = page_of(request, qs, 25)
    return render(request, "reports/list.html", {
        "page": page,
        "kinds": Report.Kind.choices,
        "labels": TLP.choices,
        "filters": params,
    })


@login_required
def report_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = _get(request, pk)
    comments = [
        (c, comment_author_visible(c, request.user))
        for c in selectors.report_comments(report=report, user=request.user)
    ]
    named = list(report.audience_people.all())
    if not sees_named_people(viewer_for(request.user), report):
        others = len([p for p in named if p.pk != request.user.pk])
        named = [p for p in named if p.pk == request.user.pk]
    else:
        others = 0
    return render(request, "reports/detail.html", {
        "report": report,
        "named_people": named,
        "named_others": others,
        "comments": comments,
        "attachments": selectors.report_attachments(report=report, user=request.user),
        "can_edit": can_edit(request.user, report),
        "can_moderate": can_moderate(request.user, report),
        "comment_form": CommentForm(),
        "attachment_form": AttachmentForm(),
    })


def _save_report(
    request: AuthenticatedRequest, form: ReportForm, report: Report | None
) -> Report | None:
    data = form.cleaned_data
    fields = {
        "kind": data["kind"], "title": data["title"], "summary": data["summary"],
        "body": data["body"], "tlp": data["tlp"], "audience": data["audience"],
        "anonymous": data["anonymous"],
    }
    try:
        if report is None:
            return services.report_create(
                author=request.user,
                audience_organisations=list(data["audience_organisations"]),
                audience_people=list(data["audience_people"]),
                tags=form.tag_list(),
                publish="publish" in request.POST,
                **fields,
            )
        report = services.report_update(
            report=report, acting_user=request.user,
            audience_organisations=list(data["audience_organisations"]),
            audience_people=list(data["audience_people"]),
            tags=form.tag_list(), **fields,
        )
        if "publish" in request.POST and report.status == "draft":
            report = services.report_publish(report=report, acting_user=request.user)
        return report
    except DomainError as exc:
        _form_error(form, exc)
        return None


@login_required
def report_create(request: AuthenticatedRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.reads_content:
        raise Http404
    form = ReportForm(request.POST or None, can_warn=viewer.is_coordinator)
    if request.method == "POST" and form.is_valid():
        report = _save_report(request, form, None)
        if report is not None:
            messages.success(request, _("Published.") if report.status == "published"
                             else _("Saved as draft."))
            return redirect(report)
    return render(request, "reports/form.html", {"form": form, "report": None})


@login_required
def report_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = _get(request, pk, record_view=False)
    if not can_edit(request.user, report) or report.status == "retracted":
        raise Http404
    initial = {
        "kind": report.kind, "title": report.title, "summary": report.summary,
        "body": report.body, "tlp": report.tlp, "audience": report.audience,
        "anonymous": report.anonymous,
        "audience_organisations": list(report.audience_organisations.all()),
        "audience_people": list(report.audience_people.all()),
        "tags": ", ".join(t.name for t in report.tags.all()),
    }
    form = ReportForm(request.POST or None, initial=initial,
                      can_warn=viewer_for(request.user).is_coordinator)
    if request.method == "POST" and form.is_valid():
        saved = _save_report(request, form, report)
        if saved is not None:
            messages.success(request, _("Changes saved."))
            return redirect(saved)
    return render(request, "reports/form.html", {"form": form, "report": report})


@login_required
@require_POST
def report_publish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = _get(request, pk, record_view=False)
    try:
        services.report_publish(report=report, acting_user=request.user)
        messages.success(request, _("Published."))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(report)


@login_required
def report_retract(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = _get(request, pk, record_view=False)
    if not can_moderate(request.user, report):
        raise Http404
    form = RetractForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_retract(report=report, acting_user=request.user,
                                    reason=form.cleaned_data["reason"])
            messages.success(request, _("The report was retracted."))
            return redirect(report)
        except DomainError as exc:
            form.add_error(None, exc.message)
    return render(request, "reports/retract.html", {"report": report, "form": form})


@login_required
@require_POST
def comment_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = _get(request, pk, record_view=False)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment = services.comment_create(report=report, author=request.user,
                                              body=form.cleaned_data["body"])
        except DomainError as exc:
            form.add_error("body", exc.message)
        else:
            if request.htmx:  # type: ignore[attr-defined]
                return render(request, "reports/includes/comment.html",
                              {"comment": comment, "show_author": True, "report": report})
            messages.success(request, _("Your reply was added."))
            return redirect(report)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "reports/includes/comment_error.html", {"form": form},
                      status=422)
    messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect(report)


@login_required
@require_POST
def attachment_upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = _get(request, pk, record_view=False)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to attach."))
        return redirect(report)
    upload = form.cleaned_data["file"]
    try:
        services.attachment_add(report=report, uploaded_by=request.user, stream=upload,
                                filename=upload.name)
        messages.success(request, _("The file was attached."))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(report)


@login_required
def attachment_download(request: AuthenticatedRequest, uuid: str) -> StreamingHttpResponse:
    try:
        attachment = selectors.attachment_get(user=request.user, uuid=uuid)
        services.attachment_download(attachment=attachment, user=request.user)
    except NotFound:
        raise Http404 from None
    return files.download_response(storage_name=attachment.uuid.hex,
                                   filename=attachment.filename,
                                   content_type=attachment.content_type, size=attachment.size)


@login_required
def report_history(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = _get(request, pk, record_view=False)
    # Earlier versions may have had a narrower audience: only editors and moderators read them.
    if not can_moderate(request.user, report):
        raise Http404
    return render(request, "reports/history.html", {
        "report": report, "revisions": selectors.report_history(report=report),
    })


@login_required
@require_POST
def markdown_preview(request: AuthenticatedRequest) -> HttpResponse:
    html = render_markdown(request.POST.get("body", "")[:200_000])
    return render(request, "reports/includes/preview.html", {"html": html})


