from __future__ import annotations

from typing import Any

from vrisac.core.jobs import JobContext, job

from . import services


@job("notifications.send", queue="notifications",
     description="Send the immediate e-mails for new notifications.")
def send(ctx: JobContext, ids: list[int]) -> dict[str, Any]:
    ctx.set_total(len(ids))
    result = services.send_pending(ids)
    ctx.advance(len(ids))
    return result


@job("notifications.digest", queue="notifications",
     description="Send the daily digest to everyone who chose it.")
def digest(ctx: JobContext) -> dict[str, Any]:
    result = services.send_digests()
    ctx.log(f"digest sent to {result['people']} people ({result['items']} items)")
    return result
