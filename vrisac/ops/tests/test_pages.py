"""The jobs page: for coordinators and administrators only (404 for everyone else), every
scheduled job with its last run and "run now", recent runs, a run's log; a fixed number of
queries however many runs there are; and how it looks in a real browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from vrisac.core.jobs import job_run
from vrisac.core.models import Job
from vrisac.core.schedule import SCHEDULE
from vrisac.core.testing import browser_sign_in, client_for
from vrisac.ops.models import ProcessHeartbeat

PAGES = ["/ops/jobs/", "/ops/jobs/{pk}/"]


@pytest.fixture
def a_run(db: Any) -> Job:
    return job_run("ops_test.record", arguments={"path": "/dev/null"})


@pytest.mark.django_db
@pytest.mark.parametrize("role,status", [("utrecht", 404), ("partner", 404),
                                         ("observer", 404), ("coordinator", 200),
                                         ("admin", 200)])
@pytest.mark.parametrize("page", PAGES)
def test_who_sees_the_jobs_pages(people: dict[str, Any], a_run: Job, role: str, status: int,
                                 page: str) -> None:
    url = page.format(pk=a_run.pk)
    assert client_for(people[role]).get(url).status_code == status
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["utrecht", "observer", "partner"])
def test_run_now_is_refused_to_others_and_queues_nothing(people: dict[str, Any],
                                                         role: str) -> None:
    before = Job.objects.count()
    response = client_for(people[role]).post("/ops/jobs/run/", {"job": SCHEDULE[0].job})
    assert response.status_code == 404 and Job.objects.count() == before


@pytest.mark.django_db
def test_jobs_page_shows_schedule_last_run_and_processes(people: dict[str, Any],
                                                         django_assert_max_num_queries: Any
                                                         ) -> None:
    from django.utils import timezone

    now = timezone.now()
    ProcessHeartbeat.objects.create(process_id="worker:a", kind="worker", hostname="worker-a",
                                    pid=77, started_at=now, seen_at=now)
    for _ in range(3):
        job_run("ops.retention", arguments={"dry_run": True})
    for _ in range(60):
        job_run("ops_test.record", arguments={"path": "/dev/null"})
    client = client_for(people["coordinator"])
    client.get("/ops/jobs/")
    with django_assert_max_num_queries(12):
        response = client.get("/ops/jobs/")
    page = response.content.decode()
    for entry in SCHEDULE:
        assert entry.job in page and entry.cron in page
    assert "worker-a" in page
    assert page.count('class="badge job-state job-succeeded"') >= 50
    assert "Pagina 1 van 2" in page or "Page 1 of 2" in page
    filtered = client.get("/ops/jobs/", {"job": "ops.retention", "state": "succeeded"})
    assert filtered.content.decode().count("<td class=\"mono\">ops.retention</td>") == 3


@pytest.mark.django_db
def test_run_now_queues_the_job_once_and_shows_its_log(people: dict[str, Any],
                                                       db_queue: None) -> None:
    client = client_for(people["admin"])
    response = client.post("/ops/jobs/run/", {"job": "ops.retention"})
    row = Job.objects.get(name="ops.retention")
    assert response.status_code == 302 and response["Location"] == f"/ops/jobs/{row.pk}/"
    assert row.state == Job.State.QUEUED and row.triggered_by_id == people["admin"].pk
    again = client.post("/ops/jobs/run/", {"job": "ops.retention"}, follow=True)
    assert Job.objects.filter(name="ops.retention").count() == 1
    assert "ops.retention" in again.content.decode()
    assert client.post("/ops/jobs/run/", {"job": "ops_test.record"}).status_code == 404
    assert client.get("/ops/jobs/run/").status_code == 405


@pytest.mark.django_db
def test_a_run_page_shows_log_error_arguments_and_result(people: dict[str, Any]) -> None:
    failed = job_run("ops_test.record", arguments={"path": "/"}, raise_errors=False)
    page = client_for(people["coordinator"]).get(f"/ops/jobs/{failed.pk}/").content.decode()
    assert "IsADirectoryError" in page and "&quot;path&quot;: &quot;/&quot;" in page
    assert "failed:" in page
    assert client_for(people["coordinator"]).get("/ops/jobs/999999/").status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_jobs_page_in_a_browser(page: Any, screenshot_dir: Path) -> None:
    from vrisac.core.testing import make_person

    person = make_person("coordinator", "nipv", name="Sanne Coordinator")
    for _ in range(2):
        job_run("ops.retention", arguments={"dry_run": True})
    job_run("ops_test.record", arguments={"path": "/"}, raise_errors=False)
    browser_sign_in(page.context, page.base_url, person)
    page.goto(f"{page.base_url}/dashboard/")
    page.click("nav.main-nav >> text=Taken")
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == "Taken"
    page.screenshot(path=str(screenshot_dir / "ops-jobs.png"), full_page=True)
    page.click("text=Nu uitvoeren >> nth=0")
    page.wait_for_selector("text=staat in de wachtrij")
    page.screenshot(path=str(screenshot_dir / "ops-job-run.png"), full_page=True)
    assert page.js_errors == []


@pytest.mark.parametrize("seconds,shown", [(0.0042, "0,004 s"), (12.34, "12,3 s"),
                                           (245, "4 min 05 s"), (7620, "2 h 07 min")])
def test_durations_read_as_people_read_them(seconds: float, shown: str) -> None:
    from datetime import timedelta

    from django.utils import translation

    from vrisac.ops.templatetags.ops import duration

    with translation.override("nl"):
        assert duration(timedelta(seconds=seconds)) == shown
    assert duration(None) == duration("") == "—"


@pytest.mark.django_db
def test_demo_step_is_idempotent() -> None:
    from vrisac.core.demo import DemoContext
    from vrisac.ops.demo import retention_preview

    retention_preview(DemoContext())
    retention_preview(DemoContext())
    assert Job.objects.filter(name="ops.retention", state=Job.State.SUCCEEDED).count() == 1
