"""Token authentication and scopes for the REST API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from vrisac.accounts.models import ApiToken
from vrisac.accounts.services import TokensBlocked, token_authenticate
from vrisac.core.request_context import Origin, current_origin, set_origin


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``; the request then acts as the token's holder."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        try:
            found = token_authenticate(token, channel="api")
        except TokensBlocked:
            raise HttpError(429, "Too many wrong tokens from this address; try again later."
                            ) from None
        if found is None:
            return None
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        origin = current_origin()
        set_origin(Origin(ip=origin.ip, request_id=origin.request_id, channel="api"))
        return found


def require_scope(request: Any, scope: str) -> None:
    token: ApiToken | None = getattr(request, "api_token", None)
    if token is None or scope not in token.scopes:
        raise HttpError(403, f"This token lacks the scope {scope}.")
