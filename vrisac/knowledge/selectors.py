"""Reads on the public pages, the contact inbox and the knowledge base. Shared content goes
through the sharing policy; the inbox is for ISAC coordinators only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record
from vrisac.core.errors import NotFound
from vrisac.organisations.models import Membership
from vrisac.reports.models import Report
from vrisac.sharing.models import SHARED_STATUSES
from vrisac.sharing.policy import viewer_for
from vrisac.sharing.tlp import AUDITED_VIEWS

from . import search
from .models import (
    ContactMessage,
    ContactRejection,
    KnowledgeItem,
    KnowledgeItemVersion,
    MediaItem,
    PublicPage,
    PublicPageRevision,
)

# ------------------------------------------------------------------------------ public pages

#: How long a public page's content stays in the shared cache; edits clear it at once.
PUBLIC_CACHE_SECONDS = 24 * 3600
MEDIA_KIND_OF_PAGE = {PublicPage.Slug.PODCASTS: MediaItem.Kind.PODCAST,
                      PublicPage.Slug.VIDEO: MediaItem.Kind.VIDEO}
_PAGE_VALUES = ("slug", "version", "updated_at", "title_nl", "title_en", "summary_nl",
                "summary_en", "body_html_nl", "body_html_en")
_MEDIA_VALUES = ("pk", "title_nl", "title_en", "description_nl", "description_en",
                 "duration_seconds", "url", "embed_url", "updated_at")


def _public_key(slug: str) -> str:
    return f"knowledge:public:1:{slug}"


def public_page_content(slug: str) -> dict[str, Any] | None:
    """A public page's content in both languages (with its media), from the shared cache:
    one cache read per request; the database is read only after an edit cleared it."""
    key = _public_key(slug)
    content = cache.get(key)
    if content is None:
        content = PublicPage.objects.filter(slug=slug).values(*_PAGE_VALUES).first()
        if content is None:
            return None
        kind = MEDIA_KIND_OF_PAGE.get(PublicPage.Slug(slug))
        content["media"] = (list(MediaItem.objects.filter(kind=kind, published=True)
                                 .order_by("position", "pk").values(*_MEDIA_VALUES))
                            if kind else [])
        cache.set(key, content, PUBLIC_CACHE_SECONDS)
    return content


def public_page_keep_html(slug: str, content: dict[str, Any], variant: str,
                          html: dict[str, Any]) -> None:
    """Keep a rendered page for anonymous visitors with its content, so that an edit
    (which drops the content) drops the page too."""
    content.setdefault("html", {})[variant] = html
    cache.set(_public_key(slug), content, PUBLIC_CACHE_SECONDS)


def public_cache_forget(*slugs: str) -> None:
    cache.delete_many([_public_key(slug) for slug in slugs])


def public_page_list() -> QuerySet[PublicPage]:
    return PublicPage.objects.select_related("updated_by").order_by("position", "slug")


def public_page_get(slug: str) -> PublicPage:
    try:
        return PublicPage.objects.get(slug=slug)
    except PublicPage.DoesNotExist:
        raise NotFound(_("Page not found.")) from None


def public_page_revisions(page: PublicPage) -> QuerySet[PublicPageRevision]:
    return page.revisions.select_related("edited_by").all()


def media_list(kind: str | None = None) -> QuerySet[MediaItem]:
    qs = MediaItem.objects.select_related("updated_by")
    return qs.filter(kind=kind) if kind else qs


def media_get(pk: Any) -> MediaItem:
    try:
        return MediaItem.objects.get(pk=pk)
    except (MediaItem.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Media item not found.")) from None


# ------------------------------------------------------------------------------ contact inbox


def _coordinators_only(user: Any) -> None:
    # Not allowed and not there answer alike.
    if not viewer_for(user).is_coordinator:
        raise NotFound(_("Not found."))


def contact_message_list(*, user: Any, state: str | None = None) -> QuerySet[ContactMessage]:
    _coordinators_only(user)
    qs = ContactMessage.objects.select_related("handled_by")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-received_at")


def contact_message_get(*, user: Any, pk: Any) -> ContactMessage:
    _coordinators_only(user)
    try:
        return ContactMessage.objects.select_related("handled_by").get(pk=pk)
    except (ContactMessage.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Message not found.")) from None


def contact_state_counts(*, user: Any) -> dict[str, int]:
    _coordinators_only(user)
    counts = {state: 0 for state in ContactMessage.State.values}
    for row in ContactMessage.objects.values("state").annotate(n=Count("pk")).order_by():
        counts[row["state"]] = row["n"]
    return counts


@dataclass(frozen=True)
class RejectionRow:
    reason: str
    label: str
    today: int
    week: int
    month: int


def contact_rejections(*, user: Any) -> list[RejectionRow]:
    """Refused posts per reason: today, the last 7 and the last 30 days."""
    _coordinators_only(user)
    today = timezone.localdate()
    periods = {"today": today, "week": today - timedelta(days=6),
               "month": today - timedelta(days=29)}
    rows = ContactRejection.objects.filter(day__gte=periods["month"]).values("reason", "day",
                                                                             "count")
    sums: dict[str, dict[str, int]] = {r: dict.fromkeys(periods, 0)
                                       for r in ContactRejection.Reason.values}
    for row in rows:
        for period, since in periods.items():
            if row["day"] >= since:
                sums[row["reason"]][period] += row["count"]
    return [RejectionRow(reason, str(label), **sums[reason])
            for reason, label in ContactRejection.Reason.choices]


def contact_rejections_total() -> int:
    return int(ContactRejection.objects.aggregate(n=Sum("count"))["n"] or 0)


# ------------------------------------------------------------------------------ knowledge base


def _filtered(qs: Any, *, kind: str | None, tag: str | None, tlp: str | None) -> Any:
    """Shared content (items or reports) by kind, tag and label, with what its lines show."""
    qs = qs.select_related("organisation", "author").prefetch_related("tags")
    if kind:
        qs = qs.filter(kind=kind)
    if tag:
        qs = qs.filter(tags__name=tag.lower())
    if tlp:
        qs = qs.filter(tlp=tlp)
    return qs


def knowledge_item_list(*, user: Any, kind: str | None = None, tag: str | None = None,
                        tlp: str | None = None, mine: bool = False) -> QuerySet[KnowledgeItem]:
    qs = _filtered(KnowledgeItem.objects.visible_to(user), kind=kind, tag=tag, tlp=tlp)
    if mine:
        qs = qs.filter(author_id=getattr(user, "pk", None))
    return qs.order_by("-published_at", "-created_at")


def knowledge_item_get(*, user: Any, uuid: Any, record_view: bool = True) -> KnowledgeItem:
    """One item the user may see (``NotFound`` otherwise). Views of TLP:RED and
    TLP:AMBER+STRICT items are written to the audit log."""
    try:
        item = (KnowledgeItem.objects.visible_to(user)
                .select_related("organisation", "author")
                .prefetch_related("tags", "audience_organisations", "audience_people")
                .get(uuid=uuid))
    except (KnowledgeItem.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Item not found.")) from None
    if record_view and item.tlp in AUDITED_VIEWS:
        audit_record(action="knowledge.item.view", actor=user, obj=item,
                     details={"tlp": item.tlp})
    return item


def knowledge_item_versions(*, item: KnowledgeItem) -> QuerySet[KnowledgeItemVersion]:
    return item.versions.select_related("edited_by").all()


def isac_products(*, user: Any, kind: str | None = None, tag: str | None = None,
                  tlp: str | None = None) -> QuerySet[Report]:
    """The ISAC's own products the user may see: advice, warnings and threat pictures
    written by an ISAC coordinator, published (or withdrawn, marked so)."""
    # The coordinators as a list (a handful), not a subquery: the database then reads their
    # reports by the (author, status) index instead of walking every report newest first.
    coordinators = list(Membership.objects.filter(role=Membership.Role.COORDINATOR)
                        .values_list("user_id", flat=True).distinct())
    qs = Report.objects.visible_to(user).filter(
        kind__in=search.PRODUCT_KINDS, status__in=SHARED_STATUSES, author_id__in=coordinators)
    return _filtered(qs, kind=kind, tag=tag, tlp=tlp).order_by("-published_at")


@dataclass(frozen=True)
class Hit:
    """One search result: a knowledge item or an ISAC product."""

    kind: str  # "item" or "product"
    obj: Any
    score: float


def knowledge_search(*, user: Any, q: str, tlp: str | None = None, tag: str | None = None,
                     limit: int = 200) -> list[Hit]:
    """The best matches the user may see, knowledge and ISAC products together. The index
    yields candidates; the sharing policy decides what is shown (and so counted)."""
    found = search.candidates(q)
    hits: list[Hit] = []
    if found.items:
        for item in knowledge_item_list(user=user, tlp=tlp, tag=tag).filter(
                pk__in=list(found.items)):
            hits.append(Hit("item", item, found.items[item.pk]))
    if found.reports:
        for report in isac_products(user=user, tlp=tlp, tag=tag).filter(
                pk__in=list(found.reports)):
            hits.append(Hit("product", report, found.reports[report.pk]))
    hits.sort(key=lambda hit: (-hit.score, hit.kind, hit.obj.pk))
    return hits[:limit]
