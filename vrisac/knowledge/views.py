"""The members' knowledge base and the coordinators' tools (public pages, media, the contact
inbox). Thin: forms collect, services write, selectors read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vrisac.core.errors import DomainError, NotFound
from vrisac.core.markdown import render_markdown
from vrisac.core.paging import page_of
from vrisac.core.types import AuthenticatedRequest
from vrisac.reports import attachments as files
from vrisac.sharing.policy import can_edit, can_moderate, viewer_for
from vrisac.sharing.tlp import TLP

from . import selectors, services
from .conf import contact_settings
from .forms import KnowledgeItemForm, MediaItemForm, PublicPageForm, ReplyForm
from .links import PAGES
from .models import ContactMessage, KnowledgeItem, KnowledgeItemVersion, MediaItem, PublicPage
from .templatetags.knowledge import duration

PAGE_SIZE = 25


def _form_error(form: Any, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _coordinator(request: AuthenticatedRequest) -> None:
    if not viewer_for(request.user).is_coordinator:
        raise Http404


# ------------------------------------------------------------------------------ knowledge base


@login_required
def index(request: AuthenticatedRequest) -> HttpResponse:
    """Knowledge and ISAC products in one place: browse, filter, or search both at once."""
    viewer = viewer_for(request.user)
    if not viewer.reads_content:
        raise Http404
    params = request.GET
    q = (params.get("q") or "").strip()[:200]
    show = params.get("show") or ""
    tlp = params.get("tlp") if params.get("tlp") in TLP.values else None
    tag = (params.get("tag") or "").strip()[:64] or None
    context: dict[str, Any] = {"q": q, "show": show, "filters": params, "labels": TLP.choices}
    if q:
        hits = selectors.knowledge_search(user=request.user, q=q, tlp=tlp, tag=tag)
        if show in KnowledgeItem.Kind.values:
            hits = [h for h in hits if h.kind == "item" and h.obj.kind == show]
        elif show == "products":
            hits = [h for h in hits if h.kind == "product"]
        context["page"] = page_of(request, hits, PAGE_SIZE)
        context["hits_count"] = len(hits)
    elif show == "products":
        products = selectors.isac_products(user=request.user, tlp=tlp, tag=tag)
        context["page"] = page_of(request, products, PAGE_SIZE)
    else:
        items = selectors.knowledge_item_list(
            user=request.user, kind=show if show in KnowledgeItem.Kind.values else None,
            tlp=tlp, tag=tag, mine=params.get("mine") == "1")
        context["page"] = page_of(request, items, PAGE_SIZE)
        if not show:
            context["products"] = list(selectors.isac_products(user=request.user, tlp=tlp,
                                                               tag=tag)[:8])
    if viewer.is_coordinator:
        context["new_questions"] = selectors.contact_state_counts(user=request.user)["new"]
    return render(request, "knowledge/index.html", context)


def _get_item(request: AuthenticatedRequest, uuid: Any, record_view: bool = True
              ) -> KnowledgeItem:
    try:
        return selectors.knowledge_item_get(user=request.user, uuid=uuid,
                                            record_view=record_view)
    except NotFound:
        raise Http404 from None


@login_required
def item_detail(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    item = _get_item(request, uuid)
    return render(request, "knowledge/item.html", {
        "item": item,
        "can_edit": can_edit(request.user, item),
        "can_moderate": can_moderate(request.user, item),
    })


def _sharing(form: KnowledgeItemForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {"tlp": data["tlp"], "audience": data["audience"],
            "audience_organisations": list(data["audience_organisations"]),
            "audience_people": list(data["audience_people"]), "tags": form.tag_list()}


@login_required
def item_create(request: AuthenticatedRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.reads_content:
        raise Http404
    form = KnowledgeItemForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.get("file")
        try:
            item = services.knowledge_item_create(
                author=request.user, kind=data["kind"], title=data["title"],
                description=data["description"], url=data["url"] or "",
                stream=upload, filename=upload.name if upload else "",
                publish="publish" in request.POST, **_sharing(form))
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Published.") if item.status == "published"
                             else _("Saved as draft."))
            return redirect(item)
    return render(request, "knowledge/item_form.html", {"form": form, "item": None})


@login_required
def item_edit(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    item = _get_item(request, uuid, record_view=False)
    if not can_edit(request.user, item) or item.status == "retracted":
        raise Http404
    initial = {
        "title": item.title, "description": item.description, "url": item.url,
        "tlp": item.tlp, "audience": item.audience,
        "audience_organisations": list(item.audience_organisations.all()),
        "audience_people": list(item.audience_people.all()),
        "tags": ", ".join(t.name for t in item.tags.all()),
    }
    form = KnowledgeItemForm(request.POST or None, request.FILES or None, initial=initial,
                             editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.get("file")
        try:
            saved = services.knowledge_item_update(
                item=item, acting_user=request.user, title=data["title"],
                description=data["description"], url=data["url"] or "", note=data["note"],
                stream=upload, filename=upload.name if upload else "", **_sharing(form))
            if "publish" in request.POST and saved.status == "draft":
                saved = services.knowledge_item_publish(item=saved, acting_user=request.user)
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(saved)
    return render(request, "knowledge/item_form.html", {"form": form, "item": item})


def _item_step(request: AuthenticatedRequest, uuid: str, step: Any, done: str
               ) -> HttpResponse:
    item = _get_item(request, uuid, record_view=False)
    try:
        step(item=item, acting_user=request.user)
        messages.success(request, done)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(item)


@login_required
@require_POST
def item_publish(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    return _item_step(request, uuid, services.knowledge_item_publish, _("Published."))


@login_required
@require_POST
def item_retract(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    return _item_step(request, uuid, services.knowledge_item_retract,
                      _("The item was withdrawn."))


@login_required
def item_history(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    item = _get_item(request, uuid, record_view=False)
    # Earlier versions may have had a narrower audience: only editors and moderators.
    if not can_moderate(request.user, item):
        raise Http404
    return render(request, "knowledge/item_history.html", {
        "item": item, "versions": selectors.knowledge_item_versions(item=item)})


@login_required
def item_download(request: AuthenticatedRequest, uuid: str, version: int | None = None
                  ) -> StreamingHttpResponse:
    item = _get_item(request, uuid, record_view=False)
    try:
        source = services.knowledge_file_download(item=item, user=request.user, version=version)
    except NotFound:
        raise Http404 from None
    return file_response(source)


def file_response(source: KnowledgeItem | KnowledgeItemVersion) -> StreamingHttpResponse:
    """A stored file as an attachment that no browser renders in the platform's origin."""
    return files.download_response(storage_name=source.storage_name, filename=source.filename,
                                   content_type=source.content_type, size=source.size or 0)


