"""The TLP 2.0 marking definitions (FIRST TLP 2.0 as the OASIS property extension) and the
way from a marking reference to a platform label, with the legacy TLP 1.0 ids understood."""

from __future__ import annotations

from typing import Any

from vrisac.sharing import tlp

TLP_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
_PUBLISHED = "2022-10-01T00:00:00.000Z"
_OASIS_IDENTITY = "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01"


def extension_definition() -> dict[str, Any]:
    """The extension definition the TLP 2.0 markings refer to."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": TLP_EXTENSION_ID,
        "created_by_ref": _OASIS_IDENTITY,
        "created": "2022-07-27T00:00:00.000Z",
        "modified": "2022-07-27T00:00:00.000Z",
        "name": "Traffic Light Protocol (TLP) definition",
        "description": "Object definition for the Traffic Light Protocol (TLP) version 2.0.",
        "schema": "https://github.com/oasis-open/cti-stix-common-objects/tree/main/"
                  "extension-definition-specifications/tlp-2.0",
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }


def marking_definition(label: str) -> dict[str, Any]:
    """The TLP 2.0 marking definition of a platform label, as published."""
    info = tlp.labels()[label]
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": info.stix21_id,
        "created": _PUBLISHED,
        "name": info.label,
        "extensions": {
            TLP_EXTENSION_ID: {
                "extension_type": "property-extension",
                "tlp_2_0": info.label.removeprefix("TLP:").lower(),
            }
        },
    }


def marking_id(label: str) -> str:
    return tlp.labels()[label].stix21_id


def label_of(marking_ref: str) -> str | None:
    """The platform label of a marking reference (TLP 2.0 or legacy TLP 1.0 ids)."""
    return tlp.from_stix_marking(marking_ref)


def strictest(refs: list[Any]) -> str | None:
    """The most restrictive TLP label among an object's marking references."""
    found = [label for ref in refs if isinstance(ref, str) and (label := label_of(ref))]
    if not found:
        return None
    return max(found, key=tlp.rank)
