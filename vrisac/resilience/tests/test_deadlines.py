"""The NIS2 deadline arithmetic: exact hours in UTC, calendar months in Europe/Amsterdam,
across the last Sunday of March and of October."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vrisac.resilience import nis2

AMS = nis2.AMSTERDAM


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_early_warning_across_the_last_sunday_of_march() -> None:
    # 28 March 2026 10:00 CET; the clocks go forward on Sunday 29 March at 02:00.
    aware = at("2026-03-28T10:00:00+01:00")
    due = nis2.early_warning_due(aware)
    assert due - aware == timedelta(hours=24)
    assert nis2.iso_amsterdam(due) == "2026-03-29T11:00:00+02:00"


def test_notification_across_the_last_sunday_of_march() -> None:
    aware = at("2026-03-27T23:30:00+01:00")
    assert nis2.iso_amsterdam(nis2.notification_due(aware)) == "2026-03-31T00:30:00+02:00"


def test_early_warning_across_the_last_sunday_of_october() -> None:
    # 24 October 2026 10:00 CEST; the clocks go back on Sunday 25 October at 03:00.
    aware = at("2026-10-24T10:00:00+02:00")
    due = nis2.early_warning_due(aware)
    assert due - aware == timedelta(hours=24)
    assert nis2.iso_amsterdam(due) == "2026-10-25T09:00:00+01:00"


def test_notification_across_the_last_sunday_of_october() -> None:
    aware = at("2026-10-23T18:15:00+02:00")
    assert nis2.iso_amsterdam(nis2.notification_due(aware)) == "2026-10-26T17:15:00+01:00"


def test_aware_given_in_utc_or_any_offset_gives_the_same_deadline() -> None:
    local = at("2026-03-28T10:00:00+01:00")
    utc = at("2026-03-28T09:00:00+00:00")
    tokyo = at("2026-03-28T18:00:00+09:00")
    assert {nis2.early_warning_due(x) for x in (local, utc, tokyo)} == {
        at("2026-03-29T09:00:00+00:00")}


def test_a_month_keeps_the_clock_time_across_the_spring_change() -> None:
    submitted = at("2026-03-15T12:00:00+01:00")
    due = nis2.add_calendar_month(submitted)
    assert nis2.iso_amsterdam(due) == "2026-04-15T12:00:00+02:00"
    assert due - submitted == timedelta(days=31, hours=-1)


def test_a_month_keeps_the_clock_time_across_the_autumn_change() -> None:
    submitted = at("2026-10-10T09:00:00+02:00")
    due = nis2.add_calendar_month(submitted)
    assert nis2.iso_amsterdam(due) == "2026-11-10T09:00:00+01:00"
    assert due - submitted == timedelta(days=31, hours=1)


@pytest.mark.parametrize(("submitted", "expected"), [
    ("2026-01-31T14:00:00+01:00", "2026-02-28T14:00:00+01:00"),
    ("2028-01-31T14:00:00+01:00", "2028-02-29T14:00:00+01:00"),
    ("2026-12-31T23:59:00+01:00", "2027-01-31T23:59:00+01:00"),
    ("2026-05-31T08:00:00+02:00", "2026-06-30T08:00:00+02:00"),
])
def test_a_month_is_clamped_to_the_length_of_the_next(submitted: str, expected: str) -> None:
    assert nis2.iso_amsterdam(nis2.add_calendar_month(at(submitted))) == expected


def test_the_month_is_the_amsterdam_calendar_month_not_the_utc_one() -> None:
    # 31 March 00:30 in Amsterdam is still 30 March in UTC.
    submitted = at("2026-03-31T00:30:00+02:00")
    assert nis2.iso_amsterdam(nis2.add_calendar_month(submitted)) == "2026-04-30T00:30:00+02:00"


def test_a_due_time_in_the_spring_gap_moves_on_by_the_missing_hour() -> None:
    # 28 March 2027 is the last Sunday of March: 02:30 does not exist that night.
    submitted = at("2027-02-28T02:30:00+01:00")
    assert nis2.iso_amsterdam(nis2.add_calendar_month(submitted)) == "2027-03-28T03:30:00+02:00"


def test_a_due_time_that_occurs_twice_takes_the_first_occurrence() -> None:
    submitted = at("2026-09-25T02:30:00+02:00")
    due = nis2.add_calendar_month(submitted)
    assert nis2.iso_amsterdam(due) == "2026-10-25T02:30:00+02:00"
    assert due == at("2026-10-25T00:30:00+00:00")


def test_final_report_due_is_unknown_until_the_notification_is_submitted() -> None:
    assert nis2.final_report_due(notification_submitted_at=None, progress_submitted_at=None,
                                 handled_at=None) is None


def test_final_report_after_a_progress_report_waits_for_the_end_of_handling() -> None:
    notified = at("2026-03-01T10:00:00+01:00")
    progress = at("2026-03-30T10:00:00+02:00")
    assert nis2.final_report_due(notification_submitted_at=notified,
                                 progress_submitted_at=progress, handled_at=None) is None
    handled = at("2026-05-20T16:00:00+02:00")
    due = nis2.final_report_due(notification_submitted_at=notified,
                                progress_submitted_at=progress, handled_at=handled)
    assert nis2.iso_amsterdam(due) == "2026-06-20T16:00:00+02:00"


def test_status_open_submitted_overdue() -> None:
    due = at("2026-03-29T11:00:00+02:00")
    before = at("2026-03-29T10:59:59+02:00")
    after = at("2026-03-29T11:00:01+02:00")
    assert nis2.stage_status(due=due, submitted_at=None, now=before) == nis2.OPEN
    assert nis2.stage_status(due=due, submitted_at=None, now=after) == nis2.OVERDUE
    assert nis2.stage_status(due=due, submitted_at=after, now=after) == nis2.SUBMITTED
    assert nis2.stage_status(due=None, submitted_at=None, now=after) == nis2.OPEN


def test_naive_moments_are_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        nis2.early_warning_due(datetime(2026, 3, 28, 10, 0))


def test_stage_keys_are_those_of_the_facts_file() -> None:
    assert nis2.stage_keys() == ["early_warning", "incident_notification",
                                 "intermediate_report", "final_report"]
    assert set(nis2.STAGE_FIELDS) == {*nis2.stage_keys(), "progress"}
    assert nis2.to_utc(at("2026-01-01T01:00:00+01:00")) == datetime(2026, 1, 1, tzinfo=UTC)
