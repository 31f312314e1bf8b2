"""The strategic picture: aggregates for the owner observer (Veiligheidsberaad) and the ISAC
coordinators, and the quarterly report built from them.

Only counts, medians, quartiles and shares leave this module: never a report's title or
text, and never an organisation's name tied to an incident, a score or a warning. The counts
of reports cover everything shared on the platform, whatever its audience; that is the point
of a strategic picture, and a count says nothing about contents. Maturity follows the
sharing policy's minimum group (``vrisac.sharing.policy.MIN_GROUP_SIZE``).

The warnings figures come from the warnings app (``vrisac.alerts``):
:func:`warning_statistics` asks it, :func:`warnings_section` turns its answer into what the page
and the PDF show.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.utils.dates import MONTHS_3
from django.utils.translation import gettext as _

from vrisac.reports.models import Report
from vrisac.sharing.models import SHARED_STATUSES
from vrisac.sharing.policy import viewer_for

from . import benchmark, nis2
from .models import Nis2Incident
from .periods import Period, recent
from .selectors import adoption_by_measure, maturity_over_time, measure_list, respondents

MONTHS_SHOWN = 12
QUARTERS_SHOWN = 6



def require_aggregates(user: Any) -> None:
    """The strategic picture is for the owner observer, coordinators and administrators."""
    if not viewer_for(user).sees_aggregates:
        raise PermissionDenied


def months_until(period: Period, count: int = MONTHS_SHOWN) -> list[tuple[int, int]]:
    """The ``count`` calendar months ending with the last month of ``period``."""
    year, month = period.months()[-1]
    found = []
    for _i in range(count):
        found.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(found))


def month_label(year: int, month: int) -> str:
    return f"{MONTHS_3[month]} {str(year)[2:]}"


def _month_bounds(months: list[tuple[int, int]]) -> tuple[datetime, datetime]:
    first = datetime(months[0][0], months[0][1], 1, tzinfo=nis2.AMSTERDAM)
    last_year, last_month = months[-1]
    after = (last_year + 1, 1) if last_month == 12 else (last_year, last_month + 1)
    end = datetime(after[0], after[1], 1, tzinfo=nis2.AMSTERDAM)
    return first.astimezone(UTC), end.astimezone(UTC)


#: Seconds a month's report counts are reused: the picture is strategic (months, quarters),
#: and counting a year of reports costs about 0.1 s at 100,000 reports a year.
REPORT_COUNTS_SECONDS = 300


def reports_by_kind_and_month(months: list[tuple[int, int]]) -> dict[str, list[int]]:
    """kind -> the number of reports shared in each month (Europe/Amsterdam calendar).

    A count per month between plain timestamps (each a range of the (kind, published_at)
    index): truncating every row's time to its month in the Amsterdam zone ran a function per
    row, 1.2 s for 100,000 reports. Kept for ``REPORT_COUNTS_SECONDS`` in the shared cache."""
    (first_year, first_month), (last_year, last_month) = months[0], months[-1]
    key = (f"vrisac:strategic:reports:{first_year}-{first_month}:{last_year}-{last_month}:"
           f"{len(months)}")
    found = cache.get(key)
    if found is not None:
        return cast(dict[str, list[int]], found)
    series = {kind: [0] * len(months) for kind in Report.Kind.values}
    for i, month in enumerate(months):
        start, end = _month_bounds([month])
        for row in (Report.objects.filter(status__in=SHARED_STATUSES, published_at__gte=start,
                                          published_at__lt=end)
                    .values("kind").annotate(n=Count("pk")).order_by()):
            if row["kind"] in series:
                series[row["kind"]][i] = row["n"]
    cache.set(key, series, REPORT_COUNTS_SECONDS)
    return series


@dataclass(frozen=True)
class Nis2Figures:
    """Significant incidents whose awareness fell in a quarter, and how their stages went."""

    incidents: int
    on_time: int
    late: int
    overdue: int
    open: int


def nis2_figures(period: Period) -> Nis2Figures:
    from .selectors import stage_infos

    start, end = period.bounds()
    on_time = late = overdue = open_ = 0
    incidents = list(Nis2Incident.objects.filter(aware_at__gte=start, aware_at__lt=end)
                     .prefetch_related("stages"))
    for incident in incidents:
        for info in stage_infos(incident):
            if info.status == nis2.SUBMITTED:
                if info.due is not None and info.row.submitted_at and \
                        info.row.submitted_at > info.due:
                    late += 1
                else:
                    on_time += 1
            elif info.status == nis2.OVERDUE:
                overdue += 1
            else:
                open_ += 1
    return Nis2Figures(incidents=len(incidents), on_time=on_time, late=late, overdue=overdue,
                       open=open_)


# ---- warnings (figures from the warnings app) ----


def warning_statistics() -> dict[str, Any]:
    """The warnings app's aggregates (counts and durations only)."""
    from vrisac.alerts.selectors import warning_statistics as source

    return source()


