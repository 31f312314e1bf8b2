"""Indicator types, and the validation and normalisation of one value of a type.

Every path that stores or looks up a value (the API, the pages, extraction, feeds, the bulk
ingest, search, sightings) goes through :func:`normalise`, so that one value is one row of
the value table whatever its spelling: lower-case hosts, IDNA (punycode) for international
names, compressed IPv6, networks for CIDRs, trimmed URLs, lower-case hashes.

Besides the normalised text, a value carries the compact keys the correlation uses:

* ``digest``: 16 bytes of BLAKE2b over ``type`` and ``value``, the unique key of the value;
* ``ip_start`` and ``prefixlen`` for addresses and networks: a family byte (4 or 6) followed
  by the 16-byte network address, so that byte order is numeric order and IPv4 and IPv6 never
  mix; an address is a network of 32 (or 128) bits;
* ``host_rev`` for domains, host names, URLs and e-mail addresses: the host's labels reversed
  and ended with a dot (``www.example.nl`` -> ``nl.example.www.``), so that a domain's
  subdomains are exactly the keys that start with its own key.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import idna
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vrisac.core.errors import DomainError

TYPES: tuple[str, ...] = (
    "ipv4", "ipv6", "cidr", "domain", "hostname", "url", "email", "md5", "sha1", "sha256",
    "sha512", "filename", "filepath", "regkey", "mutex", "user_agent", "asn", "cve", "ja3",
    "ja4",
)
TYPE_LABELS: dict[str, Any] = {
    "ipv4": "IPv4", "ipv6": "IPv6", "cidr": "CIDR", "domain": gettext_lazy("domain"),
    "hostname": gettext_lazy("host name"), "url": "URL", "email": gettext_lazy("e-mail"),
    "md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512",
    "filename": gettext_lazy("file name"), "filepath": gettext_lazy("file path"),
    "regkey": gettext_lazy("registry key"), "mutex": "mutex",
    "user_agent": gettext_lazy("user agent"), "asn": gettext_lazy("AS number"), "cve": "CVE",
    "ja3": "JA3", "ja4": "JA4",
}
HASH_TYPES = frozenset({"md5", "sha1", "sha256", "sha512"})
HOST_TYPES = frozenset({"domain", "hostname"})
ADDRESS_TYPES = frozenset({"ipv4", "ipv6", "cidr"})
#: Types whose indicators are "for detection" unless the author says otherwise.
DETECTION_DEFAULT = frozenset({
    "ipv4", "ipv6", "cidr", "domain", "hostname", "url", "email", "md5", "sha1", "sha256",
    "sha512", "ja3", "ja4",
})

MAX_VALUE_CHARS = 2048
_HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128, "ja3": 32}
_HEX = re.compile(r"[0-9a-f]+")
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_TLD = re.compile(r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})")
_SPACE = re.compile(r"\s")
_DEFANGED = re.compile(r"[\[\](){}]|h(?:xx|\*\*)p|fxp", re.IGNORECASE)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")
_HOSTNAME = re.compile(r"(?:(?!-)[a-z0-9_-]{1,63}(?<!-)\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})")
_MARKUP = re.compile(r"<\s*[a-zA-Z/!?]")
_CVE = re.compile(r"cve-(\d{4})-(\d{4,7})", re.IGNORECASE)
_ASN = re.compile(r"(?:as)?\s?(\d{1,10})", re.IGNORECASE)
_JA4 = re.compile(r"[tqd]\d{2}[di]\d{4}[a-z0-9]{2}_[0-9a-f]{12}_[0-9a-f]{12}")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,19}")
_EMAIL_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_HIVES = {
    "HKLM": "HKEY_LOCAL_MACHINE", "HKCU": "HKEY_CURRENT_USER", "HKCR": "HKEY_CLASSES_ROOT",
    "HKU": "HKEY_USERS", "HKCC": "HKEY_CURRENT_CONFIG",
}
_FULL_HIVES = frozenset(_HIVES.values())
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}

_REFANG: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"\bh(?:xx|\*\*)p(s?)(?=\[?:)", re.IGNORECASE), r"http\1"),
    (re.compile(r"\bfxp(?=s?\[?:)", re.IGNORECASE), "ftp"),
    (re.compile(r"\[\s*\.\s*\]|\(\s*\.\s*\)|\{\s*\.\s*\}|\[dot\]|\(dot\)|\{dot\}",
                re.IGNORECASE), "."),
    (re.compile(r"\[\s*:\s*\]|\[:/{2}\]"), lambda m: m.group(0).strip("[] ")),
    (re.compile(r"\[\s*@\s*\]|\(\s*@\s*\)|\[at\]|\(at\)|\{at\}", re.IGNORECASE), "@"),
    (re.compile(r"\[/\]"), "/"),
]


class InvalidValue(DomainError):
    """A value that is not valid for its type; the message names what is wrong."""

    code = "invalid_value"


@dataclass(frozen=True, slots=True)
class Normalised:
    type: str
    value: str
    digest: bytes
    ip_start: bytes | None = None
    prefixlen: int | None = None
    host_rev: str | None = None

    @property
    def host(self) -> str | None:
        if self.host_rev is None:
            return None
        return ".".join(reversed(self.host_rev[:-1].split(".")))


def refang(text: str) -> str:
    """Undo the usual defanging: ``hxxp://``, ``[.]``, ``(.)``, ``[:]``, ``[@]``, ``[dot]``."""
    if not _DEFANGED.search(text):
        return text
    for pattern, replacement in _REFANG:
        text = pattern.sub(replacement, text)
    return text


