"""The reports the MISP tests share, written through the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vrisac.core.testing import make_report

#: Values that no shipped warninglist names (checked by the tests that rely on it).
PARTNER_IP = "45.83.12.7"
PARTNER_DOMAIN = "dropper-qz.nl"
ORG_ONLY_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
PARTICIPANT_URL = "https://login-portal-qz.nl/reset"
#: On a shipped warninglist (well-known public resolvers).
LISTED_IP = "8.8.8.8"
PUBLIC_CVE = "CVE-2026-12345"
ANONYMOUS_IP = "45.83.12.99"


@dataclass
class Reports:
    partners: Any
    org_only: Any
    participants: Any
    public: Any
    anonymous: Any
    draft: Any


def shared_reports(people: dict[str, Any]) -> Reports:
    utrecht, haaglanden = people["utrecht"], people["haaglanden"]
    return Reports(
        partners=make_report(
            utrecht, title="Ransomware dropper", tlp="TLP:GREEN", audience="partners",
            tags=["ransomware"],
            indicators=[{"type": "ipv4", "value": PARTNER_IP, "comment": "c2"},
                        {"type": "domain", "value": PARTNER_DOMAIN},
                        {"type": "filename", "value": "invoice.pdf.exe"}]),
        org_only=make_report(
            utrecht, title="Our own incident", tlp="TLP:AMBER", audience="organisation",
            indicators=[{"type": "sha256", "value": ORG_ONLY_HASH}]),
        participants=make_report(
            haaglanden, title="Phishing at a region", tlp="TLP:AMBER",
            audience="participants",
            indicators=[{"type": "url", "value": PARTICIPANT_URL},
                        {"type": "ipv4", "value": LISTED_IP}]),
        public=make_report(
            people["coordinator"], kind="advice", title="Patch now", tlp="TLP:CLEAR",
            audience="public", indicators=[{"type": "cve", "value": PUBLIC_CVE}]),
        anonymous=make_report(
            haaglanden, title="Seen by someone", tlp="TLP:GREEN", audience="partners",
            anonymous=True, indicators=[{"type": "ipv4", "value": ANONYMOUS_IP}]),
        draft=make_report(
            utrecht, title="Still writing", tlp="TLP:AMBER", audience="participants",
            publish=False, indicators=[{"type": "md5",
                                        "value": "0cc175b9c0f1b6a831c399e269772661"}]),
    )


def event_ids(found: Any) -> set[int]:
    """The ids of the events of a PyMISP events search."""
    assert isinstance(found, list), found
    return {int(e["Event"]["id"]) for e in found}
