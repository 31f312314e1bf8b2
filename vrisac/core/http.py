"""The one guarded client for outbound HTTP (feeds, advisories, TAXII pulls).

Every fetch has time-outs and a size cap, follows at most a few redirects, and refuses
addresses that are not public (loopback, private, link-local, reserved) unless the operator
allowed them (``VRISAC_FETCH_ALLOW_PRIVATE=1`` or a host in ``VRISAC_FETCH_ALLOWED_HOSTS``),
so a malicious feed URL cannot reach the platform's own network.

Residual risk, accepted and documented: the name is resolved for the check and again by the
HTTP library, so a DNS answer that changes in between (rebinding) is not caught here; the
egress firewall of the deployment is the second wall.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlparse

import requests
from django.conf import settings

from .errors import DomainError

USER_AGENT = "VR-ISAC/1 (+https://vr-isac.nl)"
MAX_REDIRECTS = 5
CHUNK = 64 * 1024


class FetchError(DomainError):
    code = "fetch"


@dataclass
class Fetched:
    url: str
    status: int
    headers: dict[str, str]
    chunks: Iterator[bytes]

    def read(self) -> bytes:
        return b"".join(self.chunks)


def _allowed_hosts() -> set[str]:
    return {h.lower() for h in getattr(settings, "VRISAC_FETCH_ALLOWED_HOSTS", [])}


def check_url(url: str, *, allow_private: bool | None = None) -> None:
    """Refuse a URL that is not http(s) or whose host resolves to a non-public address."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https"):
        raise FetchError(f"Only http and https URLs can be fetched, not {parsed.scheme or '?'}.")
    host = (parsed.hostname or "").lower()
    if not host:
        raise FetchError(f"The URL {url!r} has no host.")
    if allow_private is None:
        allow_private = bool(getattr(settings, "VRISAC_FETCH_ALLOW_PRIVATE", False))
    if allow_private or host in _allowed_hosts():
        return
    try:
        infos = socket.getaddrinfo(host, parsed.port or (443 if parsed.scheme == "https" else 80))
    except socket.gaierror as exc:
        raise FetchError(f"The host {host} could not be resolved ({exc.strerror}).") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchError(
                f"The host {host} resolves to {address}, which is not a public address. "
                "An operator can allow it with VRISAC_FETCH_ALLOWED_HOSTS."
            )


@contextmanager
def fetch(
    url: str,
    *,
    max_bytes: int = 100 * 1024 * 1024,
    timeout: tuple[float, float] = (10.0, 60.0),
    headers: dict[str, str] | None = None,
    allow_private: bool | None = None,
    auth: tuple[str, str] | None = None,
) -> Iterator[Fetched]:
    """``with fetch(url) as got: for chunk in got.chunks: ...`` (size-capped, decoded)."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    if headers:
        session.headers.update(headers)
    current = url
    response = None
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            check_url(current, allow_private=allow_private)
            try:
                response = session.get(current, stream=True, timeout=timeout,
                                       allow_redirects=False, auth=auth)
            except requests.RequestException as exc:
                raise FetchError(f"Fetching {current} failed: {exc.__class__.__name__}.") from None
            if response.is_redirect:
                location = response.headers.get("Location", "")
                response.close()
                current = urljoin(current, location)
                continue
            break
        else:
            raise FetchError(f"Too many redirects from {url}.")
        assert response is not None
        if response.status_code >= 400:
            raise FetchError(f"{current} answered HTTP {response.status_code}.")
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(f"{current} is larger than the limit of {max_bytes} bytes.")

        def chunks() -> Iterator[bytes]:
            total = 0
            for chunk in response.iter_content(CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise FetchError(f"{current} is larger than the limit of {max_bytes} bytes.")
                yield chunk

        yield Fetched(url=current, status=response.status_code,
                      headers=dict(response.headers), chunks=chunks())
    finally:
        if response is not None:
            response.close()
        session.close()
