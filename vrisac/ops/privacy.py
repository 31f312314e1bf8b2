"""A person's data on request (GDPR art. 15 and 20): ``vrisac export_person --email``.

The export holds what the platform keeps about the person themselves: the account, the
memberships, the second factors and API tokens they have (never a secret or hash), the audit
rows about their actions or their account, the metadata of what they wrote and uploaded, and
their notifications. Contents shared by others are not theirs to receive and are left out.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vrisac.accounts.models import ApiToken, User
from vrisac.core.audit import audit_record
from vrisac.core.errors import NotFound
from vrisac.core.models import AuditEvent
from vrisac.notifications.models import Notification
from vrisac.organisations.models import Membership
from vrisac.reports.models import Attachment, Comment, Report

EXPORT_FORMAT = 1


def _when(value: Any) -> str | None:
    return value.isoformat() if value else None


@transaction.atomic
def person_export(*, email: str, acting_label: str = "command line") -> dict[str, Any]:
    """Everything kept about the person with ``email``; the export itself is audited."""
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise NotFound(f"No account with the e-mail address {email}.")
    from allauth.mfa.models import Authenticator

    about_them = Q(actor_id=user.pk) | Q(object_type=User._meta.label_lower,
                                         object_id=str(user.pk))
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "account": {
            "id": user.pk, "email": user.email, "name": user.name,
            "is_active": user.is_active, "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login), "notify_mode": user.notify_mode,
        },
        "memberships": [
            {"organisation": m.organisation.name, "organisation_slug": m.organisation.slug,
             "role": m.role, "status": m.status, "invited_at": _when(m.created_at),
             "activated_at": _when(m.activated_at), "ended_at": _when(m.ended_at)}
            for m in Membership.objects.filter(user=user).select_related("organisation")
            .order_by("created_at")],
        "second_factors": [
            {"type": a.type, "created_at": _when(a.created_at), "last_used_at":
             _when(a.last_used_at)}
            for a in Authenticator.objects.filter(user=user).order_by("pk")],
        "api_tokens": [
            {"name": t.name, "prefix": t.prefix, "scopes": t.scopes,
             "created_at": _when(t.created_at), "expires_at": _when(t.expires_at),
             "last_used_at": _when(t.last_used_at), "revoked_at": _when(t.revoked_at)}
            for t in ApiToken.objects.filter(user=user).order_by("created_at")],
        "audit_log": [
            {"seq": e.seq, "at": _when(e.at), "action": e.action, "object_type": e.object_type,
             "object_id": e.object_id, "ip": e.ip, "channel": e.channel, "result": e.result,
             "details": e.details}
            for e in AuditEvent.objects.filter(about_them).order_by("seq")],
        "reports": [
            {"id": r.pk, "kind": r.kind, "title": r.title, "tlp": r.tlp,
             "audience": r.audience, "status": r.status, "anonymous": r.anonymous,
             "created_at": _when(r.created_at), "published_at": _when(r.published_at)}
            for r in Report.objects.filter(author=user).order_by("created_at")],
        "comments": [
            {"id": c.pk, "report_id": c.report_id, "created_at": _when(c.created_at)}
            for c in Comment.objects.filter(author=user).order_by("created_at")],
        "attachments": [
            {"report_id": a.report_id, "filename": a.filename, "size": a.size,
             "created_at": _when(a.created_at)}
            for a in Attachment.objects.filter(uploaded_by=user).order_by("created_at")],
        "notifications": [
            {"kind": n.kind, "report_id": n.report_id, "created_at": _when(n.created_at),
             "read_at": _when(n.read_at), "email_state": n.email_state}
            for n in Notification.objects.filter(recipient=user).order_by("created_at")],
    }
    audit_record(action="privacy.export", actor_label=acting_label, obj=user,
                 details={"sections": sorted(k for k in data if isinstance(data[k], list))})
    return data
