"""Self-assessment per quarter, improvement actions and the anonymous benchmark with its
minimum group."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vrisac.core.errors import DomainError, NotFound
from vrisac.core.testing import api_client, client_for
from vrisac.resilience import benchmark, services
from vrisac.resilience.models import Assessment, Score
from vrisac.resilience.periods import Period
from vrisac.sharing.policy import MIN_GROUP_SIZE, aggregate_allowed, group_count

KEYS = "abcdefghij"


def _assess(user: Any, period: Period, level: int, submit: bool = True) -> Assessment:
    record = services.assessment_get_or_start(acting_user=user, period=period)
    return services.assessment_save(assessment=record, acting_user=user, submit=submit,
                                    scores={k: (level, "") for k in KEYS})


@given(st.lists(st.integers(min_value=0, max_value=5), max_size=30))
def test_distribution_shows_median_and_quartiles_only_from_the_minimum_group(
        values: list[int]) -> None:
    dist = benchmark.distribution(values)
    assert dist.n == len(values)
    if len(values) < 6:  # more organisations than five (docs/resilience.md)
        assert (dist.median, dist.q1, dist.q3) == (None, None, None)
    else:
        assert dist.q1 is not None and dist.median is not None and dist.q3 is not None
        assert min(values) <= dist.q1 <= dist.median <= dist.q3 <= max(values)
    assert set(vars(dist)) == {"n", "median", "q1", "q3"}  # no minimum, no maximum


def test_the_minimum_group_is_one_constant_of_the_policy() -> None:
    assert MIN_GROUP_SIZE == 6
    assert [aggregate_allowed(n) for n in (0, 5, 6, 25)] == [False, False, True, True]
    assert [group_count(n) for n in (1, 5, 6, 9)] == [None, None, 6, 9]


def test_share_needs_six_answers() -> None:
    assert not benchmark.share(5, 5).shown
    assert benchmark.share(5, 6).share == 0.833


@pytest.mark.django_db
def test_benchmark_hidden_with_five_and_shown_with_six(six_regions: list[Any]) -> None:
    period = Period.current()
    levels = [1, 2, 3, 4, 5]
    for user, level in zip(six_regions[:5], levels, strict=True):
        _assess(user, period, level)
    # A seventh organisation keeps a draft: drafts never count.
    _assess(six_regions[6], period, 0, submit=False)
    client = api_client(six_regions[0], ["resilience:read"])
    rows = client.get(f"/api/v1/resilience/benchmark?period={period.key}").json()["rows"]
    assert all(r["distribution"]["median"] is None for r in rows)
    assert all(r["distribution"]["n"] == 5 for r in rows)
    assert rows[0]["own"] == 1
    page = client_for(six_regions[0]).get(f"/resilience/benchmark/?period={period.key}")
    html = page.content.decode()
    assert "<strong>" not in html.split('id="h-maturity"')[1].split('id="h-adoption"')[0]
    assert "Minder dan 6 organisaties" in html
    _assess(six_regions[5], period, 0)
    rows = client.get(f"/api/v1/resilience/benchmark?period={period.key}").json()["rows"]
    assert rows[0]["distribution"] == {"n": 6, "median": 2.5, "q1": 1.25, "q3": 3.75}
    html = client_for(six_regions[0]).get(
        f"/resilience/benchmark/?period={period.key}").content.decode()
    assert "<strong>2,5</strong>" in html or "<strong>2.5</strong>" in html
    assert "min" not in re.sub(r"<[^>]+>", " ", html).lower().split()


@pytest.mark.django_db
def test_scores_of_one_organisation_never_reach_another(people: dict[str, Any]) -> None:
    period = Period.current()
    _assess(people["utrecht"], period, 4)
    record = Assessment.objects.get()
    services.action_create(assessment=record, acting_user=people["utrecht"], measure_key="a",
                           title="Risicoanalyse bijwerken", owner="CISO")
    # The colleague in the second seat sees it; other organisations and roles do not.
    assert client_for(people["utrecht2"]).get(
        f"/resilience/assessment/{period.key}/").content.decode().count("Risicoanalyse") == 1
    for key in ("haaglanden", "partner", "observer", "admin"):
        html = client_for(people[key]).get(f"/resilience/assessment/{period.key}/")
        assert html.status_code in (200, 404)
        assert "Risicoanalyse" not in html.content.decode(), key
    for key in ("partner", "observer", "admin"):
        assert client_for(people[key]).get(
            f"/resilience/assessment/{period.key}/").status_code == 404
        assert client_for(people[key]).get("/resilience/history/").status_code == 404
    with pytest.raises(NotFound):
        services.assessment_save(assessment=record, acting_user=people["haaglanden"],
                                 scores={"a": (0, "")})
    with pytest.raises(NotFound):
        services.action_update(action=record.actions.get(), acting_user=people["haaglanden"],
                               state="done")


@pytest.mark.django_db
def test_a_new_quarter_starts_from_the_previous_answers(people: dict[str, Any]) -> None:
    user = people["utrecht"]
    previous = Period.current().previous()
    record = services.assessment_get_or_start(acting_user=user, period=previous)
    services.assessment_save(assessment=record, acting_user=user, submit=True,
                             scores={k: (2, f"bewijs {k}") for k in KEYS})
    current = services.assessment_get_or_start(acting_user=user, period=Period.current())
    assert current.state == "draft"
    assert sorted(current.scores.values_list("level", "evidence")) == sorted(
        (2, f"bewijs {k}") for k in KEYS)
    # History: both quarters, the earlier one unchanged.
    html = client_for(user).get("/resilience/history/").content.decode()
    assert previous.label in html and Period.current().label in html


@pytest.mark.django_db
def test_submission_needs_all_ten_and_bad_input_names_the_field(people: dict[str, Any]
                                                                ) -> None:
    user = people["utrecht"]
    record = services.assessment_get_or_start(acting_user=user, period=Period.current())
    with pytest.raises(DomainError) as err:
        services.assessment_save(assessment=record, acting_user=user, submit=True,
                                 scores={"a": (3, "")})
    assert err.value.field == "scores"
    record.refresh_from_db()
    assert record.state == "draft" and not Score.objects.exists()
    with pytest.raises(DomainError) as err:
        services.assessment_save(assessment=record, acting_user=user, scores={"b": (6, "")})
    assert err.value.field == "level_b"
    with pytest.raises(DomainError) as err:
        services.assessment_save(assessment=record, acting_user=user, scores={"z": (1, "")})
    with pytest.raises(DomainError) as err:
        services.assessment_save(assessment=record, acting_user=user,
                                 scores={"c": (1, "x" * 5001)})
    assert err.value.field == "evidence_c"
    with pytest.raises(DomainError):
        services.assessment_get_or_start(acting_user=user, period=Period.current().next())


@pytest.mark.django_db
def test_assessment_page_saves_and_submits(people: dict[str, Any]) -> None:
    user = people["haaglanden"]
    period = Period.current()
    data = {f"level_{k}": "3" for k in KEYS} | {f"evidence_{k}": "" for k in KEYS}
    client = client_for(user)
    answer = client.post(f"/resilience/assessment/{period.key}/", data | {"submit": "1"})
    assert answer.status_code == 302
    assert Assessment.objects.get().state == "submitted"
    data["level_a"] = "9"
    answer = client.post(f"/resilience/assessment/{period.key}/", data)
    assert answer.status_code == 200 and "errorlist" in answer.content.decode()
    assert Score.objects.get(measure__key="a").level == 3
    assert client.get("/resilience/assessment/2026-q9/").status_code == 404


@pytest.mark.django_db
def test_benchmark_page_query_budget(six_regions: list[Any],
                                     django_assert_max_num_queries: Any) -> None:
    for user in six_regions:
        _assess(user, Period.current(), 3)
    client = client_for(six_regions[0])
    with django_assert_max_num_queries(25):
        assert client.get("/resilience/benchmark/").status_code == 200
    chart = client.get(f"/resilience/benchmark/{Period.current().key}/chart.svg")
    assert chart["Content-Type"] == "image/svg+xml"
    assert b"<script" not in chart.content
