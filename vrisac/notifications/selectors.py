from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from vrisac.reports.models import Report
from vrisac.sharing.models import Audience

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
    """The unread part of ``notification_list``, counted: the number in every page's header.

    The same policy in its predicate form (``can_view``, which a property test holds to the
    filter form) over the report's fields read with the notification: a person has a few
    unread notifications, and every page asks. Reports shared with named organisations or
    people are asked of the filter form instead, in one query (their names are not in the
    row)."""
    from vrisac.core.compiled import run
    from vrisac.sharing.policy import can_view, can_view_organisation_data

    # Compiled once per person (``vrisac.core.compiled`` keys it by viewer): every page asks.
    unread = run("notifications.unread", user, [], lambda _marks: (
        Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
        .values_list("report_id", "report__author_id", "report__status", "report__audience",
                     "report__organisation_id", "warning_id", "warning__organisation_id")))
    named = (Audience.ORGANISATIONS, Audience.PEOPLE)
    reports = {row[0]: Report(pk=row[0], author_id=row[1], status=row[2], audience=row[3],
                              organisation_id=row[4]) for row in unread if row[0] is not None}
    asked = [pk for pk, report in reports.items() if report.audience in named]
    seen = set(Report.objects.visible_to(user).filter(pk__in=asked)
               .values_list("pk", flat=True)) if asked else set()

    def may_read(report: Report) -> bool:
        return report.pk in seen if report.audience in named else can_view(user, report)

    return sum(
        1 for report_id, *_report, warning_id, organisation_id in unread
        if (report_id is None or may_read(reports[report_id]))
        and (warning_id is None or can_view_organisation_data(user, organisation_id)))
