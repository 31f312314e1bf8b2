from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from vrisac.accounts import selectors as account_selectors
from vrisac.accounts import throttle
from vrisac.accounts.models import User
from vrisac.core.errors import DomainError
from vrisac.core.types import AuthenticatedRequest
from vrisac.sharing.policy import viewer_for

from . import selectors, services
from .forms import AcceptInvitationForm, HandOverForm, InviteForm
from .models import Membership


def _require_manager(request: AuthenticatedRequest) -> None:
    viewer = viewer_for(request.user)
    if not (viewer.is_coordinator or viewer.is_admin):
        raise Http404


@login_required
def members(request: AuthenticatedRequest) -> HttpResponse:
    """Coordinators and administrators: organisations, seats and people."""
    _require_manager(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = services.membership_invite(
                organisation=data["organisation"], email=data["email"], name=data["name"],
                role=data["role"] or None, acting_user=request.user,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Invitation sent to %(email)s.")
                             % {"email": invitation.membership.user.email})
            return redirect("organisations:members")
    by_org: dict[int, list[Membership]] = {}
    for membership in selectors.membership_list():
        by_org.setdefault(membership.organisation_id, []).append(membership)
    organisations = [(org, by_org.get(org.pk, []))
                     for org in selectors.organisation_list_with_seats()]
    return render(request, "organisations/members.html",
                  {"organisations": organisations, "form": form,
                   "locked": account_selectors.locked_accounts()})


@login_required
@require_POST
def account_unlock(request: AuthenticatedRequest, user_pk: int) -> HttpResponse:
    """Lift an account's login back-off (the person asked, from a new device)."""
    _require_manager(request)
    user = get_object_or_404(User, pk=user_pk)
    throttle.account_unlock(user=user, reason="coordinator", acting_user=request.user)
    messages.success(request, _("%(name)s can log in again from any device.")
                     % {"name": user.name})
    return redirect("organisations:members")


@login_required
@require_POST
def member_end(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    membership = get_object_or_404(Membership, pk=pk)
    try:
        services.membership_end(membership=membership, acting_user=request.user)
        messages.success(request, _("The seat of %(name)s is free again.")
                         % {"name": membership.user.name})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("organisations:members")


@login_required
def member_hand_over(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    membership = get_object_or_404(Membership.objects.holding_seat(), pk=pk)
    form = HandOverForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_hand_over(
                membership=membership, email=form.cleaned_data["email"],
                name=form.cleaned_data["name"], acting_user=request.user,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The seat was handed over; the successor was invited."))
            return redirect("organisations:members")
    return render(request, "organisations/hand_over.html",
                  {"membership": membership, "form": form})


@never_cache
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee chooses a password; they enrol their authenticator app at first login."""
    membership = services.invitation_lookup(token)
    if membership is None:
        return render(request, "organisations/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None, initial={"name": membership.user.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_accept(raw_token=token, password=form.cleaned_data["password"],
                                       name=form.cleaned_data["name"])
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Your password is set. Log in to set up your "
                                        "authenticator app."))
            return redirect("account_login")
    return render(request, "organisations/invitation.html",
                  {"membership": membership, "form": form})
