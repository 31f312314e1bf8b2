"""The request that a unit of work belongs to, so audit rows can say "from where"."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Origin:
    ip: str | None = None
    request_id: str | None = None
    channel: str = "web"  # web, api, taxii, misp, cli, worker


_DEFAULT = Origin(channel="cli")
_current: contextvars.ContextVar[Origin | None] = contextvars.ContextVar(
    "vrisac_origin", default=None
)


def current_origin() -> Origin:
    return _current.get() or _DEFAULT


def set_origin(origin: Origin) -> contextvars.Token[Origin | None]:
    return _current.set(origin)


def reset_origin(token: contextvars.Token[Origin | None]) -> None:
    _current.reset(token)


def client_ip(request: Any) -> str | None:
    """The peer address; X-Forwarded-For only when the operator says a proxy sets it."""
    from django.conf import settings

    if getattr(settings, "VRISAC_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR")
