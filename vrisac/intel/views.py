from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from vrisac.core.errors import DomainError, NotFound
from vrisac.core.paging import page_of
from vrisac.core.types import AuthenticatedRequest
from vrisac.reports.models import Report
from vrisac.reports.selectors import report_get, report_list
from vrisac.sharing.policy import can_edit, viewer_for

from . import exports, selectors, services
from .extract import MAX_FILE_BYTES, extract, text_from_file
from .feeds import feed_dir, feed_fetch_queue, feed_save
from .forms import (
    ExclusionForm,
    ExportForm,
    ExtractForm,
    FeedForm,
    IndicatorEditForm,
    SightingForm,
    ThresholdForm,
    WarninglistForm,
)
from .models import TYPE_CHOICES, CorrelationExclusion, Feed, IndicatorValue, Warninglist
from .presentation import show
from .warninglists import ensure_shipped, shipped_lists


def _reader(request: AuthenticatedRequest) -> None:
    if not viewer_for(request.user).reads_content:
        raise Http404


def _coordinator(request: AuthenticatedRequest) -> None:
    if not viewer_for(request.user).is_coordinator:
        raise Http404


def _indicator(request: AuthenticatedRequest, pk: int) -> Any:
    """An indicator the (content-reading) user may see, or 404."""
    _reader(request)
    try:
        return selectors.indicator_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


