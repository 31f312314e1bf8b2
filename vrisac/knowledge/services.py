"""Writes on the public pages, media, the contact inbox and the knowledge base. One
transaction each, the audit row inside it; caches are cleared and mail is sent once the
change has committed."""

from __future__ import annotations

import calendar
import logging
import smtplib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import IO, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record
from vrisac.core.errors import DomainError, NotAllowed, NotFound
from vrisac.core.jobs import job_enqueue
from vrisac.core.markdown import render_markdown
from vrisac.core.models import AuditEvent
from vrisac.organisations.models import Membership, Organisation
from vrisac.reports import attachments as files
from vrisac.reports.services import _clean_tags, _set_tags
from vrisac.sharing.models import Audience, Status
from vrisac.sharing.policy import can_edit, can_moderate, can_view, viewer_for
from vrisac.sharing.rules import validate_sharing

from . import antispam, selectors
from .conf import ContactSettings, contact_settings
from .embeds import PROVIDER_NAMES, embed_for
from .models import (
    ContactMessage,
    ContactRejection,
    ContactReply,
    KnowledgeItem,
    KnowledgeItemVersion,
    MediaItem,
    PublicPage,
    PublicPageRevision,
)
from .text import clean_text, single_line

logger = logging.getLogger(__name__)

MAX_PAGE_BODY = 100_000


def _require_coordinator(user: Any) -> None:
    if not viewer_for(user).is_coordinator:
        raise NotAllowed(_("Only ISAC coordinators may do this."))


def _check_url(url: str, *, field: str, label: str, max_length: int) -> str:
    url = clean_text(url, field=field, label=label, max_length=max_length, required=True)
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise DomainError(_("%(field)s must be a web address starting with https:// or "
                            "http://.") % {"field": label}, field=field) from None
    return url


# ------------------------------------------------------------------------------ public pages

PAGE_TEXT_FIELDS = ("title_nl", "title_en", "summary_nl", "summary_en", "body_nl", "body_en")


def _page_text(values: dict[str, str]) -> dict[str, str]:
    checked = {}
    for lang, language in (("nl", _("Dutch")), ("en", _("English"))):
        checked[f"title_{lang}"] = clean_text(
            values.get(f"title_{lang}"), field=f"title_{lang}", max_length=150, required=True,
            label=_("The title (%(language)s)") % {"language": language})
        checked[f"summary_{lang}"] = clean_text(
            values.get(f"summary_{lang}"), field=f"summary_{lang}", max_length=300,
            label=_("The summary (%(language)s)") % {"language": language})
        checked[f"body_{lang}"] = clean_text(
            values.get(f"body_{lang}"), field=f"body_{lang}", max_length=MAX_PAGE_BODY,
            multiline=True, label=_("The text (%(language)s)") % {"language": language})
    return checked


def _forget_public(*slugs: str) -> None:
    transaction.on_commit(lambda: selectors.public_cache_forget(*slugs))


@transaction.atomic
def public_page_update(*, page: PublicPage, acting_user: Any, note: str = "",
                       **texts: str) -> PublicPage:
    """Save a new version of a public page (both languages); the old one stays in its
    history."""
    _require_coordinator(acting_user)
    unknown = set(texts) - set(PAGE_TEXT_FIELDS)
    if unknown:
        raise DomainError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(unknown)})
    checked = _page_text(texts)
    note = clean_text(note, field="note", label=_("The note"), max_length=200)
    page = PublicPage.objects.select_for_update().get(pk=page.pk)
    if all(getattr(page, k) == v for k, v in checked.items()):
        raise DomainError(_("Nothing was changed."))
    for key, value in checked.items():
        setattr(page, key, value)
    page.body_html_nl = render_markdown(page.body_nl)
    page.body_html_en = render_markdown(page.body_en)
    page.version += 1
    page.updated_at = timezone.now()
    page.updated_by = acting_user
    page.save()
    PublicPageRevision.objects.create(page=page, version=page.version, note=note,
                                      edited_by=acting_user, edited_at=page.updated_at,
                                      **checked)
    audit_record(action="knowledge.page.edit", actor=acting_user, obj=page,
                 details={"slug": page.slug, "version": page.version})
    _forget_public(page.slug)
    return page


