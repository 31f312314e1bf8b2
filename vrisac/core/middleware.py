from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse

from .request_context import Origin, client_ip, reset_origin, set_origin

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Give every request an id (kept from a trusted proxy's X-Request-ID when well-formed),
    and make the caller's address available to audit rows written during the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        channel = "api" if request.path.startswith("/api/") else "web"
        token = set_origin(Origin(ip=client_ip(request), request_id=request_id, channel=channel))
        try:
            response = self.get_response(request)
        finally:
            reset_origin(token)
        response["X-Request-ID"] = request_id
        return response


class NulGuardMiddleware:
    """Refuse a request whose path, query or form carries a NUL character: no parameter of the
    platform holds one, and PostgreSQL cannot compare text with it (a server error where a
    "bad input" answer belongs). The project's 400 handler answers in the face's format."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "") or any(
                "\x00" in value for values in request.GET.lists() for value in values[1]):
            raise BadRequest("A parameter holds a NUL character.")
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method == "POST" and content_type.startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")) and any(
                "\x00" in value for values in request.POST.lists() for value in values[1]):
            raise BadRequest("A form field holds a NUL character.")
        return self.get_response(request)
