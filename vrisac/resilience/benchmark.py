"""The anonymous benchmark's arithmetic and its one rule.

A distribution is shown only when at least ``MIN_GROUP`` organisations answered; it consists
of the median and the two quartiles, never a minimum, a maximum or a count per level, so no
figure describes fewer than three organisations. Quartiles are interpolated between the
ordered answers (the "inclusive" method of :func:`statistics.quantiles`).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

#: Fewer organisations than this and nothing of the distribution is shown.
MIN_GROUP = 5


@dataclass(frozen=True)
class Distribution:
    """What may be shown of the answers of a group: its size and, from ``MIN_GROUP`` on, the
    median and the quartiles."""

    n: int
    median: float | None = None
    q1: float | None = None
    q3: float | None = None

    @property
    def shown(self) -> bool:
        return self.median is not None


def distribution(values: Iterable[float]) -> Distribution:
    ordered = sorted(float(v) for v in values)
    n = len(ordered)
    if n < MIN_GROUP:
        return Distribution(n=n)
    q1, median, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return Distribution(n=n, median=round(median, 2), q1=round(q1, 2), q3=round(q3, 2))


@dataclass(frozen=True)
class Share:
    """The share of a group that said yes, from ``MIN_GROUP`` answers on."""

    n: int
    share: float | None = None

    @property
    def shown(self) -> bool:
        return self.share is not None


def share(yes: int, answered: int) -> Share:
    if answered < MIN_GROUP:
        return Share(n=answered)
    return Share(n=answered, share=round(yes / answered, 3))