def public_page_restore(*, page: PublicPage, version: int, acting_user: Any) -> PublicPage:
    """Make an earlier version the current one again (as a new version)."""
    _require_coordinator(acting_user)
    revision = PublicPageRevision.objects.filter(page=page, version=version).first()
    if revision is None:
        raise NotFound(_("That version does not exist."))
    return public_page_update(
        page=page, acting_user=acting_user,
        note=_("Restored version %(v)d") % {"v": version},
        **{key: getattr(revision, key) for key in PAGE_TEXT_FIELDS},
    )


# ------------------------------------------------------------------------------ media items

MEDIA_PAGE = {MediaItem.Kind.PODCAST: PublicPage.Slug.PODCASTS,
              MediaItem.Kind.VIDEO: PublicPage.Slug.VIDEO}


def _touch_media_page(kind: str, now: datetime) -> None:
    slug = MEDIA_PAGE[MediaItem.Kind(kind)]
    PublicPage.objects.filter(slug=slug).update(updated_at=now)
    _forget_public(slug)


@transaction.atomic
def media_item_save(
    *,
    acting_user: Any,
    item: MediaItem | None = None,
    kind: str,
    title_nl: str,
    title_en: str,
    description_nl: str = "",
    description_en: str = "",
    duration_seconds: int | None = None,
    url: str,
    embed: bool = False,
    position: int = 0,
    published: bool = True,
) -> MediaItem:
    """Add or change a podcast or video. ``embed`` asks for a player behind a consent
    button; only links of known providers can have one."""
    _require_coordinator(acting_user)
    if kind not in MediaItem.Kind.values:
        raise DomainError(_("Unknown kind of media."), field="kind")
    values: dict[str, Any] = {
        "kind": kind,
        "title_nl": clean_text(title_nl, field="title_nl", max_length=200, required=True,
                               label=_("The Dutch title")),
        "title_en": clean_text(title_en, field="title_en", max_length=200, required=True,
                               label=_("The English title")),
        "description_nl": clean_text(description_nl, field="description_nl", max_length=2000,
                                     multiline=True, label=_("The Dutch description")),
        "description_en": clean_text(description_en, field="description_en", max_length=2000,
                                     multiline=True, label=_("The English description")),
        "url": _check_url(url, field="url", label=_("The link"), max_length=500),
        "position": int(position),
        "published": bool(published),
    }
    if duration_seconds is not None and not 0 < int(duration_seconds) <= 24 * 3600:
        raise DomainError(_("The duration must be between one second and 24 hours."),
                          field="duration_seconds")
    values["duration_seconds"] = duration_seconds
    values["embed_url"] = ""
    if embed:
        found = embed_for(values["url"])
        if found is None:
            raise DomainError(
                _("This link cannot be embedded. Embedding works for %(providers)s; other "
                  "links are shown as a link.") % {"providers": ", ".join(PROVIDER_NAMES)},
                field="embed")
        values["embed_url"] = found.player_url
    now = timezone.now()
    old_kind = item.kind if item is not None else None
    if item is None:
        item = MediaItem.objects.create(updated_at=now, updated_by=acting_user, **values)
        action = "knowledge.media.create"
    else:
        item = MediaItem.objects.select_for_update().get(pk=item.pk)
        for key, value in values.items():
            setattr(item, key, value)
        item.updated_at = now
        item.updated_by = acting_user
        item.save()
        action = "knowledge.media.edit"
    audit_record(action=action, actor=acting_user, obj=item,
                 details={"kind": item.kind, "embed": bool(item.embed_url),
                          "published": item.published})
    _touch_media_page(item.kind, now)
    if old_kind and old_kind != item.kind:
        _touch_media_page(old_kind, now)
    return item


@transaction.atomic
def media_item_delete(*, item: MediaItem, acting_user: Any) -> None:
    _require_coordinator(acting_user)
    kind, pk, title = item.kind, item.pk, item.title_nl
    item.delete()
    audit_record(action="knowledge.media.delete", actor=acting_user,
                 object_type="knowledge.mediaitem", object_id=pk,
                 details={"kind": kind, "title": title})
    _touch_media_page(kind, timezone.now())


# ------------------------------------------------------------------------------ contact form

class Screening(Enum):
    """What the robot checks say about a posted contact form, before its fields are read."""

    HUMAN = "human"
    ROBOT = "robot"  # answered as if accepted; nothing is stored
    RATE_LIMITED = "rate_limited"
    EXPIRED = "expired"  # a person who left the form open too long: ask to send again


