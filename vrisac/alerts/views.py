from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vrisac.advisories.selectors import vulnerability_visible
from vrisac.assets.selectors import item_list
from vrisac.core.errors import DomainError, NotFound
from vrisac.core.paging import page_of
from vrisac.core.types import AuthenticatedRequest
from vrisac.sharing.policy import viewer_for

from . import selectors, services
from .forms import IsacReportForm, LookupForm, PreferenceForm, StatusForm
from .models import Priority, Warning, WarningPreference
from .presentation import REMEDIATION_LABELS


def _participant(request: AuthenticatedRequest) -> None:
    viewer = viewer_for(request.user)
    if not viewer.is_participant or not viewer.organisation_ids:
        raise Http404


@login_required
def index(request: AuthenticatedRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.is_participant:
        # Partners read advisories; the owner observer reads counts; neither has warnings.
        if viewer.is_observer:
            return redirect("alerts:overview")
        if viewer.is_partner:
            return redirect("advisories:list")
        raise Http404
    params = request.GET
    qs = selectors.warning_list(
        user=request.user, priority=params.get("priority") or None,
        status=params.get("status") or None, q=(params.get("q") or "")[:200] or None,
        include_withdrawn=params.get("withdrawn") == "1")
    page = page_of(request, qs, 30)
    counts = selectors.counts_by_priority(user=request.user)
    return render(request, "alerts/index.html", {
        "page": page, "filters": params,
        "counts": [(value, label, counts[value]) for value, label in Priority.choices],
        "priorities": Priority.choices, "statuses": Warning.Status.choices,
        "has_inventory": item_list(user=request.user).exists(),
    })


def _warning(request: AuthenticatedRequest, pk: int) -> Warning:
    try:
        return selectors.warning_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


@login_required
def detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    warning = _warning(request, pk)
    form = StatusForm(request.POST or None, initial={"status": warning.status,
                                                     "justification": warning.justification})
    if request.method == "POST" and form.is_valid():
        try:
            services.warning_set_status(warning=warning, status=form.cleaned_data["status"],
                                        justification=form.cleaned_data["justification"],
                                        acting_user=request.user)
            messages.success(request, _("Status saved."))
            return redirect(warning)
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    remediations = [{**r, "label": REMEDIATION_LABELS.get(r.get("category", ""),
                                                          r.get("category", ""))}
                    for r in warning.remediations]
    return render(request, "alerts/detail.html", {"warning": warning, "form": form,
                                                  "remediations": remediations})


@login_required
def lookup(request: AuthenticatedRequest) -> HttpResponse:
    _participant(request)
    form = LookupForm(request.GET or None)
    kind: str = ""
    rows: list[selectors.LookupRow] = []
    if form.is_valid():
        kind, rows = selectors.lookup(user=request.user, query=form.cleaned_data["q"])
    return render(request, "alerts/lookup.html", {"form": form, "kind": kind, "rows": rows,
                                                  "searched": form.is_bound})


@login_required
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    _participant(request)
    current = WarningPreference.objects.filter(user=request.user).first()
    form = PreferenceForm(request.POST or None, initial={
        "mode": current.mode if current else WarningPreference.Mode.CRITICAL_NOW})
    if request.method == "POST" and form.is_valid():
        services.preference_set(user=request.user, mode=form.cleaned_data["mode"])
        messages.success(request, _("Saved."))
        return redirect("alerts:preferences")
    return render(request, "alerts/preferences.html", {"form": form})


@login_required
def overview(request: AuthenticatedRequest) -> HttpResponse:
    try:
        rows = selectors.vulnerability_overview(user=request.user)
    except NotFound:
        raise Http404 from None
    stats = selectors.warning_statistics()
    median = stats["median_seconds_to_acknowledge"]
    return render(request, "alerts/overview.html", {
        "rows": rows, "stats": stats,
        "by_priority": [(label, stats["by_priority"][value]) for value, label in Priority.choices],
        "median_hours": None if median is None else median / 3600,
        "can_report": viewer_for(request.user).is_coordinator,
    })


@login_required
def isac_report(request: AuthenticatedRequest, cve_id: str) -> HttpResponse:
    if not viewer_for(request.user).is_coordinator:
        raise Http404
    try:
        vulnerability = vulnerability_visible(user=request.user, cve_id=cve_id)
    except NotFound:
        raise Http404 from None
    form = IsacReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.isac_warning_report(
                vulnerability=vulnerability, acting_user=request.user,
                tlp=form.cleaned_data["tlp"], extra=form.cleaned_data["extra"])
            messages.success(request, _("The ISAC warning was published to all participants."))
            return redirect(report)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return render(request, "alerts/isac_report.html", {
        "form": form, "vulnerability": vulnerability,
        "regions": selectors.affected_region_count(vulnerability_id=vulnerability.pk)})


@login_required
@require_POST
def acknowledge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    warning = _warning(request, pk)
    services.warning_set_status(warning=warning, status=Warning.Status.ACKNOWLEDGED,
                                acting_user=request.user)
    messages.success(request, _("Acknowledged."))
    return redirect("alerts:index")
