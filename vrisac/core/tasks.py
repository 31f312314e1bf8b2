from __future__ import annotations

from django_tasks import task

from .jobs import job_run
from .models import Job


@task()
def execute_job(job_id: int) -> None:
    """The worker's entry to every job: run the registered function behind a Job row."""
    job_row = Job.objects.get(pk=job_id)
    if job_row.state == Job.State.SUCCEEDED:
        return
    job_run(job_row.name, job_row=job_row)