@dataclass(frozen=True)
class ScreeningResult:
    verdict: Screening
    nonce: str = ""


def _today() -> Any:
    return timezone.localdate()


def contact_rejection_count(reason: str) -> None:
    """Count one refused post (a robot trap, a replay, a rate limit) for the coordinators."""
    day = _today()
    with transaction.atomic():
        updated = ContactRejection.objects.filter(day=day, reason=reason).update(
            count=F("count") + 1)
        if updated:
            return
        try:
            with transaction.atomic():
                ContactRejection.objects.create(day=day, reason=reason, count=1)
        except IntegrityError:
            ContactRejection.objects.filter(day=day, reason=reason).update(count=F("count") + 1)


def contact_screen(*, validation: str | None, token: str, address: str | None,
                   conf: ContactSettings | None = None) -> ScreeningResult:
    """The checks every post goes through, in order: the rate limit per address (every post
    counts), the hidden ``validatie`` field (it must come back unchanged: empty), and the
    signed form token (present, genuine, not sent sooner than a person can)."""
    conf = conf or contact_settings()
    if not antispam.take_rate_slot(address, conf):
        contact_rejection_count(ContactRejection.Reason.RATE_LIMITED)
        return ScreeningResult(Screening.RATE_LIMITED)
    if validation != "":
        contact_rejection_count(ContactRejection.Reason.HONEYPOT)
        return ScreeningResult(Screening.ROBOT)
    checked = antispam.check_token(token, conf)
    if checked.verdict is antispam.TokenVerdict.EXPIRED:
        return ScreeningResult(Screening.EXPIRED)
    if checked.verdict is not antispam.TokenVerdict.OK:
        contact_rejection_count(checked.verdict.value)
        return ScreeningResult(Screening.ROBOT)
    return ScreeningResult(Screening.HUMAN, checked.nonce)


def contact_fields(*, name: str, email: str, organisation: str, subject: str,
                   question: str) -> dict[str, str]:
    """The checked fields of a question (a ``DomainError`` names the first bad one)."""
    checked = {
        "name": clean_text(name, field="name", label=_("Your name"), max_length=100,
                           required=True),
        "email": clean_text(email, field="email", label=_("Your e-mail address"),
                            max_length=254, required=True).lower(),
        "organisation": clean_text(organisation, field="organisation",
                                   label=_("Your organisation"), max_length=150),
        "subject": clean_text(subject, field="subject", label=_("The subject"),
                              max_length=150, required=True),
        "question": clean_text(question, field="question", label=_("Your question"),
                               max_length=5000, required=True, multiline=True),
    }
    try:
        validate_email(checked["email"])
    except ValidationError:
        raise DomainError(_("Enter a valid e-mail address."), field="email") from None
    return checked


def contact_message_create(*, nonce: str, language: str, name: str, email: str,
                           organisation: str = "", subject: str, question: str,
                           conf: ContactSettings | None = None) -> ContactMessage | None:
    """Store a screened question and tell the coordinators once it is committed. A form
    token can be used once: a second post of the same form (a double click, a replay)
    stores nothing and returns None."""
    conf = conf or contact_settings()
    # Checked before the token is used up, so that a person may correct a field.
    checked = contact_fields(name=name, email=email, organisation=organisation,
                             subject=subject, question=question)
    if not antispam.use_token(nonce, conf):
        contact_rejection_count(ContactRejection.Reason.REUSED_TOKEN)
        return None
    now = timezone.now()
    with transaction.atomic():
        message = ContactMessage.objects.create(
            language="en" if language == "en" else "nl", received_at=now, updated_at=now,
            **checked)
        # No personal data in the audit log: the message is deleted after its retention.
        audit_record(action="knowledge.contact.receive", obj=message,
                     actor_label="contact form", details={"language": message.language})
        job_enqueue("knowledge.contact_notify", arguments={"message_id": message.pk})
    return message


def _coordinator_addresses() -> list[str]:
    return sorted(set(
        Membership.objects.current().filter(role=Membership.Role.COORDINATOR,
                                            user__is_active=True)
        .values_list("user__email", flat=True)))


def _send(*, to: str, subject: str, body: str, reply_to: str = "") -> None:
    """Plain text only: what a visitor typed can never become markup or a header."""
    message = EmailMessage(subject=single_line(subject, 200), body=body, to=[to],
                           reply_to=[reply_to] if reply_to else None)
    message.send()


