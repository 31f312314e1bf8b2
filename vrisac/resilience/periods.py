"""Quarters: the periods of the self-assessment and of the quarterly report."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.utils import timezone
from django.utils.translation import gettext as _

from .nis2 import AMSTERDAM

_KEY = re.compile(r"^(\d{4})-[qQ]([1-4])$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar quarter on the calendar of Europe/Amsterdam."""

    year: int
    quarter: int

    @classmethod
    def parse(cls, key: str) -> Period:
        """``2026-q1`` (or ``2026-Q1``); ``ValueError`` otherwise."""
        match = _KEY.match((key or "").strip())
        if not match:
            raise ValueError(f"{key!r} is not a quarter such as 2026-q1")
        year = int(match.group(1))
        if not 2000 <= year <= 2100:
            raise ValueError(f"{key!r} is outside the years 2000 to 2100")
        return cls(year, int(match.group(2)))

    @classmethod
    def containing(cls, moment: datetime | date) -> Period:
        day = moment.astimezone(AMSTERDAM).date() if isinstance(moment, datetime) else moment
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def current(cls) -> Period:
        return cls.containing(timezone.now())

    @property
    def key(self) -> str:
        return f"{self.year}-q{self.quarter}"

    @property
    def label(self) -> str:
        return _("Q%(quarter)d %(year)d") % {"quarter": self.quarter, "year": self.year}

    def previous(self) -> Period:
        return Period(self.year - 1, 4) if self.quarter == 1 else Period(self.year,
                                                                         self.quarter - 1)

    def next(self) -> Period:
        return Period(self.year + 1, 1) if self.quarter == 4 else Period(self.year,
                                                                         self.quarter + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.quarter - 2, 1)

    def months(self) -> list[tuple[int, int]]:
        return [(self.year, 3 * self.quarter - 2 + i) for i in range(3)]

    def bounds(self) -> tuple[datetime, datetime]:
        """Start (inclusive) and end (exclusive) as UTC moments."""
        start = datetime.combine(self.first_day, time.min, tzinfo=AMSTERDAM)
        end = datetime.combine(self.next().first_day, time.min, tzinfo=AMSTERDAM)
        return start.astimezone(UTC), end.astimezone(UTC)


def recent(count: int, *, until: Period | None = None) -> list[Period]:
    """The last ``count`` quarters up to and including ``until`` (default: now), oldest first."""
    period = until or Period.current()
    found = [period]
    while len(found) < count:
        found.append(found[-1].previous())
    return list(reversed(found))
