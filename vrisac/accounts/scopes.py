"""API token scopes: what a token may do, never more than its holder's role allows."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SCOPES: dict[str, object] = {
    "organisations:read": _("read organisations"),
    "reports:read": _("read reports, comments and attachments"),
    "reports:write": _("create, edit and publish reports and comments"),
    "intel:read": _("read indicators, correlations, sightings; search and export"),
    "intel:write": _("add indicators and sightings"),
    "taxii:read": _("read TAXII collections"),
    "taxii:write": _("post to TAXII collections"),
    "misp:read": _("read through the MISP API and feed"),
    "misp:write": _("write through the MISP API"),
    "advisories:read": _("read advisories and vulnerabilities"),
    "inventory:read": _("read the organisation's inventory"),
    "inventory:write": _("change the organisation's inventory"),
    "warnings:read": _("read the organisation's warnings"),
    "warnings:write": _("change the state of warnings"),
    "resilience:read": _("read self-assessments, benchmarks and NIS2 reports"),
    "resilience:write": _("write self-assessments and NIS2 reports"),
    "knowledge:read": _("read and search the knowledge base and the ISAC products"),
    "knowledge:write": _("add and change documents and links in the knowledge base"),
}

_ALL = frozenset(SCOPES)
_PARTNER = frozenset(
    {
        "organisations:read", "reports:read", "reports:write", "intel:read", "intel:write",
        "taxii:read", "taxii:write", "misp:read", "misp:write", "advisories:read",
        "knowledge:read", "knowledge:write",
    }
)
_OBSERVER = frozenset({"organisations:read", "resilience:read"})
_ADMIN = frozenset({"organisations:read"})

ROLE_SCOPES: dict[str, frozenset[str]] = {
    "participant": _ALL,
    "coordinator": _ALL,
    "partner": _PARTNER,
    "observer": _OBSERVER,
    "admin": _ADMIN,
}


def scopes_for_roles(roles: set[str] | frozenset[str]) -> frozenset[str]:
    allowed: frozenset[str] = frozenset()
    for role in roles:
        allowed |= ROLE_SCOPES.get(role, frozenset())
    return allowed
