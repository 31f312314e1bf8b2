"""The coordinators' pages: add, edit, disable, pull now; nobody else finds them."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from vrisac.core.models import AuditEvent, Job
from vrisac.core.testing import client_for
from vrisac.interop.taxii_client.models import RemoteCollection
from vrisac.interop.taxii_client.services import remote_save

pytestmark = pytest.mark.django_db


def form(people: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data = {"name": "ncsc-nl", "title": "NCSC-NL dreigingsinformatie",
            # a loopback address, refused by the guarded client: no test reaches out
            "url": "https://127.0.0.1:9/taxii2/", "collection_id": "",
            "auth": "basic", "username": "vr-isac", "secret": "Zeer-Geheim-42",
            "import_as": people["partner"].pk, "tlp": "TLP:AMBER",
            "audience": "participants", "interval_minutes": "30", "enabled": "on"}
    data.update(extra)
    return data


def test_a_coordinator_adds_a_collection_and_the_secret_is_not_shown_again(
        people: dict[str, Any]) -> None:
    client = client_for(people["coordinator"])
    response = client.post(reverse("taxii_client:new"), form(people))
    remote = RemoteCollection.objects.get(name="ncsc-nl")
    assert response.status_code == 302 and response["Location"] == remote.get_absolute_url()
    assert (remote.auth, remote.username, remote.tlp, remote.interval_minutes) == (
        "basic", "vr-isac", "TLP:AMBER", 30)
    detail = client.get(remote.get_absolute_url()).content.decode()
    edit = client.get(reverse("taxii_client:edit", args=[remote.pk])).content.decode()
    for html in (detail, edit):
        assert "Zeer-Geheim-42" not in html and remote.secret not in html
    assert "NCSC-NL dreigingsinformatie" in detail and "Nu ophalen" in detail  # Dutch default
    assert 'value="vr-isac"' in edit
    event = AuditEvent.objects.get(action="taxii_client.remote.create")
    assert "Zeer-Geheim-42" not in str(event.details)


def test_editing_without_a_secret_keeps_it(people: dict[str, Any]) -> None:
    client = client_for(people["coordinator"])
    client.post(reverse("taxii_client:new"), form(people))
    remote = RemoteCollection.objects.get(name="ncsc-nl")
    sealed = remote.secret
    response = client.post(reverse("taxii_client:edit", args=[remote.pk]),
                           form(people, secret="", title="NCSC-NL", interval_minutes="120"))
    assert response.status_code == 302
    remote.refresh_from_db()
    assert (remote.title, remote.interval_minutes, remote.secret) == ("NCSC-NL", 120, sealed)


def test_bad_input_is_shown_on_the_form(people: dict[str, Any]) -> None:
    client = client_for(people["coordinator"])
    response = client.post(reverse("taxii_client:new"), form(people, secret=""))
    assert response.status_code == 200
    assert "Vul het wachtwoord of token in." in response.content.decode()
    response = client.post(reverse("taxii_client:new"), form(people, url="ftp://x.example/"))
    assert response.status_code == 200
    assert not RemoteCollection.objects.exists()


def test_pull_now_queues_a_job_and_disable_stops_the_schedule(people: dict[str, Any]) -> None:
    client = client_for(people["coordinator"])
    client.post(reverse("taxii_client:new"), form(people))
    remote = RemoteCollection.objects.get(name="ncsc-nl")
    assert client.get(reverse("taxii_client:pull", args=[remote.pk])).status_code == 405
    response = client.post(reverse("taxii_client:pull", args=[remote.pk]))
    assert response.status_code == 302
    job = Job.objects.get(name="taxii_client.pull")
    assert job.arguments == {"remote": remote.pk}
    assert job.triggered_by_id == people["coordinator"].pk
    assert job.state == "queued"  # sent to the worker when the request's transaction commits
    client.post(reverse("taxii_client:toggle", args=[remote.pk]))
    remote.refresh_from_db()
    assert remote.enabled is False
    assert "niet ingepland" in client.get(remote.get_absolute_url()).content.decode()
    assert AuditEvent.objects.filter(action="taxii_client.remote.disable").count() == 1


@pytest.mark.parametrize("role", ["utrecht", "partner", "observer", "admin"])
def test_nobody_but_coordinators_finds_the_pages(people: dict[str, Any], role: str) -> None:
    remote = remote_save(acting_user=people["coordinator"], name="p", title="P",
                         url="https://taxii.example.org/taxii2/",
                         import_as=people["partner"])
    client = client_for(people[role])
    for name, args in (("list", []), ("new", []), ("detail", [remote.pk]),
                       ("edit", [remote.pk])):
        assert client.get(reverse(f"taxii_client:{name}", args=args)).status_code == 404
    for name in ("pull", "toggle"):
        assert client.post(reverse(f"taxii_client:{name}", args=[remote.pk])).status_code == 404
    assert client.post(reverse("taxii_client:new"),
                       form(people, name="sneaky")).status_code == 404
    assert not Job.objects.exists()
    assert not RemoteCollection.objects.filter(name="sneaky").exists()


def test_the_list_page_stays_within_its_query_budget(people: dict[str, Any],
                                                     django_assert_max_num_queries: Any) -> None:
    for n in range(12):
        remote_save(acting_user=people["coordinator"], name=f"partner-{n}", title=f"Partner {n}",
                    url=f"https://taxii{n}.example.org/taxii2/",
                    import_as=people["partner" if n % 2 else "utrecht"])
    client = client_for(people["coordinator"])
    client.get(reverse("taxii_client:list"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("taxii_client:list"))
    html = response.content.decode()
    assert response.status_code == 200 and "Partner 11" in html and "partner-0" in html
    english = client_for(people["coordinator"])
    english.cookies["vrisac_language"] = "en"
    assert "Remote TAXII collections" in english.get(reverse("taxii_client:list")
                                                     ).content.decode()
