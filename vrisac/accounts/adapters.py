from __future__ import annotations

import math
import time
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record

from . import throttle
from .models import User

SESSION_AUTH_AT = "vrisac_authenticated_at"


def _account(credentials: dict[str, Any]) -> User | None:
    email = str(credentials.get("email") or credentials.get("username") or "")[:254]
    return User.objects.filter(email__iexact=email).first() if email else None


class AccountAdapter(DefaultAccountAdapter):
    """Accounts come from invitations only; logins and failures are audited."""

    #: First enrolment of the authenticator app needs no second password prompt when the
    #: person logged in this recently; every later change of the second factor does.
    FIRST_ENROLMENT_WINDOW = 10 * 60

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """The back-off of ``vrisac.accounts.throttle`` instead of allauth's lock-out: per
        address and per account, the account's only for devices it was not used on before."""
        wait = throttle.login_wait(request, _account(credentials))
        if wait:
            raise forms.ValidationError(_(
                "Too many failed login attempts for this account or from this address. Try "
                "again in %(minutes)d minutes, log in from a device where you logged in with "
                "your second factor before, or reset your password by e-mail."
            ) % {"minutes": max(1, math.ceil(wait / 60))}, code="too_many_login_attempts")

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        request = self.request
        user = getattr(request, "user", None)
        if (
            app == "allauth.mfa"
            and request is not None
            and user is not None
            and user.is_authenticated
            and time.time() - request.session.get(SESSION_AUTH_AT, 0) < self.FIRST_ENROLMENT_WINDOW
            and not Authenticator.objects.filter(user=user).exists()
        ):
            return False
        return bool(super().is_reauthentication_required(app=app, **kwargs))

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        request.session[SESSION_AUTH_AT] = int(time.time())
        throttle.login_succeeded(request, user)
        audit_record(action="login", actor=user)

    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> Any:
        response = super().post_login(request, user, **kwargs)
        # Logged in with the second factor: this browser becomes a known device.
        if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            throttle.remember_device(request, response, user)
        return response

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        super().authentication_failed(request, **credentials)
        email = str(credentials.get("email") or credentials.get("username") or "")[:254]
        account = _account(credentials)
        throttle.login_failed(request, account)
        known = account.pk if account is not None else None
        audit_record(
            action="login",
            result="failure",
            actor_label=email,
            object_type="accounts.user" if known else "",
            object_id=known or "",
            details={"reason": "bad credentials"},
        )

    def logout(self, request: HttpRequest) -> None:
        user = request.user
        if user.is_authenticated:
            audit_record(action="logout", actor=user)
        super().logout(request)


class MFAAdapter(DefaultMFAAdapter):
    """Every account keeps its authenticator app: TOTP may be replaced, not switched off."""

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        return authenticator.type != Authenticator.Type.TOTP
