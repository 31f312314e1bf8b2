"""Writes on accounts: API tokens, ending sessions, and personal preferences."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record
from vrisac.core.errors import DomainError
from vrisac.core.request_context import current_origin

from .models import ApiToken, User
from .scopes import SCOPES, scopes_for_roles

TOKEN_PREFIX = "vrs_"  # noqa: S105  (a public marker, not a secret)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def allowed_scopes(user: User) -> frozenset[str]:
    from vrisac.sharing.policy import viewer_for

    return scopes_for_roles(viewer_for(user).roles)


@transaction.atomic
def token_create(
    *,
    user: User,
    scopes: list[str] | None = None,
    expires_days: int | None = None,
    name: str = "",
    acting_user: User | None = None,
) -> tuple[ApiToken, str]:
    """Make a new token; the raw value is returned once and never stored."""
    allowed = allowed_scopes(user)
    if not allowed:
        raise DomainError("This account has no current membership, so a token could do nothing.")
    if scopes:
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise DomainError(f"Unknown scope(s): {', '.join(unknown)}", field="scopes")
        beyond = sorted(set(scopes) - allowed)
        if beyond:
            raise DomainError(
                f"The account's role does not allow: {', '.join(beyond)}", field="scopes"
            )
        chosen = sorted(set(scopes))
    else:
        chosen = sorted(allowed)
    days = expires_days if expires_days is not None else settings.VRISAC_TOKEN_DEFAULT_DAYS
    if days <= 0 or days > 3650:
        raise DomainError("A token expires after 1 to 3650 days.", field="expires")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[:12],
        token_hash=hash_token(raw),
        scopes=chosen,
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit_record(
        action="token.create",
        actor=acting_user,
        obj=token,
        details={"for_user": user.pk, "scopes": chosen, "expires_days": days},
    )
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, acting_user: User | None = None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(action="token.revoke", actor=acting_user, obj=token,
                     details={"for_user": token.user_id})
    return token


def tokens_revoke_all(*, user: User, acting_user: User | None = None) -> int:
    count = 0
    for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        token_revoke(token=token, acting_user=acting_user)
        count += 1
    return count


def session_epoch_raise(user: User) -> None:
    """Raise ``user``'s session epoch (in the database, against concurrent raises): every
    session made before no longer matches its hash. The callers audit why."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


def sessions_end(*, user: User, acting_user: User | None = None, keep: Any = None,
                 reason: str = "", actor_label: str = "") -> None:
    """End every session of ``user``: the session epoch is raised, so no session's hash
    matches any more (the next request of each is logged out). ``keep`` is the request whose
    session stays: the person's own, after they ended their other sessions or changed a
    factor. Others' sessions are ended by administrators only (the command line is the
    operator's)."""
    if acting_user is not None and acting_user.pk != user.pk:
        from vrisac.sharing.policy import viewer_for

        if not (viewer_for(acting_user).is_admin or acting_user.is_superuser):
            raise DomainError(_("Only administrators end another person's sessions."))
    with transaction.atomic():
        session_epoch_raise(user)
        audit_record(action="sessions.end_others" if keep is not None else "sessions.end",
                     actor=acting_user, actor_label=actor_label,
                     details={"user": user.pk, "reason": reason[:200]})
    if keep is not None:
        update_session_auth_hash(keep, user)


def _failure_key(ip: str | None) -> str:
    return f"vrisac:token-failures:{ip or 'unknown'}"


def token_address_blocked(ip: str | None = None) -> bool:
    """Too many wrong tokens (API tokens and invitation links alike) from this address lately:
    every token is refused from it."""
    ip = ip if ip is not None else current_origin().ip
    limit = int(settings.VRISAC_TOKEN_FAILURES_PER_ADDRESS)
    return int(cache.get(_failure_key(ip), 0)) >= limit


def token_failure_record(channel: str) -> None:
    """Count one wrong token (API, TAXII, MISP, invitation link) from the request's address."""
    ip = current_origin().ip
    key = _failure_key(ip)
    window = int(settings.VRISAC_TOKEN_LOCKOUT_SECONDS)
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    if count == int(settings.VRISAC_TOKEN_FAILURES_PER_ADDRESS):
        audit_record(action="token.lockout", result="denied",
                     details={"channel": channel, "window_seconds": window})


class TokensBlocked(Exception):
    """Too many wrong tokens from the request's address: no token is looked at (each face
    answers its own 429)."""


def token_authenticate(raw: str, *, channel: str = "api") -> ApiToken | None:
    """The token behind ``raw`` if it is valid, unexpired and unrevoked, for an active user.

    Wrong tokens are counted per address; past the limit every token from that address is
    refused for a while (``TokensBlocked``), so keys cannot be guessed. Use is recorded in
    the audit log at most once per token per interval, so that a busy client does not turn
    the log into a request log.
    """
    if token_address_blocked():
        raise TokensBlocked
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        token_failure_record(channel)
        return None
    token = (
        ApiToken.objects.select_related("user").filter(token_hash=hash_token(raw)).first()
    )
    if token is None or not token.is_usable or not token.user.is_active:
        token_failure_record(channel)
        return None
    now = timezone.now()
    interval = int(settings.VRISAC_TOKEN_USE_AUDIT_SECONDS)
    used_key = f"vrisac:token-used:{token.pk}"
    # Read first: adding is a write (a transaction on the database cache) on every call.
    if cache.get(used_key) is None and cache.add(used_key, 1, timeout=interval):
        with transaction.atomic():
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            audit_record(action="token.use", actor=token.user, obj=token,
                         details={"channel": channel})
    return token


def user_set_preferences(*, user: User, notify_mode: str, name: str | None = None) -> User:
    if notify_mode not in User.NotifyMode.values:
        raise DomainError("Unknown notification choice.", field="notify_mode")
    user.notify_mode = notify_mode
    fields = ["notify_mode"]
    if name is not None:
        user.name = name.strip()[:150]
        fields.append("name")
    user.save(update_fields=fields)
    return user
