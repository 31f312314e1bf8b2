"""The "STIX" download on a report's page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse

from vrisac.core.errors import NotFound

from . import selectors, services
from .export import dumps


@login_required
def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        report, bundle = selectors.report_bundle_for(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    with transaction.atomic():
        services.export_record(acting_user=request.user, report=report, face="page")
    response = HttpResponse(dumps(bundle), content_type="application/stix+json;version=2.1")
    response["Content-Disposition"] = f'attachment; filename="vrisac-report-{report.pk}.json"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