def _form_error(form: Any, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


@login_required
def index(request: AuthenticatedRequest) -> HttpResponse:
    """The indicators the user may see, newest first, with filters."""
    _reader(request)
    type_ = request.GET.get("type") or None
    if type_ not in dict(TYPE_CHOICES):
        type_ = None
    value = (request.GET.get("value") or "").strip()[:500] or None
    qs = selectors.indicator_list(user=request.user, type=type_, value=value)
    page = page_of(request, qs, 50)
    return render(request, "intel/index.html", {
        "page": page, "shown": show(user=request.user, indicators=list(page.object_list),
                                    with_correlations=False),
        "types": TYPE_CHOICES, "filters": request.GET,
    })


@login_required
def indicator_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    indicator = _indicator(request, pk)
    shown = show(user=request.user, indicators=[indicator])[0]
    editable = indicator.report is not None and can_edit(request.user, indicator.report) \
        and indicator.report.status != "retracted"
    return render(request, "intel/indicator.html", {
        "shown": shown, "indicator": indicator, "editable": editable,
        "sightings": selectors.sightings(user=request.user, indicator=indicator),
        "sighting_form": SightingForm(),
        "edit_form": IndicatorEditForm(initial={"for_detection": indicator.for_detection,
                                                "comment": indicator.comment}),
    })


@login_required
@require_POST
def indicator_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    indicator = _indicator(request, pk)
    try:
        form = IndicatorEditForm(request.POST)
        if form.is_valid():
            services.indicator_update(indicator=indicator, acting_user=request.user,
                                      for_detection=form.cleaned_data["for_detection"],
                                      comment=form.cleaned_data["comment"])
            messages.success(request, _("Changes saved."))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("intel:indicator", pk=pk)


@login_required
@require_POST
def indicator_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    indicator = _indicator(request, pk)
    try:
        report = indicator.report
        services.indicator_remove(indicator=indicator, acting_user=request.user)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("intel:indicator", pk=pk)
    messages.success(request, _("The indicator was removed."))
    return redirect(report) if report is not None else redirect("intel:index")


@login_required
@require_POST
def sighting_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    indicator = _indicator(request, pk)
    form = SightingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.sighting_add(acting_user=request.user, kind=data["kind"],
                                  indicator=indicator, seen_at=data["seen_at"],
                                  source=data["source"], named=data["named"])
            messages.success(request, _("Your sighting was recorded."))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("intel:indicator", pk=pk)


def _editable_reports(request: AuthenticatedRequest) -> list[Report]:
    recent = report_list(user=request.user).exclude(status="retracted")[:200]
    return [r for r in recent if can_edit(request.user, r)]


@login_required
def extract_page(request: AuthenticatedRequest) -> HttpResponse:
    """Paste text or upload a file; choose which proposed indicators to add to a report."""
    _reader(request)
    posted = request.method == "POST"
    form = ExtractForm(request.POST if posted else None, request.FILES if posted else None)
    candidates = None
    truncated = False
    if request.method == "POST" and form.is_valid():
        try:
            upload = form.cleaned_data.get("file")
            if upload is not None:
                if upload.size > MAX_FILE_BYTES:
                    raise DomainError(_("The file %(f)s is larger than %(n)d MB.")
                                      % {"f": upload.name, "n": MAX_FILE_BYTES // 2**20},
                                      field="file")
                text = text_from_file(upload.name, upload.read())
            else:
                text = form.cleaned_data["text"]
            candidates, truncated = extract(text)
        except DomainError as exc:
            _form_error(form, exc)
    chosen = request.GET.get("report") or request.POST.get("report")
    return render(request, "intel/extract.html", {
        "form": form, "candidates": candidates, "truncated": truncated,
        "reports": _editable_reports(request), "chosen_report": str(chosen or ""),
    })


@login_required
@require_POST
def extract_add(request: AuthenticatedRequest) -> HttpResponse:
    _reader(request)
    try:
        report = report_get(user=request.user, pk=request.POST.get("report"), record_view=False)
    except NotFound:
        raise Http404 from None
    items = []
    for pick in request.POST.getlist("pick")[:10_000]:
        type_, _sep, rest = pick.partition("|")
        group, _sep, value = rest.partition("|")
        items.append({"type": type_, "value": value,
                      "group": int(group) if group.isdigit() else None})
    if not items:
        messages.error(request, _("Choose at least one indicator."))
        return redirect(f"{reverse('intel:extract')}?report={report.pk}")
    try:
        result = services.report_indicators_add(report=report, acting_user=request.user,
                                                items=items)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('intel:extract')}?report={report.pk}")
    messages.success(request, ngettext("%(n)d indicator added.", "%(n)d indicators added.",
                                       result.added) % {"n": result.added})
    if result.warninglisted:
        count = len(result.warninglisted)
        messages.warning(request, ngettext(
            "%(n)d of them is on a warninglist; check it before blocking.",
            "%(n)d of them are on a warninglist; check them before blocking.",
            count) % {"n": count})
    return redirect(report)


@login_required
def search_page(request: AuthenticatedRequest) -> HttpResponse:
    _reader(request)
    q = (request.GET.get("q") or "").strip()[:500]
    result = selectors.search(user=request.user, q=q) if q else None
    return render(request, "intel/search.html", {"q": q, "result": result})


@login_required
def export_page(request: AuthenticatedRequest) -> HttpResponse | StreamingHttpResponse:
    """The export form; with ``download`` in the query it streams the file."""
    _reader(request)
    form = ExportForm(request.GET if "download" in request.GET else None)
    if "download" in request.GET and form.is_valid():
        data = form.cleaned_data
        try:
            filters = exports.parse_filters(
                types=data["type"], since=data["since"].isoformat() if data["since"] else None,
                tlp=data["tlp"], for_detection=data["for_detection"] or None,
                without_warninglisted=data["without_warninglisted"])
            if data["format"] == "text" and not filters.types:
                raise DomainError(_("Choose the type(s) of a plain list."), field="type")
        except DomainError as exc:
            _form_error(form, exc)
        else:
            services.export_record(acting_user=request.user, format=data["format"],
                                   filters=filters)
            if data["format"] == "csv":
                response = StreamingHttpResponse(
                    exports.csv_lines(user=request.user, filters=filters),
                    content_type="text/csv; charset=utf-8")
                name = "vrisac-indicators.csv"
            else:
                response = StreamingHttpResponse(
                    exports.text_lines(user=request.user, filters=filters),
                    content_type="text/plain; charset=utf-8")
                name = f"vrisac-{'-'.join(filters.types)}.txt"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            response["Cache-Control"] = "private, no-store"
            return response
    return render(request, "intel/export.html", {"form": form})


# --- feeds ----------------------------------------------------------------------------------

@login_required
def feed_list(request: AuthenticatedRequest) -> HttpResponse:
    _reader(request)
    feeds = selectors.feeds(user=request.user).annotate(indicator_count=Count("indicators"))
    return render(request, "intel/feeds.html", {"feeds": feeds})


@login_required
def feed_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _reader(request)
    try:
        feed = selectors.feed_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    qs = selectors.indicator_list(user=request.user, feed_id=feed.pk)
    page = page_of(request, qs, 50)
    return render(request, "intel/feed.html", {
        "feed": feed, "page": page,
        "shown": show(user=request.user, indicators=list(page.object_list),
                      with_correlations=False),
    })


def _feed_initial(feed: Feed) -> dict[str, Any]:
    fields = FeedForm.base_fields
    return {name: getattr(feed, name) for name in fields if hasattr(feed, name)}


@login_required
def feed_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    _coordinator(request)
    feed = get_object_or_404(Feed, pk=pk) if pk is not None else None
    form = FeedForm(request.POST or None, initial=_feed_initial(feed) if feed else None)
    if request.method == "POST" and form.is_valid():
        try:
            feed = feed_save(acting_user=request.user, feed=feed, **form.cleaned_data)
            messages.success(request, _("The feed was saved."))
            return redirect(feed)
        except DomainError as exc:
            _form_error(form, exc)
    return render(request, "intel/feed_form.html", {"form": form, "feed": feed,
                                                    "feed_dir": feed_dir()})


@login_required
@require_POST
def feed_fetch(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _coordinator(request)
    feed = get_object_or_404(Feed, pk=pk)
    feed_fetch_queue(feed=feed, acting_user=request.user)
    messages.success(request, _("The feed will be fetched in a moment; see its status here."))
    return redirect(feed)


# --- coordinators: warninglists and correlation --------------------------------------------

@login_required
def warninglist_list(request: AuthenticatedRequest) -> HttpResponse:
    _coordinator(request)
    ensure_shipped()
    shipped = shipped_lists()
    rows = []
    for wl in Warninglist.objects.all():
        data = shipped.get(wl.key) if wl.shipped else None
        count = len(data.entries) if data else len([e for e in wl.entries.splitlines()
                                                    if e.strip() and not e.startswith("#")])
        rows.append((wl, data, count))
    return render(request, "intel/warninglists.html", {"rows": rows})


@login_required
def warninglist_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    _coordinator(request)
    wl = get_object_or_404(Warninglist, pk=pk) if pk is not None else None
    if wl is not None and wl.shipped:
        data = shipped_lists().get(wl.key)
        return render(request, "intel/warninglist_shipped.html", {"wl": wl, "data": data})
    initial = None
    if wl is not None:
        initial = {"name": wl.name, "kind": wl.kind, "entries": wl.entries,
                   "description": wl.description, "source": wl.source, "enabled": wl.enabled}
    form = WarninglistForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.warninglist_save(acting_user=request.user, warninglist=wl,
                                      **form.cleaned_data)
            messages.success(request, _("The list was saved."))
            return redirect("intel:warninglists")
        except DomainError as exc:
            _form_error(form, exc)
    return render(request, "intel/warninglist_form.html", {"form": form, "wl": wl})


@login_required
@require_POST
def warninglist_toggle(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _coordinator(request)
    wl = get_object_or_404(Warninglist, pk=pk)
    services.warninglist_set_enabled(acting_user=request.user, warninglist=wl,
                                     enabled=not wl.enabled)
    return redirect("intel:warninglists")


@login_required
def correlation_page(request: AuthenticatedRequest) -> HttpResponse:
    """Coordinators: the threshold, the exclusion list and the over-correlating values."""
    _coordinator(request)
    settings_row = services.correlation_settings()
    threshold_form = ThresholdForm(initial={"threshold": settings_row.threshold})
    exclusion_form = ExclusionForm()
    if request.method == "POST":
        try:
            if "threshold" in request.POST:
                threshold_form = ThresholdForm(request.POST)
                if threshold_form.is_valid():
                    services.correlation_threshold_set(
                        acting_user=request.user,
                        threshold=threshold_form.cleaned_data["threshold"])
                    messages.success(request, _("The threshold was saved."))
                    return redirect("intel:correlation")
            else:
                exclusion_form = ExclusionForm(request.POST)
                if exclusion_form.is_valid():
                    services.exclusion_add(acting_user=request.user,
                                           **exclusion_form.cleaned_data)
                    messages.success(request, _("The value no longer correlates."))
                    return redirect("intel:correlation")
        except DomainError as exc:
            messages.error(request, exc.message)
    over = (IndicatorValue.objects.filter(occurrences__gt=settings_row.threshold)
            .order_by("-occurrences")[:100])
    return render(request, "intel/correlation.html", {
        "threshold_form": threshold_form, "exclusion_form": exclusion_form,
        "exclusions": CorrelationExclusion.objects.select_related("created_by")[:500],
        "over": over, "threshold": settings_row.threshold,
    })


@login_required
@require_POST
def exclusion_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _coordinator(request)
    exclusion = get_object_or_404(CorrelationExclusion, pk=pk)
    services.exclusion_remove(acting_user=request.user, exclusion=exclusion)
    messages.success(request, _("The value correlates again."))
    return redirect("intel:correlation")
