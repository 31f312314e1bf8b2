"""Reading STIX 2.1 from outside without trusting it: a size cap, a nesting cap, an object
cap, well-formed ids and timestamps, spec_version 2.1, known marking references and no
cycles of references. Every error names the input and the place."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from django.utils.translation import gettext as _

from vrisac.core.errors import DomainError

from . import markings

MAX_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 32
MAX_OBJECTS = 100_000

SCO_TYPES = frozenset({
    "artifact", "autonomous-system", "directory", "domain-name", "email-addr",
    "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic",
    "process", "software", "url", "user-account", "windows-registry-key", "x509-certificate",
})
_TYPE = re.compile(r"[a-z0-9][a-z0-9-]{1,248}[a-z0-9]")
_ID = re.compile(r"([a-z0-9][a-z0-9-]{1,248}[a-z0-9])--([0-9a-fA-F-]{36})")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z")
#: References that may point back (an identity marked by a marking it created).
_META_REFS = frozenset({"created_by_ref", "object_marking_refs"})


class StixError(DomainError):
    """Input that is not acceptable STIX 2.1; the message names the input and the place."""

    code = "invalid_stix"


def fail(where: str, message: str) -> StixError:
    return StixError(f"{where}: {message}", field=where)


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests deeper than ``limit`` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, dict | list))
    return False


def load_json(data: bytes, *, where: str, max_bytes: int | None = None) -> Any:
    """JSON from untrusted bytes, within the size and nesting caps."""
    max_bytes = max_bytes or MAX_BYTES
    if len(data) > max_bytes:
        raise fail(where, _("larger than %(n)d MB.") % {"n": max_bytes // (1024 * 1024)})
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise fail(where, _("not valid JSON (%(e)s).") % {"e": str(exc)[:200]}) from None
    if too_deep(value):
        raise fail(where, _("nested deeper than %(n)d levels.") % {"n": MAX_DEPTH})
    return value


def parse_timestamp(value: Any) -> datetime | None:
    """A STIX timestamp (``2026-01-31T12:00:00.123Z``) as an aware datetime, or ``None``."""
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        return None
    fraction = value[20:-1]
    try:
        return datetime(int(value[0:4]), int(value[5:7]), int(value[8:10]), int(value[11:13]),
                        int(value[14:16]), int(value[17:19]),
                        int((fraction + "000000")[:6]) if fraction else 0, tzinfo=UTC)
    except ValueError:
        return None


def check_id(value: Any, *, where: str, type_: str | None = None) -> str:
    match = _ID.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise fail(where, _("%(v)s is not a STIX identifier (type--UUID).")
                   % {"v": str(value)[:100]})
    try:
        uuid.UUID(match.group(2))
    except ValueError:
        raise fail(where, _("%(v)s does not end in a UUID.") % {"v": value[:100]}) from None
    if type_ is not None and match.group(1) != type_:
        raise fail(where, _("the id %(v)s is not of type %(t)s.") % {"v": value[:100],
                                                                     "t": type_})
    return str(value)


def _refs(obj: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    for key, value in obj.items():
        if key.endswith("_ref"):
            yield key, [value]
        elif key.endswith("_refs"):
            yield key, value if isinstance(value, list) else [value]


def check_objects(objects: Any, *, where: str,
                  known_markings: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Check a list of STIX objects (of a bundle or a TAXII envelope); raise ``StixError``
    naming the first problem. Returns the objects."""
    if not isinstance(objects, list):
        raise fail(where, _("objects must be a list."))
    if len(objects) > MAX_OBJECTS:
        raise fail(where, _("more than %(n)d objects.") % {"n": MAX_OBJECTS})
    markings_here = set(known_markings)
    for obj in objects:
        if (isinstance(obj, dict) and obj.get("type") == "marking-definition"
                and isinstance(obj.get("id"), str)):
            markings_here.add(obj["id"])
    ids: set[str] = set()
    for index, obj in enumerate(objects):
        place = f"{where} objects[{index}]"
        if not isinstance(obj, dict):
            raise fail(place, _("not a JSON object."))
        type_ = obj.get("type")
        if not isinstance(type_, str) or not _TYPE.fullmatch(type_):
            raise fail(place, _("type must be 3 to 250 lower-case letters, digits and "
                                "hyphens."))
        stix_id = check_id(obj.get("id"), where=f"{place}.id", type_=type_)
        place = f"{where} {stix_id}"
        spec = obj.get("spec_version")
        if spec is None and type_ not in SCO_TYPES and not type_.startswith("x-"):
            raise fail(place, _("spec_version is required (2.1)."))
        if spec is not None and spec != "2.1":
            raise fail(place, _("spec_version %(v)s is not supported; only 2.1.")
                       % {"v": str(spec)[:20]})
        for key in ("created", "modified"):
            if key in obj and parse_timestamp(obj[key]) is None:
                raise fail(f"{place}.{key}", _("not a STIX timestamp "
                                               "(YYYY-MM-DDTHH:MM:SS[.s]Z)."))
        if type_ not in SCO_TYPES and not type_.startswith("x-") and "created" not in obj:
            raise fail(place, _("created is required."))
        refs = obj.get("object_marking_refs", [])
        if not isinstance(refs, list):
            raise fail(f"{place}.object_marking_refs", _("must be a list."))
        for ref in refs:
            if not isinstance(ref, str) or not (ref in markings_here
                                                or markings.label_of(ref)):
                raise fail(f"{place}.object_marking_refs",
                           _("unknown marking %(m)s (not TLP and not in the input).")
                           % {"m": str(ref)[:100]})
        for key, values in _refs(obj):
            for ref in values:
                check_id(ref, where=f"{place}.{key}")
        ids.add(stix_id)
    _check_cycles(objects, where=where)
    return objects


def _check_cycles(objects: list[dict[str, Any]], *, where: str) -> None:
    """Refuse objects that reach themselves through their references (a report listing a
    report listing the first); who-made-it and marking references may point back."""
    edges: dict[str, list[str]] = {}
    for obj in objects:
        targets = [ref for key, values in _refs(obj) if key not in _META_REFS
                   for ref in values]
        if targets:
            edges.setdefault(obj["id"], []).extend(targets)
    state: dict[str, int] = {}
    for start in edges:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        state[start] = 1
        while stack:
            node, position = stack[-1]
            targets = edges.get(node, [])
            if position >= len(targets):
                state[node] = 2
                stack.pop()
                continue
            stack[-1] = (node, position + 1)
            target = targets[position]
            if state.get(target) == 1:
                raise fail(f"{where} {node}", _("its references form a cycle through "
                                                "%(t)s.") % {"t": target})
            if not state.get(target):
                state[target] = 1
                stack.append((target, 0))


def load_bundle(data: bytes, *, where: str, max_bytes: int | None = None
                ) -> list[dict[str, Any]]:
    """The objects of a STIX 2.1 bundle in ``data``, checked."""
    bundle = load_json(data, where=where, max_bytes=max_bytes)
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle":
        raise fail(where, _("not a STIX bundle (type must be bundle)."))
    check_id(bundle.get("id"), where=f"{where} id", type_="bundle")
    return check_objects(bundle.get("objects", []), where=where)
