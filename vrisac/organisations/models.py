from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """A safety region, NIPV, the owner (Veiligheidsberaad) or a partner such as NCSC-NL."""

    class Kind(models.TextChoices):
        REGION = "region", _("safety region")
        INSTITUTE = "institute", _("institute")
        OWNER = "owner", _("owner")
        PARTNER = "partner", _("partner")

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    number = models.PositiveSmallIntegerField(null=True, blank=True, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)

    class Meta:
        ordering = ["kind", "number", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_seat_limit(self) -> bool:
        """Regions and NIPV send at most two people; the owner and partners hold no seats."""
        return self.kind in (self.Kind.REGION, self.Kind.INSTITUTE)

    @property
    def seat_limit(self) -> int | None:
        return settings.VRISAC_SEATS_PER_ORGANISATION if self.has_seat_limit else None

    @property
    def default_role(self) -> str:
        return {
            self.Kind.REGION: Membership.Role.PARTICIPANT,
            self.Kind.INSTITUTE: Membership.Role.PARTICIPANT,
            self.Kind.OWNER: Membership.Role.OBSERVER,
            self.Kind.PARTNER: Membership.Role.PARTNER,
        }[self.Kind(self.kind)]


class MembershipQuerySet(models.QuerySet["Membership"]):
    def current(self) -> MembershipQuerySet:
        """Active memberships: the only ones that grant anything (roles, reads, tokens). A
        pending invitation grants nothing until it is accepted."""
        return self.filter(status=Membership.Status.ACTIVE)

    def holding_seat(self) -> MembershipQuerySet:
        """Active memberships and invitations that have not expired: they hold a seat (and a
        person holds at most one of them), but only the active ones grant anything."""
        now = timezone.now()
        return self.filter(
            Q(status=Membership.Status.ACTIVE)
            | Q(status=Membership.Status.INVITED, invite_expires_at__gt=now)
        )


class Membership(models.Model):
    """A person's seat in an organisation, with their role; starts as an invitation."""

    class Role(models.TextChoices):
        PARTICIPANT = "participant", _("participant")
        COORDINATOR = "coordinator", _("ISAC coordinator")
        OBSERVER = "observer", _("owner observer")
        PARTNER = "partner", _("partner")
        ADMIN = "admin", _("administrator")

    class Status(models.TextChoices):
        INVITED = "invited", _("invited")
        ACTIVE = "active", _("active")
        ENDED = "ended", _("ended")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INVITED)
    invite_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    invite_expires_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "created_at"]
        constraints = [
            # A person holds at most one open membership (invited or active) at a time.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=["invited", "active"]),
                name="one_open_membership_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role}, {self.status})"

    @property
    def is_current(self) -> bool:
        """Active: the membership grants its role."""
        return self.status == self.Status.ACTIVE

    @property
    def holds_seat(self) -> bool:
        if self.status == self.Status.ACTIVE:
            return True
        return bool(
            self.status == self.Status.INVITED
            and self.invite_expires_at
            and self.invite_expires_at > timezone.now()
        )
