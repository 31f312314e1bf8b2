"""The API's paging: django-ninja's limit and offset, with an upper bound on the offset.

Without one, an offset past what the database's integers hold (``offset=10**30``) reached
the SQL and failed there (a server error); now it is refused as invalid input (422)."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.conf import settings
from ninja.pagination import LimitOffsetPagination

MAX_OFFSET = 1_000_000


class Paging(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(settings.PAGINATION_PER_PAGE, ge=1,
                           le=int(settings.PAGINATION_MAX_LIMIT)
                           if float("inf") != settings.PAGINATION_MAX_LIMIT else None)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
