from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from vrisac.reports.models import Report

from .models import Notification


def notification_list(*, user: Any) -> QuerySet[Notification]:
    """The inbox, re-checked against the policy now: an audience narrowed since the
    notification was made also narrows what the inbox shows."""
    from vrisac.alerts.models import Warning

    visible = Report.objects.visible_to(user).values("pk")
    warnings = Warning.objects.visible_to(user).values("pk")
    return (
        Notification.objects.filter(recipient=user)
        .filter(Q(report__isnull=True) | Q(report__in=visible))
        .filter(Q(warning__isnull=True) | Q(warning__in=warnings))
        .select_related("report", "comment", "report__organisation",
                        "warning__vulnerability", "warning__item")
        .order_by("-created_at")
    )


def unread_count(*, user: Any) -> int:
    return notification_list(user=user).filter(read_at__isnull=True).count()
