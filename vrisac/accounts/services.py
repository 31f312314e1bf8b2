"""Writes on accounts: API tokens, ending sessions, personal preferences, and the changes an
administrator asks for that only the person confirms (second-factor reset, e-mail change)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record
from vrisac.core.errors import DomainError, NotAllowed
from vrisac.core.request_context import current_origin

from .models import AccountChangeRequest, ApiToken, User
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


# --- changes an administrator asks for and only the person confirms ---------------------------

def _require_admin(acting_user: Any) -> None:
    from vrisac.sharing.policy import viewer_for

    if acting_user is None:
        return  # the operator's command line
    if not (viewer_for(acting_user).is_admin or acting_user.is_superuser):
        raise NotAllowed(_("Only administrators ask for changes to another person's account."))


def _mail(to: str, template: str, context: dict[str, Any]) -> None:
    """Send one of the account e-mails (``accounts/email/<template>_subject.txt`` and
    ``_message.txt``), once the change is committed."""

    def send() -> None:
        ctx = {**context, "SITE_URL": settings.SITE_URL}
        with translation.override(settings.LANGUAGE_CODE):
            subject = " ".join(
                render_to_string(f"accounts/email/{template}_subject.txt", ctx).split())[:200]
            body = render_to_string(f"accounts/email/{template}_message.txt", ctx)
        EmailMessage(subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}", body=body,
                     to=[to]).send()

    transaction.on_commit(send)


def _change_request_make(*, user: User, kind: str, acting_user: Any, new_email: str = ""
                         ) -> tuple[AccountChangeRequest, str]:
    if acting_user is not None and acting_user.pk == user.pk:
        raise DomainError(_("Change your own account on your profile, not here."))
    now = timezone.now()
    # A new request replaces the open ones of its kind: one link works at a time.
    AccountChangeRequest.objects.filter(
        user=user, kind=kind, confirmed_at__isnull=True, cancelled_at__isnull=True,
    ).update(cancelled_at=now)
    raw = secrets.token_urlsafe(32)
    change = AccountChangeRequest.objects.create(
        user=user, kind=kind, new_email=new_email, token_hash=hash_token(raw),
        requested_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        expires_at=now + timedelta(hours=int(settings.VRISAC_ACCOUNT_CHANGE_HOURS)),
    )
    return change, raw


def change_request_link(raw: str) -> str:
    return settings.SITE_URL + reverse("accounts:change_confirm", args=[raw])


@transaction.atomic
def mfa_reset_request(*, user: User, acting_user: Any) -> AccountChangeRequest:
    """An administrator asks to reset ``user``'s second factor (a lost phone). Nothing changes
    until the person confirms through the link e-mailed to their own address, with their
    password; the administrator never sees the link."""
    _require_admin(acting_user)
    change, raw = _change_request_make(user=user, kind=AccountChangeRequest.Kind.MFA_RESET,
                                       acting_user=acting_user)
    audit_record(action="mfa.reset_request", actor=acting_user, obj=change,
                 details={"user": user.pk})
    _mail(user.email, "mfa_reset_request", {
        "user": user, "link": change_request_link(raw),
        "hours": settings.VRISAC_ACCOUNT_CHANGE_HOURS})
    return change


@transaction.atomic
def email_change_request(*, user: User, new_email: str, acting_user: Any
                         ) -> AccountChangeRequest:
    """An administrator asks to change ``user``'s e-mail address. The confirmation link goes
    to the new address and works only in the person's own session (after their password and
    second factor), so whoever holds the new mailbox cannot take the account; the current
    address is told. Nothing changes until then."""
    from allauth.account.models import EmailAddress

    _require_admin(acting_user)
    new_email = (new_email or "").strip().lower()
    try:
        validate_email(new_email)
    except ValidationError:
        raise DomainError(_("Enter a valid e-mail address."), field="email") from None
    if new_email == user.email.lower():
        raise DomainError(_("This is already the person's address."), field="email")
    if (User.objects.filter(email__iexact=new_email).exists()
            or EmailAddress.objects.filter(email__iexact=new_email).exists()):
        raise DomainError(_("Another account has this address."), field="email")
    change, raw = _change_request_make(user=user, kind=AccountChangeRequest.Kind.EMAIL_CHANGE,
                                       acting_user=acting_user, new_email=new_email)
    audit_record(action="email.change_request", actor=acting_user, obj=change,
                 details={"user": user.pk, "new_email": new_email})
    context = {"user": user, "new_email": new_email,
               "hours": settings.VRISAC_ACCOUNT_CHANGE_HOURS}
    _mail(new_email, "email_change_request", {**context, "link": change_request_link(raw)})
    _mail(user.email, "email_change_notice", context)
    return change


def change_request_lookup(raw: str) -> AccountChangeRequest | None:
    """The open request behind a link. Wrong links count like wrong tokens per address."""
    if token_address_blocked():
        return None
    if not raw or len(raw) > 100:
        token_failure_record("account-change")
        return None
    change = (AccountChangeRequest.objects.select_related("user", "requested_by")
              .filter(token_hash=hash_token(raw)).first())
    if change is None:
        token_failure_record("account-change")
        return None
    return change if change.is_open and change.user.is_active else None


def _change_request_open(raw: str, kind: str) -> AccountChangeRequest:
    change = change_request_lookup(raw)
    if change is None or change.kind != kind:
        raise DomainError(_("This link is not valid (any more)."))
    return AccountChangeRequest.objects.select_for_update().get(pk=change.pk)


def mfa_reset_confirm(*, raw_token: str, password: str) -> User:
    """The person confirms the reset of their second factor with their password: every
    authenticator and recovery code is dropped, every session ends, and the person enrols a
    new authenticator app at their next login. A wrong password is audited and counts like a
    wrong token for the address."""
    change = change_request_lookup(raw_token)
    if change is None or change.kind != AccountChangeRequest.Kind.MFA_RESET:
        raise DomainError(_("This link is not valid (any more)."))
    if not change.user.check_password(password):
        token_failure_record("account-change")
        audit_record(action="mfa.reset", result="denied", actor_label=change.user.email,
                     obj=change, details={"user": change.user_id, "reason": "wrong password"})
        raise DomainError(_("The password is not correct."), field="password")
    return _mfa_reset_apply(raw_token=raw_token)


@transaction.atomic
def _mfa_reset_apply(*, raw_token: str) -> User:
    from allauth.mfa.models import Authenticator

    change = _change_request_open(raw_token, AccountChangeRequest.Kind.MFA_RESET)
    user = change.user
    dropped = Authenticator.objects.filter(user=user).delete()[0]
    change.confirmed_at = timezone.now()
    change.save(update_fields=["confirmed_at"])
    session_epoch_raise(user)
    audit_record(action="mfa.reset", actor=user, obj=change,
                 details={"user": user.pk, "requested_by": change.requested_by_id,
                          "dropped": dropped})
    _mail(user.email, "mfa_reset_done", {"user": user})
    return user


@transaction.atomic
def email_change_confirm(*, raw_token: str, user: User) -> User:
    """The person, in their own session, confirms the new address the link was sent to."""
    from allauth.account.models import EmailAddress

    change = _change_request_open(raw_token, AccountChangeRequest.Kind.EMAIL_CHANGE)
    if change.user_id != user.pk:
        raise DomainError(_("This link is not valid (any more)."))
    new_email = change.new_email
    if (User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists()
            or EmailAddress.objects.filter(email__iexact=new_email).exclude(user=user)
            .exists()):
        raise DomainError(_("Another account has this address."))
    old_email = user.email
    user.email = new_email
    user.save(update_fields=["email"])
    EmailAddress.objects.filter(user=user).delete()
    EmailAddress.objects.create(user=user, email=new_email, verified=True, primary=True)
    change.confirmed_at = timezone.now()
    change.save(update_fields=["confirmed_at"])
    audit_record(action="email.change", actor=user, obj=change,
                 details={"user": user.pk, "old_email": old_email, "new_email": new_email,
                          "requested_by": change.requested_by_id})
    _mail(old_email, "email_change_done", {"user": user, "new_email": new_email})
    return user


def password_reset_send(*, user: User, acting_user: Any, request: Any) -> None:
    """An administrator sends ``user`` the password-reset e-mail, to the person's own address:
    no administrator sets another person's password."""
    from allauth.account.forms import ResetPasswordForm

    _require_admin(acting_user)
    form = ResetPasswordForm(data={"email": user.email})
    if not form.is_valid():
        raise DomainError(" ".join(str(e) for e in form.errors.get("email", [])))
    with transaction.atomic():
        audit_record(action="password.reset_request", actor=acting_user, obj=user,
                     details={"user": user.pk})
    form.save(request)
