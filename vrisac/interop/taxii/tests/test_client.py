"""The TAXII 2.1 server driven by taxii2-client 2.3.0 over a running server: discovery,
collections, posting with status polling, paging, single objects, versions, the manifest
and deletion; and what each person receives."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from requests import HTTPError
from taxii2client.exceptions import AccessError, TAXIIServiceException
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from vrisac.core.testing import make_report
from vrisac.interop.taxii.collections import collection_id
from vrisac.reports.services import report_retract

from .conftest import Bearer, indicator, raw_token


def _collection(live_server: Any, key: str, user: Any, token: str) -> Collection:
    url = f"{live_server.url}/taxii2/api/collections/{collection_id(key)}/"
    return Collection(url, user=user.email, password=token)


@pytest.mark.django_db(transaction=True)
def test_a_participant_posts_pages_and_deletes_with_taxii2_client(
        live_server: Any, people: Any) -> None:
    user = people["utrecht"]
    token = raw_token(user)
    server = Server(f"{live_server.url}/taxii2/", user=user.email, password=token)
    assert server.title == "VR-ISAC TAXII 2.1"
    root = server.default
    assert isinstance(root, ApiRoot) and root.versions == [
        "application/taxii+json;version=2.1"]
    assert [c.id for c in root.collections] == [
        str(collection_id(key)) for key in ("participants", "partners", "organisation:utrecht")]
    collection = _collection(live_server, "participants", user, token)
    assert collection.can_read and collection.can_write
    assert "TLP:AMBER" in collection.description  # the default label of unmarked objects

    posted = [indicator(n) for n in range(25)]
    twin = {**copy.deepcopy(posted[0]), "id": "indicator--0f0f0f0f-1111-4222-8333-444455556666"}
    posted.append(twin)  # the same pattern under another id: another object
    status = collection.add_objects({"objects": posted[:13]}, poll_interval=0.1)
    assert status.status == "complete" and status.success_count == 13
    status = collection.add_objects({"objects": posted[13:]}, poll_interval=0.1)
    assert status.total_count == 13 and status.failure_count == 0
    assert {s["id"] for s in status.successes} == {o["id"] for o in posted[13:]}

    received: list[dict[str, Any]] = []
    pages = 0
    for envelope in as_pages(collection.get_objects, per_request=10):
        pages += 1
        received.extend(envelope.get("objects", []))
    assert pages == 3
    assert received == posted  # exactly as posted, in the order they were added

    one = collection.get_object(posted[3]["id"])
    assert one["objects"] == [posted[3]]
    newer = {**posted[3], "modified": "2026-02-01T00:00:00.000Z", "name": "renamed"}
    collection.add_objects({"objects": [newer]}, poll_interval=0.1)
    versions = collection.object_versions(posted[3]["id"])
    assert versions["versions"] == ["2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"]
    assert collection.get_object(posted[3]["id"])["objects"] == [newer]
    assert collection.get_object(posted[3]["id"], version="first")["objects"] == [posted[3]]
    manifest = collection.get_manifest(id=posted[5]["id"])["objects"]
    assert [(m["id"], m["version"], m["media_type"]) for m in manifest] == [
        (posted[5]["id"], "2026-01-01T00:00:00.000Z", "application/stix+json;version=2.1")]

    collection.delete_object(posted[5]["id"])
    with pytest.raises(HTTPError, match="404"):
        collection.get_object(posted[5]["id"])

    # A colleague of another region reads the object but may not delete it.
    other = people["haaglanden"]
    other_token = raw_token(other)
    theirs = _collection(live_server, "participants", other, other_token)
    assert theirs.get_object(posted[6]["id"])["objects"] == [posted[6]]
    with pytest.raises(HTTPError, match="403"):
        theirs.delete_object(posted[6]["id"])
    assert theirs.get_object(posted[6]["id"])["objects"] == [posted[6]]
    # ...and sees nothing of Utrecht's own collection, not even that it exists.
    own = _collection(live_server, "organisation:utrecht", user, token)
    own.add_objects({"objects": [indicator(900)]}, poll_interval=0.1)
    stranger = Collection(own.url, user=other.email, password=other_token)
    with pytest.raises((AccessError, TAXIIServiceException, HTTPError)):
        stranger.get_objects()
    assert str(collection_id("organisation:utrecht")) not in {
        c.id for c in Server(f"{live_server.url}/taxii2/", user=other.email,
                             password=other_token).default.collections}


@pytest.mark.django_db(transaction=True)
def test_a_partner_receives_exactly_what_the_policy_allows(live_server: Any, people: Any
                                                           ) -> None:
    author = people["utrecht"]
    for_partners = make_report(author, audience="partners", tlp="TLP:GREEN",
                               indicators=[{"type": "domain", "value": "partner.example"}])
    make_report(author, audience="participants", tlp="TLP:AMBER",
                indicators=[{"type": "domain", "value": "participants.example"}])
    make_report(author, audience="organisation", tlp="TLP:AMBER",
                indicators=[{"type": "domain", "value": "utrecht.example"}])
    make_report(author, audience="organisations", tlp="TLP:AMBER",
                audience_organisations=[people["haaglanden"].memberships.first().organisation],
                indicators=[{"type": "domain", "value": "named.example"}])
    partner = people["partner"]
    token = raw_token(partner, ["taxii:read"])
    server = Server(f"{live_server.url}/taxii2/", auth=Bearer(token))
    keys = {c.id for c in server.default.collections}
    assert keys == {str(collection_id("partners")), str(collection_id("organisation:ncsc"))}
    partners = Collection(f"{live_server.url}/taxii2/api/collections/"
                          f"{collection_id('partners')}/", auth=Bearer(token))
    everything = [o for page in as_pages(partners.get_objects, per_request=50)
                  for o in page.get("objects", [])]
    text = repr(everything)
    assert "partner.example" in text
    for hidden in ("participants.example", "utrecht.example", "named.example"):
        assert hidden not in text
    reports = [o for o in everything if o["type"] == "report"]
    assert [r["id"] for r in reports] == [f"report--{for_partners.uuid}"]
    with pytest.raises(AccessError):  # read-only token
        partners.add_objects({"objects": [indicator(1)]})
    participants = Collection(f"{live_server.url}/taxii2/api/collections/"
                              f"{collection_id('participants')}/", auth=Bearer(token))
    with pytest.raises((AccessError, TAXIIServiceException, HTTPError)):
        participants.get_objects()


@pytest.mark.django_db(transaction=True)
def test_a_retracted_report_goes_out_revoked(live_server: Any, people: Any) -> None:
    author = people["utrecht"]
    report = make_report(author, audience="participants",
                         indicators=[{"type": "url", "value": "http://bad.example/x"}])
    token = raw_token(people["haaglanden"], ["taxii:read"])
    collection = _collection(live_server, "participants", people["haaglanden"], token)
    before = {o["id"]: o for o in collection.get_objects()["objects"]}
    stix_id = f"report--{report.uuid}"
    assert before[stix_id].get("revoked") is None
    report_retract(report=report, acting_user=author, reason="wrong")
    latest = {o["id"]: o for o in collection.get_objects()["objects"]}
    assert latest[stix_id]["revoked"] is True
    indicators = [o for o in latest.values() if o["type"] == "indicator"]
    assert indicators and all(o["revoked"] is True for o in indicators)
    assert len(collection.object_versions(stix_id)["versions"]) == 2
