"""Reads on organisations and memberships."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import Membership, Organisation


def organisation_list_with_seats() -> QuerySet[Organisation]:
    """Every organisation with the number of seats taken (active plus pending invitations)."""
    now = timezone.now()
    current = Q(memberships__status=Membership.Status.ACTIVE) | Q(
        memberships__status=Membership.Status.INVITED, memberships__invite_expires_at__gt=now
    )
    return Organisation.objects.annotate(seats_taken=Count("memberships", filter=current))


def seats_taken(organisation: Organisation) -> int:
    return Membership.objects.holding_seat().filter(organisation=organisation).count()


def membership_current_for_user(*, user_id: int) -> Membership | None:
    return (
        Membership.objects.current()
        .select_related("organisation", "user")
        .filter(user_id=user_id)
        .first()
    )


def membership_list(*, organisation: Organisation | None = None) -> QuerySet[Membership]:
    """Members and pending invitations: the seats taken."""
    qs = Membership.objects.holding_seat().select_related("organisation", "user")
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    return qs.order_by("organisation__kind", "organisation__number", "user__name")
