from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .adapters import SESSION_AUTH_AT

SESSION_MFA_OK = "vrisac_mfa_enrolled"
SESSION_RENEWED_AT = "vrisac_renewed_at"
#: The idle time-out is renewed at most this often: saving the session on every request was a
#: database write per page view (and on SQLite a wait for the write lock behind imports).
SESSION_RENEW_SECONDS = 60

#: Paths an authenticated person may reach before enrolling the second factor.
_ENROL_ALLOWED_PREFIXES = (
    "/accounts/2fa/totp/activate/",
    "/accounts/2fa/recovery-codes/",
    "/accounts/2fa/reauthenticate/",
    "/accounts/reauthenticate/",
    "/accounts/logout/",
    "/i18n/",
    "/static/",
    "/healthz",
    "/readyz",
)
#: Machine faces authenticate by token on every request, never by session.
_MACHINE_PREFIXES = ("/api/", "/taxii2/", "/misp/")


class SessionTimeoutMiddleware:
    """Absolute session lifetime; the idle time-out is the session's age, renewed by activity
    (at most once every ``SESSION_RENEW_SECONDS``: the idle time-out is exact to a minute)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(SESSION_AUTH_AT)
            if started is None or time.time() - started > settings.SESSION_ABSOLUTE_TIMEOUT:
                logout(request)
                messages.info(request, _("Your session has ended. Please log in again."))
                return HttpResponseRedirect(f"{reverse('account_login')}?next={request.path}")
            now = int(time.time())
            if now - request.session.get(SESSION_RENEWED_AT, 0) >= SESSION_RENEW_SECONDS:
                request.session[SESSION_RENEWED_AT] = now  # saved: a new expiry date
        return self.get_response(request)


class MFARequiredMiddleware:
    """No one sees anything before enrolling an authenticator app (TOTP)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        path = request.path
        if (
            user is not None
            and user.is_authenticated
            and not path.startswith(_ENROL_ALLOWED_PREFIXES + _MACHINE_PREFIXES)
            and not self._has_totp(request, user)
        ):
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    @staticmethod
    def _has_totp(request: HttpRequest, user: Any) -> bool:
        # Remembered in the session once seen: an authenticator app cannot be switched off.
        if request.session.get(SESSION_MFA_OK):
            return True
        if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            request.session[SESSION_MFA_OK] = True
            return True
        return False
