"""List pages count at most a cap of rows; past it the pager says "more than"."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from vrisac.core import paging
from vrisac.core.paging import CappedPaginator, page_of
from vrisac.core.testing import client_for, make_person, make_report
from vrisac.reports.models import Report


@pytest.mark.django_db
def test_the_count_stops_at_the_cap_and_says_so(
    django_assert_max_num_queries: Any,
) -> None:
    author = make_person("participant", "utrecht")
    for n in range(7):
        make_report(author, title=f"r{n}")
    qs = Report.objects.visible_to(author).order_by("-published_at")

    capped = CappedPaginator(qs, 2, cap=5)
    assert (capped.count, capped.num_pages, capped.capped) == (5, 3, True)
    exact = CappedPaginator(qs, 2, cap=7)
    assert (exact.count, exact.num_pages, exact.capped) == (7, 4, False)
    # Lists (search hits) are counted whole.
    assert CappedPaginator(list(range(9)), 2, cap=5).capped is True
    # Rows up to the cap are paged; asking past the last page gives the last page.
    request = RequestFactory().get("/", {"page": "99"})
    page = page_of(request, qs, 2, cap=5)
    assert page.number == 3 and len(page.object_list) == 1 and not page.has_next()
    with django_assert_max_num_queries(1):
        CappedPaginator(qs, 2, cap=5).count  # noqa: B018 (a property that queries)


@pytest.mark.django_db
def test_a_list_page_past_the_cap_says_more_than(monkeypatch: pytest.MonkeyPatch) -> None:
    author = make_person("participant", "utrecht")
    reader = make_person("participant", "haaglanden")
    for n in range(6):
        make_report(author, title=f"r{n}")
    web = client_for(reader)
    whole = web.get("/reports/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "van meer dan" not in whole and "verfijn" not in whole.lower()

    monkeypatch.setattr(paging.page_of, "__kwdefaults__", {"cap": 4})
    capped = web.get("/reports/").content.decode()
    assert "Pagina 1 van meer dan 1" in capped
    assert "verfijn de lijst met de filters" in capped.lower()


@pytest.mark.django_db
def test_api_lists_count_up_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    from vrisac.api import pagination
    from vrisac.core.testing import api_client

    author = make_person("participant", "utrecht")
    for n in range(5):
        make_report(author, title=f"r{n}")
    api = api_client(make_person("participant", "haaglanden"))
    assert api.get("/api/v1/reports?limit=2").json()["count"] == 5
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    body = api.get("/api/v1/reports?limit=2&offset=2").json()
    assert body["count"] == 3 and len(body["items"]) == 2
    # Paging on past the cap still reaches every report.
    assert len(api.get("/api/v1/reports?limit=2&offset=4").json()["items"]) == 1
