from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vrisac.alerts.selectors import common_products
from vrisac.core.errors import DomainError, NotFound
from vrisac.core.paging import page_of
from vrisac.core.types import AuthenticatedRequest
from vrisac.sharing.policy import viewer_for

from . import selectors, services
from .forms import CsvImportForm, ItemForm
from .models import InventoryItem


def _organisation(request: AuthenticatedRequest) -> Any:
    try:
        return services.organisation_for(request.user)
    except NotFound:
        raise Http404 from None


def _item(request: AuthenticatedRequest, pk: int) -> InventoryItem:
    try:
        return selectors.item_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


@login_required
def item_list(request: AuthenticatedRequest) -> HttpResponse:
    organisation = _organisation(request)
    params = request.GET
    facing = {"yes": True, "no": False}.get(params.get("internet_facing", ""))
    qs = selectors.item_list(user=request.user, q=(params.get("q") or "")[:200] or None,
                             criticality=params.get("criticality") or None,
                             internet_facing=facing)
    page = page_of(request, qs, 50)
    return render(request, "assets/list.html", {
        "page": page, "organisation": organisation, "filters": params,
        "criticalities": InventoryItem.Criticality.choices,
        "is_coordinator": viewer_for(request.user).is_coordinator,
    })


def _save(request: AuthenticatedRequest, form: ItemForm, item: InventoryItem | None,
          organisation: Any) -> InventoryItem | None:
    data = {k: form.cleaned_data[k] for k in form.Meta.fields}
    try:
        if item is None:
            return services.item_create(organisation=organisation, acting_user=request.user,
                                        **data)
        return services.item_update(item=item, acting_user=request.user, **data)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None


@login_required
def item_create(request: AuthenticatedRequest) -> HttpResponse:
    organisation = _organisation(request)
    form = ItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, None, organisation)
        if saved is not None:
            messages.success(request, _("Added. It is matched against the advisories now."))
            return redirect("assets:list")
    return render(request, "assets/form.html", {"form": form, "item": None,
                                                "organisation": organisation})


@login_required
def item_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    form = ItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, selectors.item_get(user=request.user, pk=pk),
                      item.organisation)
        if saved is not None:
            messages.success(request, _("Changes saved. The item is matched again."))
            return redirect("assets:list")
    return render(request, "assets/form.html", {"form": form, "item": item,
                                                "organisation": item.organisation})


@login_required
@require_POST
def item_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    services.item_delete(item=item, acting_user=request.user)
    messages.success(request, _("Removed from the inventory."))
    return redirect("assets:list")


@login_required
def inventory_import(request: AuthenticatedRequest) -> HttpResponse:
    organisation = _organisation(request)
    form = CsvImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = services.inventory_import_csv(
                organisation=organisation, stream=upload, filename=upload.name,
                acting_user=request.user)
        except DomainError as exc:
            form.add_error("file", exc.message)
    return render(request, "assets/import.html", {"form": form, "report": report,
                                                  "organisation": organisation})


@login_required
def inventory_export(request: AuthenticatedRequest) -> HttpResponse:
    organisation = _organisation(request)
    body = selectors.export_csv(selectors.item_list(user=request.user))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="inventory-{organisation.slug}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def common(request: AuthenticatedRequest) -> HttpResponse:
    try:
        rows = common_products(user=request.user)
    except NotFound:
        raise Http404 from None
    return render(request, "assets/common.html", {"rows": rows})
