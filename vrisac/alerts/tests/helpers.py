"""Shared by the warnings tests: inventories written through the services, advisories
imported from the app's public samples (and documents built like them)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vrisac.advisories.services import import_sources
from vrisac.alerts.services import rematch_items, rematch_vulnerabilities
from vrisac.assets.models import InventoryItem
from vrisac.assets.services import item_create
from vrisac.organisations.models import Organisation

SAMPLES = Path(__file__).resolve().parents[2] / "advisories" / "data" / "samples"


def add_item(user: Any, **fields: Any) -> InventoryItem:
    org = Organisation.objects.get(pk=min(_orgs(user)))
    defaults: dict[str, Any] = {"version": "", "cpe": "", "purl": "", "internet_facing": False,
                                "criticality": "medium"}
    defaults.update(fields)
    return item_create(organisation=org, acting_user=user, **defaults)


def _orgs(user: Any) -> set[int]:
    from vrisac.sharing.policy import viewer_for

    return set(viewer_for(user).organisation_ids)


def import_and_match(kind: str, paths: Sequence[Path | str]) -> Any:
    report = import_sources(kind, [str(p) for p in paths])
    rematch_vulnerabilities(report.changed_vulnerabilities)
    return report


def match_items(*items: InventoryItem) -> dict[str, int]:
    return rematch_items([i.pk for i in items])


def nvd_page(tmp_path: Path, cves: list[dict[str, Any]], name: str = "nvd.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"resultsPerPage": len(cves), "startIndex": 0,
                                "totalResults": len(cves), "format": "NVD_CVE",
                                "version": "2.0", "vulnerabilities": [{"cve": c} for c in cves]}))
    return path


def nvd_cve(cve_id: str, matches: list[dict[str, Any]], *, vector: str = "",
            modified: str = "2025-01-01T00:00:00.000", operator: str = "") -> dict[str, Any]:
    configuration: dict[str, Any] = {"nodes": [{"operator": "OR", "negate": False,
                                                "cpeMatch": matches}]}
    if operator:
        configuration["operator"] = operator
    cve: dict[str, Any] = {
        "id": cve_id, "published": "2024-12-01T00:00:00.000", "lastModified": modified,
        "vulnStatus": "Analyzed",
        "descriptions": [{"lang": "en", "value": f"A test vulnerability {cve_id}."}],
        "configurations": [configuration],
    }
    if vector:
        cve["metrics"] = {"cvssMetricV31": [{"source": "nvd@nist.gov", "type": "Primary",
                                             "cvssData": {"version": "3.1",
                                                          "vectorString": vector}}]}
    return cve
