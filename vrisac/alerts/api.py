"""``/api/v1/warnings``: the token's organisation's warnings, and the lookup."""


from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from vrisac.api.auth import require_scope

from . import selectors, services

router = Router(tags=["warnings"])

PriorityLiteral = Literal["kritiek", "hoog", "middel", "laag"]
StatusLiteral = Literal["new", "acknowledged", "mitigated", "not_affected"]


class WarningOut(Schema):
    id: int | None = Field(description="The warning's id; null for an unaffected item in a "
                                       "lookup.")
    cves: list[str]
    vulnerability: str | None
    advisory: str | None
    vendor: str
    product: str
    version: str
    item: int
    priority: str | None
    confidence: str | None
    reasons: list[str]
    status: str | None
    affected: bool = True
    answer: str = Field("affected", description="affected, check, not_affected or unaffected")
    justification: str = ""
    remediations: list[dict[str, Any]] = Field(default_factory=list)
    tlp: str = "TLP:CLEAR"
    withdrawn: bool = False


class WarningFilters(Schema):
    cve: str | None = Field(None, max_length=64, description="Look up: every inventory item, "
                                                             "affected or not, with the reason.")
    q: str | None = Field(None, max_length=200, description="Look up by advisory id or product.")
    priority: PriorityLiteral | None = None
    status: StatusLiteral | None = None
    limit: int = Field(1000, ge=1, le=5000)
    offset: int = Field(0, ge=0)


class StatusIn(Schema):
    status: StatusLiteral
    justification: str = Field("", max_length=2000)


def _lookup_rows(request: HttpRequest, query: str) -> list[dict[str, Any]]:
    _kind, rows = selectors.lookup(user=request.user, query=query)
    out = []
    warnings = {w.pk: w for w in selectors.warning_list(user=request.user).filter(
        pk__in=[r.warning_id for r in rows if r.warning_id])}
    for row in rows:
        warning = warnings.get(row.warning_id) if row.warning_id else None
        if warning is not None:
            data = selectors.warning_as_dict(warning)
            data["reasons"] = row.reasons + warning.priority_reason_list
        else:
            cve = row.vulnerability
            data = {"id": None, "cves": [cve] if selectors.CVE_PATTERN.match(cve or "") else [],
                    "vulnerability": cve or None, "advisory": None, "vendor": row.item.vendor,
                    "product": row.item.product, "version": row.item.version,
                    "item": row.item.pk, "priority": None, "confidence": None,
                    "reasons": row.reasons, "status": None}
        data["answer"] = row.state
        data["affected"] = row.state in ("affected", "check")
        out.append(data)
    return out


@router.get("", response=list[WarningOut])
def list_warnings(request: HttpRequest, filters: Query[WarningFilters]) -> list[dict[str, Any]]:
    """The organisation's current warnings, most urgent first. With ``cve`` (or ``q``): the
    lookup, one object per inventory item, affected or not, each with its reasons."""
    require_scope(request, "warnings:read")
    if filters.cve:
        return _lookup_rows(request, filters.cve)
    if filters.q:
        return _lookup_rows(request, filters.q)
    qs = selectors.warning_list(user=request.user, priority=filters.priority,
                                status=filters.status)
    return [selectors.warning_as_dict(w)
            for w in qs[filters.offset:filters.offset + filters.limit]]


@router.get("/statistics", response=dict[str, Any])
def statistics(request: HttpRequest) -> dict[str, Any]:
    """Coordinators: aggregates across all regions (counts only)."""
    require_scope(request, "warnings:read")
    selectors.vulnerability_overview(user=request.user, limit=1)  # 404 unless allowed
    return selectors.warning_statistics()


@router.get("/overview", response=list[dict[str, Any]])
def overview(request: HttpRequest) -> list[dict[str, Any]]:
    """Coordinators: per vulnerability, how many organisations have an open warning
    (``regions`` is null below the policy's minimum group: fewer than six) and the products
    that at least that many organisations have an open warning on."""
    require_scope(request, "warnings:read")
    rows = selectors.vulnerability_overview(user=request.user)
    return [{"cve": r["cve_id"], "regions": r["regions"], "priority": r["priority"],
             "products": r["products"]} for r in rows]


@router.get("/{warning_id}", response=WarningOut)
def get_warning(request: HttpRequest, warning_id: int) -> dict[str, Any]:
    require_scope(request, "warnings:read")
    return selectors.warning_as_dict(selectors.warning_get(user=request.user, pk=warning_id))


@router.post("/{warning_id}/status", response=WarningOut)
def set_status(request: HttpRequest, warning_id: int, payload: StatusIn) -> dict[str, Any]:
    require_scope(request, "warnings:write")
    warning = selectors.warning_get(user=request.user, pk=warning_id)
    services.warning_set_status(warning=warning, status=payload.status,
                                justification=payload.justification, acting_user=request.user)
    return selectors.warning_as_dict(selectors.warning_get(user=request.user, pk=warning_id))
