"""Paging for every list page: Django's paginator, counting no further than it needs to.

A list page shows one page of rows and "page 3 of 40". Counting every row the person may see
costs a pass over all of them (100,000 reports, 1,000,000 indicators: the count was the
slowest query of the report and indicator lists). ``CappedPaginator`` counts at most ``cap``
rows (``SELECT COUNT(*) FROM (... LIMIT cap + 1)``); past that the pager says "page 3 of more
than 80" and the filters narrow the list. Pages beyond the cap are not offered: nobody reads
page 81 of a list that is newest first, and an offset that deep is a slow query too.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

#: Rows counted at most; with 25 to 50 rows a page that is 40 to 80 pages. Measured at
#: 1,000,000 indicators: PostgreSQL counts 2,001 of them through the policy's joins by index
#: (5 ms) but plans 5,001 or more as a hash of every report (60 ms); docs/benchmarks.md.
COUNT_CAP = 2_000


def capped_count(items: QuerySet[Any], cap: int = COUNT_CAP) -> int:
    """The number of rows, counting no further than ``cap + 1`` (keys only, no annotations):
    a result above ``cap`` means "more than cap"."""
    return int(items.order_by().values("pk")[: cap + 1].count())


class CappedPaginator(Paginator):
    def __init__(self, object_list: Any, per_page: int, cap: int = COUNT_CAP,
                 **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        items: Any = self.object_list
        if isinstance(items, QuerySet):
            return capped_count(items, self.cap)
        return len(items)

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        """More rows exist than were counted (the pager says "more than")."""
        return self._counted > self.cap


def page_of(request: HttpRequest, items: Any, per_page: int, *,
            cap: int = COUNT_CAP) -> Page:
    """The page the request asks for (``?page=``); out-of-range numbers give the nearest page."""
    return CappedPaginator(items, per_page, cap=cap).get_page(request.GET.get("page"))
