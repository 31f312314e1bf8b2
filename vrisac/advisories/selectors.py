"""Reads on advisories and vulnerabilities, through the sharing policy (by TLP label)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from vrisac.core.errors import NotFound
from vrisac.sharing.policy import viewer_for, vulnerability_visible_q

from .models import Advisory, AffectedProduct, ProductAlias, Vulnerability


def advisory_visible(*, user: Any) -> QuerySet[Advisory]:
    return Advisory.objects.visible_to(user)


def advisory_list(*, user: Any, q: str | None = None, tlp: str | None = None
                  ) -> QuerySet[Advisory]:
    qs = Advisory.objects.visible_to(user)
    if tlp:
        qs = qs.filter(tlp=tlp)
    if q:
        for word in q.split()[:6]:
            qs = qs.filter(Q(tracking_id__icontains=word) | Q(title__icontains=word)
                           | Q(vulnerabilities__cve_id__iexact=word)).distinct()
    return qs.order_by("-current_release", "pk")


def advisory_get(*, user: Any, pk: Any) -> Advisory:
    try:
        return Advisory.objects.visible_to(user).get(pk=pk)
    except (Advisory.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Advisory not found.")) from None


def advisory_vulnerabilities(*, advisory: Advisory) -> QuerySet[Vulnerability]:
    return advisory.vulnerabilities.order_by("cve_id")


def advisory_statements(*, advisory: Advisory) -> QuerySet[AffectedProduct]:
    return advisory.affected.select_related("vulnerability").order_by(
        "vulnerability__cve_id", "status", "vendor", "product", "pk")


def vulnerabilities_visible(*, user: Any) -> QuerySet[Vulnerability]:
    return Vulnerability.objects.filter(
        pk__in=Vulnerability.objects.filter(vulnerability_visible_q(viewer_for(user)))
        .values("pk"))


def vulnerability_visible(*, user: Any, cve_id: str) -> Vulnerability:
    try:
        return vulnerabilities_visible(user=user).get(cve_id=cve_id)
    except Vulnerability.DoesNotExist:
        raise NotFound(_("Vulnerability not found.")) from None


def vulnerability_list(*, user: Any, q: str | None = None, kev: bool = False
                       ) -> QuerySet[Vulnerability]:
    qs = vulnerabilities_visible(user=user)
    if kev:
        qs = qs.filter(kev_added__isnull=False)
    if q:
        q = q.strip()
        qs = qs.filter(Q(cve_id__iexact=q) | Q(title__icontains=q)
                       | Q(kev_product__icontains=q) | Q(kev_vendor__icontains=q))
    return qs.order_by("-published", "-pk")


def vulnerability_statements(*, user: Any, vulnerability: Vulnerability
                             ) -> QuerySet[AffectedProduct]:
    """Public statements, and those of advisories the user may read."""
    visible = Advisory.objects.visible_to(user).values("pk")
    return (vulnerability.affected.filter(Q(advisory__isnull=True) | Q(advisory__in=visible))
            .select_related("advisory").order_by("source", "vendor", "product", "pk"))


def vulnerability_advisories(*, user: Any, vulnerability: Vulnerability) -> QuerySet[Advisory]:
    return Advisory.objects.visible_to(user).filter(vulnerabilities=vulnerability)


def alias_list() -> QuerySet[ProductAlias]:
    return ProductAlias.objects.all()