@login_required
@require_POST
def markdown_preview(request: AuthenticatedRequest) -> HttpResponse:
    """The preview of whichever Markdown field the button names (``?field=body_nl``)."""
    field = request.GET.get("field", "")
    if field not in ("description", "body_nl", "body_en"):
        raise Http404
    html = render_markdown(request.POST.get(field, "")[:100_000])
    return render(request, "reports/includes/preview.html", {"html": html})


# ------------------------------------------------------------------------------ public pages


@login_required
def pages(request: AuthenticatedRequest) -> HttpResponse:
    _coordinator(request)
    names = {slug: name for name, slug in PAGES}
    rows = [(page, names.get(page.slug, "")) for page in selectors.public_page_list()]
    return render(request, "knowledge/pages.html", {"rows": rows})


def _get_page(slug: str) -> PublicPage:
    try:
        return selectors.public_page_get(slug)
    except NotFound:
        raise Http404 from None


@login_required
def page_edit(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    _coordinator(request)
    page = _get_page(slug)
    initial = {key: getattr(page, key) for key in services.PAGE_TEXT_FIELDS}
    form = PublicPageForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.public_page_update(page=page, acting_user=request.user, note=data["note"],
                                        **{k: data[k] for k in services.PAGE_TEXT_FIELDS})
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The page was saved; visitors see it now."))
            return redirect("knowledge:pages")
    names = {slug: name for name, slug in PAGES}
    return render(request, "knowledge/page_form.html",
                  {"form": form, "page": page, "url_name": names.get(page.slug, "")})


@login_required
def page_history(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    _coordinator(request)
    page = _get_page(slug)
    if request.method == "POST":
        try:
            services.public_page_restore(page=page, version=int(request.POST.get("version", 0)),
                                         acting_user=request.user)
            messages.success(request, _("The earlier version is the current one again."))
        except (ValueError, DomainError) as exc:
            messages.error(request, getattr(exc, "message", _("That version does not exist.")))
        return redirect("knowledge:page_history", slug=page.slug)
    return render(request, "knowledge/page_history.html",
                  {"page": page, "revisions": selectors.public_page_revisions(page)})


# ------------------------------------------------------------------------------ media


@login_required
def media(request: AuthenticatedRequest) -> HttpResponse:
    _coordinator(request)
    return render(request, "knowledge/media.html", {"items": selectors.media_list()})


@login_required
def media_form(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    _coordinator(request)
    item: MediaItem | None = None
    initial: dict[str, Any] = {}
    if pk is not None:
        try:
            item = selectors.media_get(pk)
        except NotFound:
            raise Http404 from None
        initial = {
            "kind": item.kind, "title_nl": item.title_nl, "title_en": item.title_en,
            "description_nl": item.description_nl, "description_en": item.description_en,
            "duration": duration(item.duration_seconds), "url": item.url,
            "embed": bool(item.embed_url), "position": item.position,
            "published": item.published,
        }
    form = MediaItemForm(request.POST or None, initial=initial or None)
    if request.method == "POST" and "delete" in request.POST and item is not None:
        services.media_item_delete(item=item, acting_user=request.user)
        messages.success(request, _("The item was removed from the site."))
        return redirect("knowledge:media")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.media_item_save(
                acting_user=request.user, item=item, kind=data["kind"],
                title_nl=data["title_nl"], title_en=data["title_en"],
                description_nl=data["description_nl"], description_en=data["description_en"],
                duration_seconds=data["duration"], url=data["url"], embed=data["embed"],
                position=data["position"], published=data["published"])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved; visitors see it now."))
            return redirect("knowledge:media")
    return render(request, "knowledge/media_form.html", {"form": form, "item": item})


# ------------------------------------------------------------------------------ contact inbox


@login_required
def contact_inbox(request: AuthenticatedRequest) -> HttpResponse:
    _coordinator(request)
    state = request.GET.get("state") or None
    if state not in ContactMessage.State.values:
        state = None
    qs = selectors.contact_message_list(user=request.user, state=state)
    return render(request, "knowledge/contact_inbox.html", {
        "page": page_of(request, qs, PAGE_SIZE),
        "state": state,
        "states": ContactMessage.State.choices,
        "counts": selectors.contact_state_counts(user=request.user),
        "rejections": selectors.contact_rejections(user=request.user),
        "retention_months": contact_settings().retention_months,
    })


@login_required
def contact_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _coordinator(request)
    try:
        message = selectors.contact_message_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    reply_form = ReplyForm(request.POST if request.method == "POST" else None, initial={
        "subject": _("Re: %(subject)s") % {"subject": message.subject}})
    if request.method == "POST":
        if "state" in request.POST:
            try:
                services.contact_message_set_state(message=message, acting_user=request.user,
                                                   state=request.POST["state"])
                messages.success(request, _("The state was changed."))
            except DomainError as exc:
                messages.error(request, exc.message)
            return redirect(message)
        if reply_form.is_valid():
            try:
                services.contact_reply(message=message, acting_user=request.user,
                                       subject=reply_form.cleaned_data["subject"],
                                       body=reply_form.cleaned_data["body"])
            except DomainError as exc:
                _form_error(reply_form, exc)
            else:
                messages.success(request, _("Your answer was sent by e-mail."))
                return redirect(message)
    return render(request, "knowledge/contact_detail.html", {
        "message": message, "replies": message.replies.select_related("sent_by"),
        "reply_form": reply_form, "states": ContactMessage.State.choices,
    })
