"""Telling people that something was shared with them: in the platform and by e-mail.

E-mail about TLP:AMBER, AMBER+STRICT or RED content carries only its kind, label and a
link, never title or text. Recipients come from the sharing policy, and the policy is asked
again when the mail is sent, so a change in between cannot leak.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vrisac.accounts.models import User
from vrisac.core.jobs import job_enqueue
from vrisac.sharing.policy import can_view, users_with_access
from vrisac.sharing.tlp import NO_CONTENT_IN_EMAIL

from .models import Notification

logger = logging.getLogger(__name__)

_KIND_FOR_REPORT = {"warning": Notification.Kind.WARNING, "advice": Notification.Kind.ADVICE}


def _email_state(user: User) -> str:
    return {
        User.NotifyMode.IMMEDIATE: Notification.EmailState.PENDING,
        User.NotifyMode.DIGEST: Notification.EmailState.DIGEST,
    }.get(user.notify_mode, Notification.EmailState.SKIPPED)  # type: ignore[call-overload]


def _create(kind: str, recipients: Iterable[User], **refs: Any) -> list[Notification]:
    rows = [
        Notification(recipient=user, kind=kind, email_state=_email_state(user), **refs)
        for user in recipients
    ]
    created = Notification.objects.bulk_create(rows, batch_size=500)
    pending = [n.pk for n in created if n.email_state == Notification.EmailState.PENDING]
    if pending:
        job_enqueue("notifications.send", arguments={"ids": pending})
    return created


def notify_report_shared(*, report: Any) -> list[Notification]:
    """Everyone the policy lets see a newly published report, except its author."""
    recipients = users_with_access(report).exclude(pk=report.author_id)
    kind = _KIND_FOR_REPORT.get(report.kind, Notification.Kind.REPORT)
    return _create(kind, recipients, report=report)


def notify_comment(*, comment: Any) -> list[Notification]:
    """The report's author hears of a comment by someone else, if they may still see it."""
    report = comment.report
    if report.author_id == comment.author_id:
        return []
    author = report.author
    if not author.is_active or not can_view(author, report):
        return []
    return _create(Notification.Kind.COMMENT, [author], report=report, comment=comment)


def notify_incident_update(*, report: Any, recipients: Iterable[User]) -> list[Notification]:
    """The followers of an incident picture hear of a new update, if they may see the report."""
    allowed = [user for user in recipients if user.is_active and can_view(user, report)]
    return _create(Notification.Kind.INCIDENT_UPDATE, allowed, report=report)


def _link(notification: Notification) -> str:
    if notification.report_id:
        return settings.SITE_URL + reverse("reports:detail", args=[notification.report_id])
    return settings.SITE_URL + reverse("notifications:list")


def describe(notification: Notification) -> dict[str, Any]:
    """What an e-mail may say about one notification."""
    report = notification.report
    item: dict[str, Any] = {
        "kind": notification.get_kind_display(),
        "link": _link(notification),
        "tlp": report.tlp if report else "",
        "report_kind": report.get_kind_display() if report else "",
        "title": "",
        "summary": "",
    }
    if report is not None and report.tlp not in NO_CONTENT_IN_EMAIL:
        item["title"] = report.title
        item["summary"] = report.summary
    return item


def _send(to: User, subject: str, template: str, context: dict[str, Any]) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(template, {**context, "recipient": to,
                                           "SITE_URL": settings.SITE_URL})
        subject = subject.replace("\n", " ").replace("\r", " ")[:200]
        EmailMessage(subject=f"[VR-ISAC] {subject}", body=body, to=[to.email]).send()


def send_pending(ids: list[int]) -> dict[str, int]:
    """Send the immediate e-mails for these notifications (the ``notifications.send`` job)."""
    sent = skipped = 0
    rows = (
        Notification.objects.filter(pk__in=ids, email_state=Notification.EmailState.PENDING)
        .select_related("recipient", "report", "comment")
    )
    for notification in rows:
        user = notification.recipient
        if (
            not user.is_active
            or notification.report is None
            or not can_view(user, notification.report)
        ):
            notification.email_state = Notification.EmailState.SKIPPED
            notification.save(update_fields=["email_state"])
            skipped += 1
            continue
        item = describe(notification)
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("%(kind)s (%(tlp)s)") % {"kind": item["kind"], "tlp": item["tlp"]}
        _send(user, subject, "notifications/email/one.txt", {"item": item})
        notification.email_state = Notification.EmailState.SENT
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["email_state", "emailed_at"])
        sent += 1
    return {"sent": sent, "skipped": skipped}


def send_digests() -> dict[str, int]:
    """One e-mail per person in digest mode with what is waiting for them."""
    people = 0
    items_total = 0
    waiting = (
        Notification.objects.filter(email_state=Notification.EmailState.DIGEST)
        .select_related("recipient", "report")
        .order_by("recipient_id", "created_at")
    )
    by_user: dict[int, list[Notification]] = {}
    for notification in waiting:
        by_user.setdefault(notification.recipient_id, []).append(notification)
    for rows in by_user.values():
        user = rows[0].recipient
        items = [
            describe(n) for n in rows
            if user.is_active and n.report is not None and can_view(user, n.report)
        ]
        now = timezone.now()
        with transaction.atomic():
            if items:
                with translation.override(settings.LANGUAGE_CODE):
                    subject = _("Daily digest: %(n)d new items") % {"n": len(items)}
                _send(user, subject, "notifications/email/digest.txt", {"items": items})
                people += 1
                items_total += len(items)
            Notification.objects.filter(pk__in=[n.pk for n in rows]).update(
                email_state=Notification.EmailState.SENT if items
                else Notification.EmailState.SKIPPED,
                emailed_at=now,
            )
    return {"people": people, "items": items_total}


@transaction.atomic
def notifications_mark_read(*, user: Any, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def send_invitation_email(*, membership: Any, link: str) -> None:
    """Sent once the invitation is committed; the link is never stored."""

    def send() -> None:
        _send(
            membership.user,
            _("Invitation to VR-ISAC"),
            "notifications/email/invitation.txt",
            {"membership": membership, "link": link,
             "days": settings.VRISAC_INVITATION_DAYS},
        )

    transaction.on_commit(send)
