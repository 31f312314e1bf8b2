"""The mapping between the platform's indicator types and STIX 2.1: the pattern of an
indicator, the cyber-observable it is based on, and the way back from a pattern to a type
and value. docs/exchange.md has the table."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

#: STIX 2.1 section 2.9: the namespace of deterministic cyber-observable ids.
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")

HASH_NAMES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}
_HASH_TYPES = {name: type_ for type_, name in HASH_NAMES.items()}
_HASH_ALIASES = {"SHA1": "SHA-1", "SHA256": "SHA-256", "SHA512": "SHA-512"}

#: Simple ``object:path`` -> platform type (the value is taken as it is).
_SIMPLE_PATHS: dict[tuple[str, str], str] = {
    ("ipv4-addr", "value"): "ipv4",
    ("ipv6-addr", "value"): "ipv6",
    ("domain-name", "value"): "domain",
    ("url", "value"): "url",
    ("email-addr", "value"): "email",
    ("file", "name"): "filename",
    ("windows-registry-key", "key"): "regkey",
    ("mutex", "name"): "mutex",
    ("network-traffic", "extensions.'http-request-ext'.request_header.'User-Agent'"):
        "user_agent",
    ("network-traffic", "extensions.'x-vrisac-tls-ext'.ja3"): "ja3",
    ("network-traffic", "extensions.'x-vrisac-tls-ext'.ja4"): "ja4",
    ("autonomous-system", "number"): "asn",
}

#: Types that are sent as a pattern only: STIX 2.1 has no observable that holds them alone
#: (a network-traffic object needs its end points).
PATTERN_ONLY = frozenset({"user_agent", "ja3", "ja4"})


def quote(value: str) -> str:
    """A STIX pattern string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sco_id(type_: str, contributing: dict[str, Any]) -> str:
    """The deterministic id of a cyber-observable (UUIDv5 over its id-contributing
    properties, canonical JSON with sorted keys)."""
    canonical = orjson.dumps(contributing, option=orjson.OPT_SORT_KEYS).decode()
    return f"{type_}--{uuid.uuid5(SCO_NAMESPACE, canonical)}"


def _sco(type_: str, **properties: Any) -> dict[str, Any]:
    return {"type": type_, "spec_version": "2.1", "id": sco_id(type_, properties),
            **properties}


def _split_path(value: str) -> tuple[str, str, str]:
    """A file path as directory, separator and file name (``C:\\a\\b.exe``)."""
    index = max(value.rfind("\\"), value.rfind("/"))
    directory, sep, name = value[:index], value[index], value[index + 1:]
    return directory or sep, sep, name


def _join_path(directory: str, name: str) -> str:
    sep = "\\" if "\\" in directory or re.fullmatch(r"[A-Za-z]:", directory) else "/"
    return (directory if directory.endswith(sep) else directory + sep) + name


@dataclass(frozen=True)
class Observable:
    """An indicator type and value as STIX: the pattern and the observables behind it
    (the last of ``objects`` is the one the indicator is based on)."""

    pattern: str
    objects: list[dict[str, Any]]


