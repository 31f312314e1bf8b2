"""Limits on input that every face shares: how large an id can be, and dates and times read
without ever raising on a value out of the calendar.

A face that reads a number or a time from a request asks here, so that a value too large for
the database's integers (``99999999999999999999999``), a day that does not exist
(``2026-02-30``) or a time outside the years 1 to 9999 (``999999w`` before now) is the face's
own "bad input" answer, never a server error.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

#: The largest id (and count) the databases hold: a signed 64-bit integer.
MAX_ID = 2**63 - 1


def bounded_id(text: str | int | None) -> int | None:
    """``text`` as an id (1 to ``MAX_ID``), or None when it is not one."""
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, int):
        number = text
    elif isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= 19:
        number = int(text)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


def day_or_none(text: str | None) -> date | None:
    """A calendar day (``2026-01-31``), or None for anything else (``2026-02-30`` too)."""
    if not text:
        return None
    try:
        return parse_date(text.strip())
    except ValueError:
        return None


def moment_or_none(text: str | None) -> datetime | None:
    """A date and time (ISO 8601), or a day taken as its start, aware (the current time zone
    when it names none); None for anything else."""
    if not text:
        return None
    try:
        moment = parse_datetime(text.strip())
    except ValueError:
        return None
    if moment is None:
        day = day_or_none(text)
        if day is None:
            return None
        moment = datetime(day.year, day.month, day.day)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def shifted(moment: datetime, **delta: float) -> datetime | None:
    """``moment`` plus ``timedelta(**delta)``, or None when that leaves the years 1 to 9999."""
    try:
        return moment + timedelta(**delta)
    except OverflowError:
        return None


def from_epoch(seconds: float) -> datetime | None:
    """A POSIX timestamp as an aware UTC time, or None when it is not a time in years 1 to
    9999 (``nan``, ``1e309``)."""
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None
