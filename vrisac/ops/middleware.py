"""Count and time every request for /metrics, and name the signed-in person (by id) in the
logs of the request and in the web server's access log."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from vrisac.core.logging import bind_user_id, unbind_user_id

from .metrics import observe_request

#: Keys in the WSGI environ that the access log (vrisac/ops/gunicorn.py) reads.
ENVIRON_USER_ID = "vrisac.user_id"
ENVIRON_REQUEST_ID = "vrisac.request_id"


def _user_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return int(user.pk)
    return None


class OperationsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        token = bind_user_id(lambda: _user_id(request))
        try:
            response = self.get_response(request)
        finally:
            unbind_user_id(token)
        match = request.resolver_match
        route = (match.route or match.view_name) if match else "unmatched"
        observe_request(method=request.method or "", route=route or "unmatched",
                        status=response.status_code, seconds=time.perf_counter() - started)
        request.META[ENVIRON_USER_ID] = _user_id(request)
        request.META[ENVIRON_REQUEST_ID] = getattr(request, "request_id", None)
        return response
