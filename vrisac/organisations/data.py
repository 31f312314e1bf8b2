"""The participating organisations, from ``data/organisations.json`` (the project's copy of
the shared facts: the 25 safety regions with their numbers, NIPV, the Veiligheidsberaad as
owner and NCSC-NL as partner)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "organisations.json"


def load_organisations(model: Any) -> int:
    """Create or update every organisation; used by the data migration (with the historical
    model) and by tests that run after a database flush."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    for item in data["organisations"]:
        model.objects.update_or_create(
            slug=item["slug"],
            defaults={"name": item["name"], "number": item.get("number"), "kind": item["kind"]},
        )
    return len(data["organisations"])
