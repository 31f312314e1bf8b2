"""The contact form's defences against robots: a signed, single-use form token with the time
it was issued (a minimum fill-in time), and a rate limit per address, kept in the shared
cache so that every web process sees the same counts."""

from __future__ import annotations

import ipaddress
import secrets
import time
from dataclasses import dataclass
from enum import Enum

from django.core import signing
from django.core.cache import cache

from .conf import ContactSettings

_SALT = "vrisac.knowledge.contact-form"


class TokenVerdict(Enum):
    OK = "ok"
    MISSING_OR_FORGED = "bad_token"
    TOO_FAST = "too_fast"
    EXPIRED = "expired"
    REUSED = "reused_token"


def issue_token(now: float | None = None) -> str:
    """A token for a freshly served form: when it was served, and a nonce."""
    issued = time.time() if now is None else now
    return signing.dumps({"t": round(issued, 3), "n": secrets.token_urlsafe(12)}, salt=_SALT,
                         compress=False)


@dataclass(frozen=True)
class CheckedToken:
    verdict: TokenVerdict
    nonce: str = ""


def check_token(token: str, conf: ContactSettings, now: float | None = None) -> CheckedToken:
    """Say whether a posted form token is good; it does not use the token up."""
    now = time.time() if now is None else now
    if not token or len(token) > 300:
        return CheckedToken(TokenVerdict.MISSING_OR_FORGED)
    try:
        data = signing.loads(token, salt=_SALT)
        issued = float(data["t"])
        nonce = str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return CheckedToken(TokenVerdict.MISSING_OR_FORGED)
    elapsed = now - issued
    if elapsed < conf.min_seconds:
        return CheckedToken(TokenVerdict.TOO_FAST, nonce)
    if elapsed > conf.form_hours * 3600:
        return CheckedToken(TokenVerdict.EXPIRED, nonce)
    return CheckedToken(TokenVerdict.OK, nonce)


def use_token(nonce: str, conf: ContactSettings) -> bool:
    """Mark the token used; False when it was used before (a double post or a replay)."""
    return bool(cache.add(f"knowledge:contact:token:{nonce}", 1,
                          timeout=conf.form_hours * 3600 + 60))


def address_key(address: str | None) -> str:
    """The unit a limit counts: one IPv4 address, or an IPv6 /64 (one host's usual share)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "unknown"
    if ip.version == 6:
        mapped = ip.ipv4_mapped
        if mapped is not None:
            return str(mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def take_rate_slot(address: str | None, conf: ContactSettings, now: float | None = None) -> bool:
    """Count one post from ``address``; False once it is past its limit in this window."""
    now = time.time() if now is None else now
    window = conf.window_minutes * 60
    bucket = int(now // window)
    key = f"knowledge:contact:rate:{address_key(address)}:{bucket}"
    if cache.add(key, 1, timeout=window + 60):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window + 60)
            count = 1
    return count <= conf.max_posts
