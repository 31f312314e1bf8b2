"""``/api/v1/inventory``: the token's organisation's inventory."""


from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile

from vrisac.api.auth import require_scope

from . import selectors, services
from .models import InventoryItem

router = Router(tags=["inventory"])


class ItemOut(Schema):
    id: int
    vendor: str
    product: str
    version: str
    cpe: str
    purl: str
    internet_facing: bool
    criticality: str
    owner: str
    notes: str
    open_warnings: int = 0


class ItemIn(Schema):
    vendor: str = Field(max_length=200)
    product: str = Field(max_length=200)
    version: str = Field("", max_length=100)
    cpe: str = Field("", max_length=500)
    purl: str = Field("", max_length=500)
    internet_facing: bool = False
    criticality: Literal["high", "medium", "low"] = "medium"
    owner: str = Field("", max_length=200)
    notes: str = Field("", max_length=5000)


class ItemPatch(Schema):
    vendor: str | None = Field(None, max_length=200)
    product: str | None = Field(None, max_length=200)
    version: str | None = Field(None, max_length=100)
    cpe: str | None = Field(None, max_length=500)
    purl: str | None = Field(None, max_length=500)
    internet_facing: bool | None = None
    criticality: Literal["high", "medium", "low"] | None = None
    owner: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=5000)


class ItemFilters(Schema):
    q: str | None = Field(None, max_length=200)
    criticality: Literal["high", "medium", "low"] | None = None
    internet_facing: bool | None = None


class ImportOut(Schema):
    created: int
    updated: int
    unchanged: int
    problems: list[dict[str, Any]]


class CommonOut(Schema):
    vendor: str
    product: str
    organisations: int


def item_out(item: InventoryItem) -> dict[str, Any]:
    return {f: getattr(item, f) for f in (
        "vendor", "product", "version", "cpe", "purl", "internet_facing", "criticality",
        "owner", "notes")} | {"id": item.pk,
                             "open_warnings": getattr(item, "open_warnings", 0)}


@router.get("", response=list[ItemOut])
def list_items(request: HttpRequest, filters: Query[ItemFilters]) -> list[dict[str, Any]]:
    """The organisation's inventory (at most a few thousand items; not paged)."""
    require_scope(request, "inventory:read")
    return [item_out(i) for i in selectors.item_list(user=request.user, **filters.dict())]


@router.post("", response={201: ItemOut})
def create_item(request: HttpRequest, payload: ItemIn) -> Status[dict[str, Any]]:
    require_scope(request, "inventory:write")
    item = services.item_create(organisation=services.organisation_for(request.user),
                                acting_user=request.user, **payload.dict())
    return Status(201, item_out(item))


@router.get("/export.csv")
def export_items(request: HttpRequest) -> HttpResponse:
    require_scope(request, "inventory:read")
    body = selectors.export_csv(selectors.item_list(user=request.user))
    return HttpResponse(body, content_type="text/csv; charset=utf-8")


@router.post("/import", response=ImportOut)
def import_items(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    """A CSV file (multipart field ``file``): good rows are stored, bad ones listed."""
    require_scope(request, "inventory:write")
    report = services.inventory_import_csv(
        organisation=services.organisation_for(request.user), stream=file,
        filename=file.name or "upload.csv", acting_user=request.user)
    return {"created": report.created, "updated": report.updated,
            "unchanged": report.unchanged, "problems": report.problems}


@router.get("/common", response=list[CommonOut])
def common(request: HttpRequest) -> list[dict[str, Any]]:
    """Coordinators: products several organisations run, as names and counts only."""
    require_scope(request, "inventory:read")
    from vrisac.alerts.selectors import common_products

    return common_products(user=request.user)


def _get(request: HttpRequest, item_id: int) -> InventoryItem:
    """One item of the token's organisation (``NotFound``, answered 404, otherwise)."""
    return selectors.item_get(user=request.user, pk=item_id)


@router.get("/{item_id}", response=ItemOut)
def get_item(request: HttpRequest, item_id: int) -> dict[str, Any]:
    require_scope(request, "inventory:read")
    return item_out(_get(request, item_id))


@router.patch("/{item_id}", response=ItemOut)
def update_item(request: HttpRequest, item_id: int, payload: ItemPatch) -> dict[str, Any]:
    require_scope(request, "inventory:write")
    item = services.item_update(item=_get(request, item_id), acting_user=request.user,
                                **payload.dict(exclude_unset=True, exclude_none=True))
    return item_out(item)


@router.delete("/{item_id}", response={204: None})
def delete_item(request: HttpRequest, item_id: int) -> Status[None]:
    require_scope(request, "inventory:write")
    services.item_delete(item=_get(request, item_id), acting_user=request.user)
    return Status(204, None)
