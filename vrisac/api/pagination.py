"""The API's paging: django-ninja's limit and offset, with an upper bound on the offset, and
``Mapped``, a queryset the paginator cuts and counts before its rows are turned into answers.

Without the bound, an offset past what the database's integers hold (``offset=10**30``)
reached the SQL and failed there (a server error); now it is refused as invalid input (422).
``count`` is counted up to ``COUNT_CAP`` (2,000): "2,000" means "2,000 or more"; counting
every visible row cost 30 ms per call at 100,000 reports, for a number no client pages to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ninja import Field, Schema
from ninja.conf import settings
from ninja.pagination import LimitOffsetPagination

from vrisac.core.paging import COUNT_CAP, capped_count

MAX_OFFSET = 1_000_000


#: The most rows one page holds.
MAX_LIMIT = 1000


class Paging(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(settings.PAGINATION_PER_PAGE, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


class Mapped:
    """``qs`` as the paginator sees it: sliced and counted in the database, the rows of the
    page then turned into answers by ``to_answers`` (the whole page at once, so an answer
    that needs more rows reads them in one query per page, not per row). ``Mapped.each``
    for answers made row by row."""

    def __init__(self, qs: Any, to_answers: Callable[[list[Any]], list[Any]]) -> None:
        self.qs = qs
        self.to_answers = to_answers

    @classmethod
    def each(cls, qs: Any, to_answer: Callable[[Any], Any]) -> Mapped:
        return cls(qs, lambda rows: [to_answer(row) for row in rows])

    def __getitem__(self, item: slice) -> list[Any]:
        return self.to_answers(list(self.qs[item]))

    def count(self) -> int:
        return min(capped_count(self.qs, COUNT_CAP), COUNT_CAP)

    def __len__(self) -> int:
        return self.count()
