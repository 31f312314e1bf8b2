"""The scheduler: one schedule, each slot run once however many schedulers race for it, a long
run never started twice, missed slots caught up after a gap, and the schedule well-formed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from vrisac.core.jobs import job_run
from vrisac.core.models import Job
from vrisac.core.schedule import SCHEDULE, ScheduledJob
from vrisac.ops import services
from vrisac.ops.models import ProcessHeartbeat, ScheduleClaim
from vrisac.ops.scheduler import (
    Scheduler,
    canonical_slot,
    schedule_problems,
    slots_between,
    trigger_for,
)

AMS = ZoneInfo("Europe/Amsterdam")
EVERY_MINUTE = ScheduledJob("ops_test.record", "* * * * *", {"path": "/dev/null"})


def test_every_scheduled_entry_names_a_registered_job_with_a_valid_cron() -> None:
    assert schedule_problems(SCHEDULE) == []
    assert {"ops.backup", "ops.retention", "ops.db_statistics"} <= {e.job for e in SCHEDULE}


@pytest.mark.django_db
def test_the_statistics_job_gives_the_planner_figures_of_the_report_table() -> None:
    """The list pages' plans (walk the newest-first index, stop after a page) rest on them."""
    from django.db import connection

    from vrisac.core.testing import make_person, make_report

    author = make_person("participant", "utrecht")
    for n in range(3):
        make_report(author, title=f"r{n}")

    def analysed() -> bool:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
                if cursor.fetchone() is None:
                    return False
                cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'reports_report'")
                return bool(cursor.fetchone()[0])
            cursor.execute("SELECT COUNT(*) FROM pg_stats WHERE tablename = 'reports_report'")
            return bool(cursor.fetchone()[0])

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is not None:
                cursor.execute("DELETE FROM sqlite_stat1")
    job = job_run("ops.db_statistics", arguments={})
    assert job.state == Job.State.SUCCEEDED, job.log
    assert analysed()


def test_schedule_problems_name_unknown_jobs_bad_cron_and_doubles() -> None:
    problems = schedule_problems([
        ScheduledJob("no.such.job", "0 * * * *"),
        ScheduledJob("ops.backup", "61 * * * *"),
        ScheduledJob("ops.backup", "0 3 * * *"),
    ])
    assert any("no.such.job" in p and "registered" in p for p in problems)
    assert any("bad cron" in p for p in problems)
    assert any("scheduled twice" in p for p in problems)


