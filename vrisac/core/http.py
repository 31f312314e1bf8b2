"""The one guarded client for outbound HTTP: indicator feeds, advisory sources (CSAF, NVD,
KEV, EPSS), TAXII pulls and MISP feed imports all fetch through ``fetch``.

A URL's destination is decided once. ``check_url`` reads it with urllib3's parser, whose host,
port and request target the connection then uses, and refuses it when the standard library's
parser reads another scheme, host or port. It also refuses what parsers are known to read
differently: a user name or password in the URL, backslashes, white space and control
characters, hosts outside ASCII, percent signs and IPv6 zone ids in hosts, and IPv4 addresses
written other than as four decimal numbers (``2130706433``, ``0177.0.0.1``, ``0x7f.1``,
``127.1``); and schemes other than http and https. The host is then resolved once, and every
address it resolves to must be public (an IPv6 address that carries an IPv4 one, such as
``::ffff:127.0.0.1``, 6to4 or NAT64, is judged by that one too), unless the operator allowed
private addresses (``VRISAC_FETCH_ALLOW_PRIVATE=1``) or the host
(``VRISAC_FETCH_ALLOWED_HOSTS``).

The connection goes to a checked address itself, never to the name: the name is not looked up
a second time, so a DNS answer that changes between the check and the connection (rebinding)
changes nothing. The Host header, TLS SNI and the certificate check use the name from the URL.
Every redirect is a new URL, checked the same way, and the headers the caller gave (the
credentials) go to the first URL's origin only (or its upgrade from http to https). Proxies
from the environment are not used.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from django.conf import settings
from urllib3.exceptions import ConnectTimeoutError, HTTPError, LocationParseError
from urllib3.util import make_headers, parse_url

from .errors import DomainError

USER_AGENT = "VR-ISAC/1 (+https://vr-isac.nl)"
MAX_REDIRECTS = 5
MAX_URL_LENGTH = 4096
CHUNK = 64 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECTS = frozenset({301, 302, 303, 307, 308})
ACCEPT_ENCODING = make_headers(accept_encoding=True)["accept-encoding"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
#: A last label that URL parsers take for (part of) an IPv4 address.
_NUMBER = re.compile(r"0x[0-9a-f]*|[0-9]+")
_PASSWORD = re.compile(r"(//[^/?#@]*?:)[^/?#@]*@")
#: IPv6 networks whose last 32 bits are an IPv4 address (NAT64, the old IPv4-compatible form).
_IPV4_INSIDE = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("::/96"))


class FetchError(DomainError):
    code = "fetch"


@dataclass(frozen=True)
class Target:
    """Where a checked URL leads: a connection to one of ``addresses``, asking ``host``."""

    url: str
    scheme: str
    #: The name (lower case) or the address from the URL, without brackets.
    host: str
    port: int
    #: The request target: path and query, percent-encoded.
    path: str
    #: The addresses the host resolved to when it was checked, in the resolver's order.
    addresses: tuple[str, ...]

    @property
    def origin(self) -> tuple[str, str, int]:
        return self.scheme, self.host, self.port

    def trusted_by(self, first: Target) -> bool:
        """Whether the credentials for ``first`` may go here: the same origin, or the same
        host upgraded from http to https on the default ports."""
        return self.origin == first.origin or (
            self.host == first.host and (first.scheme, first.port) == ("http", 80)
            and (self.scheme, self.port) == ("https", 443))

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == DEFAULT_PORTS[self.scheme] else f"{name}:{self.port}"


@dataclass
class Fetched:
    url: str
    status: int
    headers: dict[str, str]
    chunks: Iterator[bytes]

    def read(self) -> bytes:
        return b"".join(self.chunks)


def shown(url: str) -> str:
    """``url`` for a message: a password in it masked, characters that do not print escaped,
    a very long one cut."""
    text = _PASSWORD.sub(r"\1***@", url[:300]) + ("…" if len(url) > 300 else "")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _refused(url: str, why: str) -> FetchError:
    return FetchError(f"The URL {shown(url)} is refused: {why}.")


def check_url(url: str, *, allow_private: bool | None = None) -> Target:
    """Where ``url`` leads, decided once; ``FetchError`` (saying why) for a URL that parsers
    could read differently or whose host is not a public address."""
    scheme, host, port, path, literal = _parse(url)
    if allow_private is None:
        allow_private = bool(getattr(settings, "VRISAC_FETCH_ALLOW_PRIVATE", False))
    allowed = {h.lower().strip("[]").rstrip(".")
               for h in getattr(settings, "VRISAC_FETCH_ALLOWED_HOSTS", [])}
    check = not (allow_private or host.rstrip(".") in allowed
                 or (literal is not None and str(literal) in allowed))
    if literal is not None:
        addresses: list[Address] = [literal]
    else:
        addresses = _resolve(url, host, port)
    for address in addresses:
        if check and not _public(address):
            where = (f"its host {host}" if literal is not None
                     else f"its host {host} resolves to {address}, which")
            raise _refused(url, f"{where} is not a public address (an operator can allow "
                                "the host with VRISAC_FETCH_ALLOWED_HOSTS)")
    return Target(url=url, scheme=scheme, host=host, port=port, path=path,
                  addresses=tuple(str(a) for a in addresses))


def _parse(url: str) -> tuple[str, str, int, str, Address | None]:
    if not url:
        raise FetchError("An empty URL cannot be fetched.")
    if len(url) > MAX_URL_LENGTH:
        raise _refused(url, f"it is longer than {MAX_URL_LENGTH} characters")
    for position, char in enumerate(url, 1):
        if char == "\\":
            raise _refused(url, f"it has a backslash (character {position}), which URL parsers "
                                "read differently")
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Zs"):
            raise _refused(url, f"it has white space or a control character (character "
                                f"{position})")
    try:
        split = urlsplit(url)
        split_port = split.port
    except ValueError as exc:
        raise _refused(url, f"it is not a valid URL ({exc})") from None
    scheme = split.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise _refused(url, f"only http and https URLs are fetched, not "
                            f"{scheme + ':' if scheme else 'one without a scheme'}")
    if "@" in split.netloc:
        raise _refused(url, "it carries a user name or password (give credentials in the "
                            "source's own settings)")
    host = split.hostname or ""
    if not host:
        raise _refused(url, "it has no host")
    literal = _host_form(url, host, bracketed=split.netloc.startswith("["))
    try:
        read = parse_url(url)
    except LocationParseError as exc:
        raise _refused(url, f"it is not a valid URL ({exc})") from None
    port = DEFAULT_PORTS[scheme] if split_port is None else split_port
    if not port:
        raise _refused(url, "its port is 0")
    other = (read.host or "").lower().strip("[]")
    same_host = other == host or (literal is not None and _address(other) == literal)
    if read.scheme != scheme or not same_host or (read.port or DEFAULT_PORTS[scheme]) != port \
            or read.auth is not None:
        raise _refused(url, f"URL parsers disagree on where it leads ({host}, port {port}, "
                            f"or {other or 'no host'}, port {read.port or 'default'})")
    return scheme, host, port, read.request_uri, literal


def _host_form(url: str, host: str, *, bracketed: bool) -> Address | None:
    """The address ``host`` is written as, or None for a name; refuses the ambiguous forms."""
    if "%" in host:
        raise _refused(url, "its host has a percent sign (an encoded character or an IPv6 "
                            "zone id)")
    if not host.isascii():
        raise _refused(url, "its host is not written in ASCII (write an international name "
                            "in its xn-- form)")
    if bracketed:
        if not isinstance(address := _address(host), ipaddress.IPv6Address):
            raise _refused(url, "its host between brackets is not an IPv6 address")
        return address
    name = host.removesuffix(".")
    labels = name.split(".")
    if _NUMBER.fullmatch(labels[-1]):
        address = _address(host)
        if not isinstance(address, ipaddress.IPv4Address):
            raise _refused(url, f"its host {host} is a number, or an IPv4 address written "
                                "other than as four decimal numbers, which parsers read "
                                "differently")
        return address
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise _refused(url, f"its host {host} is not a valid host name")
    return None


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _resolve(url: str, host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        why = getattr(exc, "strerror", None) or exc.__class__.__name__
        raise _refused(url, f"its host {host} could not be resolved ({why})") from None
    found: list[Address] = []
    for *_rest, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if address not in found:
            found.append(address)
    if not found:
        raise _refused(url, f"its host {host} resolves to no address")
    return found


def _public(address: Address) -> bool:
    """Reachable on the internet, and so is the IPv4 address an IPv6 one carries, if any."""
    if not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return True
    inside = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if any(address in network for network in _IPV4_INSIDE):
        inside.append(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
    return all(v4 is None or v4.is_global for v4 in inside)


def _failure(exc: Exception) -> str:
    return f"{exc.__class__.__name__}: {str(exc)[:300]}"


def _pool(target: Target, address: str,
          timeout: tuple[float, float]) -> urllib3.HTTPConnectionPool:
    """A pool of one connection to ``address``, speaking TLS for the name when https."""
    limits = urllib3.Timeout(connect=timeout[0], read=timeout[1])
    if target.scheme == "https":
        bundle = getattr(settings, "VRISAC_FETCH_CA_BUNDLE", "") or certifi.where()
        return urllib3.HTTPSConnectionPool(
            address, target.port, timeout=limits, maxsize=1, retries=False,
            cert_reqs="CERT_REQUIRED", ca_certs=bundle, server_hostname=target.host)
    return urllib3.HTTPConnectionPool(address, target.port, timeout=limits, maxsize=1,
                                      retries=False)


def _open(target: Target, headers: dict[str, str], timeout: tuple[float, float]
          ) -> tuple[urllib3.HTTPConnectionPool, urllib3.BaseHTTPResponse]:
    """GET ``target`` from the first of its checked addresses that takes a connection."""
    failures = []
    for address in target.addresses:
        pool = _pool(target, address, timeout)
        try:
            response = pool.urlopen("GET", target.path, headers=headers, redirect=False,
                                    retries=False, preload_content=False,
                                    assert_same_host=False)
        except ConnectTimeoutError as exc:  # also a refused connection: try the next address
            pool.close()
            failures.append(f"{address}: {_failure(exc)}")
            continue
        except HTTPError as exc:
            pool.close()
            raise FetchError(f"Fetching {shown(target.url)} failed: {_failure(exc)}.") from None
        return pool, response
    raise FetchError(f"Fetching {shown(target.url)} failed: no connection "
                     f"({'; '.join(failures)}).")


def _headers(target: Target, extra: dict[str, str] | None) -> dict[str, str]:
    sent = urllib3.HTTPHeaderDict({"User-Agent": USER_AGENT, "Accept": "*/*",
                                   "Accept-Encoding": ACCEPT_ENCODING})
    sent.update(extra or {})
    sent["Host"] = target.host_header
    return dict(sent)


@contextmanager
def fetch(
    url: str,
    *,
    max_bytes: int = 100 * 1024 * 1024,
    timeout: tuple[float, float] = (10.0, 60.0),
    headers: dict[str, str] | None = None,
    allow_private: bool | None = None,
) -> Iterator[Fetched]:
    """``with fetch(url) as got: for chunk in got.chunks: ...`` (size-capped, decoded).

    ``headers`` (such as credentials) are sent to the origin of ``url`` only (or to its
    upgrade from http to https), not to another one a redirect leads to.
    """
    first = target = check_url(url, allow_private=allow_private)
    pool: urllib3.HTTPConnectionPool | None = None
    response: urllib3.BaseHTTPResponse | None = None
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            sent = _headers(target, headers if target.trusted_by(first) else None)
            pool, response = _open(target, sent, timeout)
            location = response.headers.get("Location")
            if response.status not in REDIRECTS or location is None:
                break
            response.close()
            pool.close()
            following = urljoin(target.url, location)
            try:
                target = check_url(following, allow_private=allow_private)
            except FetchError as exc:
                raise FetchError(f"{shown(target.url)} redirects to another URL. "
                                 f"{exc.message}") from None
        else:
            raise FetchError(f"Too many redirects from {shown(url)}.")
        assert response is not None
        where = shown(target.url)
        if response.status >= 400:
            raise FetchError(f"{where} answered HTTP {response.status}.")
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(f"{where} is larger than the limit of {max_bytes} bytes.")

        def chunks(response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
            total = 0
            try:
                for chunk in response.stream(CHUNK, decode_content=True):
                    total += len(chunk)
                    if total > max_bytes:
                        raise FetchError(f"{where} is larger than the limit of {max_bytes} "
                                         "bytes.")
                    yield chunk
            except HTTPError as exc:
                raise FetchError(f"Reading {where} failed: {_failure(exc)}.") from None

        yield Fetched(url=target.url, status=response.status,
                      headers=dict(response.headers), chunks=chunks(response))
    finally:
        if response is not None:
            response.close()
        if pool is not None:
            pool.close()
