from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The messages these tests look for are the English ones."""
    with translation.override("en"):
        yield

#: One value of every indicator type the platform knows, as an author would give them.
EVERY_TYPE: list[dict[str, Any]] = [
    {"type": "ipv4", "value": "198.51.100.23", "comment": "C2 server"},
    {"type": "ipv6", "value": "2001:db8::17"},
    {"type": "cidr", "value": "203.0.113.0/24"},
    {"type": "domain", "value": "evil-update.example"},
    {"type": "hostname", "value": "cdn.evil-update.example"},
    {"type": "url", "value": "https://evil-update.example/it's/payload.php?id=1"},
    {"type": "email", "value": "phish@evil-update.example"},
    {"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"},
    {"type": "sha1", "value": "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
    {"type": "sha256",
     "value": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"type": "sha512", "value": "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36"
                                "ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a53832"
                                "7af927da3e"},
    {"type": "filename", "value": "invoice.pdf.exe"},
    {"type": "filepath", "value": "C:\\Users\\Public\\svchost.exe"},
    {"type": "regkey",
     "value": "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\updater"},
    {"type": "mutex", "value": "Global\\evil-mutex-42"},
    {"type": "user_agent", "value": "Mozilla/5.0 (EvilBot 1.0)"},
    {"type": "asn", "value": "AS64500"},
    {"type": "cve", "value": "CVE-2024-3400", "comment": "PAN-OS GlobalProtect"},
    {"type": "ja3", "value": "771f5f9e1b0ec8e5b0a5c2c5a8b7e6d1"},
    {"type": "ja4", "value": "t13d1516h2_8daaf6152771_b186095e22b6"},
]


@pytest.fixture
def every_type() -> list[dict[str, Any]]:
    return [dict(item) for item in EVERY_TYPE]
