"""TAXII 2.1 over the platform's guarded HTTP client: find a collection's objects URL from a
discovery, API root or collection URL, and read its objects page by page.

Every answer is checked before anything is taken from it: the media type (an HTML login page
is not an envelope), the size (``fetch`` caps it while reading), the JSON shape, the nesting
depth and, per object, the parts of STIX 2.1 that the import relies on (type, id, timestamps).
A remote answer that fails any check raises ``TaxiiError`` naming the address and the place.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlparse

import orjson
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from vrisac.advisories.importers.common import RecordError, check_shape
from vrisac.core.errors import DomainError
from vrisac.core.http import fetch

MEDIA_TYPE = "application/taxii+json;version=2.1"
#: The largest page read from a server (a page of 1,000 indicators is about 1 MB).
MAX_PAGE_BYTES = 64 * 1024 * 1024
#: The most objects one page may carry, whatever ``limit`` asked for.
MAX_PAGE_OBJECTS = 10_000
#: Discovery and collection documents are small.
MAX_DOCUMENT_BYTES = 1024 * 1024
PAGE_LIMIT = 1000

_TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$")
_COLLECTION_PATH = re.compile(r"^(?P<base>.*/collections/[^/]+/)(objects/?)?$")


class TaxiiError(DomainError):
    code = "taxii"


@dataclass(frozen=True)
class Credentials:
    """How to authenticate; ``repr`` never shows the secret."""

    kind: str = "none"
    username: str = ""
    secret: str = field(default="", repr=False)

    def headers(self) -> dict[str, str]:
        if self.kind == "token" and self.secret:
            return {"Authorization": f"Bearer {self.secret}"}
        if self.kind == "basic" and (self.username or self.secret):
            pair = f"{self.username}:{self.secret}".encode()
            return {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}
        return {}


@dataclass
class Page:
    objects: list[dict[str, Any]]
    more: bool
    next: str
    #: X-TAXII-Date-Added-First / -Last, verbatim ("" when the server sent none).
    added_first: str
    added_last: str


def _get(url: str, credentials: Credentials, max_bytes: int) -> tuple[Any, dict[str, str]]:
    headers = {"Accept": MEDIA_TYPE, **credentials.headers()}
    with fetch(url, max_bytes=max_bytes, headers=headers) as got:
        answered = {k.lower(): v for k, v in got.headers.items()}
        media = answered.get("content-type", "").split(";")[0].strip().lower()
        if media not in ("application/taxii+json", "application/json"):
            raise TaxiiError(_("%(u)s answered %(t)s, not TAXII JSON.")
                             % {"u": url, "t": media or _("no content type")})
        body = got.read()
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise TaxiiError(_("%(u)s: not valid JSON (%(e)s).") % {"u": url, "e": exc}) from None
    if not isinstance(document, dict):
        raise TaxiiError(_("%(u)s: the answer is not a JSON object.") % {"u": url})
    try:
        check_shape(document, url)
    except RecordError as exc:
        raise TaxiiError(f"{url}: {exc}") from None
    return document, answered


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def objects_url(url: str, collection_id: str, credentials: Credentials) -> str:
    """The objects endpoint that ``url`` (discovery, API root or collection) leads to."""
    parsed = urlparse(url)
    matched = _COLLECTION_PATH.match(_with_slash(parsed.path))
    if matched and not parsed.query:
        return parsed._replace(path=matched.group("base") + "objects/").geturl()
    document, _headers = _get(url, credentials, MAX_DOCUMENT_BYTES)
    if "api_roots" in document:
        roots = document.get("api_roots")
        default = document.get("default")
        if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
            raise TaxiiError(_("%(u)s: the discovery document's api_roots is not a list of "
                               "addresses.") % {"u": url})
        chosen = default if isinstance(default, str) and default else (roots[0] if roots else "")
        if not chosen:
            raise TaxiiError(_("%(u)s: the server offers no API root.") % {"u": url})
        root = _with_slash(urljoin(_with_slash(url), chosen))
    elif "title" in document and "versions" in document:
        root = _with_slash(url)
    else:
        raise TaxiiError(_("%(u)s is neither a TAXII discovery document nor an API root.")
                         % {"u": url})
    listing, _headers = _get(root + "collections/", credentials, MAX_DOCUMENT_BYTES)
    collections = listing.get("collections", [])
    if not isinstance(collections, list):
        raise TaxiiError(_("%(u)s: collections is not a list.") % {"u": root + "collections/"})
    offered = [c for c in collections if isinstance(c, dict) and isinstance(c.get("id"), str)]
    if collection_id:
        found = [c for c in offered if c["id"] == collection_id]
    else:
        found = [c for c in offered if c.get("can_read")]
        if len(found) > 1:
            raise TaxiiError(_("%(u)s offers several collections; name one: %(l)s.")
                             % {"u": root, "l": ", ".join(c["id"] for c in found)[:500]})
    if not found:
        raise TaxiiError(_("%(u)s has no collection %(c)s that can be read; it offers: %(l)s.")
                         % {"u": root, "c": collection_id or "",
                            "l": ", ".join(c["id"] for c in offered)[:500] or "-"})
    if not found[0].get("can_read"):
        raise TaxiiError(_("The collection %(c)s may not be read with these credentials.")
                         % {"c": found[0]["id"]})
    return f"{root}collections/{found[0]['id']}/objects/"


def _timestamp(value: Any, where: str) -> None:
    if not isinstance(value, str) or parse_datetime(value.replace("Z", "+00:00")) is None:
        raise TaxiiError(_("%(w)s is not a STIX timestamp.") % {"w": where})


def check_object(obj: Any, where: str) -> None:
    """The parts of a STIX 2.1 object the import relies on; raises naming ``where``."""
    if not isinstance(obj, dict):
        raise TaxiiError(_("%(w)s is not a JSON object.") % {"w": where})
    type_, id_ = obj.get("type"), obj.get("id")
    if not isinstance(type_, str) or not _TYPE.match(type_):
        raise TaxiiError(_("%(w)s has no valid STIX type.") % {"w": where})
    prefix, _sep, rest = id_.partition("--") if isinstance(id_, str) else ("", "", "")
    try:
        uuid.UUID(rest)
    except ValueError:
        rest = ""
    if prefix != type_ or not rest:
        raise TaxiiError(_("%(w)s: the id %(i)s is not %(t)s--<UUID>.")
                         % {"w": where, "i": str(id_)[:120], "t": type_})
    if "spec_version" in obj and obj["spec_version"] != "2.1":
        raise TaxiiError(_("%(w)s (%(i)s) is STIX %(v)s, not 2.1.")
                         % {"w": where, "i": id_, "v": str(obj["spec_version"])[:10]})
    for name in ("created", "modified"):
        if name in obj:
            _timestamp(obj[name], f"{where} ({id_}) {name}")


def read_page(url: str, credentials: Credentials) -> Page:
    document, headers = _get(url, credentials, MAX_PAGE_BYTES)
    objects = document.get("objects", [])
    more, next_ = document.get("more", False), document.get("next", "")
    if not isinstance(objects, list):
        raise TaxiiError(_("%(u)s: objects is not a list.") % {"u": url})
    if len(objects) > MAX_PAGE_OBJECTS:
        raise TaxiiError(_("%(u)s: more than %(n)d objects on one page.")
                         % {"u": url, "n": MAX_PAGE_OBJECTS})
    if not isinstance(more, bool) or not isinstance(next_, str):
        raise TaxiiError(_("%(u)s: more or next is not of the TAXII envelope's type.")
                         % {"u": url})
    for index, obj in enumerate(objects):
        check_object(obj, f"{url}, objects[{index}]")
    first = headers.get("x-taxii-date-added-first", "")
    last = headers.get("x-taxii-date-added-last", "")
    for name, value in (("X-TAXII-Date-Added-First", first), ("X-TAXII-Date-Added-Last", last)):
        if value:
            _timestamp(value, f"{url} {name}")
    return Page(objects=objects, more=more, next=next_, added_first=first[:40],
                added_last=last[:40])


def pages(url: str, *, credentials: Credentials, added_after: str = "",
          limit: int | None = None, max_pages: int = 10_000) -> Iterator[Page]:
    """The collection's pages added after ``added_after``, following ``next``. A server that
    says there is more but gives no ``next`` is paged on by its X-TAXII-Date-Added-Last."""
    params: dict[str, Any] = {"limit": limit or PAGE_LIMIT}
    if added_after:
        params["added_after"] = added_after
    for _number in range(max_pages):
        page = read_page(f"{url}?{urlencode(params)}", credentials)
        yield page
        if not page.more:
            return
        if page.next:
            params["next"] = page.next
        elif page.added_last and page.added_last != params.get("added_after"):
            params["added_after"] = page.added_last
        else:
            raise TaxiiError(_("%(u)s says there is more but gives no way to the next page.")
                             % {"u": url})
    raise TaxiiError(_("%(u)s: more than %(n)d pages in one pull.") % {"u": url, "n": max_pages})
