from __future__ import annotations

import time
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record

from .models import User

SESSION_AUTH_AT = "vrisac_authenticated_at"


class AccountAdapter(DefaultAccountAdapter):
    """Accounts come from invitations only; logins and failures are audited."""

    #: First enrolment of the authenticator app needs no second password prompt when the
    #: person logged in this recently; every later change of the second factor does.
    FIRST_ENROLMENT_WINDOW = 10 * 60

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
        self.error_messages: dict[str, Any] = {
            **DefaultAccountAdapter.error_messages,
            "too_many_login_attempts": _(
                "Too many failed login attempts: logging in is blocked for %(minutes)d minutes "
                "for this account or address. Try again later, or reset your password."
            ) % {"minutes": minutes},
        }

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
        audit_record(action="login", actor=user)

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        super().authentication_failed(request, **credentials)
        email = str(credentials.get("email") or credentials.get("username") or "")[:254]
        known = User.objects.filter(email__iexact=email).values_list("pk", flat=True).first()
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
