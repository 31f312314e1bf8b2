"""Query-count budgets: events/index, restSearch and the feed cost the same number of
queries however many events and attributes they answer with."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from vrisac.core.testing import make_person, make_report

BUDGET = 8


@pytest.fixture
def setup(key_for: Any) -> tuple[Any, Client]:
    author = make_person("participant", "utrecht")
    client = Client(HTTP_AUTHORIZATION=key_for(author))
    client.get("/misp/servers/getVersion")  # the token's first use is audited once
    return author, client


def _add(author: Any, n: int, start: int) -> None:
    for i in range(start, start + n):
        make_report(author, title=f"Event {i}", audience="partners", tlp="TLP:GREEN",
                    tags=[f"tag{i % 3}"],
                    indicators=[{"type": "domain", "value": f"host{i}-qz.nl"},
                                {"type": "ipv4", "value": f"45.83.{i % 250}.{i % 200 + 1}"}])


CALLS = [
    ("get", "/misp/events/index", None),
    ("post", "/misp/events/restSearch", {"tags": {"OR": ["tlp:green", "tag1"]}}),
    ("post", "/misp/events/restSearch", {"type": "domain", "returnFormat": "csv"}),
    ("post", "/misp/attributes/restSearch", {"value": "45.83.1.2", "limit": 50}),
    ("post", "/misp/attributes/restSearch", {"category": "Network activity"}),
    ("post", "/misp/attributes/restSearch", {"returnFormat": "text", "to_ids": 1}),
    ("get", "/misp/feed/manifest.json", None),
]


def _count(client: Client, method: str, path: str, body: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        if method == "get":
            answer = client.get(path)
        else:
            answer = client.post(path, json.dumps(body), content_type="application/json")
    assert answer.status_code == 200, answer.content[:200]
    return len(queries)


def test_lists_and_searches_stay_within_budget(setup: tuple[Any, Client]) -> None:
    author, client = setup
    _add(author, 2, 0)
    few = [_count(client, *call) for call in CALLS]
    _add(author, 12, 2)
    many = [_count(client, *call) for call in CALLS]
    assert few == many, list(zip(CALLS, few, many, strict=True))
    assert max(many) <= BUDGET, list(zip(CALLS, many, strict=True))
