"""The TAXII 2.1 server at /taxii2/: discovery, the API root, collections, objects
(keyset-paged, filtered by ``match[...]``), single objects, versions, the manifest,
posting an envelope with its status resource, and deleting one's own objects.

Authentication: ``Authorization: Basic`` with the e-mail address and an API token as the
password, or ``Authorization: Bearer <token>``; the same token service and per-address
lockout as the REST API. What a reader receives is what the sharing policy allows."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from vrisac.accounts.services import (
    TokensBlocked,
    token_address_blocked,
    token_authenticate,
)
from vrisac.core.errors import DomainError, NotAllowed, NotFound
from vrisac.core.request_context import Origin, current_origin, set_origin
from vrisac.interop.stix.parsing import MAX_BYTES, check_id, load_json, parse_timestamp
from vrisac.sharing.policy import viewer_for

from . import selectors, services
from .collections import Collection, collection_for, collections_for
from .models import TaxiiStatus
from .selectors import Filters, taxii_time

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
_TYPE = re.compile(r"[a-z0-9][a-z0-9-]{1,248}[a-z0-9]")
_SPEC = re.compile(r"\d\.\d")


class TaxiiError(Exception):
    def __init__(self, status: int, title: str, description: str = "") -> None:
        super().__init__(title)
        self.status, self.title, self.description = status, title, description


def error_response(status: int, title: str, description: str = "") -> HttpResponse:
    body: dict[str, Any] = {"title": title, "http_status": str(status)}
    if description:
        body["description"] = description
    response = HttpResponse(orjson.dumps(body), status=status, content_type=TAXII)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="VR-ISAC TAXII", charset="UTF-8"'
    return response


def _json(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), status=status, content_type=TAXII)


def _too_many_wrong_tokens() -> TaxiiError:
    return TaxiiError(429, _("Too many wrong tokens from this address; try again later."))


def _authenticate(request: HttpRequest) -> Any:
    origin = current_origin()
    set_origin(Origin(ip=origin.ip, request_id=origin.request_id, channel="taxii"))
    scheme, _sep, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    email = None
    if scheme.lower() == "bearer":
        raw = credentials.strip()
    elif scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        email, _colon, raw = decoded.partition(":")
    elif token_address_blocked():
        raise _too_many_wrong_tokens()
    else:
        raise TaxiiError(401, _("Authentication required."),
                         _("Use HTTP Basic (e-mail address and API token) or a Bearer token."))
    try:
        token = token_authenticate(raw, channel="taxii")
    except TokensBlocked:
        raise _too_many_wrong_tokens() from None
    if token is None or (email is not None
                         and token.user.email.lower() != email.strip().lower()):
        raise TaxiiError(401, _("Authentication failed."),
                         _("The token is unknown, expired or revoked, or not of this "
                           "e-mail address."))
    request.user = token.user
    request.taxii_token = token  # type: ignore[attr-defined]
    return token


def _accepts(request: HttpRequest) -> bool:
    accept = request.META.get("HTTP_ACCEPT", "").lower().replace(" ", "")
    if not accept:
        return True
    for part in accept.split(","):
        media, *params = part.split(";")
        if media in ("*/*", "application/*"):
            return True
        if media == "application/taxii+json":
            versions = [p for p in params if p.startswith("version=")]
            if not versions or "version=2.1" in versions:
                return True
    return False


def taxii_view(*methods: str) -> Callable[..., Any]:
    """Authentication, scopes, media types and the TAXII error answers around a view."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise TaxiiError(405, _("Method not allowed."),
                                     _("Allowed: %(m)s.") % {"m": ", ".join(methods)})
                token = _authenticate(request)
                scope = "taxii:read" if request.method == "GET" else "taxii:write"
                if scope not in token.scopes:
                    raise TaxiiError(403, _("This token lacks the scope %(s)s.")
                                     % {"s": scope})
                if not _accepts(request):
                    raise TaxiiError(406, _("Not acceptable."),
                                     _("This server answers %(t)s.") % {"t": TAXII})
                return view(request, *args, **kwargs)
            except TaxiiError as exc:
                return error_response(exc.status, exc.title, exc.description)
            except NotFound as exc:
                return error_response(404, _("Not found."), exc.message)
            except NotAllowed as exc:
                return error_response(403, _("Forbidden."), exc.message)
            except DomainError as exc:
                return error_response(400 if exc.field in _QUERY_FIELDS else 422,
                                      _("Refused."), exc.message)

        return wrapper

    return decorate