def contact_notify(*, message_id: int, conf: ContactSettings | None = None) -> int:
    """E-mail the coordinators (and the extra addresses configured) about a new question.
    Returns the number of e-mails sent; 0 when the question is gone."""
    conf = conf or contact_settings()
    message = ContactMessage.objects.filter(pk=message_id).first()
    if message is None:
        return 0
    recipients = sorted(set(_coordinator_addresses()) | set(conf.notify))
    link = settings.SITE_URL + reverse("knowledge:contact_detail", args=[message.pk])
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[VR-ISAC] Question via the contact form: %(subject)s") % {
            "subject": single_line(message.subject, 120)}
        body = render_to_string("knowledge/email/contact_new.txt", {
            "message": message, "link": link,
            "name": single_line(message.name, 100),
            "organisation": single_line(message.organisation, 150),
            "subject": single_line(message.subject, 150),
        })
    for address in recipients:
        _send(to=address, subject=subject, body=body)
    return len(recipients)


@transaction.atomic
def contact_message_set_state(*, message: ContactMessage, state: str,
                              acting_user: Any) -> ContactMessage:
    _require_coordinator(acting_user)
    if state not in ContactMessage.State.values:
        raise DomainError(_("Unknown state."), field="state")
    message = ContactMessage.objects.select_for_update().get(pk=message.pk)
    previous = message.state
    message.state = state
    message.handled_by = acting_user
    message.updated_at = timezone.now()
    message.save(update_fields=["state", "handled_by", "updated_at"])
    audit_record(action="knowledge.contact.state", actor=acting_user, obj=message,
                 details={"from": previous, "to": state})
    return message


