from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vrisac.core.errors import DomainError, NotFound
from vrisac.core.paging import page_of
from vrisac.core.types import AuthenticatedRequest
from vrisac.sharing.policy import viewer_for

from . import selectors, services
from .forms import AliasForm
from .models import ProductAlias


def _reader(request: AuthenticatedRequest) -> None:
    if not viewer_for(request.user).reads_content:
        raise Http404


@login_required
def advisory_list(request: AuthenticatedRequest) -> HttpResponse:
    _reader(request)
    q = (request.GET.get("q") or "").strip()[:200]
    if q.upper().startswith("CVE-") and " " not in q:
        return redirect("advisories:vulnerability", q.upper())
    page = page_of(request, selectors.advisory_list(user=request.user, q=q or None), 30)
    kev = selectors.vulnerability_list(user=request.user, kev=True)[:10]
    return render(request, "advisories/list.html", {"page": page, "q": q, "kev": kev})


@login_required
def advisory_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _reader(request)
    try:
        advisory = selectors.advisory_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    return render(request, "advisories/detail.html", {
        "advisory": advisory,
        "vulnerabilities": selectors.advisory_vulnerabilities(advisory=advisory),
        "statements": selectors.advisory_statements(advisory=advisory)[:500],
    })


@login_required
def vulnerability_detail(request: AuthenticatedRequest, cve_id: str) -> HttpResponse:
    _reader(request)
    try:
        vulnerability = selectors.vulnerability_visible(user=request.user, cve_id=cve_id)
    except NotFound:
        raise Http404 from None
    return render(request, "advisories/vulnerability.html", {
        "v": vulnerability,
        "statements": selectors.vulnerability_statements(user=request.user,
                                                         vulnerability=vulnerability)[:500],
        "advisories": selectors.vulnerability_advisories(user=request.user,
                                                         vulnerability=vulnerability),
        "is_coordinator": viewer_for(request.user).is_coordinator,
    })


@login_required
def aliases(request: AuthenticatedRequest) -> HttpResponse:
    if not viewer_for(request.user).is_coordinator:
        raise Http404
    form = AliasForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.alias_add(acting_user=request.user, **form.cleaned_data)
            messages.success(request, _("Saved. Every inventory is matched again with it."))
            return redirect("advisories:aliases")
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return render(request, "advisories/aliases.html", {"form": form,
                                                       "aliases": selectors.alias_list()})


@login_required
@require_POST
def alias_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    if not viewer_for(request.user).is_coordinator:
        raise Http404
    alias = ProductAlias.objects.filter(pk=pk).first()
    if alias is None:
        raise Http404
    services.alias_remove(alias=alias, acting_user=request.user)
    messages.success(request, _("Removed."))
    return redirect("advisories:aliases")
