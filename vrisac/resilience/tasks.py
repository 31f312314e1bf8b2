"""Jobs of resilience: NIS2 deadline reminders and the quarterly report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from vrisac.core.jobs import JobContext, job

from . import pdf, services, strategic
from .periods import Period


@job("resilience.nis2_reminders", queue="notifications",
     description="E-mail reminders before (and once after) each NIS2 reporting deadline.")
def nis2_reminders(ctx: JobContext) -> dict[str, Any]:
    result = services.nis2_send_reminders()
    ctx.log(f"{result['reminders']} reminder(s) sent, {result['stages_checked']} stage(s) "
            "checked")
    return result


@job("resilience.quarterly_report",
     description="Write the quarterly report \"Digitale weerbaarheid veiligheidsregio's\" "
                 "as a PDF file.")
def quarterly_report(ctx: JobContext, period: str | None = None,
                     output: str | None = None) -> dict[str, Any]:
    quarter = Period.parse(period) if period else Period.current().previous()
    ctx.set_total(2)
    picture = strategic.strategic_picture(quarter)
    ctx.advance()
    body = pdf.quarterly_report(picture)
    target = Path(output) if output else (
        Path(settings.DATA_DIR) / "reports"
        / f"digitale-weerbaarheid-veiligheidsregios-{quarter.key}.pdf")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    ctx.advance()
    ctx.log(f"wrote {target} ({len(body)} bytes)")
    return {"period": quarter.key, "path": str(target), "bytes": len(body)}
