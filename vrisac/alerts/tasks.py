"""Re-matching jobs. Importers run the same functions in their own jobs; inventory changes
queue ``alerts.rematch_items``; an alias change queues ``alerts.rekey``."""

from __future__ import annotations

from typing import Any

from vrisac.core.jobs import JobContext, job

from . import services


@job("alerts.rematch_items", description="Match changed inventory items against the advisories.")
def rematch_items(ctx: JobContext, ids: list[int]) -> dict[str, Any]:
    ctx.set_total(len(ids))
    return services.rematch_items(ids, progress=ctx.advance)


@job("alerts.rematch_vulnerabilities",
     description="Match changed vulnerabilities against every inventory.")
def rematch_vulnerabilities(ctx: JobContext, ids: list[int]) -> dict[str, Any]:
    ctx.set_total(len(ids))
    return services.rematch_vulnerabilities(ids, progress=ctx.advance)


@job("alerts.rematch_all", description="Match every inventory item (after a large change).")
def rematch_all(ctx: JobContext) -> dict[str, Any]:
    from vrisac.assets.models import InventoryItem

    ctx.set_total(InventoryItem.objects.count())
    return services.rematch_all(progress=ctx.advance)


@job("alerts.rekey", description="Recompute the name keys after the alias table changed, then "
                                 "match everything.")
def rekey(ctx: JobContext) -> dict[str, Any]:
    return services.rekey_all(progress=ctx.advance)
