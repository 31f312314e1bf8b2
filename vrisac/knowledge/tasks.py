from __future__ import annotations

from typing import Any

from vrisac.core.jobs import JobContext, job

from . import search, services


@job("knowledge.contact_notify", queue="notifications",
     description="Tell the coordinators by e-mail about a new question from the contact form.")
def contact_notify(ctx: JobContext, message_id: int) -> dict[str, Any]:
    sent = services.contact_notify(message_id=message_id)
    ctx.log(f"{sent} e-mail(s) sent")
    return {"sent": sent}


@job("knowledge.contact_retention",
     description="Delete contact-form questions older than the retention period.")
def contact_retention(ctx: JobContext) -> dict[str, Any]:
    deleted = services.contact_messages_purge()
    ctx.log(f"{deleted} question(s) deleted")
    return {"deleted": deleted}


@job("knowledge.reindex", description="Rebuild the knowledge base's full-text index.")
def reindex(ctx: JobContext) -> dict[str, Any]:
    rows = search.rebuild()
    ctx.log(f"{rows} rows indexed")
    return {"indexed": rows}
