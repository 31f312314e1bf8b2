"""The API's rate limit (ASVS V4.1): each token has its own budget per minute; past it the
answer is 429 with Retry-After, and another token is not held back."""

from __future__ import annotations

import pytest

from vrisac.api.main import API_THROTTLE, api
from vrisac.core.testing import api_client, make_person


@pytest.mark.django_db
def test_a_token_past_its_rate_gets_429_and_others_do_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert api.throttle == [API_THROTTLE]
    assert (API_THROTTLE.num_requests, API_THROTTLE.duration) == (1200, 60)  # as configured
    monkeypatch.setattr(API_THROTTLE, "num_requests", 3)
    busy = api_client(make_person("participant", "utrecht"))
    calm = api_client(make_person("participant", "haaglanden"))

    answers = [busy.get("/api/v1/reports?limit=1") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert calm.get("/api/v1/reports?limit=1").status_code == 200


@pytest.mark.django_db
def test_the_rate_limit_is_counted_in_the_counters_cache_not_the_default_one() -> None:
    """Every API call writes its token's history; it goes to the ``counters`` cache (files or
    Redis), not to the default cache (the database's table without Redis)."""
    from django.core.cache import cache, caches

    client = api_client(make_person("participant", "utrecht"))
    assert client.get("/api/v1/reports?limit=1").status_code == 200
    key = API_THROTTLE.key
    assert key and len(caches["counters"].get(key, [])) == 1
    assert cache.get(key) is None
