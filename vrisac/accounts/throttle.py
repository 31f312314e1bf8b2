"""The login's back-off: it should hurt whoever guesses passwords, not the person whose account
they guess.

Wrong passwords are counted per address (every account, in the cache) and per account (every
address, a ``LoginThrottle`` row the coordinators see). Past the limit each further failure
doubles the wait (``LOGIN_LOCKOUT_SECONDS``, ``LOGIN_LOCKOUT_MAX_SECONDS``); an attempt during
the wait is refused without looking at the password and counts against its address, so an
attacker who keeps trying keeps backing off.

The account's wait holds for unknown devices only. A browser where the person logged in with
their second factor carries a signed *known device* cookie, bound to the account's password
and session epoch (a new password, a removal or "end all sessions" forgets every device);
from it only that device's own failures count. A password reset by e-mail lifts the account's
wait (the recovery path from a new device).
"""

from __future__ import annotations

import math
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare, salted_hmac

from vrisac.core.audit import audit_record
from vrisac.core.request_context import client_ip

from .models import LoginThrottle, User

_SALT = "vrisac.accounts.known-device"
#: At most this many address hashes are kept per account (enough to say "from many").
_ADDRESSES_KEPT = 100


def _now() -> float:
    return time.time()


def _at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def backoff_seconds(failures: int, limit: int) -> int:
    """The wait after ``failures`` failures: none below ``limit``, then doubling."""
    if failures < limit:
        return 0
    doubled = int(settings.LOGIN_LOCKOUT_SECONDS) * 2 ** min(failures - limit, 30)
    return min(doubled, int(settings.LOGIN_LOCKOUT_MAX_SECONDS))


# --- known devices -------------------------------------------------------------------------------

def _binding(user: User) -> str:
    return salted_hmac(_SALT, f"{user.password}:{user.session_epoch}",
                       algorithm="sha256").hexdigest()[:32]


def known_device(request: HttpRequest, user: User | None) -> str | None:
    """The id of the known device this request comes from, for ``user``, if any."""
    raw = request.COOKIES.get(settings.VRISAC_KNOWN_DEVICE_COOKIE)
    if not raw or user is None:
        return None
    try:
        data = signing.loads(raw, salt=_SALT,
                             max_age=int(settings.VRISAC_KNOWN_DEVICE_DAYS) * 86400)
    except signing.BadSignature:
        return None
    if (not isinstance(data, dict) or data.get("u") != user.pk
            or not constant_time_compare(str(data.get("h", "")), _binding(user))):
        return None
    return str(data.get("d", "")) or None


def remember_device(request: HttpRequest, response: HttpResponse, user: User) -> None:
    """After a login with the second factor: this browser is a known device of ``user``."""
    device = known_device(request, user) or secrets.token_urlsafe(12)
    value = signing.dumps({"u": user.pk, "d": device, "h": _binding(user)}, salt=_SALT)
    response.set_cookie(
        settings.VRISAC_KNOWN_DEVICE_COOKIE, value,
        max_age=int(settings.VRISAC_KNOWN_DEVICE_DAYS) * 86400, path="/",
        secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax",
    )


# --- counters --------------------------------------------------------------------------------

def _address_key(ip: str | None) -> str:
    return f"vrisac:login-address:{ip or 'unknown'}"


def _device_key(device: str) -> str:
    return f"vrisac:login-device:{device}"


def _cached_wait(key: str, limit: int) -> float:
    state = cache.get(key) or {}
    until = float(state.get("last", 0)) + backoff_seconds(int(state.get("n", 0)), limit)
    return max(0.0, until - _now())


def _cached_failure(key: str) -> None:
    memory = int(settings.LOGIN_FAILURE_MEMORY_SECONDS)
    state = cache.get(key) or {}
    now = _now()
    failures = int(state.get("n", 0)) if now - float(state.get("last", 0)) < memory else 0
    cache.set(key, {"n": failures + 1, "last": now}, timeout=memory)


def _account_wait(user: User) -> float:
    row = LoginThrottle.objects.filter(user=user, blocked_until__isnull=False).first()
    if row is None or row.blocked_until is None:
        return 0.0
    return max(0.0, row.blocked_until.timestamp() - _now())


def _address_hash(ip: str | None) -> str:
    return salted_hmac("vrisac.accounts.login-address", ip or "unknown").hexdigest()[:16]


@transaction.atomic
def _account_failure(user: User, ip: str | None) -> None:
    now = _now()
    row = LoginThrottle.objects.select_for_update().filter(user=user).first()
    if row is None or now - row.last_failure_at.timestamp() > int(
            settings.LOGIN_FAILURE_MEMORY_SECONDS):
        LoginThrottle.objects.filter(user=user).delete()
        row = LoginThrottle(user=user, failures=0, first_failure_at=_at(now),
                            last_failure_at=_at(now), addresses=[])
    row.failures += 1
    row.last_failure_at = _at(now)
    address = _address_hash(ip)
    if address not in row.addresses and len(row.addresses) < _ADDRESSES_KEPT:
        row.addresses = [*row.addresses, address]
    limit = int(settings.LOGIN_FAILURES_PER_ACCOUNT)
    wait = backoff_seconds(row.failures, limit)
    if wait:
        row.blocked_until = _at(now + wait)
        if row.locked_since is None:
            row.locked_since = _at(now)
            audit_record(action="login.lockout", result="denied", obj=user,
                         actor_label=user.email,
                         details={"failures": row.failures, "addresses": len(row.addresses)})
    row.save()


# --- what the login asks ----------------------------------------------------------------------

def login_wait(request: HttpRequest, user: User | None) -> int:
    """Seconds this login attempt must wait (0: go ahead). A refused attempt counts against
    its address (or its device), so trying during the wait only makes it longer."""
    ip = client_ip(request)
    device = known_device(request, user)
    if device is not None:
        key = _device_key(device)
        wait = _cached_wait(key, int(settings.LOGIN_FAILURES_PER_ACCOUNT))
    else:
        key = _address_key(ip)
        wait = max(_cached_wait(key, int(settings.LOGIN_FAILURES_PER_ADDRESS)),
                   _account_wait(user) if user is not None else 0.0)
    if wait:
        _cached_failure(key)
    return math.ceil(wait)


def login_failed(request: HttpRequest, user: User | None) -> None:
    """A wrong password: counted for the device, or for the address and the account."""
    device = known_device(request, user)
    if device is not None:
        _cached_failure(_device_key(device))
        return
    ip = client_ip(request)
    _cached_failure(_address_key(ip))
    if user is not None:
        _account_failure(user, ip)


def login_succeeded(request: HttpRequest, user: User) -> None:
    device = known_device(request, user)
    if device is not None:
        cache.delete(_device_key(device))


def account_unlock(*, user: User, reason: str, acting_user: Any = None) -> bool:
    """Lift the account's back-off (a password reset by e-mail, or a coordinator)."""
    with transaction.atomic():
        deleted = LoginThrottle.objects.filter(user=user).delete()[0]
        if deleted:
            audit_record(action="login.unlock", actor=acting_user or user, obj=user,
                         details={"reason": reason[:200]})
    return bool(deleted)
