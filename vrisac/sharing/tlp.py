"""Traffic Light Protocol 2.0 (FIRST, August 2022).

The labels, their MISP tags and STIX 2.1 marking ids come from ``data/tlp.json`` (a copy of
the project's shared facts file). Labels are written exactly so and never translated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db import models


class TLP(models.TextChoices):
    CLEAR = "TLP:CLEAR", "TLP:CLEAR"
    GREEN = "TLP:GREEN", "TLP:GREEN"
    AMBER = "TLP:AMBER", "TLP:AMBER"
    AMBER_STRICT = "TLP:AMBER+STRICT", "TLP:AMBER+STRICT"
    RED = "TLP:RED", "TLP:RED"


#: From the least to the most restrictive.
ORDER = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED]

#: Labels whose every view is written to the audit log.
AUDITED_VIEWS = frozenset({TLP.AMBER_STRICT, TLP.RED})

#: Labels whose content never goes into an e-mail body (kind, label and link only).
NO_CONTENT_IN_EMAIL = frozenset({TLP.AMBER, TLP.AMBER_STRICT, TLP.RED})


@dataclass(frozen=True)
class LabelInfo:
    label: str
    misp_tag: str
    legacy_misp_tags: tuple[str, ...]
    stix21_id: str
    stix21_legacy_ids: tuple[str, ...]
    may_receive: str


@cache
def labels() -> dict[str, LabelInfo]:
    raw = json.loads((Path(__file__).parent / "data" / "tlp.json").read_text())
    return {
        item["label"]: LabelInfo(
            label=item["label"],
            misp_tag=item["misp_tag"],
            legacy_misp_tags=tuple(item["legacy_misp_tags"]),
            stix21_id=item["stix21_id"],
            stix21_legacy_ids=tuple(item["stix21_legacy_ids"]),
            may_receive=item["may_receive"],
        )
        for item in raw["labels"]
    }


def rank(label: str) -> int:
    return ORDER.index(TLP(label))


def css_class(label: str) -> str:
    return "tlp-" + label.split(":", 1)[1].lower().replace("+", "-")


@cache
def from_stix_marking(marking_id: str) -> str | None:
    for info in labels().values():
        if marking_id == info.stix21_id or marking_id in info.stix21_legacy_ids:
            return info.label
    return None


@cache
def from_misp_tag(tag: str) -> str | None:
    tag = tag.strip().lower()
    for info in labels().values():
        if tag == info.misp_tag or tag in info.legacy_misp_tags:
            return info.label
    return None
