from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from vrisac.core.errors import DomainError
from vrisac.core.types import AuthenticatedRequest
from vrisac.organisations.selectors import membership_current_for_user

from . import services
from .forms import ConfirmWithPasswordForm, PreferencesForm, TokenForm
from .models import AccountChangeRequest, ApiToken


@login_required
def profile(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = PreferencesForm(request.POST or None,
                           initial={"name": user.name, "notify_mode": user.notify_mode})
    if request.method == "POST" and form.is_valid():
        services.user_set_preferences(user=user, notify_mode=form.cleaned_data["notify_mode"],
                                      name=form.cleaned_data["name"])
        messages.success(request, _("Your preferences are saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {
        "form": form,
        "membership": membership_current_for_user(user_id=user.pk),
        "tokens": ApiToken.objects.filter(user=user),
        "token_form": TokenForm(allowed=services.allowed_scopes(user)),
    })


@never_cache
@login_required
@reauthentication_required
def token_create(request: AuthenticatedRequest) -> HttpResponse:
    form = TokenForm(request.POST or None, allowed=services.allowed_scopes(request.user))
    raw = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, raw = services.token_create(
                user=request.user, scopes=form.cleaned_data["scopes"] or None,
                expires_days=form.cleaned_data["expires"], name=form.cleaned_data["name"],
                acting_user=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
    return render(request, "accounts/token_create.html", {"form": form, "raw": raw})


@login_required
@require_POST
def token_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.token_revoke(token=token, acting_user=request.user)
    messages.success(request, _("The token was revoked."))
    return redirect("accounts:profile")


@login_required
@require_POST
def sessions_end_others(request: AuthenticatedRequest) -> HttpResponse:
    """Log out everywhere else: every other session of this person ends, this one stays."""
    services.sessions_end(user=request.user, acting_user=request.user, keep=request,
                          reason="by the person")
    messages.success(request, _("You are logged out everywhere else."))
    return redirect("accounts:profile")


@never_cache
def change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The person confirms a change an administrator asked for: a second-factor reset with
    their password (they may have lost the phone, so no login is needed), an e-mail change in
    their own session (after password and second factor)."""
    change = services.change_request_lookup(token)
    if change is None:
        return render(request, "accounts/change_invalid.html", status=404)
    is_email = change.kind == AccountChangeRequest.Kind.EMAIL_CHANGE
    if is_email and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if is_email and request.user.pk != change.user_id:
        return render(request, "accounts/change_invalid.html", status=404)
    form = ConfirmWithPasswordForm(request.POST or None) if not is_email else None
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            if is_email:
                services.email_change_confirm(raw_token=token,
                                              user=request.user)  # type: ignore[arg-type]
            else:
                assert form is not None
                services.mfa_reset_confirm(raw_token=token,
                                           password=form.cleaned_data["password"])
        except DomainError as exc:
            if form is None:
                return render(request, "accounts/change_invalid.html", status=404)
            form.add_error("password" if exc.field == "password" else None, exc.message)
        else:
            if is_email:
                messages.success(request, _("Your e-mail address is changed."))
                return redirect("accounts:profile")
            messages.success(request, _("Your second factor is reset. Log in and set up your "
                                        "authenticator app."))
            return redirect("account_login")
    return render(request, "accounts/change_confirm.html", {"change": change, "form": form})
