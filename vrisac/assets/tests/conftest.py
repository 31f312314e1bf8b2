from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_outside_requests() -> Iterator[None]:
    """Services and commands run in English here, so the tests can read their sentences;
    pages and the API still answer in the language of the request (Dutch by default)."""
    with translation.override("en"):
        yield
