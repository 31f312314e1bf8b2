from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.views.defaults import bad_request as django_bad_request
from django.views.defaults import page_not_found
from django.views.defaults import server_error as django_server_error

from vrisac.accounts.models import User
from vrisac.notifications.selectors import notification_list
from vrisac.organisations.models import Organisation
from vrisac.reports.models import Report
from vrisac.reports.selectors import report_list
from vrisac.sharing.policy import viewer_for

from .errors import error_answer_for
from .paging import page_of
from .selectors import audit_actions, audit_list
from .types import AuthenticatedRequest


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    """A member's home: what is new for them."""
    viewer = viewer_for(request.user)
    context: dict[str, object] = {}
    if viewer.reads_content:
        visible = report_list(user=request.user)
        context["warnings"] = list(visible.filter(kind=Report.Kind.WARNING, status="published")[:5])
        context["latest"] = list(visible.exclude(kind=Report.Kind.WARNING)
                                 .filter(status="published")[:8])
        context["drafts"] = list(visible.filter(author=request.user, status="draft")[:5])
    context["notifications"] = list(notification_list(user=request.user)
                                    .filter(read_at__isnull=True)[:6])
    return render(request, "core/dashboard.html", context)


@login_required
def audit(request: AuthenticatedRequest) -> HttpResponse:
    """The audit log for coordinators and administrators, filtered by person, organisation,
    action and time."""
    viewer = viewer_for(request.user)
    if not (viewer.is_coordinator or viewer.is_admin):
        raise Http404
    params = request.GET
    since = parse_date(params.get("since", "") or "") if params.get("since") else None
    until = parse_date(params.get("until", "") or "") if params.get("until") else None
    try:
        actor_id = int(params.get("person") or 0) or None
        organisation_id = int(params.get("organisation") or 0) or None
    except ValueError:
        actor_id = organisation_id = None
    from datetime import datetime, time

    from django.utils import timezone

    qs = audit_list(
        viewer=viewer,
        actor_id=actor_id,
        organisation_id=organisation_id,
        action=params.get("action") or None,
        since=timezone.make_aware(datetime.combine(since, time.min)) if since else None,
        until=timezone.make_aware(datetime.combine(until, time.max)) if until else None,
    )
    page = page_of(request, qs, 50)
    names = dict(User.objects.filter(pk__in={e.actor_id for e in page if e.actor_id})
                 .values_list("pk", "email"))
    orgs = dict(Organisation.objects.values_list("pk", "name"))
    rows = [(e, "", "") if e.hidden else
            (e, names.get(e.actor_id or 0, ""), orgs.get(e.organisation_id or 0, ""))
            for e in page]
    return render(request, "core/audit.html", {
        "page": page,
        "rows": rows,
        "actions": sorted(audit_actions()),
        "people": User.objects.order_by("name").only("pk", "name", "email"),
        "organisations": Organisation.objects.all(),
        "filters": params,
    })


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400: a machine face answers in its own format, a page with the 400 page."""
    answer = error_answer_for(request.path)
    if answer is not None:
        return answer(request, 400, str(exception or "Bad request."))
    return django_bad_request(request, exception or BadRequest())


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: a machine face answers in its own format, a page with the 404 page."""
    answer = error_answer_for(request.path)
    if answer is not None:
        return answer(request, 404, "Not found.")
    return page_not_found(request, exception or Http404())


def server_error(request: HttpRequest) -> HttpResponse:
    """500: a machine face answers in its own format (never an HTML page), a page with the
    500 page (which needs nothing from the database or the templates' context)."""
    answer = error_answer_for(request.path)
    if answer is not None:
        return answer(request, 500, "The server could not answer this request; the error "
                                    "was logged.")
    return django_server_error(request)


def favicon(request: HttpRequest) -> HttpResponse:
    from django.templatetags.static import static

    return redirect(static("vrisac/img/favicon.svg"), permanent=True)


def dashboard_redirect(request: HttpRequest) -> HttpResponse:
    return redirect("core:dashboard")