def to_stix(type_: str, value: str) -> Observable:
    """The pattern and observables of one platform value (any type but ``cve``)."""
    if type_ in ("ipv4", "ipv6", "cidr"):
        sco_type = "ipv6-addr" if ":" in value else "ipv4-addr"
        return Observable(f"[{sco_type}:value = {quote(value)}]", [_sco(sco_type, value=value)])
    if type_ in ("domain", "hostname"):
        return Observable(f"[domain-name:value = {quote(value)}]",
                          [_sco("domain-name", value=value)])
    if type_ == "url":
        return Observable(f"[url:value = {quote(value)}]", [_sco("url", value=value)])
    if type_ == "email":
        return Observable(f"[email-addr:value = {quote(value)}]",
                          [_sco("email-addr", value=value)])
    if type_ in HASH_NAMES:
        name = HASH_NAMES[type_]
        return Observable(f"[file:hashes.{quote(name)} = {quote(value)}]",
                          [_sco("file", hashes={name: value})])
    if type_ == "filename":
        return Observable(f"[file:name = {quote(value)}]", [_sco("file", name=value)])
    if type_ == "filepath":
        directory, _sep, name = _split_path(value)
        folder = _sco("directory", path=directory)
        file = _sco("file", name=name, parent_directory_ref=folder["id"])
        return Observable(
            f"[file:name = {quote(name)} AND file:parent_directory_ref.path = "
            f"{quote(directory)}]", [folder, file])
    if type_ == "regkey":
        return Observable(f"[windows-registry-key:key = {quote(value)}]",
                          [_sco("windows-registry-key", key=value)])
    if type_ == "mutex":
        return Observable(f"[mutex:name = {quote(value)}]", [_sco("mutex", name=value)])
    if type_ == "asn":
        number = int(value.removeprefix("AS"))
        return Observable(f"[autonomous-system:number = {number}]",
                          [_sco("autonomous-system", number=number)])
    if type_ == "user_agent":
        return Observable("[network-traffic:extensions.'http-request-ext'.request_header."
                          f"'User-Agent' = {quote(value)}]", [])
    if type_ in ("ja3", "ja4"):
        return Observable(f"[network-traffic:extensions.'x-vrisac-tls-ext'.{type_} = "
                          f"{quote(value)}]", [])
    raise ValueError(f"no STIX pattern for {type_}")


def _comparisons(pattern: str) -> dict[str, list[tuple[list[Any], str, Any]]] | None:
    from stix2patterns.v21.pattern import Pattern

    try:
        inspected = Pattern(pattern).inspect()
    except Exception:  # the pattern library raises several kinds for a bad pattern
        return None
    if inspected.qualifiers or inspected.observation_ops:
        return None
    return inspected.comparisons


def _path(steps: list[Any]) -> str:
    out = []
    for step in steps:
        if isinstance(step, str) and re.fullmatch(r"[a-z0-9_]+", step):
            out.append(step)
        else:
            out.append(quote(str(step)))
    return ".".join(out)


def _literal(raw: Any) -> str | None:
    """A pattern literal as text: strings lose their quotes and escapes, integers stay."""
    if isinstance(raw, int):
        return str(raw)
    text = str(raw)
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if re.fullmatch(r"-?\d+", text):
        return text
    return None


def from_pattern(pattern: str, hint: str | None = None) -> tuple[str, str] | None:
    """The platform type and value of a STIX pattern, or ``None`` when the platform does not
    model it (compound observations, other operators, other properties). ``hint`` is the
    ``x_vrisac_type`` of the indicator, when it came from a VR-ISAC export."""
    comparisons = _comparisons(pattern)
    if not comparisons or len(comparisons) != 1:
        return None
    (sco_type, items), = comparisons.items()
    if len(items) == 2 and sco_type == "file":
        found = {_path(steps): value for steps, op, value in items if op == "="}
        name, directory = found.get("name"), found.get("parent_directory_ref.path")
        if name is None or directory is None or len(found) != 2:
            return None
        name_text, directory_text = _literal(name), _literal(directory)
        if name_text is None or directory_text is None:
            return None
        return "filepath", _join_path(directory_text, name_text)
    if len(items) != 1:
        return None
    steps, op, raw = items[0]
    if op != "=":
        return None
    value = _literal(raw)
    if value is None:
        return None
    path = _path(steps)
    if sco_type == "file" and len(steps) == 2 and steps[0] == "hashes":
        algorithm = _HASH_ALIASES.get(str(steps[1]).upper(), str(steps[1]).upper())
        found_type = _HASH_TYPES.get(algorithm)
        return (found_type, value) if found_type else None
    if sco_type in ("ipv4-addr", "ipv6-addr") and path == "value":
        if "/" in value:
            return "cidr", value
        return ("ipv4" if sco_type == "ipv4-addr" else "ipv6"), value
    found_type = _SIMPLE_PATHS.get((sco_type, path))
    if found_type is None:
        return None
    if found_type == "domain" and hint == "hostname":
        found_type = "hostname"
    if found_type == "asn":
        value = f"AS{value}"
    return found_type, value
