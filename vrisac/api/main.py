"""The REST API under /api/v1/ (OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.throttling import AuthRateThrottle

from vrisac.core.errors import DomainError, NotAllowed, NotFound

from .auth import TokenAuth
from .renderers import OrjsonRenderer

api = NinjaAPI(
    title="VR-ISAC API",
    version="1",
    description=(
        "The REST API of VR-ISAC. Authenticate with `Authorization: Bearer <token>` "
        "(create a token with `vrisac create_token`). What you can read is decided by the "
        "same sharing policy as the web interface: objects you may not see answer 404."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url=None,
    renderer=OrjsonRenderer(),
    throttle=[AuthRateThrottle("1200/m")],
)


@api.exception_handler(NotFound)
def _not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(NotAllowed)
def _not_allowed(request: HttpRequest, exc: NotAllowed) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=403)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    return api.create_response(
        request, {"detail": f"The request body is larger than {limit} MB; send less at a time "
                            "or upload a file.", "code": "too_large"}, status=413)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(
        request, {"detail": exc.message, "field": exc.field, "code": exc.code}, status=400
    )


def register_routers() -> None:
    """Each app's router. An app's router declares its own paths below its prefix."""
    from vrisac.advisories.api import router as advisories
    from vrisac.alerts.api import router as alerts
    from vrisac.assets.api import router as assets
    from vrisac.intel.api import router as intel
    from vrisac.interop.stix.api import router as stix
    from vrisac.knowledge.api import router as knowledge
    from vrisac.organisations.api import router as organisations
    from vrisac.reports.api import router as reports
    from vrisac.resilience.api import router as resilience

    api.add_router("/organisations", organisations)
    api.add_router("/reports", reports)
    api.add_router("", intel)  # /indicators, /extract, /sightings, /search, /exports, /feeds
    api.add_router("/advisories", advisories)
    api.add_router("/inventory", assets)
    api.add_router("/warnings", alerts)
    api.add_router("", resilience)  # /nis2/..., /resilience/...
    api.add_router("/knowledge", knowledge)
    api.add_router("/stix", stix)


register_routers()
