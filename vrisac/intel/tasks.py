from __future__ import annotations

from typing import Any

from vrisac.core.errors import DomainError
from vrisac.core.jobs import JobContext, job

from .feeds import due_feeds, feed_import
from .models import Feed


@job("intel.fetch_feed", queue="imports", description="Fetch and import one indicator feed.")
def fetch_feed(ctx: JobContext, feed: int, force: bool = False) -> dict[str, Any]:
    row = Feed.objects.get(pk=feed)
    ctx.log(f"fetching {row.name} from {row.source_label}")
    result = feed_import(feed=row, progress=ctx.advance, force=force)
    ctx.log(f"{row.name}: {result.status}, {result.rows} rows, {result.added} new")
    return result.as_dict()


@job("intel.fetch_feeds", queue="imports",
     description="Fetch the indicator feeds that are due (each on its own interval).")
def fetch_feeds(ctx: JobContext) -> dict[str, Any]:
    feeds = due_feeds()
    ctx.set_total(len(feeds))
    outcome: dict[str, Any] = {}
    for row in feeds:
        try:
            result = feed_import(feed=row)
            outcome[row.name] = result.status
            ctx.log(f"{row.name}: {result.status}, {result.rows} rows, {result.added} new")
        except DomainError as exc:
            # One broken feed does not stop the others; its error is on the feed and in the
            # audit log.
            outcome[row.name] = "failed"
            ctx.log(f"{row.name}: failed: {exc.message}")
        ctx.advance()
    return {"feeds": outcome}
