"""``/api/v1/advisories``: CSAF advisories and vulnerabilities, by their TLP label."""


from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from vrisac.api.auth import require_scope
from vrisac.api.pagination import Mapped, Paging

from . import selectors
from .models import Advisory, AffectedProduct, Vulnerability

router = Router(tags=["advisories"])


class AdvisoryOut(Schema):
    id: int
    tracking_id: str
    publisher: str
    title: str
    tlp: str
    version: str
    current_release: datetime | None
    severity: str
    ncsc_priority: str
    cves: list[str]
    remediations: list[dict[str, Any]]


class StatementOut(Schema):
    vulnerability: str
    source: str
    advisory: str | None
    status: str
    vendor: str
    product: str
    cpe: str
    purl: str
    versions: dict[str, Any]
    field: str
    platform: str


class VulnerabilityOut(Schema):
    cve_id: str
    title: str
    description: str
    cvss3_vector: str
    cvss3_score: float | None
    cvss4_vector: str
    cvss4_score: float | None
    kev_added: str | None
    kev_ransomware: bool
    epss: float | None
    epss_percentile: float | None
    ssvc_exploitation: str
    advisories: list[str]
    statements: list[StatementOut]


class AdvisoryFilters(Schema):
    q: str | None = Field(None, max_length=200)
    tlp: str | None = Field(None, max_length=20)


def advisory_out(a: Advisory) -> dict[str, Any]:
    return {"id": a.pk, "tracking_id": a.tracking_id, "publisher": a.publisher_name,
            "title": a.title, "tlp": a.tlp, "version": a.version,
            "current_release": a.current_release, "severity": a.severity,
            "ncsc_priority": a.ncsc_priority,
            "cves": [v.cve_id for v in a.vulnerabilities.all()],
            "remediations": a.remediations}


def statement_out(s: AffectedProduct) -> dict[str, Any]:
    return {"vulnerability": s.vulnerability.cve_id, "source": s.source,
            "advisory": s.advisory.tracking_id if s.advisory else None, "status": s.status,
            "vendor": s.vendor, "product": s.product, "cpe": s.cpe, "purl": s.purl,
            "versions": {k: getattr(s, k) for k in (
                "version_exact", "version_start", "version_start_incl", "version_end",
                "version_end_incl", "version_expr", "all_versions") if getattr(s, k)},
            "field": s.field, "platform": s.platform}


@router.get("", response=list[AdvisoryOut])
@paginate(Paging)
def list_advisories(request: HttpRequest, filters: Query[AdvisoryFilters]) -> Any:
    """CSAF advisories you may read (by TLP), newest first; ``{"items": [...], "count": N}``."""
    require_scope(request, "advisories:read")
    return Mapped.each(selectors.advisory_list(user=request.user, **filters.dict())
                       .prefetch_related("vulnerabilities"), advisory_out)


@router.get("/vulnerabilities/{cve_id}", response=VulnerabilityOut)
def get_vulnerability(request: HttpRequest, cve_id: str) -> dict[str, Any]:
    require_scope(request, "advisories:read")
    v: Vulnerability = selectors.vulnerability_visible(user=request.user, cve_id=cve_id)
    statements = selectors.vulnerability_statements(user=request.user, vulnerability=v)
    return {
        **{f: getattr(v, f) for f in ("cve_id", "title", "description", "cvss3_vector",
                                      "cvss3_score", "cvss4_vector", "cvss4_score",
                                      "kev_ransomware", "epss", "epss_percentile",
                                      "ssvc_exploitation")},
        "kev_added": v.kev_added.isoformat() if v.kev_added else None,
        "advisories": [a.tracking_id for a in selectors.vulnerability_advisories(
            user=request.user, vulnerability=v)],
        "statements": [statement_out(s) for s in statements.select_related("vulnerability")],
    }


@router.get("/{advisory_id}", response=AdvisoryOut)
def get_advisory(request: HttpRequest, advisory_id: int) -> dict[str, Any]:
    require_scope(request, "advisories:read")
    return advisory_out(selectors.advisory_get(user=request.user, pk=advisory_id))