def digest_of(type_: str, value: str) -> bytes:
    return hashlib.blake2b(f"{type_}\x00{value}".encode(), digest_size=16).digest()


def _fail(message: str) -> InvalidValue:
    return InvalidValue(message, field="value")


def _check_text(raw: str, type_: str, *, max_chars: int = MAX_VALUE_CHARS) -> str:
    if not isinstance(raw, str):
        raise _fail(_("The value must be text."))
    value = raw.strip()
    if not value:
        raise _fail(_("The value is empty."))
    if len(value) > max_chars:
        raise _fail(_("The value is longer than %(n)d characters.") % {"n": max_chars})
    if _CONTROL.search(value):
        raise _fail(_("The value contains control characters."))
    if _MARKUP.search(value):
        raise _fail(_("The value contains HTML markup."))
    return value


def ip_key(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bytes:
    if address.version == 4:
        return b"\x04" + b"\x00" * 12 + address.packed
    return b"\x06" + address.packed


def _ipv4(value: str) -> tuple[str, bytes]:
    try:
        packed = socket.inet_pton(socket.AF_INET, value)
    except OSError:
        raise _fail(_("%(v)s is not a valid IPv4 address.") % {"v": value[:80]}) from None
    return socket.inet_ntop(socket.AF_INET, packed), b"\x04" + b"\x00" * 12 + packed


def _ipv6(value: str) -> tuple[str, bytes]:
    candidate = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    if "%" in candidate:
        raise _fail(_("%(v)s carries a zone index; give the address without it.")
                    % {"v": value[:80]})
    try:
        address = ipaddress.IPv6Address(candidate)
    except ValueError:
        raise _fail(_("%(v)s is not a valid IPv6 address.") % {"v": value[:80]}) from None
    return address.compressed, b"\x06" + address.packed


def _cidr(value: str) -> tuple[str, bytes, int]:
    if "/" not in value:
        raise _fail(_("%(v)s is not a network: write it as address/prefix length.")
                    % {"v": value[:80]})
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise _fail(_("%(v)s is not a valid network (CIDR).") % {"v": value[:80]}) from None
    return network.compressed, ip_key(network.network_address), network.prefixlen


def _host(value: str, *, what: Any) -> str:
    """A valid host name, lower-case, IDNA-encoded, without a trailing dot."""
    host = value.rstrip(".").lower()
    if not host:
        raise _fail(_("The %(what)s is empty.") % {"what": what})
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            raise _fail(_("%(v)s is not a valid international %(what)s.")
                        % {"v": value[:80], "what": what}) from None
    elif "xn--" in host:
        try:
            idna.decode(host)
        except (idna.IDNAError, UnicodeError):
            raise _fail(_("%(v)s has an invalid punycode label.") % {"v": value[:80]}) from None
    if len(host) > 253:
        raise _fail(_("The %(what)s is longer than 253 characters.") % {"what": what})
    if _HOSTNAME.fullmatch(host):
        return host
    labels = host.split(".")
    if len(labels) < 2:
        raise _fail(_("%(v)s is not a valid %(what)s: it needs at least two labels.")
                    % {"v": value[:80], "what": what})
    for label in labels[:-1]:
        if not _LABEL.fullmatch(label):
            raise _fail(_("%(v)s is not a valid %(what)s.") % {"v": value[:80], "what": what})
    if not _TLD.fullmatch(labels[-1]):
        raise _fail(_("%(v)s does not end in a valid top-level domain.") % {"v": value[:80]})
    return host


def host_key(host: str) -> str:
    return ".".join(reversed(host.split("."))) + "."


def _url(value: str) -> tuple[str, str | None]:
    value = value.strip("<>\"'`")
    if "://" not in value[:30]:
        value = "http://" + value
    if _SPACE.search(value):
        raise _fail(_("A URL cannot contain spaces."))
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise _fail(_("%(v)s is not a valid URL.") % {"v": value[:80]}) from None
    scheme = parts.scheme.lower()
    if not _SCHEME.fullmatch(scheme):
        raise _fail(_("%(v)s has no valid scheme.") % {"v": value[:80]})
    raw_host = parts.hostname or ""
    if not raw_host:
        raise _fail(_("%(v)s has no host.") % {"v": value[:80]})
    host_rev = None
    if raw_host.replace(".", "").isdigit():
        host, _key = _ipv4(raw_host)
    elif ":" in raw_host:
        host = "[" + _ipv6(raw_host)[0] + "]"
    else:
        host = _host(raw_host, what=gettext_lazy("host"))
        host_rev = host_key(host)
    netloc = host
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{host}"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    path = parts.path or "/"
    url = f"{scheme}://{netloc}{path}"
    if parts.query:
        url = f"{url}?{parts.query}"
    return url, host_rev


def _email(value: str) -> tuple[str, str]:
    value = value.strip("<>\"'").lower()
    local, at, domain = value.rpartition("@")
    if not at or not local:
        raise _fail(_("%(v)s is not a valid e-mail address.") % {"v": value[:80]})
    if not _EMAIL_LOCAL.fullmatch(local) or local.startswith(".") or ".." in local:
        raise _fail(_("%(v)s has an invalid part before the @.") % {"v": value[:80]})
    host = _host(domain, what=gettext_lazy("e-mail domain"))
    return f"{local}@{host}", host_key(host)


def _regkey(value: str) -> str:
    value = value.replace("/", "\\").strip("\\")
    hive, sep, rest = value.partition("\\")
    upper = hive.upper()
    hive = _HIVES.get(upper, upper)
    if hive not in _FULL_HIVES:
        raise _fail(_("A registry key starts with a hive such as HKLM or HKEY_CURRENT_USER."))
    rest = re.sub(r"\\{2,}", r"\\", rest)
    return hive + (sep + rest if rest else "")


def _plain(value: str, type_: str, max_chars: int, forbidden: str = "") -> str:
    if len(value) > max_chars:
        raise _fail(_("The value is longer than %(n)d characters.") % {"n": max_chars})
    bad = sorted({c for c in value if c in forbidden})
    if bad:
        raise _fail(_("A %(t)s cannot contain %(c)s.") % {"t": TYPE_LABELS[type_],
                                                          "c": " ".join(bad)})
    return value


def normalise(type_: str, raw: str) -> Normalised:
    """Validate ``raw`` as a value of ``type_`` and return its normalised form and keys."""
    if type_ not in TYPE_LABELS:
        raise InvalidValue(_("Unknown indicator type %(t)s.") % {"t": str(type_)[:40]},
                           field="type")
    value = _check_text(raw, type_)
    ip_start = prefixlen = host_rev = None
    if type_ == "ipv4":
        value, ip_start = _ipv4(refang(value))
        prefixlen = 32
    elif type_ == "ipv6":
        value, ip_start = _ipv6(refang(value))
        prefixlen = 128
    elif type_ == "cidr":
        value, ip_start, prefixlen = _cidr(refang(value))
    elif type_ in HOST_TYPES:
        value = _host(refang(value), what=gettext_lazy("host name"))
        host_rev = host_key(value)
    elif type_ == "url":
        value, host_rev = _url(refang(value))
    elif type_ == "email":
        value, host_rev = _email(refang(value))
    elif type_ in _HEX_LENGTHS:
        value = value.lower()
        if len(value) != _HEX_LENGTHS[type_] or not _HEX.fullmatch(value):
            raise _fail(_("A %(t)s is %(n)d hexadecimal characters.")
                        % {"t": TYPE_LABELS[type_], "n": _HEX_LENGTHS[type_]})
    elif type_ == "ja4":
        value = value.lower()
        if not _JA4.fullmatch(value):
            raise _fail(_("%(v)s is not a JA4 fingerprint (such as "
                          "t13d1516h2_8daaf6152771_b186095e22b6).") % {"v": value[:80]})
    elif type_ == "cve":
        match = _CVE.fullmatch(value)
        if not match:
            raise _fail(_("A CVE is written CVE-YYYY-NNNN."))
        value = f"CVE-{match.group(1)}-{match.group(2)}"
    elif type_ == "asn":
        match = _ASN.fullmatch(value)
        if not match or int(match.group(1)) > 4_294_967_295:
            raise _fail(_("An AS number is written AS1234 (at most AS4294967295)."))
        value = f"AS{int(match.group(1))}"
    elif type_ == "filename":
        value = _plain(value, type_, 255, "/\\<>|\"")
    elif type_ == "filepath":
        value = _plain(value, type_, 1024, "<>|\"")
        if "/" not in value and "\\" not in value:
            raise _fail(_("A file path contains a / or a \\; a bare name is a file name."))
    elif type_ == "regkey":
        value = _plain(_regkey(value), type_, 1024)
    elif type_ == "mutex":
        value = _plain(value, type_, 255)
    elif type_ == "user_agent":
        value = _plain(" ".join(value.split()), type_, 1024)
    return Normalised(type_, value, digest_of(type_, value), ip_start, prefixlen, host_rev)


_IPV4_LIKE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_HEXISH = re.compile(r"[0-9a-fA-F]+")
_PATHISH = re.compile(r"(?:[a-zA-Z]:\\|\\\\|%[A-Za-z_]+%\\|/)")


def candidate_types(raw: str) -> list[str]:
    """The types a bare value may have, most likely first (for search, sightings, feeds)."""
    value = refang(raw.strip())
    if not value:
        return []
    head, _slash, tail = value.partition("/")
    if _IPV4_LIKE.fullmatch(value):
        return ["ipv4"]
    if ":" in value and _slash == "" and value.count(":") >= 2 and "://" not in value:
        return ["ipv6"]
    if _slash and tail.isdigit() and (_IPV4_LIKE.fullmatch(head) or ":" in head):
        return ["cidr"]
    if _HEXISH.fullmatch(value):
        return {32: ["md5", "ja3"], 40: ["sha1"], 64: ["sha256"],
                128: ["sha512"]}.get(len(value), [])
    lower = value.lower()
    if lower.startswith("cve-"):
        return ["cve"]
    if _ASN.fullmatch(value) and lower.startswith("as"):
        return ["asn"]
    if _JA4.fullmatch(lower):
        return ["ja4"]
    if "://" in value:
        return ["url"]
    if lower.split("\\", 1)[0] in {h.lower() for h in (*_HIVES, *_FULL_HIVES)}:
        return ["regkey"]
    if _PATHISH.match(value):
        return ["filepath"]
    if "@" in value and " " not in value:
        return ["email"]
    if "." in value and " " not in value and "/" not in value:
        return ["domain", "hostname", "filename"]
    if "/" in value and " " not in value:
        return ["url"]
    return ["filename", "mutex", "user_agent"]


def normalise_any(raw: str, types: list[str] | None = None) -> list[Normalised]:
    """Every valid reading of a bare value (e.g. a 32-digit hex is an MD5 and a JA3)."""
    found = []
    for type_ in types or candidate_types(raw):
        try:
            found.append(normalise(type_, raw))
        except InvalidValue:
            continue
    return found


def contains(network: Normalised, other: Normalised) -> bool:
    """Whether ``other`` (an address or network) lies inside ``network``."""
    if network.ip_start is None or other.ip_start is None:
        return False
    if network.ip_start[0] != other.ip_start[0]:
        return False
    assert network.prefixlen is not None and other.prefixlen is not None
    if other.prefixlen < network.prefixlen:
        return False
    return network_start(other.ip_start, network.prefixlen) == network.ip_start


def network_start(key: bytes, prefixlen: int) -> bytes:
    """The key of the network of ``prefixlen`` bits that contains the address ``key``."""
    bits = 32 if key[0] == 4 else 128
    number = int.from_bytes(key[1:], "big")
    mask = ((1 << 128) - 1) ^ ((1 << (bits - prefixlen)) - 1)
    return key[:1] + (number & mask).to_bytes(16, "big")


def containing_networks(key: bytes, prefixlen: int) -> list[bytes]:
    """The keys of every network start that could contain ``key``/``prefixlen``."""
    bits = 32 if key[0] == 4 else 128
    number = int.from_bytes(key[1:], "big")
    full = (1 << 128) - 1
    starts = {
        key[:1] + (number & (full ^ ((1 << (bits - p)) - 1))).to_bytes(16, "big")
        for p in range(0, prefixlen + 1)
    }
    return sorted(starts)


def network_end(key: bytes, prefixlen: int) -> bytes:
    bits = 32 if key[0] == 4 else 128
    number = int.from_bytes(key[1:], "big") | ((1 << (bits - prefixlen)) - 1)
    return key[:1] + number.to_bytes(16, "big")


def parent_keys(host_rev: str) -> list[str]:
    """The keys of the parent domains of a host (``nl.example.www.`` -> ``nl.example.``, ...),
    at least two labels long."""
    labels = host_rev[:-1].split(".")
    return [".".join(labels[:n]) + "." for n in range(2, len(labels))]
