from __future__ import annotations

from typing import Any

from vrisac.core.errors import DomainError
from vrisac.core.jobs import JobContext, job

from .models import RemoteCollection
from .services import due_remotes, remote_pull


@job("taxii_client.pull", queue="imports",
     description="Pull one remote TAXII collection and import what is new.")
def pull(ctx: JobContext, remote: int) -> dict[str, Any]:
    row = RemoteCollection.objects.get(pk=remote)
    ctx.log(f"pulling {row.name} added after {row.added_after or 'the start'}")
    result = remote_pull(remote=row, progress=ctx.advance)
    ctx.log(f"{row.name}: {result.status}, {result.fetched} objects in {result.pages} pages, "
            f"{result.created} reports new, {result.updated} updated, {result.indicators} "
            f"indicators added, {result.unmodelled} objects kept as they came")
    return result.as_dict()


@job("taxii_client.pull_due", queue="imports",
     description="Pull the remote TAXII collections that are due (each on its own interval).")
def pull_due(ctx: JobContext) -> dict[str, Any]:
    remotes = due_remotes()
    ctx.set_total(len(remotes))
    outcome: dict[str, Any] = {}
    for row in remotes:
        try:
            outcome[row.name] = remote_pull(remote=row).status
        except DomainError as exc:
            # One broken partner does not stop the others; the error is on the collection
            # and in the audit log.
            outcome[row.name] = "failed"
            ctx.log(f"{row.name}: failed: {exc.message}")
        ctx.advance()
    return {"collections": outcome}
