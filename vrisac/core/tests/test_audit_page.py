from __future__ import annotations

from typing import Any

import pytest

from vrisac.core.audit import audit_record
from vrisac.core.testing import client_for, make_person, make_report


@pytest.mark.django_db
def test_coordinators_and_admins_read_the_audit_log_filtered(
    django_assert_max_num_queries: Any,
) -> None:
    coordinator = make_person("coordinator", "nipv")
    admin = make_person("admin", "veiligheidsberaad")
    author = make_person("participant", "utrecht")
    other = make_person("participant", "haaglanden")
    for n in range(30):
        make_report(author if n % 2 else other, title=f"r{n}")
    audit_record(action="login", actor=author)
    web = client_for(coordinator)
    web.get("/audit/")
    with django_assert_max_num_queries(14):
        page = web.get("/audit/")
    assert page.status_code == 200
    by_person = web.get(f"/audit/?person={author.pk}").context["rows"]
    assert by_person and all(row[0].actor_id == author.pk for row in by_person)
    by_action = web.get("/audit/?action=login").context["rows"]
    assert by_action and all(row[0].action == "login" for row in by_action)
    by_org = web.get(f"/audit/?organisation={other.memberships.get().organisation_id}")
    assert all(row[0].organisation_id == other.memberships.get().organisation_id
               for row in by_org.context["rows"])
    empty = web.get("/audit/?since=2999-01-01").context["rows"]
    assert empty == []
    assert client_for(admin).get("/audit/").status_code == 200
    for person in (author, make_person("observer", "veiligheidsberaad"),
                   make_person("partner", "ncsc")):
        assert client_for(person).get("/audit/").status_code == 404