_QUERY_FIELDS = frozenset({"added_after", "limit", "next", "match[id]", "match[type]",
                           "match[version]", "match[spec_version]"})


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/taxii2/")


def _collection(request: HttpRequest, collection: str, *, with_label: bool = False
                ) -> Collection:
    found = collection_for(viewer_for(request.user), collection, with_label=with_label)
    if found is None:
        raise NotFound(_("No such collection, or not yours to read."))
    return found


def _values(request: HttpRequest, name: str) -> list[str]:
    values: list[str] = []
    for raw in request.GET.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    if len(values) > 1000:
        raise DomainError(_("%(n)s: at most 1000 values.") % {"n": name}, field=name)
    return values


def filters_from(request: HttpRequest) -> Filters:
    """The query parameters, checked; a bad one is a 400 naming it."""
    found = Filters()
    if "added_after" in request.GET:
        moment = parse_timestamp(request.GET["added_after"])
        if moment is None:
            raise DomainError(_("added_after: not a timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)."),
                              field="added_after")
        found.added_after = moment
    if "limit" in request.GET:
        raw = request.GET["limit"]
        if not raw.isdigit() or int(raw) < 1:
            raise DomainError(_("limit: a positive whole number."), field="limit")
        found.limit = min(int(raw), selectors.MAX_LIMIT)
    if request.GET.get("next"):
        found.after = selectors.decode_next(request.GET["next"])
    found.ids = [check_id(v, where="match[id]") for v in _values(request, "match[id]")]
    found.types = _values(request, "match[type]")
    for value in found.types:
        if not _TYPE.fullmatch(value):
            raise DomainError(_("match[type]: %(v)s is not a STIX type.") % {"v": value[:80]},
                              field="match[type]")
    versions = _values(request, "match[version]")
    if versions:
        found.versions = []
        for value in versions:
            if value in ("first", "last", "all"):
                found.versions.append(value)
            elif (moment := parse_timestamp(value)) is not None:
                found.version_times.append(moment)
            else:
                raise DomainError(_("match[version]: %(v)s is not first, last, all or a "
                                    "timestamp.") % {"v": value[:80]}, field="match[version]")
    found.spec_versions = _values(request, "match[spec_version]")
    for value in found.spec_versions:
        if not _SPEC.fullmatch(value):
            raise DomainError(_("match[spec_version]: %(v)s is not a version such as 2.1.")
                              % {"v": value[:20]}, field="match[spec_version]")
    return found


def _paged(rows: list[tuple[Any, ...]], more: bool, key: str, items: bytes) -> HttpResponse:
    head = b'{"more":' + (b"true" if more else b"false")
    if more:
        head += b',"next":"' + selectors.encode_next(rows[-1][-2], rows[-1][-1]).encode() + b'"'
    response = HttpResponse(head + b',"' + key.encode() + b'":[' + items + b"]}",
                            content_type=TAXII)
    if rows:
        response["X-TAXII-Date-Added-First"] = taxii_time(rows[0][-2])
        response["X-TAXII-Date-Added-Last"] = taxii_time(rows[-1][-2])
    return response


@taxii_view("GET")
def discovery(request: HttpRequest) -> HttpResponse:
    root = _base_url(request) + "api/"
    return _json({"title": "VR-ISAC TAXII 2.1",
                  "description": _("Threat intelligence of VR-ISAC, the cyber ISAC of the "
                                   "Dutch safety regions."),
                  "contact": settings.DEFAULT_FROM_EMAIL, "default": root,
                  "api_roots": [root]})


@taxii_view("GET")
def api_root(request: HttpRequest) -> HttpResponse:
    return _json({"title": "VR-ISAC", "description": _("One collection per audience you may "
                                                      "read or write."),
                  "versions": [TAXII], "max_content_length": MAX_BYTES})


def _resource(request: HttpRequest, found: Collection) -> dict[str, Any]:
    resource = found.as_resource()
    resource["can_write"] = found.can_write and "taxii:write" in request.taxii_token.scopes  # type: ignore[attr-defined]
    return resource


@taxii_view("GET")
def collections(request: HttpRequest) -> HttpResponse:
    found = collections_for(viewer_for(request.user))
    return _json({"collections": [_resource(request, c) for c in found]} if found else {})


@taxii_view("GET")
def collection(request: HttpRequest, collection: str) -> HttpResponse:
    return _json(_resource(request, _collection(request, collection, with_label=True)))


