"""Audit rows for account events that django-allauth announces. Audit only: no rules here."""

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


@receiver(authenticator_added)
def _mfa_added(sender: Any, request: Any = None, user: Any = None, authenticator: Any = None,
               **kwargs: Any) -> None:
    audit_record(action="mfa.add", actor=user, details={"type": getattr(authenticator, "type", "")})


@receiver(authenticator_removed)
def _mfa_removed(sender: Any, request: Any = None, user: Any = None, authenticator: Any = None,
                 **kwargs: Any) -> None:
    audit_record(action="mfa.remove", actor=user,
                 details={"type": getattr(authenticator, "type", "")})


@receiver(authenticator_reset)
def _mfa_reset(sender: Any, request: Any = None, user: Any = None, authenticator: Any = None,
               **kwargs: Any) -> None:
    audit_record(action="mfa.reset", actor=user,
                 details={"type": getattr(authenticator, "type", "")})


@receiver(password_changed)
def _password_changed(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    audit_record(action="password.change", actor=user)


@receiver(password_reset)
def _password_reset(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    audit_record(action="password.reset", actor=user)


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
