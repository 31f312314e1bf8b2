"""``Answer``: the base of API answers the endpoints build as plain dicts.

django-ninja's ``Schema`` reads its input through a wrapper that allows attribute access on
model objects, once per nested object and field. The answers below are built from dicts
already (the views decide what a caller may see field by field), so they need none of that:
``Answer`` is a plain pydantic model, validated by pydantic-core alone. A page of 20 reports
with their indicators went from about 20 ms of validation to about 2 ms (see
docs/benchmarks.md, "What reading costs")."""

from __future__ import annotations

from pydantic import BaseModel


class Answer(BaseModel):
    """An API answer built from a dict (not from a model object)."""
