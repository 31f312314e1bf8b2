from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from vrisac.core.jobs import JOBS, JobContext, job, job_enqueue, job_run
from vrisac.core.models import Job


@job("test.count", description="count to n")
def _count(ctx: JobContext, n: int) -> dict[str, Any]:
    ctx.set_total(n)
    for _ in range(n):
        ctx.advance()
    ctx.log(f"counted {n}")
    return {"counted": n}


@job("test.fail")
def _fail(ctx: JobContext) -> dict[str, Any]:
    ctx.log("about to fail")
    raise RuntimeError("broken feed")


@pytest.mark.django_db
def test_job_run_records_state_progress_log_and_result() -> None:
    row = job_run("test.count", arguments={"n": 7})
    row.refresh_from_db()
    assert row.state == Job.State.SUCCEEDED
    assert (row.progress, row.total) == (7, 7)
    assert row.result == {"counted": 7}
    assert "counted 7" in row.log
    assert row.started_at and row.finished_at and row.duration is not None


@pytest.mark.django_db
def test_failed_job_is_marked_failed_with_its_error() -> None:
    row = job_run("test.fail", raise_errors=False)
    row.refresh_from_db()
    assert row.state == Job.State.FAILED
    assert "broken feed" in row.error
    assert "about to fail" in row.log
    with pytest.raises(RuntimeError):
        job_run("test.fail")


@pytest.mark.django_db
def test_enqueued_job_runs_through_the_tasks_framework(django_capture_on_commit_callbacks: Any
                                                       ) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        row = job_enqueue("test.count", arguments={"n": 3})
    row.refresh_from_db()
    assert row.state == Job.State.SUCCEEDED
    assert row.task_result_id


@pytest.mark.django_db
def test_run_job_command_lists_and_runs(capsys: Any) -> None:
    call_command("run_job")
    assert "test.count" in capsys.readouterr().out
    call_command("run_job", "test.count", "--arguments", '{"n": 2}')
    assert '"counted": 2' in capsys.readouterr().out
    assert "notifications.digest" in JOBS