PRIORITIES = ("kritiek", "hoog", "middel", "laag")


@dataclass(frozen=True)
class WarningsSection:
    """What the strategic picture and the quarterly report show of the warnings."""

    available: bool
    by_priority: list[tuple[str, int]] = field(default_factory=list)
    by_state: list[tuple[str, int]] = field(default_factory=list)
    open_kritiek: int | None = None
    median_seconds_to_acknowledge: float | None = None
    months: list[str] = field(default_factory=list)
    monthly: dict[str, list[int]] = field(default_factory=dict)

    @property
    def monthly_rows(self) -> list[tuple[str, list[int]]]:
        return [(month, [values[i] for values in self.monthly.values()])
                for i, month in enumerate(self.months)]

    @property
    def median_to_acknowledge(self) -> str:
        return duration_text(self.median_seconds_to_acknowledge)


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    return _("%(d).1f days") % {"d": hours / 24}


def _counts(value: Any) -> list[tuple[str, int]]:
    if not isinstance(value, Mapping):
        return []
    items = [(str(k), int(v)) for k, v in value.items() if isinstance(v, int | float)]
    order = {p: i for i, p in enumerate(PRIORITIES)}
    return sorted(items, key=lambda kv: (order.get(kv[0], 99), kv[0]))


def _month_key(value: Any) -> str:
    text = str(value)[:7]
    try:
        year, month = int(text[:4]), int(text[5:7])
        return month_label(year, month)
    except ValueError:
        return text


def warnings_section(stats: Mapping[str, Any] | None) -> WarningsSection:
    """Turn ``vrisac.alerts.selectors.warning_statistics()`` into the section shown.

    Only counts and durations are taken, so nothing that identifies a region reaches the
    page; states get their names in the reader's language, and each month shows its new
    warnings split into kritiek and the rest (so the bars add up to the month's total).
    """
    if not stats:
        return WarningsSection(available=False)
    from vrisac.alerts.models import Warning

    state_names = dict(Warning.Status.choices)
    by_state = [(str(state_names.get(key, key)), n)
                for key, n in _counts(stats.get("by_status"))]
    median = stats.get("median_seconds_to_acknowledge")
    open_kritiek = stats.get("open_kritiek")
    entries = [e for e in stats.get("monthly") or [] if isinstance(e, Mapping) and "month" in e]
    months = [_month_key(e["month"]) for e in entries]
    kritiek = [int(e.get("kritiek", 0)) for e in entries]
    others = [int(e.get("created", 0)) - k for e, k in zip(entries, kritiek, strict=True)]
    series = {"kritiek": kritiek, str(_("other priorities")): others} if entries else {}
    return WarningsSection(
        available=True,
        by_priority=_counts(stats.get("by_priority")),
        by_state=by_state,
        open_kritiek=int(open_kritiek) if isinstance(open_kritiek, int | float) else None,
        median_seconds_to_acknowledge=float(median) if isinstance(median, int | float)
        else None,
        months=months,
        monthly=series,
    )


# ---- the whole picture ----


@dataclass(frozen=True)
class StrategicPicture:
    period: Period
    months: list[str]
    reports: dict[str, list[int]]
    report_total: int
    quarters: list[Period]
    maturity: dict[str, list[benchmark.Distribution]]
    respondents: int
    current: list[tuple[Any, benchmark.Distribution]]
    adoption: list[tuple[Any, benchmark.Share]]
    nis2: Nis2Figures
    warnings: WarningsSection

    @property
    def kinds(self) -> list[tuple[str, str, list[int]]]:
        labels = dict(Report.Kind.choices)
        return [(k, str(labels[k]), v) for k, v in self.reports.items()]

    @property
    def maturity_rows(self) -> list[tuple[str, list[float | None]]]:
        return [(key, [d.median for d in values]) for key, values in sorted(
            self.maturity.items())]

    @property
    def median_of_medians(self) -> float | None:
        medians = [d.median for _m, d in self.current if d.median is not None]
        return round(statistics.median(medians), 2) if medians else None


def strategic_picture(period: Period, *, warnings: Mapping[str, Any] | None = None,
                      ask_warnings: bool = True) -> StrategicPicture:
    months = months_until(period)
    reports = reports_by_kind_and_month(months)
    quarters = recent(QUARTERS_SHOWN, until=period)
    maturity = maturity_over_time(quarters)
    measures = measure_list()
    current = [(m, maturity[m.key][-1]) for m in measures]
    if warnings is None and ask_warnings:
        warnings = warning_statistics()
    return StrategicPicture(
        period=period,
        months=[month_label(y, m) for y, m in months],
        reports=reports,
        report_total=sum(sum(v) for v in reports.values()),
        quarters=quarters,
        maturity=maturity,
        respondents=respondents(period),
        current=current,
        adoption=adoption_by_measure(),
        nis2=nis2_figures(period),
        warnings=warnings_section(warnings),
    )
