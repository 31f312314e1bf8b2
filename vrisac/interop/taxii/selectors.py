"""Reads of the TAXII store: one keyset-paged, indexed query per request, filtered by the
sharing policy (``visible_q``) and the TAXII ``match`` parameters."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from vrisac.core.errors import DomainError
from vrisac.sharing.policy import Viewer, visible_q

from .models import TaxiiObject

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 1_000


@dataclass
class Filters:
    """The query parameters of a TAXII request, checked."""

    added_after: datetime | None = None
    ids: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=lambda: ["last"])
    version_times: list[datetime] = field(default_factory=list)
    spec_versions: list[str] = field(default_factory=list)
    limit: int = DEFAULT_LIMIT
    after: tuple[datetime, int] | None = None


def taxii_time(moment: datetime) -> str:
    """A TAXII timestamp (UTC, to the microsecond)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_next(moment: datetime, pk: int) -> str:
    micros = int(moment.timestamp() * 1_000_000)
    return base64.urlsafe_b64encode(f"{micros}.{pk}".encode()).decode().rstrip("=")


def decode_next(token: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        micros, pk = raw.split(".")
        moment = datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
        return moment.replace(microsecond=int(micros) % 1_000_000), int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError, OSError):
        raise DomainError(_("next: not a value this server gave out."), field="next") from None


def base(viewer: Viewer, collection: Any) -> QuerySet[TaxiiObject]:
    """The objects of a collection the viewer may see (the sharing policy as a filter)."""
    return TaxiiObject.objects.filter(collection=collection).filter(
        visible_q(TaxiiObject, viewer))


def _version_q(filters: Filters) -> Q | None:
    if "all" in filters.versions:
        return None
    condition = Q(pk__in=[])
    if "last" in filters.versions:
        condition |= Q(latest=True)
    if "first" in filters.versions:
        condition |= Q(first=True)
    if filters.version_times:
        condition |= Q(version_at__in=filters.version_times)
    return condition


def filtered(qs: QuerySet[TaxiiObject], filters: Filters, *, collection: Any,
             versions: bool = True) -> QuerySet[TaxiiObject]:
    if filters.ids:
        # Found through the (collection, id) index first: a query that also orders by date
        # would otherwise walk the whole collection in date order to find a few ids.
        rows = TaxiiObject.objects.filter(collection=collection, stix_id__in=filters.ids)
        qs = qs.filter(pk__in=list(rows.values_list("pk", flat=True)))
    if filters.types:
        qs = qs.filter(type__in=filters.types)
    if filters.spec_versions:
        qs = qs.filter(spec_version__in=filters.spec_versions)
    if versions and (condition := _version_q(filters)) is not None:
        qs = qs.filter(condition)
    if filters.added_after is not None:
        qs = qs.filter(date_added__gt=filters.added_after)
    if filters.after is not None:
        moment, pk = filters.after
        # The plain bound lets the index range start at the page's date; the pair decides.
        qs = qs.filter(Q(date_added__gt=moment) | Q(date_added=moment, pk__gt=pk),
                       date_added__gte=moment)
    return qs


def page(qs: QuerySet[TaxiiObject], filters: Filters, *fields: str
         ) -> tuple[list[tuple[Any, ...]], bool]:
    """One page of ``fields`` (plus ``date_added`` and ``pk`` last), oldest added first."""
    rows = list(qs.order_by("date_added", "pk")
                .values_list(*fields, "date_added", "pk")[: filters.limit + 1])
    more = len(rows) > filters.limit
    return rows[: filters.limit], more
