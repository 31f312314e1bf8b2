"""Reads on warnings, through the sharing policy: an organisation's own warnings in full, to
its participants and coordinators; across organisations only counts (coordinators and the
owner observer), never another organisation's rows."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, F, Min, Q, QuerySet, Value, When
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from vrisac.advisories.models import Advisory, AffectedProduct, Vulnerability
from vrisac.advisories.selectors import advisory_visible, vulnerability_visible
from vrisac.assets.models import InventoryItem
from vrisac.core.errors import NotFound
from vrisac.sharing.policy import (
    MIN_GROUP_SIZE,
    group_count,
    sees_cross_organisation_aggregates,
    viewer_for,
)

from .matching import AFFECTED, ITEM_FIELDS, NOT_AFFECTED, STATEMENT_FIELDS, Item, evaluate
from .models import PRIORITY_ORDER, Priority, Warning

CVE_PATTERN = re.compile(r"^CVE-\d{4}-\d{4,}$", re.IGNORECASE)


def warning_list(*, user: Any, priority: str | None = None, status: str | None = None,
                 cve: str | None = None, q: str | None = None,
                 include_withdrawn: bool = False) -> QuerySet[Warning]:
    qs = (Warning.objects.visible_to(user)
          .select_related("item", "vulnerability", "advisory"))
    if not include_withdrawn:
        qs = qs.filter(withdrawn_at__isnull=True)
    if priority:
        qs = qs.filter(priority=priority)
    if status:
        qs = qs.filter(status=status)
    if cve:
        qs = qs.filter(vulnerability__cve_id__iexact=cve.strip())
    if q:
        for word in q.split()[:6]:
            qs = qs.filter(Q(item__vendor__icontains=word) | Q(item__product__icontains=word)
                           | Q(vulnerability__cve_id__icontains=word)
                           | Q(advisory__tracking_id__icontains=word))
    return qs.order_by("priority_rank", "-created_at", "pk")


def warning_get(*, user: Any, pk: Any) -> Warning:
    try:
        return (Warning.objects.visible_to(user)
                .select_related("item", "vulnerability", "advisory", "status_changed_by")
                .get(pk=pk))
    except (Warning.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Warning not found.")) from None


def warning_as_dict(warning: Warning) -> dict[str, Any]:
    """The shape the command line (``vrisac warnings --json``) and the API share."""
    vuln = warning.vulnerability
    return {
        "id": warning.pk,
        "cves": [vuln.cve_id] if CVE_PATTERN.match(vuln.cve_id) else [],
        "vulnerability": vuln.cve_id,
        "advisory": warning.advisory.tracking_id if warning.advisory else None,
        "vendor": warning.item.vendor,
        "product": warning.item.product,
        "version": warning.item.version,
        "item": warning.item_id,
        "priority": warning.priority,
        "confidence": warning.confidence,
        "reasons": warning.reasons,
        "status": warning.status,
        "justification": warning.justification,
        "remediations": warning.remediations,
        "tlp": warning.tlp,
        "withdrawn": warning.withdrawn_at is not None,
        "created_at": warning.created_at.isoformat(),
        "updated_at": warning.updated_at.isoformat(),
    }


def organisation_warnings(*, organisation_id: int, include_withdrawn: bool = False
                          ) -> QuerySet[Warning]:
    """For the command line, which runs as the operator (no viewer): one organisation."""
    qs = Warning.objects.filter(organisation_id=organisation_id).select_related(
        "item", "vulnerability", "advisory")
    if not include_withdrawn:
        qs = qs.filter(withdrawn_at__isnull=True)
    return qs.order_by("priority_rank", "-created_at", "pk")


def counts_by_priority(*, user: Any) -> dict[str, int]:
    rows = (Warning.objects.visible_to(user).filter(withdrawn_at__isnull=True,
                                                    status__in=["new", "acknowledged"])
            .values("priority").annotate(n=Count("pk")))
    found = {row["priority"]: row["n"] for row in rows}
    return {str(p): found.get(str(p), 0) for p in PRIORITY_ORDER}


# --- across organisations: counts only ----------------------------------------------------


def _open() -> QuerySet[Warning]:
    return Warning.objects.filter(withdrawn_at__isnull=True,
                                  status__in=[Warning.Status.NEW, Warning.Status.ACKNOWLEDGED])


def affected_region_count(*, vulnerability_id: int) -> int | None:
    """How many organisations have an open warning for the vulnerability, as the policy lets
    it be shown: None below the minimum group ("fewer than six")."""
    return group_count(int(_open().filter(vulnerability_id=vulnerability_id)
                           .values("organisation_id").distinct().count()))


def vulnerability_overview(*, user: Any, limit: int = 100) -> list[dict[str, Any]]:
    """Per vulnerability: how many regions have an open warning, the highest priority and
    which products (by normalised name). Coordinators and the owner observer only.

    Counts follow the policy's minimum group: below it the count is None ("fewer than
    six"), and the order does not tell such rows apart by their size. A product is named
    only when at least the minimum group of organisations has an open warning on it, so a
    product name never stands beside a small group."""
    if not sees_cross_organisation_aggregates(user):
        raise NotFound(_("Not found."))
    rows: list[dict[str, Any]] = [dict(r) for r in
        _open().values("vulnerability_id", cve_id=F("vulnerability__cve_id"),
                       title=F("vulnerability__title"), kev=F("vulnerability__kev_added"))
        .annotate(hit=Count("organisation_id", distinct=True),
                  top=Min("priority_rank"))
        .annotate(shown=Case(When(hit__gte=MIN_GROUP_SIZE, then=F("hit")), default=Value(0)))
        .order_by("top", "-shown", "cve_id")[:limit]
    ]
    ids = [r["vulnerability_id"] for r in rows]
    products: dict[int, set[str]] = {}
    for vid, vendor, product in (
        _open().filter(vulnerability_id__in=ids)
        .values("vulnerability_id", "item__name_key")
        .annotate(organisations=Count("organisation_id", distinct=True),
                  vendor=Min("item__vendor"), product=Min("item__product"))
        .filter(organisations__gte=MIN_GROUP_SIZE)
        .values_list("vulnerability_id", "vendor", "product")
    ):
        products.setdefault(vid, set()).add(f"{vendor} {product}")
    for row in rows:
        row["priority"] = str(PRIORITY_ORDER[row["top"]])
        row["regions"] = group_count(row.pop("hit"))
        del row["shown"]
        row["products"] = sorted(products.get(row["vulnerability_id"], ()))[:5]
    return rows


def common_products(*, user: Any, limit: int = 200) -> list[dict[str, Any]]:
    """Products that at least the policy's minimum group of organisations runs: a name and a
    count, no other field. A product of fewer organisations is left out."""
    if not sees_cross_organisation_aggregates(user):
        raise NotFound(_("Not found."))
    rows = list(
        InventoryItem.objects.values("name_key")
        .annotate(organisations=Count("organisation_id", distinct=True),
                  vendor=Min("vendor"), product=Min("product"))
        .filter(organisations__gte=MIN_GROUP_SIZE)
        .order_by("-organisations", "name_key")[:limit]
    )
    return [{"vendor": r["vendor"], "product": r["product"],
             "organisations": r["organisations"]} for r in rows]


def warning_statistics() -> dict[str, Any]:
    """Aggregates for the strategic picture (no organisation names, no inventory fields)::

        {
          "by_priority": {"kritiek": int, "hoog": int, "middel": int, "laag": int},
              # current (not withdrawn) warnings per priority, any state
          "by_status": {"new": int, "acknowledged": int, "mitigated": int,
                        "not_affected": int},
          "open_kritiek": int,             # open (new/acknowledged) kritiek warnings, all regions
          "open_kritiek_regions": int | None,
              # how many organisations have one; None below the minimum group
          "median_seconds_to_acknowledge": float | None,
              # from created_at to the first state change away from "new"
          "monthly": [{"month": "2026-01", "created": int, "acknowledged": int,
                       "kritiek": int}, ...],   # oldest first, by month of creation
        }
    """
    current = Warning.objects.filter(withdrawn_at__isnull=True)
    by_priority = {str(p): 0 for p in PRIORITY_ORDER}
    for row in current.values("priority").annotate(n=Count("pk")):
        by_priority[row["priority"]] = row["n"]
    by_status = {str(s): 0 for s in Warning.Status.values}
    for status_row in current.values("status").annotate(n=Count("pk")):
        by_status[status_row["status"]] = status_row["n"]
    open_kritiek = _open().filter(priority=Priority.KRITIEK)
    durations = [
        (acknowledged - created).total_seconds()
        for created, acknowledged in Warning.objects.filter(acknowledged_at__isnull=False)
        .values_list("created_at", "acknowledged_at")
        if acknowledged is not None
    ]
    monthly = []
    for month_row in (Warning.objects.annotate(month=TruncMonth("created_at")).values("month")
                .annotate(created=Count("pk"),
                          acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
                          kritiek=Count("pk", filter=Q(priority=Priority.KRITIEK)))
                .order_by("month")):
        monthly.append({"month": month_row["month"].strftime("%Y-%m"),
                        "created": month_row["created"],
                        "acknowledged": month_row["acknowledged"],
                        "kritiek": month_row["kritiek"]})
    return {
        "by_priority": by_priority,
        "by_status": by_status,
        "open_kritiek": open_kritiek.count(),
        "open_kritiek_regions": group_count(
            open_kritiek.values("organisation_id").distinct().count()),
        "median_seconds_to_acknowledge": statistics.median(durations) if durations else None,
        "monthly": monthly,
    }


# --- the lookup: "do we run this?" --------------------------------------------------------


@dataclass
class LookupRow:
    item: InventoryItem
    vulnerability: str
    state: str  # affected | check | not_affected | unaffected
    reasons: list[str]
    warning_id: int | None = None


def lookup(*, user: Any, query: str) -> tuple[str, list[LookupRow]]:
    """A CVE id, an advisory id or a product name: the organisation's inventory items, each
    affected or not, with the reason. Returns (what the query was taken as, rows)."""
    query = (query or "").strip()[:200]
    viewer = viewer_for(user)
    if not query or not viewer.is_participant or not viewer.organisation_ids:
        return "", []
    items = list(InventoryItem.objects.visible_to(user).order_by("vendor", "product", "pk"))
    vulns: list[Vulnerability] = []
    kind = "product"
    if CVE_PATTERN.match(query):
        kind = "cve"
        try:
            vulns = [vulnerability_visible(user=user, cve_id=query.upper())]
        except NotFound:
            return kind, []
    else:
        advisory = advisory_visible(user=user).filter(tracking_id__iexact=query).first()
        if advisory is not None:
            kind = "advisory"
            vulns = list(advisory.vulnerabilities.all())
    if kind == "product":
        return kind, _lookup_product(user, query, items)
    warnings = {(w.item_id, w.vulnerability_id): w.pk for w in Warning.objects.visible_to(user)
                .filter(vulnerability__in=vulns, withdrawn_at__isnull=True)}
    rows: list[LookupRow] = []
    for vuln in vulns:
        statements = list(AffectedProduct.objects.filter(vulnerability=vuln)
                          .values(*STATEMENT_FIELDS))
        names = dict(Advisory.objects.filter(
            pk__in={s["advisory_id"] for s in statements if s["advisory_id"]}
        ).values_list("pk", "tracking_id"))
        for item in items:
            view = Item.from_row({f: getattr(item, "pk" if f == "pk" else f)
                                  for f in ITEM_FIELDS})
            result = evaluate(view, statements, vuln.has_versions, names)
            if result.outcome == AFFECTED:
                state = "affected" if result.confidence == "confirmed" else "check"
            elif result.outcome == NOT_AFFECTED:
                state = "not_affected"
            else:
                state = "unaffected"
            reasons = result.reasons or [_("No record for %(v)s names this product.") % {
                "v": vuln.cve_id}]
            rows.append(LookupRow(item, vuln.cve_id, state, reasons,
                                  warnings.get((item.pk, vuln.pk))))
    order = {"affected": 0, "check": 1, "not_affected": 2, "unaffected": 3}
    rows.sort(key=lambda r: (order[r.state], r.vulnerability, r.item.vendor, r.item.product))
    return kind, rows


def _lookup_product(user: Any, query: str, items: list[InventoryItem]) -> list[LookupRow]:
    words = query.lower().split()
    matching = [i for i in items
                if all(w in f"{i.vendor} {i.product} {i.version}".lower() for w in words)]
    open_warnings: dict[int, list[Warning]] = {}
    for w in (Warning.objects.visible_to(user)
              .filter(item__in=matching, withdrawn_at__isnull=True)
              .select_related("vulnerability").order_by("priority_rank")):
        open_warnings.setdefault(w.item_id, []).append(w)
    rows = []
    for item in matching:
        found = open_warnings.get(item.pk, [])
        if not found:
            rows.append(LookupRow(item, "", "unaffected", [
                _("No current vulnerability matches this product and version.")]))
        for w in found:
            rows.append(LookupRow(item, w.vulnerability.cve_id,
                                  "affected" if w.confidence == "confirmed" else "check",
                                  w.match_reason_list, w.pk))
    return rows
