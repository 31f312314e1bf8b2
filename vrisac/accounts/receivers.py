"""Account events that django-allauth announces: an audit row for each, and after a change of
the second factor the person's other sessions end (ASVS V7.4.3; a password change ends them
already, the session hash carries the password)."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import email_changed, password_changed, password_reset
from allauth.mfa.signals import (
    authentication_failed,
    authenticator_added,
    authenticator_removed,
    authenticator_reset,
)
from django.dispatch import receiver

from vrisac.core.audit import audit_record


def _end_other_sessions(request: Any, user: Any, reason: str) -> None:
    from .services import sessions_end

    if user is not None and getattr(user, "is_authenticated", False):
        sessions_end(user=user, acting_user=user,
                     keep=request if getattr(request, "session", None) is not None else None,
                     reason=reason)


@receiver(authenticator_added)
def _mfa_added(sender: Any, request: Any = None, user: Any = None, authenticator: Any = None,
               **kwargs: Any) -> None:
    audit_record(action="mfa.add", actor=user, details={"type": getattr(authenticator, "type", "")})
    _end_other_sessions(request, user, "mfa.add")


@receiver(authenticator_removed)
def _mfa_removed(sender: Any, request: Any = None, user: Any = None, authenticator: Any = None,
                 **kwargs: Any) -> None:
    audit_record(action="mfa.remove", actor=user,
                 details={"type": getattr(authenticator, "type", "")})
    _end_other_sessions(request, user, "mfa.remove")


@receiver(authenticator_reset)
def _mfa_reset(sender: Any, request: Any = None, user: Any = None, authenticator: Any = None,
               **kwargs: Any) -> None:
    audit_record(action="mfa.reset", actor=user,
                 details={"type": getattr(authenticator, "type", "")})
    _end_other_sessions(request, user, "mfa.reset")


@receiver(password_changed)
def _password_changed(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    audit_record(action="password.change", actor=user)


@receiver(password_reset)
def _password_reset(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    from .throttle import account_unlock

    audit_record(action="password.reset", actor=user)
    # The person proved they hold the mailbox: the account's login back-off is lifted.
    account_unlock(user=user, reason="password reset")


@receiver(email_changed)
def _email_changed(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    audit_record(action="email.change", actor=user)


@receiver(authentication_failed)
def _mfa_failed(sender: Any, request: Any = None, user: Any = None, authenticator: Any = None,
                reauthentication: bool = False, **kwargs: Any) -> None:
    audit_record(
        action="reauthenticate" if reauthentication else "login",
        result="failure",
        actor_label=getattr(user, "email", ""),
        object_type="accounts.user",
        object_id=getattr(user, "pk", "") or "",
        details={"reason": "wrong second-factor code"},
    )
