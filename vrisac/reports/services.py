"""Writes on reports, comments and attachments. One transaction each, audit row inside it,
notifications sent once it commits."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record
from vrisac.core.errors import DomainError, NotAllowed, NotFound
from vrisac.core.markdown import render_markdown
from vrisac.organisations.models import Organisation
from vrisac.sharing.models import Audience, Status
from vrisac.sharing.policy import can_edit, can_moderate, can_view, viewer_for
from vrisac.sharing.rules import validate_sharing

from . import attachments as files
from .models import Attachment, Comment, Report, ReportRevision, Tag

_TAG = re.compile(r"^[\w.+-]{1,64}$")
MAX_TAGS = 20


def _clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned = []
    for raw in tags:
        tag = raw.strip().lower().lstrip("#")
        if not tag:
            continue
        if not _TAG.match(tag):
            raise DomainError(_("Tags use letters, digits, dots, plus and hyphens (max 64)."),
                              field="tags")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise DomainError(_("At most %(n)d tags.") % {"n": MAX_TAGS}, field="tags")
    return cleaned


def _set_tags(report: Report, tags: Sequence[str]) -> None:
    existing = {t.name: t for t in Tag.objects.filter(name__in=tags)}
    missing = [Tag(name=name) for name in tags if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=tags)}
    report.tags.set([existing[name] for name in tags])


def _check_text(title: str, summary: str, body: str) -> tuple[str, str, str]:
    title = (title or "").strip()
    if not title:
        raise DomainError(_("A report needs a title."), field="title")
    if len(title) > 200:
        raise DomainError(_("The title is longer than 200 characters."), field="title")
    summary = (summary or "").strip()
    if len(summary) > 2000:
        raise DomainError(_("The summary is longer than 2,000 characters."), field="summary")
    body = body or ""
    if len(body) > 200_000:
        raise DomainError(_("The text is longer than 200,000 characters."), field="body")
    for value, field in ((title, "title"), (summary, "summary"), (body, "body")):
        if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
            raise DomainError(_("The text contains control characters."), field=field)
    return title, summary, body


def _snapshot(report: Report) -> dict[str, Any]:
    return {
        "organisations": sorted(o.slug for o in report.audience_organisations.all()),
        "people": sorted(p.email for p in report.audience_people.all()),
        "tags": sorted(t.name for t in report.tags.all()),
    }


def _record_revision(report: Report, editor: Any) -> None:
    ReportRevision.objects.create(
        report=report,
        version=report.version,
        title=report.title,
        summary=report.summary,
        body=report.body,
        tlp=report.tlp,
        audience=report.audience,
        audience_snapshot=_snapshot(report),
        anonymous=report.anonymous,
        edited_by=editor,
    )


@transaction.atomic
def report_create(
    *,
    author: Any,
    kind: str,
    title: str,
    summary: str = "",
    body: str = "",
    tlp: str,
    audience: str,
    audience_organisations: Sequence[Organisation] = (),
    audience_people: Sequence[Any] = (),
    anonymous: bool = False,
    tags: Iterable[str] = (),
    publish: bool = False,
    indicators: Sequence[Mapping[str, Any]] = (),
    uuid: UUID | None = None,
) -> Report:
    """Share a report (a draft unless ``publish``). ``uuid`` keeps the identity a report
    already has elsewhere (an event received over MISP); it must not be in use."""
    viewer = viewer_for(author)
    if not viewer.reads_content or viewer.organisation_id is None:
        raise NotAllowed(_("Only participants, coordinators and partners share reports."))
    if kind not in Report.Kind.values:
        raise DomainError(_("Unknown kind of report."), field="kind")
    if kind == Report.Kind.WARNING and not viewer.is_coordinator:
        raise NotAllowed(_("Only ISAC coordinators publish ISAC warnings."), field="kind")
    title, summary, body = _check_text(title, summary, body)
    validate_sharing(tlp=tlp, audience=audience, organisations=audience_organisations,
                     people=audience_people)
    if uuid is not None and Report.objects.filter(uuid=uuid).exists():
        raise DomainError(_("A report with this uuid already exists."), field="uuid",
                          code="duplicate")
    report = Report.objects.create(
        **({"uuid": uuid} if uuid is not None else {}),
        kind=kind,
        title=title,
        summary=summary,
        body=body,
        body_html=render_markdown(body),
        tlp=tlp,
        audience=audience,
        anonymous=anonymous,
        organisation_id=viewer.organisation_id,
        author=author,
        status=Status.DRAFT,
    )
    if audience == Audience.ORGANISATIONS:
        report.audience_organisations.set(audience_organisations)
    if audience == Audience.PEOPLE:
        report.audience_people.set(audience_people)
    _set_tags(report, _clean_tags(tags))
    _record_revision(report, author)
    audit_record(action="report.create", actor=author, obj=report,
                 details={"tlp": tlp, "audience": audience, "kind": kind})
    from vrisac.intel.services import report_changed, report_indicators_add

    if indicators:
        report_indicators_add(report=report, acting_user=author, items=indicators)
    report_changed(report=report, event="create")
    if publish:
        report = report_publish(report=report, acting_user=author)
    return report


_EDITABLE = ("kind", "title", "summary", "body", "tlp", "audience", "anonymous")


@transaction.atomic
def report_update(
    *,
    report: Report,
    acting_user: Any,
    audience_organisations: Sequence[Organisation] | None = None,
    audience_people: Sequence[Any] | None = None,
    tags: Iterable[str] | None = None,
    **changes: Any,
) -> Report:
    """Edit a report; the previous text stays in its history."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not can_edit(acting_user, report):
        raise NotFound(_("Report not found."))
    if report.status == Status.RETRACTED:
        raise DomainError(_("A retracted report can no longer be edited."))
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise DomainError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(unknown)})
    for field, value in changes.items():
        setattr(report, field, value)
    if report.kind == Report.Kind.WARNING and not viewer_for(acting_user).is_coordinator:
        raise NotAllowed(_("Only ISAC coordinators publish ISAC warnings."), field="kind")
    report.title, report.summary, report.body = _check_text(report.title, report.summary,
                                                            report.body)
    orgs = (list(audience_organisations) if audience_organisations is not None
            else list(report.audience_organisations.all()))
    people = (list(audience_people) if audience_people is not None
              else list(report.audience_people.all()))
    validate_sharing(tlp=report.tlp, audience=report.audience, organisations=orgs, people=people)
    report.body_html = render_markdown(report.body)
    report.version += 1
    report.save()
    report.audience_organisations.set(orgs if report.audience == Audience.ORGANISATIONS else [])
    report.audience_people.set(people if report.audience == Audience.PEOPLE else [])
    if tags is not None:
        _set_tags(report, _clean_tags(tags))
    _record_revision(report, acting_user)
    audit_record(action="report.edit", actor=acting_user, obj=report,
                 details={"version": report.version, "fields": sorted(changes),
                          "tlp": report.tlp, "audience": report.audience})
    from vrisac.intel.services import report_changed

    report_changed(report=report, event="edit")
    return report


