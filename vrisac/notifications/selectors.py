from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from vrisac.reports.models import Report

from .models import Notification


def notification_list(*, user: Any) -> QuerySet[Notification]:
    """The inbox, re-checked against the policy now: an audience narrowed since the
    notification was made also narrows what the inbox shows."""
    from vrisac.alerts.models import Warning

    # Checked per notification (EXISTS on the report's key): a person has a few dozen
    # notifications, while "every report visible to them" is the whole platform, and the
    # unread count runs on every page.
    visible = Exists(Report.objects.visible_to(user).filter(pk=OuterRef("report_id")))
    warnings = Exists(Warning.objects.visible_to(user).filter(pk=OuterRef("warning_id")))
    return (
        Notification.objects.filter(recipient=user)
        .filter(Q(report__isnull=True) | visible)
        .filter(Q(warning__isnull=True) | warnings)
        .select_related("report", "comment", "report__organisation",
                        "warning__vulnerability", "warning__item")
        .order_by("-created_at")
    )


def unread_count(*, user: Any) -> int:
    return notification_list(user=user).filter(read_at__isnull=True).count()
