"""Demo operations data: one run of the retention clean-up as a dry run, so the jobs page
shows a finished run with its log from the first start."""

from __future__ import annotations

from vrisac.core.demo import DemoContext, demo_step
from vrisac.core.jobs import job_run
from vrisac.core.models import Job


@demo_step(order=90)
def retention_preview(ctx: DemoContext) -> None:
    if Job.objects.filter(name="ops.retention").exists():
        return
    row = job_run("ops.retention", arguments={"dry_run": True})
    ctx.log(f"ops: retention preview (job {row.pk}): {row.result}")
