from __future__ import annotations

from django_tasks import task

from .jobs import claim, job_run
from .models import Job


@task()
def execute_job(job_id: int) -> None:
    """The worker's entry to every job: take the queued Job row (once, whichever worker gets
    there first) and run the registered function behind it."""
    if not claim(job_id):
        return
    job_row = Job.objects.get(pk=job_id)
    job_run(job_row.name, job_row=job_row)
