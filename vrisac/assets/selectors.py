"""Reads on inventories, through the sharing policy: only one's own organisation's items."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from vrisac.core.errors import NotFound

from .models import InventoryItem
from .services import CSV_COLUMNS, OPTIONAL_COLUMNS


def item_list(*, user: Any, q: str | None = None, criticality: str | None = None,
              internet_facing: bool | None = None) -> QuerySet[InventoryItem]:
    qs = InventoryItem.objects.visible_to(user)
    if q:
        for word in q.split()[:6]:
            qs = qs.filter(Q(vendor__icontains=word) | Q(product__icontains=word)
                           | Q(version__icontains=word) | Q(cpe__icontains=word))
    if criticality:
        qs = qs.filter(criticality=criticality)
    if internet_facing is not None:
        qs = qs.filter(internet_facing=internet_facing)
    return qs.annotate(open_warnings=Count(
        "warnings", filter=Q(warnings__withdrawn_at__isnull=True,
                             warnings__status__in=["new", "acknowledged"]))
    ).order_by("vendor", "product", "version", "pk")


def item_get(*, user: Any, pk: Any) -> InventoryItem:
    try:
        return InventoryItem.objects.visible_to(user).get(pk=pk)
    except (InventoryItem.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Item not found.")) from None


def export_csv(items: QuerySet[InventoryItem]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, *OPTIONAL_COLUMNS])
    for item in items.order_by("vendor", "product", "version"):
        writer.writerow([_safe(item.vendor), _safe(item.product), item.version, item.cpe, item.purl,
                         "yes" if item.internet_facing else "no", item.criticality,
                         _safe(item.owner), _safe(item.notes)])
    return out.getvalue()


def _safe(value: str) -> str:
    """No formula injection when a spreadsheet opens the export."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
