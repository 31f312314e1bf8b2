"""The NIS2 facts (``data/nis2.json``) and the reporting deadlines of Article 23(4).

Deadlines are exact elapsed time: the early warning is due 24 hours after becoming aware and
the incident notification 72 hours after, counted in UTC, so a change of clocks in between
neither adds nor removes an hour (aware at 10:00 on the Saturday before the last Sunday of
March gives an early warning due at 11:00 Amsterdam time on Sunday). The final report is due
one calendar month after the incident notification was submitted, counted on the calendar of
Europe/Amsterdam (submitted 31 January 14:00 gives 28 or 29 February 14:00): a month is a
calendar notion, not a number of hours. A local time that does not exist on the due day
(02:30 on the last Sunday of March) moves on by the missing hour (03:30); one that occurs
twice (02:30 on the last Sunday of October) is taken at its first occurrence, the earlier
moment, so a deadline is never later than the calendar says.
"""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DATA_FILE = Path(__file__).parent / "data" / "nis2.json"

EARLY_WARNING = "early_warning"
INCIDENT_NOTIFICATION = "incident_notification"
INTERMEDIATE_REPORT = "intermediate_report"
FINAL_REPORT = "final_report"

EARLY_WARNING_HOURS = 24
NOTIFICATION_HOURS = 72


@cache
def facts() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data


def measures() -> list[dict[str, str]]:
    return list(facts()["measures"])


def stage_keys() -> list[str]:
    """The reporting stages in the order of the directive, as keyed in nis2.json."""
    return [item["stage"] for item in facts()["reporting"]]


def stage_facts(stage: str) -> dict[str, str]:
    for item in facts()["reporting"]:
        if item["stage"] == stage:
            return dict(item)
    raise KeyError(stage)


STAGE_LABELS = {
    EARLY_WARNING: _("Early warning"),
    INCIDENT_NOTIFICATION: _("Incident notification"),
    INTERMEDIATE_REPORT: _("Intermediate report"),
    FINAL_REPORT: _("Final report"),
}
PROGRESS_LABEL = _("Progress report")


@dataclass(frozen=True)
class StageField:
    """One thing the directive asks a stage to contain."""

    name: str
    label: Any
    kind: str = "text"  # "text" (free text) or "choice"
    required: bool = True
    choices: tuple[tuple[str, Any], ...] = ()
    max_length: int = 10_000


YES_NO_UNKNOWN = (("yes", _("yes")), ("no", _("no")), ("unknown", _("not yet known")))
SEVERITY = (("low", _("low")), ("medium", _("medium")), ("high", _("high")),
            ("critical", _("critical")))

#: What each stage contains (Art. 23(4) NIS2); "progress" is the progress report that stands
#: in for the final report while the incident is still ongoing.
STAGE_FIELDS: dict[str, tuple[StageField, ...]] = {
    EARLY_WARNING: (
        StageField("summary", _("What happened, as far as known")),
        StageField("suspected_malicious", _("Unlawful or malicious acts suspected"),
                   kind="choice", choices=YES_NO_UNKNOWN),
        StageField("cross_border", _("Possible cross-border impact"), kind="choice",
                   choices=YES_NO_UNKNOWN),
    ),
    INCIDENT_NOTIFICATION: (
        StageField("update", _("Update of the early warning")),
        StageField("severity", _("Initial assessment: severity"), kind="choice",
                   choices=SEVERITY),
        StageField("impact", _("Initial assessment: impact")),
        StageField("indicators", _("Indicators of compromise, where available"),
                   required=False),
    ),
    INTERMEDIATE_REPORT: (
        StageField("status_update", _("Relevant status updates")),
    ),
    FINAL_REPORT: (
        StageField("description", _("Detailed description, including severity and impact")),
        StageField("root_cause", _("Type of threat or likely root cause")),
        StageField("mitigation", _("Applied and ongoing mitigation measures")),
        StageField("cross_border", _("Cross-border impact, if any"), required=False),
    ),
    "progress": (
        StageField("status_update", _("Where the handling stands")),
        StageField("mitigation", _("Mitigation measures so far")),
    ),
}


def to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a moment needs its offset")
    return moment.astimezone(UTC)


def local(moment: datetime) -> datetime:
    """The moment on the clock of Europe/Amsterdam."""
    return to_utc(moment).astimezone(AMSTERDAM)


def after_hours(moment: datetime, hours: int) -> datetime:
    """Exact elapsed hours, counted in UTC."""
    return to_utc(moment) + timedelta(hours=hours)


def add_calendar_month(moment: datetime) -> datetime:
    """The same clock time one calendar month later in Europe/Amsterdam, as UTC.

    The day is clamped to the length of the next month (31 January gives the last day of
    February). See the module docstring for local times that do not exist or occur twice.
    """
    start = local(moment)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    day = min(start.day, calendar.monthrange(year, month)[1])
    wall = start.replace(year=year, month=month, day=day, fold=0, tzinfo=None)
    candidate = wall.replace(tzinfo=AMSTERDAM)
    # Round trip through UTC: a wall time inside the spring gap comes back an hour later.
    return candidate.astimezone(UTC)


def early_warning_due(aware_at: datetime) -> datetime:
    return after_hours(aware_at, EARLY_WARNING_HOURS)


def notification_due(aware_at: datetime) -> datetime:
    return after_hours(aware_at, NOTIFICATION_HOURS)


def final_report_due(
    *,
    notification_submitted_at: datetime | None,
    progress_submitted_at: datetime | None,
    handled_at: datetime | None,
) -> datetime | None:
    """One month after the notification; after a progress report, one month after the end of
    the handling; ``None`` while that moment is not yet known."""
    if notification_submitted_at is None:
        return None
    if progress_submitted_at is not None:
        return add_calendar_month(handled_at) if handled_at is not None else None
    return add_calendar_month(notification_submitted_at)


OPEN = "open"
SUBMITTED = "submitted"
OVERDUE = "overdue"
STATUS_LABELS = {OPEN: _("open"), SUBMITTED: _("submitted"), OVERDUE: _("overdue")}


def stage_status(*, due: datetime | None, submitted_at: datetime | None, now: datetime) -> str:
    if submitted_at is not None:
        return SUBMITTED
    if due is not None and to_utc(now) > to_utc(due):
        return OVERDUE
    return OPEN


def iso_amsterdam(moment: datetime | None) -> str | None:
    """ISO 8601 with the Europe/Amsterdam offset of that moment (``+01:00`` or ``+02:00``)."""
    if moment is None:
        return None
    return local(moment).isoformat()
