"""The REST API under /api/v1/ (OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.connection import ConnectionProxy
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema
from ninja.throttling import AuthRateThrottle

from vrisac.core.errors import DomainError, NotAllowed, NotFound

from .auth import TokenAuth
from .renderers import OrjsonRenderer

_ERROR = {
    "type": "object",
    "properties": {
        "detail": {"anyOf": [{"type": "string"}, {"type": "array"}]},
        "field": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "code": {"type": "string"},
    },
    "required": ["detail"],
}
#: The answers every operation may give besides its own, in the words of the handlers below
#: (and of django-ninja for a body that does not match the operation's schema: 422).
ERROR_RESPONSES = {
    "400": "The request breaks a rule of the platform; `field` names what to change.",
    "401": "No token, or not a valid one.",
    "403": "The token's scopes or its holder's role do not allow this.",
    "404": "Not found, or not visible to the token's holder (the same answer).",
    "413": "The request body is too large.",
    "422": "The request does not match the operation's schema.",
    "429": "Too many requests; wait and try again.",
}


class Api(NinjaAPI):
    """The platform's NinjaAPI: its OpenAPI document also lists the error answers that every
    operation can give, so that a client (and a contract test) knows them."""

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                for status, description in ERROR_RESPONSES.items():
                    operation["responses"].setdefault(status, {
                        "description": description,
                        "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Error"}}},
                    })
        return schema


class _TokenThrottle(AuthRateThrottle):
    """django-ninja's per-token rate limit, its history kept in the ``counters`` cache (one
    write per call: not in the database; config/settings/base.py)."""

    cache = cast(BaseCache, ConnectionProxy(caches, "counters"))


#: Each token's budget of requests (ASVS V4.1); past it: 429 with Retry-After.
API_THROTTLE = _TokenThrottle("1200/m")

api = Api(
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
    throttle=[API_THROTTLE],
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