@transaction.atomic
def report_publish(*, report: Report, acting_user: Any) -> Report:
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not can_edit(acting_user, report):
        raise NotFound(_("Report not found."))
    if report.status != Status.DRAFT:
        raise DomainError(_("Only a draft can be published."))
    report.status = Status.PUBLISHED
    report.published_at = timezone.now()
    report.save(update_fields=["status", "published_at", "updated_at"])
    audit_record(action="report.publish", actor=acting_user, obj=report,
                 details={"tlp": report.tlp, "audience": report.audience})
    from vrisac.intel.services import report_changed

    report_changed(report=report, event="publish")
    from vrisac.notifications.services import notify_report_shared

    notify_report_shared(report=report)
    return report


@transaction.atomic
def report_retract(*, report: Report, acting_user: Any, reason: str = "") -> Report:
    """Withdraw a published report. It stays visible to its audience, marked as retracted,
    and leaves every exchange face as revoked."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not can_moderate(acting_user, report):
        raise NotFound(_("Report not found."))
    if report.status != Status.PUBLISHED:
        raise DomainError(_("Only a published report can be retracted."))
    report.status = Status.RETRACTED
    report.retracted_at = timezone.now()
    report.retraction_reason = (reason or "").strip()[:500]
    report.save(update_fields=["status", "retracted_at", "retraction_reason", "updated_at"])
    audit_record(action="report.retract", actor=acting_user, obj=report,
                 details={"reason": report.retraction_reason})
    from vrisac.intel.services import report_changed

    report_changed(report=report, event="retract")
    return report


@transaction.atomic
def comment_create(*, report: Report, author: Any, body: str) -> Comment:
    viewer = viewer_for(author)
    if not can_view(author, report) or not viewer.reads_content:
        raise NotFound(_("Report not found."))
    if report.status != Status.PUBLISHED:
        raise DomainError(_("Comments are possible on published reports only."))
    body = (body or "").strip()
    if not body:
        raise DomainError(_("A comment cannot be empty."), field="body")
    if len(body) > 20_000:
        raise DomainError(_("A comment is at most 20,000 characters."), field="body")
    comment = Comment.objects.create(
        report=report,
        author=author,
        organisation_id=viewer.organisation_id or 0,
        body=body,
        body_html=render_markdown(body),
    )
    audit_record(action="comment.create", actor=author, obj=comment,
                 details={"report": report.pk})
    from vrisac.notifications.services import notify_comment

    notify_comment(comment=comment)
    return comment


def attachment_add(*, report: Report, uploaded_by: Any, stream: IO[bytes], filename: str
                   ) -> Attachment:
    """Store the file first (outside the transaction), then record it; a refused or failed
    upload leaves neither a row nor a file behind."""
    if not can_edit(uploaded_by, report):
        raise NotFound(_("Report not found."))
    if report.status == Status.RETRACTED:
        raise DomainError(_("A retracted report can no longer be changed."))
    attachment = Attachment(report=report, uploaded_by=uploaded_by)
    stored = files.store(stream, filename, attachment.uuid.hex)
    try:
        with transaction.atomic():
            attachment.filename = stored.filename
            attachment.content_type = stored.content_type
            attachment.size = stored.size
            attachment.sha256 = stored.sha256
            attachment.save()
            audit_record(action="attachment.add", actor=uploaded_by, obj=attachment,
                         details={"report": report.pk, "size": stored.size,
                                  "sha256": stored.sha256})
    except BaseException:
        files.remove(stored.storage_name)
        raise
    return attachment


def attachment_download(*, attachment: Attachment, user: Any) -> Attachment:
    """Check and record a download. The caller streams ``files.read_chunks``."""
    if not can_view(user, attachment.report):
        raise NotFound(_("Attachment not found."))
    audit_record(action="attachment.download", actor=user, obj=attachment,
                 details={"report": attachment.report_id, "tlp": attachment.report.tlp})
    return attachment
