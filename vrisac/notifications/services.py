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


def _warning_recipients(warning: Any) -> list[User]:
    from vrisac.organisations.models import Membership
    from vrisac.sharing.policy import PARTICIPANT_ROLES

    people = Membership.objects.current().filter(
        organisation_id=warning.organisation_id, role__in=PARTICIPANT_ROLES,
        status=Membership.Status.ACTIVE).values("user_id")
    return list(User.objects.filter(pk__in=people, is_active=True))


def _warning_email_state(user: User, warning: Any) -> str:
    from vrisac.alerts.models import WarningPreference

    preference = getattr(user, "warning_preference", None)
    mode = preference.mode if preference else WarningPreference.Mode.CRITICAL_NOW
    if mode == WarningPreference.Mode.NONE:
        return Notification.EmailState.SKIPPED
    if mode == WarningPreference.Mode.CRITICAL_NOW and warning.priority == "kritiek":
        return Notification.EmailState.PENDING
    return Notification.EmailState.DIGEST


def notify_new_warnings(*, warning_ids: list[int]) -> list[Notification]:
    """The participants of the warning's organisation: at once for kritiek, in the daily
    digest for the rest, or not by e-mail, as each chose (always in the platform)."""
    from vrisac.alerts.models import Warning

    rows: list[Notification] = []
    warnings = Warning.objects.filter(pk__in=warning_ids, withdrawn_at__isnull=True)
    by_org: dict[int, list[User]] = {}
    for warning in warnings:
        if warning.organisation_id not in by_org:
            by_org[warning.organisation_id] = list(
                User.objects.filter(pk__in=[u.pk for u in _warning_recipients(warning)])
                .select_related("warning_preference"))
        for user in by_org[warning.organisation_id]:
            rows.append(Notification(recipient=user, kind=Notification.Kind.VULNERABILITY,
                                     warning=warning,
                                     email_state=_warning_email_state(user, warning)))
    created = Notification.objects.bulk_create(rows, batch_size=500)
    pending = [n.pk for n in created if n.email_state == Notification.EmailState.PENDING]
    if pending:
        job_enqueue("notifications.send", arguments={"ids": pending})
    return created


def _may_see(user: User, notification: Notification) -> bool:
    """Asked again when the mail is sent: a change in between cannot leak."""
    if not user.is_active:
        return False
    if notification.warning is not None:
        from vrisac.sharing.policy import can_view_organisation_data

        return (notification.warning.withdrawn_at is None
                and can_view_organisation_data(user, notification.warning.organisation_id))
    return notification.report is not None and can_view(user, notification.report)


def _link(notification: Notification) -> str:
    if notification.warning_id:
        return settings.SITE_URL + reverse("alerts:detail", args=[notification.warning_id])
    if notification.report_id:
        return settings.SITE_URL + reverse("reports:detail", args=[notification.report_id])
    return settings.SITE_URL + reverse("notifications:list")


def describe(notification: Notification) -> dict[str, Any]:
    """What an e-mail may say about one notification."""
    warning = notification.warning
    if warning is not None:
        from vrisac.alerts.presentation import warning_kind_label

        item_text = {
            "kind": notification.get_kind_display(), "link": _link(notification),
            "tlp": warning.tlp, "report_kind": warning_kind_label(warning),
            "title": "", "summary": "",
        }
        if warning.tlp not in NO_CONTENT_IN_EMAIL:
            item_text["title"] = (f"{warning.vulnerability.cve_id}: {warning.item.vendor} "
                                  f"{warning.item.product} {warning.item.version}").strip()
            item_text["summary"] = " ".join(warning.match_reason_list[:1])[:500]
        return item_text
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
        .select_related("recipient", "report", "comment", "warning__vulnerability",
                        "warning__item")
    )
    for notification in rows:
        user = notification.recipient
        if not _may_see(user, notification):
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
        .select_related("recipient", "report", "warning__vulnerability", "warning__item")
        .order_by("recipient_id", "created_at")
    )
    by_user: dict[int, list[Notification]] = {}
    for notification in waiting:
        by_user.setdefault(notification.recipient_id, []).append(notification)
    for rows in by_user.values():
        user = rows[0].recipient
        items = [
            describe(n) for n in rows if _may_see(user, n)
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
