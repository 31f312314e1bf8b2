"""The knowledge base over the REST API (``/api/v1/knowledge``): the same services and the
same sharing policy as the pages; what you may not see answers 404."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from vrisac.api.auth import require_scope
from vrisac.api.pagination import Mapped, Paging
from vrisac.reports.api import AudienceLiteral, TlpLiteral, _organisations, _people
from vrisac.sharing.policy import can_see_source

from . import selectors, services
from .models import KnowledgeItem
from .views import file_response

router = Router(tags=["knowledge"])


class ItemOut(Schema):
    id: str = Field(description="The item's UUID.")
    kind: str
    title: str
    description: str
    url: str = Field(description="The web address of a link; empty for a document.")
    file: str | None = Field(description="Where to download a document's current file.")
    filename: str
    content_type: str
    size: int | None
    sha256: str
    tlp: str
    audience: str
    status: str
    organisation: str | None
    author: str | None
    tags: list[str]
    version: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class LinkIn(Schema):
    title: str = Field(max_length=200)
    description: str = Field("", max_length=50_000)
    url: str = Field(max_length=1000)
    tlp: TlpLiteral
    audience: AudienceLiteral
    audience_organisations: list[str] = Field(default_factory=list, max_length=50)
    audience_people: list[str] = Field(default_factory=list, max_length=200)
    tags: list[str] = Field(default_factory=list, max_length=20)
    status: Literal["draft", "published"] = "draft"


class DocumentIn(Schema):
    title: str = Field(max_length=200)
    description: str = Field("", max_length=50_000)
    tlp: TlpLiteral
    audience: AudienceLiteral
    audience_organisations: str = Field("", description="Organisation slugs, comma-separated.")
    audience_people: str = Field("", description="E-mail addresses, comma-separated.")
    tags: str = Field("", description="Tags, comma-separated.")
    status: Literal["draft", "published"] = "draft"


class ItemFilters(Schema):
    kind: Literal["document", "link"] | None = None
    tlp: TlpLiteral | None = None
    tag: str | None = Field(None, max_length=64)


class HitOut(Schema):
    type: Literal["item", "product"] = Field(description="A knowledge item, or an ISAC product "
                                                         "(a report: advice, warning, threat).")
    id: str = Field(description="The item's UUID, or the report's id.")
    kind: str
    title: str
    tlp: str
    score: float
    api: str = Field(description="Where to read it in this API.")


def item_out(item: KnowledgeItem, user: Any) -> dict[str, Any]:
    source = can_see_source(user, item)
    return {
        "id": str(item.uuid), "kind": item.kind, "title": item.title,
        "description": item.description, "url": item.url,
        "file": (reverse("api:knowledge_file", args=[item.uuid])
                 if item.kind == KnowledgeItem.Kind.DOCUMENT else None),
        "filename": item.filename, "content_type": item.content_type, "size": item.size,
        "sha256": item.sha256, "tlp": item.tlp, "audience": item.audience,
        "status": item.status,
        "organisation": item.organisation.slug if source else None,
        "author": item.author.name if source else None,
        "tags": [t.name for t in item.tags.all()], "version": item.version,
        "created_at": item.created_at, "updated_at": item.updated_at,
        "published_at": item.published_at,
    }


@router.get("/items", response=list[ItemOut])
@paginate(Paging)
def list_items(request: HttpRequest, filters: Query[ItemFilters]) -> Any:
    """Documents and links you may see, newest first (``{"items": [...], "count": N}``)."""
    require_scope(request, "knowledge:read")
    return Mapped.each(selectors.knowledge_item_list(user=request.user, **filters.dict()),
                       lambda item: item_out(item, request.user))


@router.get("/items/{item_id}", response=ItemOut, url_name="knowledge_item")
def get_item(request: HttpRequest, item_id: str) -> dict[str, Any]:
    require_scope(request, "knowledge:read")
    return item_out(selectors.knowledge_item_get(user=request.user, uuid=item_id), request.user)


@router.get("/items/{item_id}/file", url_name="knowledge_file")
def download_file(request: HttpRequest, item_id: str) -> StreamingHttpResponse:
    """The current file of a document (recorded in the audit log)."""
    require_scope(request, "knowledge:read")
    item = selectors.knowledge_item_get(user=request.user, uuid=item_id, record_view=False)
    return file_response(services.knowledge_file_download(item=item, user=request.user))


@router.post("/links", response={201: ItemOut})
def create_link(request: HttpRequest, payload: LinkIn) -> Status[dict[str, Any]]:
    """Share a link. ``"status": "published"`` publishes it at once."""
    require_scope(request, "knowledge:write")
    item = services.knowledge_item_create(
        author=request.user, kind=KnowledgeItem.Kind.LINK, title=payload.title,
        description=payload.description, url=payload.url, tlp=payload.tlp,
        audience=payload.audience,
        audience_organisations=_organisations(payload.audience_organisations),
        audience_people=_people(payload.audience_people), tags=payload.tags,
        publish=payload.status == "published")
    item = selectors.knowledge_item_get(user=request.user, uuid=item.uuid, record_view=False)
    return Status(201, item_out(item, request.user))


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


@router.post("/documents", response={201: ItemOut})
def create_document(request: HttpRequest, payload: Form[DocumentIn],
                    file: File[UploadedFile]) -> Status[dict[str, Any]]:
    """Share a document: a ``multipart/form-data`` post with the fields and ``file``. The
    type is checked by the file's content; a refused file is named in the answer."""
    require_scope(request, "knowledge:write")
    item = services.knowledge_item_create(
        author=request.user, kind=KnowledgeItem.Kind.DOCUMENT, title=payload.title,
        description=payload.description, stream=file, filename=file.name or "",
        tlp=payload.tlp, audience=payload.audience,
        audience_organisations=_organisations(_split(payload.audience_organisations)),
        audience_people=_people(_split(payload.audience_people)),
        tags=_split(payload.tags), publish=payload.status == "published")
    item = selectors.knowledge_item_get(user=request.user, uuid=item.uuid, record_view=False)
    return Status(201, item_out(item, request.user))


class SearchParams(Schema):
    q: str = Field(min_length=1, max_length=200, description="The words to find (all of them).")
    limit: int = Field(50, ge=1, le=200)


@router.get("/search", response=list[HitOut])
def search(request: HttpRequest, params: Query[SearchParams]) -> list[dict[str, Any]]:
    """Full-text search over the knowledge base and the ISAC products together, best first."""
    require_scope(request, "knowledge:read")
    hits = selectors.knowledge_search(user=request.user, q=params.q, limit=params.limit)
    return [
        {"type": "item", "id": str(h.obj.uuid), "kind": h.obj.kind, "title": h.obj.title,
         "tlp": h.obj.tlp, "score": h.score,
         "api": reverse("api:knowledge_item", args=[h.obj.uuid])}
        if h.kind == "item" else
        {"type": "product", "id": str(h.obj.pk), "kind": h.obj.kind, "title": h.obj.title,
         "tlp": h.obj.tlp, "score": h.score, "api": f"/api/v1/reports/{h.obj.pk}"}
        for h in hits
    ]
