"""Field types the API's schemas share: numbers bounded by what the database holds, so an
out-of-range value is refused as invalid input (422) instead of failing in the SQL."""

from __future__ import annotations

from typing import Annotated

from ninja import Field

from vrisac.core.limits import MAX_ID

#: An object's id in a query or a body.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
