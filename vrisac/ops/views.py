"""Health, readiness and metrics for load balancers and monitoring, and the jobs page for
coordinators and administrators. Thin: services and selectors do the work."""

from __future__ import annotations

import functools
import hmac
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from vrisac.core.errors import DomainError, NotAllowed, NotFound
from vrisac.core.jobs import JOBS
from vrisac.core.models import Job
from vrisac.core.paging import page_of
from vrisac.core.types import AuthenticatedRequest

from . import selectors, services
from .metrics import exposition

View = Callable[..., HttpResponse]


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up (no database asked): for liveness checks."""
    return JsonResponse({"status": "ok"})


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """The database answers and a worker and a scheduler are alive: for readiness checks."""
    checks = selectors.readiness()
    ready = all(check.ok for check in checks)
    return JsonResponse(
        {"status": "ok" if ready else "unavailable",
         "checks": {check.name: check.detail for check in checks}},
        status=200 if ready else 503)


def _bearer(request: HttpRequest) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for a scraper holding VRISAC_METRICS_TOKEN; switched off (404)
    while that is not set. The address a request comes from opens nothing."""
    expected = settings.VRISAC_METRICS_TOKEN
    if not expected:
        raise Http404("metrics are switched off: VRISAC_METRICS_TOKEN is not set")
    given = _bearer(request)
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        response = HttpResponse("a bearer token is required\n", status=401,
                                content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4)


def operators_only(view: View) -> View:
    """Coordinators and administrators; anyone else gets 404, as for anything not theirs."""

    @functools.wraps(view)
    def wrapper(request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.can_operate(request.user):
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except (NotAllowed, NotFound, Job.DoesNotExist):
            raise Http404 from None

    return login_required(wrapper)


@operators_only
@require_safe
def jobs(request: AuthenticatedRequest) -> HttpResponse:
    name = request.GET.get("job") or None
    state = request.GET.get("state") or None
    if state not in Job.State.values:
        state = None
    runs = selectors.job_runs(user=request.user, name=name, state=state)
    page = page_of(request, runs, 50)
    return render(request, "ops/jobs.html", {
        "schedule": selectors.schedule_overview(user=request.user),
        "page": page,
        "processes": selectors.processes(user=request.user),
        "fresh_since": selectors.heartbeat_fresh_since(),
        "job_names": sorted(JOBS),
        "states": Job.State.choices,
        "filters": {"job": name or "", "state": state or ""},
    })


@operators_only
@require_safe
def job_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job_row = selectors.job_get(user=request.user, pk=pk)
    return render(request, "ops/job_detail.html", {
        "job": job_row,
        "arguments": json.dumps(job_row.arguments, indent=2, ensure_ascii=False, default=str),
        "result": json.dumps(job_row.result, indent=2, ensure_ascii=False, default=str),
    })


@operators_only
@require_POST
def job_run_now(request: AuthenticatedRequest) -> HttpResponse:
    name = request.POST.get("job", "")
    try:
        row = services.job_run_now(name=name, acting_user=request.user)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("ops:jobs")
    messages.success(request, _("%(name)s is queued; it starts as soon as a worker is free.")
                     % {"name": name})
    return redirect("ops:job", pk=row.pk)