def _read_body(request: HttpRequest) -> bytes:
    content_type = request.META.get("CONTENT_TYPE", "").lower().replace(" ", "")
    media, *params = content_type.split(";")
    if media != "application/taxii+json" or any(
            p.startswith("version=") and p != "version=2.1" for p in params):
        raise TaxiiError(415, _("Unsupported media type."),
                         _("Post an envelope as %(t)s.") % {"t": TAXII})
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BYTES:
        raise TaxiiError(413, _("Too large."), _("At most %(n)d bytes at a time.")
                         % {"n": MAX_BYTES})
    data = request.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TaxiiError(413, _("Too large."), _("At most %(n)d bytes at a time.")
                         % {"n": MAX_BYTES})
    return data


@taxii_view("GET", "POST")
def objects(request: HttpRequest, collection: str) -> HttpResponse:
    found = _collection(request, collection, with_label=request.method == "POST")
    if request.method == "POST":
        data = _read_body(request)
        envelope = load_json(data, where="envelope")
        if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
            raise DomainError(_("envelope: a JSON object with a list of objects."))
        status = services.envelope_add(acting_user=request.user, collection=found,
                                       objects=envelope["objects"],
                                       request_time=timezone.now())
        return _json(status_resource(status), status=202)
    filters = filters_from(request)
    qs = selectors.filtered(selectors.base(viewer_for(request.user), found.id), filters,
                            collection=found.id)
    rows, more = selectors.page(qs, filters, "body")
    return _paged(rows, more, "objects", b",".join(bytes(row[0]) for row in rows))


@taxii_view("GET", "DELETE")
def single(request: HttpRequest, collection: str, object_id: str) -> HttpResponse:
    found = _collection(request, collection)
    check_id(object_id, where="object id")
    filters = filters_from(request)
    filters.ids = [object_id]
    visible = selectors.base(viewer_for(request.user), found.id)
    if request.method == "DELETE":
        if "match[version]" not in request.GET:
            filters.versions = ["all"]
        services.objects_delete(acting_user=request.user, collection=found, stix_id=object_id,
                                visible=selectors.filtered(visible, filters,
                                                           collection=found.id))
        return HttpResponse(status=200, content_type=TAXII)
    rows, more = selectors.page(selectors.filtered(visible, filters, collection=found.id),
                                filters, "body")
    if not rows and filters.after is None:
        raise NotFound(_("Object not found."))
    return _paged(rows, more, "objects", b",".join(bytes(row[0]) for row in rows))


@taxii_view("GET")
def versions(request: HttpRequest, collection: str, object_id: str) -> HttpResponse:
    found = _collection(request, collection)
    check_id(object_id, where="object id")
    filters = filters_from(request)
    filters.ids = [object_id]
    qs = selectors.filtered(selectors.base(viewer_for(request.user), found.id), filters,
                            collection=found.id, versions=False)
    rows, more = selectors.page(qs, filters, "version")
    if not rows and filters.after is None:
        raise NotFound(_("Object not found."))
    return _paged(rows, more, "versions", b",".join(orjson.dumps(row[0]) for row in rows))


@taxii_view("GET")
def manifest(request: HttpRequest, collection: str) -> HttpResponse:
    found = _collection(request, collection)
    filters = filters_from(request)
    qs = selectors.filtered(selectors.base(viewer_for(request.user), found.id), filters,
                            collection=found.id)
    rows, more = selectors.page(qs, filters, "stix_id", "version")
    items = b",".join(orjson.dumps({"id": stix_id, "date_added": taxii_time(added),
                                    "version": version, "media_type": STIX})
                      for stix_id, version, added, _pk in rows)
    return _paged(rows, more, "objects", items)


def status_resource(status: TaxiiStatus) -> dict[str, Any]:
    return {
        "id": str(status.id), "status": status.status,
        "request_timestamp": taxii_time(status.request_timestamp),
        "total_count": status.total_count, "success_count": status.success_count,
        "successes": status.successes, "failure_count": status.failure_count,
        "failures": status.failures, "pending_count": status.pending_count, "pendings": [],
    }


@taxii_view("GET")
def status(request: HttpRequest, status_id: str) -> HttpResponse:
    owner: Any = request.user.pk
    found = TaxiiStatus.objects.filter(pk=status_id, user_id=owner).first()
    if found is None:
        raise NotFound(_("No such status."))
    return _json(status_resource(found))
