"""Jobs of operations: the scheduled backup with its rotation, the retention clean-up, and the
query planner's statistics."""

from __future__ import annotations

from typing import Any

from vrisac.core.jobs import JobContext, job

from . import backup, retention, services


@job("ops.backup", description="Back up the database, the attachments and the audit chain, "
                               "then rotate the backups (daily, weekly, monthly kept).")
def backup_job(ctx: JobContext, path: str | None = None) -> dict[str, Any]:
    from pathlib import Path

    from vrisac.core.audit import audit_record

    result = backup.backup_create(path=Path(path) if path else None, progress=ctx.log)
    ctx.log(f"wrote {result.path} ({result.size} bytes, {result.tables} tables, "
            f"{result.rows} rows, {result.files} files, audit log up to #{result.audit_head})")
    removed = backup.backups_rotate(directory=result.path.parent)
    for old in removed:
        ctx.log(f"rotated out {old.name}")
    audit_record(action="ops.backup.create", actor_label="scheduler",
                 details={"file": result.path.name, "bytes": result.size,
                          "audit_head": result.audit_head, "rotated_out": len(removed)})
    return {"path": str(result.path), "bytes": result.size, "tables": result.tables,
            "rows": result.rows, "files": result.files, "rotated_out": len(removed)}


@job("ops.retention", description="Remove data past its retention period (audit log with an "
                                  "anchor, finished jobs, notifications, expired sessions).")
def retention_job(ctx: JobContext, dry_run: bool = False) -> dict[str, Any]:
    result = retention.retention_apply(dry_run=dry_run)
    for kind, count in result.items():
        ctx.log(f"{kind}: {count} {'would be ' if dry_run else ''}removed")
    return result


@job("ops.db_statistics", description="Refresh the database's query planner statistics "
                                     "(ANALYZE), so that list pages keep their fast plans.")
def db_statistics_job(ctx: JobContext) -> dict[str, Any]:
    seconds = services.database_statistics_refresh()
    ctx.log(f"ANALYZE took {seconds:.2f} s")
    return {"seconds": round(seconds, 3)}
