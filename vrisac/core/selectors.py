"""Reads on the audit log and jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, QuerySet, Value

from vrisac.sharing.policy import Viewer, hidden_audit_rows_q

from .models import AuditEvent, Job


def audit_list(
    *,
    viewer: Viewer,
    actor_id: int | None = None,
    organisation_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """The audit log for ``viewer``, newest first; each row says whether its actor is
    ``hidden`` (the source of anonymous content the viewer may not know). Filtering by a
    person or an organisation leaves such rows out, so a filter cannot name the source."""
    hidden = hidden_audit_rows_q(viewer)
    qs = AuditEvent.objects.annotate(hidden=Value(False) if hidden is None else
                                     ExpressionWrapper(hidden, BooleanField()))
    if (actor_id or organisation_id) and hidden is not None:
        qs = qs.exclude(hidden)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if organisation_id:
        qs = qs.filter(organisation_id=organisation_id)
    if action:
        qs = qs.filter(action__startswith=action)
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lte=until)
    return qs.order_by("-seq")


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by().values_list("action", flat=True).distinct())


def job_list(**filters: Any) -> QuerySet[Job]:
    return Job.objects.filter(**filters).order_by("-created_at")
