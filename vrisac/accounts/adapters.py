from __future__ import annotations

import time
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from vrisac.core.audit import audit_record

from .models import User

SESSION_AUTH_AT = "vrisac_authenticated_at"


class AccountAdapter(DefaultAccountAdapter):
    """Accounts come from invitations only; logins and failures are audited."""

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
