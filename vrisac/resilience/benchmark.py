"""The anonymous benchmark's arithmetic under the sharing policy's minimum group.

A distribution is shown only when the policy allows an aggregate of that many organisations
(``vrisac.sharing.policy.MIN_GROUP_SIZE``, more than five); it consists of the median and the
two quartiles, never a minimum, a maximum or a count per level. Quartiles are interpolated
between the ordered answers (the "inclusive" method of :func:`statistics.quantiles`).

The rule is necessary, not sufficient: whoever can change one of the answers and look again
learns the others' (docs/resilience.md). That is why submitted scores are frozen and a
correction counts only once a coordinator accepts it (``services.correction_decide``).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from vrisac.sharing.policy import aggregate_allowed


@dataclass(frozen=True)
class Distribution:
    """What may be shown of the answers of a group: its size and, from the minimum group on,
    the median and the quartiles."""

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
    if not aggregate_allowed(n):
        return Distribution(n=n)
    q1, median, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return Distribution(n=n, median=round(median, 2), q1=round(q1, 2), q3=round(q3, 2))


@dataclass(frozen=True)
class Share:
    """The share of a group that said yes, from the minimum group on."""

    n: int
    share: float | None = None

    @property
    def shown(self) -> bool:
        return self.share is not None


def share(yes: int, answered: int) -> Share:
    if not aggregate_allowed(answered):
        return Share(n=answered)
    return Share(n=answered, share=round(yes / answered, 3))