def test_slots_follow_amsterdam_time_across_the_clock_change() -> None:
    daily = trigger_for(ScheduledJob("ops.backup", "30 2 * * *"))
    start = datetime(2026, 10, 23, 12, tzinfo=UTC)
    slots = slots_between(daily, start, start + timedelta(days=4))
    # Summer time ends on 25 October: 02:30 happens twice that night, and the same wall-clock
    # time is an hour later in UTC afterwards.
    assert [s.astimezone(AMS).strftime("%d %H:%M") for s in slots] == [
        "24 02:30", "25 02:30", "25 02:30", "26 02:30", "27 02:30"]
    assert slots[0].astimezone(UTC).hour == 0 and slots[3].astimezone(UTC).hour == 1
    # A job at a fixed time claims the first of the two, so it runs once that night.
    entry = ScheduledJob("ops.backup", "30 2 * * *")
    assert canonical_slot(entry, slots[2]) == canonical_slot(entry, slots[1]) == slots[1]
    every = ScheduledJob("x", "*/30 * * * *")
    assert canonical_slot(every, slots[2]) == slots[2]
    quarterly = trigger_for(ScheduledJob("x", "*/15 * * * *"))
    hour = datetime(2026, 11, 29, 10, tzinfo=AMS)
    assert len(slots_between(quarterly, hour, hour + timedelta(hours=1))) == 4


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_racing_for_the_same_slots_enqueue_each_once(db_queue: None) -> None:
    """Two schedulers (each its own database connection, as on two machines) claim the same
    twenty slots at the same moment: every slot is claimed and queued exactly once."""
    first, second = Scheduler(entries=[EVERY_MINUTE]), Scheduler(entries=[EVERY_MINUTE])
    base = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=1)
    slots = [base + timedelta(minutes=i) for i in range(20)]
    won: dict[str, list[Any]] = {first.process_id: [], second.process_id: []}
    barrier = threading.Barrier(2)

    def race(scheduler: Scheduler) -> None:
        from django.db import connection

        try:
            for slot in slots:
                barrier.wait(timeout=30)
                claim = scheduler.claim(EVERY_MINUTE, slot)
                if claim is not None:
                    won[scheduler.process_id].append(claim)
                    # The first run finishes before the next slot, as a quick job would.
                    assert claim.job_row_id is not None
                    Job.objects.filter(pk=claim.job_row_id).update(state=Job.State.SUCCEEDED)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(s,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    claims = ScheduleClaim.objects.filter(job=EVERY_MINUTE.job)
    assert claims.count() == 20
    assert len(won[first.process_id]) + len(won[second.process_id]) == 20
    assert Job.objects.filter(name=EVERY_MINUTE.job).count() == 20
    assert sorted(c.slot for c in claims) == slots


@pytest.mark.django_db
def test_a_slot_is_skipped_while_the_previous_run_is_unfinished(db_queue: None,
                                                                django_capture_on_commit_callbacks:
                                                                Any) -> None:
    scheduler = Scheduler(entries=[EVERY_MINUTE])
    slot = timezone.now().replace(second=0, microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        claim = scheduler.claim(EVERY_MINUTE, slot)
    assert claim is not None and claim.outcome == ScheduleClaim.Outcome.ENQUEUED
    assert claim.job_row is not None and claim.job_row.state == Job.State.QUEUED
    # Still queued (no worker took it): the next slot is claimed but not run again.
    later = scheduler.claim(EVERY_MINUTE, slot + timedelta(minutes=1))
    assert later is not None and later.outcome == ScheduleClaim.Outcome.SKIPPED
    assert later.job_row is None
    assert Job.objects.filter(name=EVERY_MINUTE.job).count() == 1
    # The same slot is never claimed twice, not even by the same scheduler.
    assert scheduler.claim(EVERY_MINUTE, slot) is None


@pytest.mark.django_db
def test_fire_claims_the_slot_that_is_due(tmp_path: Any,
                                          django_capture_on_commit_callbacks: Any) -> None:
    entry = ScheduledJob("ops_test.record", "*/5 * * * *", {"path": str(tmp_path / "runs")})
    scheduler = Scheduler(entries=[entry])
    due = datetime(2026, 11, 29, 10, 5, 0, 12_000, tzinfo=AMS)
    with django_capture_on_commit_callbacks(execute=True):
        claim = scheduler.fire(entry, now=due)
    assert claim is not None and claim.slot == due.replace(microsecond=0)
    assert claim.job_row is not None
    claim.job_row.refresh_from_db()
    assert claim.job_row.state == Job.State.SUCCEEDED  # the suite runs queued jobs at once
    assert (tmp_path / "runs").read_text().startswith(f"{claim.job_row.pk} ")
    assert scheduler.fire(entry, now=due.replace(minute=7)) is None


@pytest.mark.django_db
def test_catch_up_runs_the_latest_missed_slot_after_a_gap_but_not_on_a_fresh_install(
        tmp_path: Any) -> None:
    entry = ScheduledJob("ops_test.record", "0 * * * *", {"path": str(tmp_path / "runs")})
    now = datetime(2026, 11, 29, 12, 20, tzinfo=AMS)
    assert Scheduler(entries=[entry]).catch_up(now=now) == []
    ProcessHeartbeat.objects.create(process_id="scheduler:gone", kind="scheduler", hostname="a",
                                    pid=1, started_at=now - timedelta(days=1),
                                    seen_at=now - timedelta(hours=3, minutes=10))
    claims = Scheduler(entries=[entry]).catch_up(now=now)
    assert [c.slot.astimezone(AMS).hour for c in claims] == [12]
    assert Scheduler(entries=[entry]).catch_up(now=now) == []


@pytest.mark.django_db
def test_run_now_queues_the_scheduled_job_and_refuses_a_second_while_unfinished(
        people: dict[str, Any], db_queue: None) -> None:
    from vrisac.core.errors import DomainError, NotFound

    name = SCHEDULE[0].job
    row = services.job_run_now(name=name, acting_user=people["coordinator"])
    assert row.state == Job.State.QUEUED and row.triggered_by_id == people["coordinator"].pk
    from django.utils import translation

    with translation.override("en"), pytest.raises(DomainError,
                                                   match="already queued or running"):
        services.job_run_now(name=name, acting_user=people["coordinator"])
    with pytest.raises(NotFound):
        services.job_run_now(name="no.such.job", acting_user=people["coordinator"])
    from vrisac.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="ops.job.run_now", object_id=str(row.pk)).exists()


@pytest.mark.django_db
def test_a_job_taken_once_is_not_taken_again() -> None:
    from vrisac.core.jobs import claim

    row = Job.objects.create(name="ops_test.record", arguments={"path": "/dev/null"})
    assert claim(row.pk) is True
    assert claim(row.pk) is False
    done = job_run("ops_test.record", arguments={"path": "/dev/null"})
    assert claim(done.pk) is False