def contact_reply(*, message: ContactMessage, acting_user: Any, subject: str, body: str,
                  conf: ContactSettings | None = None) -> ContactReply:
    """Answer a question by e-mail from the platform. The answer is recorded, the question
    marked answered and the audit row written only when the mail server took the e-mail;
    a failure is audited as such and changes nothing."""
    _require_coordinator(acting_user)
    conf = conf or contact_settings()
    subject = clean_text(subject, field="subject", label=_("The subject"), max_length=200,
                         required=True)
    body = clean_text(body, field="body", label=_("The answer"), max_length=20_000,
                      required=True, multiline=True)
    try:
        with transaction.atomic():
            locked = ContactMessage.objects.select_for_update().get(pk=message.pk)
            now = timezone.now()
            reply = ContactReply.objects.create(message=locked, subject=subject, body=body,
                                                sent_by=acting_user, sent_at=now)
            locked.state = ContactMessage.State.ANSWERED
            locked.handled_by = acting_user
            locked.updated_at = now
            locked.save(update_fields=["state", "handled_by", "updated_at"])
            audit_record(action="knowledge.contact.reply", actor=acting_user, obj=locked,
                         details={"reply": reply.pk, "characters": len(body)})
            with translation.override(locked.language):
                text = render_to_string("knowledge/email/contact_reply.txt",
                                        {"message": locked, "body": body})
            # The last step: if the mail server refuses, the transaction rolls back.
            _send(to=locked.email, subject=subject, body=text, reply_to=conf.reply_to)
    except (smtplib.SMTPException, OSError) as exc:
        audit_record(action="knowledge.contact.reply", actor=acting_user, obj=message,
                     result=AuditEvent.Result.FAILURE,
                     details={"error": exc.__class__.__name__})
        raise DomainError(_("The answer could not be sent (%(error)s); nothing was recorded. "
                            "Please try again later.") % {"error": exc.__class__.__name__}
                          ) from None
    return reply


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the 31st becomes the last
    day of a shorter month)."""
    years, month_index = divmod(moment.month - 1 - months, 12)
    year = moment.year + years
    month = month_index + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def contact_messages_purge(*, now: datetime | None = None,
                           conf: ContactSettings | None = None) -> int:
    """Delete the questions (and their answers) older than the retention period; one audit
    row for the batch."""
    conf = conf or contact_settings()
    cutoff = months_before(now or timezone.now(), conf.retention_months)
    with transaction.atomic():
        old = ContactMessage.objects.filter(received_at__lt=cutoff)
        count = old.count()
        if count:
            old.delete()
            audit_record(action="knowledge.contact.purge", actor_label="retention",
                         object_type="knowledge.contactmessage",
                         details={"deleted": count, "before": cutoff.isoformat(),
                                  "months": conf.retention_months})
    return count


# ------------------------------------------------------------------------------ knowledge base

_ITEM_FIELDS = ("title", "description", "url", "tlp", "audience")


def _item_text(title: str, description: str) -> tuple[str, str]:
    return (
        clean_text(title, field="title", label=_("The title"), max_length=200, required=True),
        clean_text(description, field="description", label=_("The description"),
                   max_length=50_000, multiline=True),
    )


def _record_version(item: KnowledgeItem, editor: Any, note: str) -> None:
    KnowledgeItemVersion.objects.create(
        item=item, version=item.version, title=item.title, description=item.description,
        url=item.url, filename=item.filename, content_type=item.content_type, size=item.size,
        sha256=item.sha256, storage_name=item.storage_name, tlp=item.tlp,
        audience=item.audience, note=note, edited_by=editor)


def _store_upload(stream: IO[bytes] | None, filename: str) -> files.StoredFile | None:
    if stream is None:
        return None
    return files.store(stream, filename, uuid.uuid4().hex)


def _apply_file(item: KnowledgeItem, stored: files.StoredFile) -> None:
    item.filename = stored.filename
    item.content_type = stored.content_type
    item.size = stored.size
    item.sha256 = stored.sha256
    item.storage_name = stored.storage_name


def knowledge_item_create(
    *,
    author: Any,
    kind: str,
    title: str,
    description: str = "",
    url: str = "",
    stream: IO[bytes] | None = None,
    filename: str = "",
    tlp: str,
    audience: str,
    audience_organisations: Sequence[Organisation] = (),
    audience_people: Sequence[Any] = (),
    tags: Iterable[str] = (),
    publish: bool = False,
) -> KnowledgeItem:
    """Add a document (an uploaded file) or a link. The file is checked by its content and
    stored outside the web root before the row is written; a refused upload or a failed
    write leaves neither behind."""
    viewer = viewer_for(author)
    if not viewer.reads_content or viewer.organisation_id is None:
        raise NotAllowed(_("Only participants, coordinators and partners add knowledge."))
    if kind not in KnowledgeItem.Kind.values:
        raise DomainError(_("Unknown kind of item."), field="kind")
    title, description = _item_text(title, description)
    if kind == KnowledgeItem.Kind.LINK:
        url = _check_url(url, field="url", label=_("The link"), max_length=1000)
    elif stream is None:
        raise DomainError(_("Choose the file of the document."), field="file")
    else:
        url = ""
    cleaned_tags = _clean_tags(tags)
    validate_sharing(tlp=tlp, audience=audience, organisations=audience_organisations,
                     people=audience_people)
    stored = _store_upload(stream if kind == KnowledgeItem.Kind.DOCUMENT else None, filename)
    try:
        with transaction.atomic():
            item = KnowledgeItem(kind=kind, title=title, description=description,
                                 description_html=render_markdown(description), url=url,
                                 tlp=tlp, audience=audience, organisation_id=viewer.organisation_id,
                                 author=author, status=Status.DRAFT)
            if stored is not None:
                _apply_file(item, stored)
            item.save()
            if audience == Audience.ORGANISATIONS:
                item.audience_organisations.set(audience_organisations)
            if audience == Audience.PEOPLE:
                item.audience_people.set(audience_people)
            _set_tags(cast(Any, item), cleaned_tags)
            _record_version(item, author, "")
            audit_record(action="knowledge.item.create", actor=author, obj=item,
                         details={"kind": kind, "tlp": tlp, "audience": audience,
                                  "sha256": item.sha256})
            if publish:
                item = knowledge_item_publish(item=item, acting_user=author)
    except BaseException:
        if stored is not None:
            files.remove(stored.storage_name)
        raise
    return item


def knowledge_item_update(
    *,
    item: KnowledgeItem,
    acting_user: Any,
    stream: IO[bytes] | None = None,
    filename: str = "",
    audience_organisations: Sequence[Organisation] | None = None,
    audience_people: Sequence[Any] | None = None,
    tags: Iterable[str] | None = None,
    note: str = "",
    **changes: Any,
) -> KnowledgeItem:
    """A new version: changed text, link, sharing or a new file. Earlier versions and their
    files are kept."""
    unknown = set(changes) - set(_ITEM_FIELDS)
    if unknown:
        raise DomainError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(unknown)})
    note = clean_text(note, field="note", label=_("The note"), max_length=200)
    stored = _store_upload(stream if item.kind == KnowledgeItem.Kind.DOCUMENT else None,
                           filename)
    try:
        with transaction.atomic():
            item = KnowledgeItem.objects.select_for_update().get(pk=item.pk)
            if not can_edit(acting_user, item):
                raise NotFound(_("Item not found."))
            if item.status == Status.RETRACTED:
                raise DomainError(_("A retracted item can no longer be changed."))
            for field, value in changes.items():
                setattr(item, field, value)
            item.title, item.description = _item_text(item.title, item.description)
            if item.kind == KnowledgeItem.Kind.LINK:
                item.url = _check_url(item.url, field="url", label=_("The link"),
                                      max_length=1000)
            orgs = (list(audience_organisations) if audience_organisations is not None
                    else list(item.audience_organisations.all()))
            people = (list(audience_people) if audience_people is not None
                      else list(item.audience_people.all()))
            validate_sharing(tlp=item.tlp, audience=item.audience, organisations=orgs,
                             people=people)
            if stored is not None:
                _apply_file(item, stored)
            item.description_html = render_markdown(item.description)
            item.version += 1
            item.save()
            item.audience_organisations.set(orgs if item.audience == Audience.ORGANISATIONS
                                            else [])
            item.audience_people.set(people if item.audience == Audience.PEOPLE else [])
            if tags is not None:
                _set_tags(cast(Any, item), _clean_tags(tags))
            _record_version(item, acting_user, note)
            audit_record(action="knowledge.item.edit", actor=acting_user, obj=item,
                         details={"version": item.version, "fields": sorted(changes),
                                  "new_file": stored is not None, "tlp": item.tlp,
                                  "audience": item.audience})
    except BaseException:
        if stored is not None:
            files.remove(stored.storage_name)
        raise
    return item


@transaction.atomic
def knowledge_item_publish(*, item: KnowledgeItem, acting_user: Any) -> KnowledgeItem:
    item = KnowledgeItem.objects.select_for_update().get(pk=item.pk)
    if not can_edit(acting_user, item):
        raise NotFound(_("Item not found."))
    if item.status != Status.DRAFT:
        raise DomainError(_("Only a draft can be published."))
    item.status = Status.PUBLISHED
    item.published_at = timezone.now()
    item.save(update_fields=["status", "published_at", "updated_at"])
    audit_record(action="knowledge.item.publish", actor=acting_user, obj=item,
                 details={"tlp": item.tlp, "audience": item.audience})
    return item


@transaction.atomic
def knowledge_item_retract(*, item: KnowledgeItem, acting_user: Any) -> KnowledgeItem:
    """Withdraw a published item: its audience still sees it, marked as withdrawn."""
    item = KnowledgeItem.objects.select_for_update().get(pk=item.pk)
    if not can_moderate(acting_user, item):
        raise NotFound(_("Item not found."))
    if item.status != Status.PUBLISHED:
        raise DomainError(_("Only a published item can be withdrawn."))
    item.status = Status.RETRACTED
    item.retracted_at = timezone.now()
    item.save(update_fields=["status", "retracted_at", "updated_at"])
    audit_record(action="knowledge.item.retract", actor=acting_user, obj=item, details={})
    return item


def knowledge_file_download(*, item: KnowledgeItem, user: Any,
                            version: int | None = None) -> KnowledgeItemVersion | KnowledgeItem:
    """Check and record a download of the current file, or of an earlier version's (for
    those who may read the history: an earlier audience may have been narrower)."""
    if not can_view(user, item) or item.kind != KnowledgeItem.Kind.DOCUMENT:
        raise NotFound(_("File not found."))
    source: KnowledgeItemVersion | KnowledgeItem = item
    if version is not None and version != item.version:
        if not can_moderate(user, item):
            raise NotFound(_("File not found."))
        found = item.versions.filter(version=version).first()
        if found is None or not found.storage_name:
            raise NotFound(_("File not found."))
        source = found
    audit_record(action="knowledge.item.download", actor=user, obj=item,
                 details={"version": version or item.version, "tlp": item.tlp,
                          "sha256": source.sha256})
    return source
