"""Reads on accounts."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from .models import LoginThrottle


def locked_accounts() -> QuerySet[LoginThrottle]:
    """Accounts whose login backs off for unknown devices (or did, within the failures'
    memory): for the coordinators, with since when and from how many addresses."""
    remembered = timezone.now() - timedelta(seconds=int(settings.LOGIN_FAILURE_MEMORY_SECONDS))
    return (LoginThrottle.objects.filter(locked_since__isnull=False,
                                         last_failure_at__gte=remembered)
            .select_related("user").order_by("-locked_since"))
