"""Writes on memberships: invitations, acceptance, removal and hand-over of seats."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vrisac.accounts.models import User
from vrisac.accounts.services import (
    session_epoch_raise,
    token_address_blocked,
    token_failure_record,
    tokens_revoke_all,
)
from vrisac.core.audit import audit_record
from vrisac.core.errors import DomainError, NotAllowed
from vrisac.sharing.policy import forget_viewer, viewer_for

from .models import Membership, Organisation

#: Which roles an organisation of each kind may hold.
ROLES_BY_KIND: dict[str, set[str]] = {
    Organisation.Kind.REGION: {"participant", "coordinator", "admin"},
    Organisation.Kind.INSTITUTE: {"participant", "coordinator", "admin"},
    Organisation.Kind.OWNER: {"observer", "admin"},
    Organisation.Kind.PARTNER: {"partner"},
}


class SeatLimitReached(DomainError):
    code = "seat_limit"


@dataclass(frozen=True)
class Invitation:
    membership: Membership
    raw_token: str

    @property
    def link(self) -> str:
        return settings.SITE_URL + reverse("invitation", args=[self.raw_token])


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _require_manager(acting_user: Any) -> None:
    """Coordinators and administrators manage seats; ``None`` is the command line."""
    if acting_user is None:
        return
    viewer = viewer_for(acting_user)
    if not (viewer.is_coordinator or viewer.is_admin or acting_user.is_superuser):
        raise NotAllowed(_("Only ISAC coordinators and administrators manage members."))


def _expire_stale_invitations(*, user: User | None = None, organisation: Organisation | None = None
                              ) -> None:
    stale = Membership.objects.filter(
        status=Membership.Status.INVITED, invite_expires_at__lte=timezone.now()
    )
    if user is not None:
        stale = stale.filter(user=user)
    if organisation is not None:
        stale = stale.filter(organisation=organisation)
    stale.update(status=Membership.Status.ENDED, ended_at=timezone.now(), invite_token_hash="")


@transaction.atomic
def membership_invite(
    *,
    organisation: Organisation,
    email: str,
    name: str,
    role: str | None = None,
    acting_user: Any = None,
    send_email: bool = True,
) -> Invitation:
    """Invite a person to a seat. A pending invitation holds the seat until it is accepted,
    withdrawn or expires. Two simultaneous invitations for the last seat give one seat."""
    _require_manager(acting_user)
    email = (email or "").strip().lower()
    name = (name or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(_("Enter a valid e-mail address."), field="email") from None
    if acting_user is not None and email == (getattr(acting_user, "email", "") or "").lower():
        raise DomainError(_("No one invites themselves: ask another coordinator or "
                            "administrator."), field="email")
    if not name:
        raise DomainError(_("Enter the person's name."), field="name")
    role = role or organisation.default_role
    if role not in Membership.Role.values:
        raise DomainError(_("Unknown role %(role)s.") % {"role": role}, field="role")
    if role not in ROLES_BY_KIND[organisation.kind]:
        raise DomainError(
            _("The role %(role)s does not fit %(org)s.") % {"role": role, "org": organisation},
            field="role",
        )
    # Serialise seat changes per organisation (a row lock on PostgreSQL; SQLite's IMMEDIATE
    # transaction already holds the write lock).
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    _expire_stale_invitations(organisation=organisation)
    if organisation.has_seat_limit:
        taken = Membership.objects.holding_seat().filter(organisation=organisation).count()
        if taken >= (organisation.seat_limit or 0):
            raise SeatLimitReached(
                _("%(org)s already has %(n)d of %(n)d seats taken (members and pending "
                  "invitations). End a membership or withdraw an invitation first.")
                % {"org": organisation.name, "n": organisation.seat_limit},
                field="organisation",
            )
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        _expire_stale_invitations(user=user)
        if Membership.objects.holding_seat().filter(user=user).exists():
            raise DomainError(
                _("%(email)s already has a seat or a pending invitation.") % {"email": email},
                field="email",
            )
        # A removed person who is invited again stays inactive until they accept: until then
        # their old password and second factor open nothing.
    else:
        # Inactive until the invitation is accepted: no login, no password reset, no reads.
        user = User.objects.create_user(email=email, name=name, is_active=False)
    raw = secrets.token_urlsafe(32)
    membership = Membership.objects.create(
        user=user,
        organisation=organisation,
        role=role,
        status=Membership.Status.INVITED,
        invite_token_hash=_hash(raw),
        invite_expires_at=timezone.now() + timedelta(days=settings.VRISAC_INVITATION_DAYS),
        invited_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    forget_viewer(user)
    audit_record(
        action="membership.invite", actor=acting_user, obj=membership,
        organisation_id=organisation.pk,
        details={"email": email, "role": role, "organisation": organisation.slug},
    )
    invitation = Invitation(membership=membership, raw_token=raw)
    if send_email:
        from vrisac.notifications.services import send_invitation_email

        send_invitation_email(membership=membership, link=invitation.link)
    return invitation


def invitation_lookup(raw_token: str) -> Membership | None:
    """The pending invitation behind a link, if it is still valid.

    A link that matches no invitation counts as a wrong token for the address, like a wrong
    API token: past the limit, no link is accepted from that address for a while, so links
    cannot be guessed (they are long random secrets; this bounds the guessing)."""
    if token_address_blocked():
        return None
    if not raw_token or len(raw_token) > 100:
        token_failure_record("invitation")
        return None
    membership = (
        Membership.objects.select_related("user", "organisation")
        .filter(invite_token_hash=_hash(raw_token), status=Membership.Status.INVITED)
        .first()
    )
    if membership is None:
        token_failure_record("invitation")
        return None
    if not membership.holds_seat:
        return None
    return membership


@transaction.atomic
def invitation_accept(*, raw_token: str, password: str, name: str | None = None) -> User:
    """The invitee sets a new password; the seat becomes active. Whatever credentials the
    account had before (a removed person invited again) are dropped: the old password, every
    second factor and recovery code, every session. A new authenticator app is enrolled at
    the first login."""
    membership = invitation_lookup(raw_token)
    if membership is None:
        raise DomainError(_("This invitation is not valid (any more). Ask a coordinator for a "
                            "new one."))
    user = membership.user
    if name:
        user.name = name.strip()[:150]
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from None
    if user.has_usable_password() and user.check_password(password):
        raise DomainError(_("Choose a new password, not the one this account had before."),
                          field="password")
    dropped = Authenticator.objects.filter(user=user).delete()[0]
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active", "name"])
    session_epoch_raise(user)
    membership.status = Membership.Status.ACTIVE
    membership.activated_at = timezone.now()
    membership.invite_token_hash = ""
    membership.save(update_fields=["status", "activated_at", "invite_token_hash"])
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    forget_viewer(user)
    audit_record(action="membership.accept", actor=user, obj=membership,
                 organisation_id=membership.organisation_id,
                 details={"second_factors_dropped": dropped})
    return user


@transaction.atomic
def membership_end(
    *, membership: Membership, acting_user: Any = None, reason: str = ""
) -> Membership:
    """End a membership or withdraw an invitation: the seat is freed, the person's sessions
    end and their API tokens are revoked."""
    _require_manager(acting_user)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.status == Membership.Status.ENDED:
        raise DomainError(_("This membership has already ended."))
    was = membership.status
    membership.status = Membership.Status.ENDED
    membership.ended_at = timezone.now()
    membership.invite_token_hash = ""
    membership.save(update_fields=["status", "ended_at", "invite_token_hash"])
    user = membership.user
    session_epoch_raise(user)
    user.is_active = Membership.objects.current().filter(user=user).exists()
    user.save(update_fields=["is_active"])
    tokens_revoke_all(user=user, acting_user=acting_user)
    forget_viewer(user)
    audit_record(
        action="membership.withdraw" if was == Membership.Status.INVITED else "membership.end",
        actor=acting_user, obj=membership, organisation_id=membership.organisation_id,
        details={"user": user.pk, "reason": reason[:200]},
    )
    return membership


@transaction.atomic
def membership_hand_over(
    *, membership: Membership, email: str, name: str, acting_user: Any = None
) -> Invitation:
    """Hand a seat to a successor: the current holder leaves and the successor is invited,
    in one step, so the seat cannot be taken in between."""
    _require_manager(acting_user)
    organisation = Organisation.objects.select_for_update().get(pk=membership.organisation_id)
    membership_end(membership=membership, acting_user=acting_user, reason="hand-over")
    return membership_invite(
        organisation=organisation, email=email, name=name, role=membership.role,
        acting_user=acting_user,
    )
