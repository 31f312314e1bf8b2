"""REST: a report as a STIX 2.1 bundle, and the import of a bundle
(``/api/v1/stix/reports/{id}`` and ``/api/v1/stix/bundles``)."""

from __future__ import annotations

from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from vrisac.api.auth import require_scope
from vrisac.organisations.models import Organisation

from . import selectors, services
from .export import dumps

router = Router(tags=["stix"])

_BUNDLE = {"type": "object", "description": "A STIX 2.1 bundle."}


class ImportQuery(Schema):
    tlp: Literal["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT"] | None = Field(
        None, description="Label of objects without a TLP marking (default TLP:AMBER).")
    audience: Literal["organisation", "organisations", "participants", "partners",
                      "public"] = "participants"
    audience_organisations: list[str] = Field(default_factory=list, max_length=50)


class ImportOut(Schema):
    created: list[int]
    updated: list[int]
    unchanged: list[int]
    retracted: list[int]
    indicators_added: int
    kept: dict[str, int] = Field(description="Objects the platform does not model, by type; "
                                             "kept and sent out again with their report.")
    notes: list[str]


@router.get("/reports/{report_id}", response={200: None},
            openapi_extra={"responses": {200: {"content": {
                "application/stix+json;version=2.1": {"schema": _BUNDLE}}}}})
def export_report(request: HttpRequest, report_id: int) -> HttpResponse:
    """A report you may see as a STIX 2.1 bundle (the source is a neutral VR-ISAC identity
    when the report is anonymous; a retracted report comes revoked)."""
    require_scope(request, "reports:read")
    report, bundle = selectors.report_bundle_for(user=request.user, pk=report_id)
    with transaction.atomic():
        services.export_record(acting_user=request.user, report=report, face="api")
    response = HttpResponse(dumps(bundle), content_type="application/stix+json;version=2.1")
    response["Cache-Control"] = "private, no-store"
    return response


@router.post("/bundles", response=ImportOut,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": _BUNDLE}}}})
def import_bundle(request: HttpRequest, query: Query[ImportQuery]) -> dict[str, Any]:
    """Import a STIX 2.1 bundle (the request body) as reports and indicators of your
    organisation, created or updated by STIX id and ``modified``. Objects the platform does
    not model are kept and listed under ``kept``."""
    require_scope(request, "reports:write")
    named = list(Organisation.objects.filter(slug__in=query.audience_organisations))
    result = services.bundle_import(
        acting_user=request.user, data=request.body, where="request body", tlp=query.tlp,
        audience=query.audience, audience_organisations=named, origin="api")
    return result.as_dict()
