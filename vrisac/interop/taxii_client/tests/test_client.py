"""The TAXII side of a pull: finding the collection, paging with ``next`` against a live
medallion, and bad answers that fail the pull clearly and write nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from django.utils import translation

from vrisac.core.errors import DomainError, NotAllowed
from vrisac.core.models import AuditEvent
from vrisac.interop.taxii_client import client, services, testing
from vrisac.interop.taxii_client.models import RemoteCollection
from vrisac.interop.taxii_client.services import remote_pull, remote_save

from .conftest import StubServer, indicator, post_objects

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The messages are matched in English (the Dutch ones are checked in test_views)."""
    with translation.override("en"):
        yield

CREDENTIALS = client.Credentials("basic", testing.USER, testing.PASSWORD)
TAXII = "application/taxii+json;version=2.1"
COLLECTION = "/api1/collections/abc/objects/"


def remote_for(people: dict[str, Any], url: str, **extra: Any) -> RemoteCollection:
    fields: dict[str, Any] = {"name": "partner", "title": "Partner", "url": url,
                              "import_as": people["partner"]}
    fields.update(extra)
    return remote_save(acting_user=people["coordinator"], **fields)


@pytest.mark.parametrize("address", ["discovery_url", "api_root_url", "collection_url"])
def test_any_taxii_address_leads_to_the_collections_objects(medallion: testing.Medallion,
                                                            address: str) -> None:
    url = client.objects_url(getattr(medallion, address), "", CREDENTIALS)
    assert url == f"{medallion.collection_url}objects/"


def test_a_named_collection_that_the_server_lacks_is_refused(
        medallion: testing.Medallion) -> None:
    with pytest.raises(client.TaxiiError, match="no collection nope that can be read"):
        client.objects_url(medallion.discovery_url, "nope", CREDENTIALS)


def test_wrong_credentials_are_a_clear_error(medallion: testing.Medallion) -> None:
    wrong = client.Credentials("basic", testing.USER, "not-the-password")
    with pytest.raises(DomainError, match="HTTP 401"):
        client.objects_url(medallion.discovery_url, "", wrong)


def test_pages_follow_next_until_the_end(medallion: testing.Medallion) -> None:
    sent = [indicator(f"198.51.100.{n}") for n in range(25)]
    post_objects(medallion, sent)
    url = f"{medallion.collection_url}objects/"
    got = list(client.pages(url, credentials=CREDENTIALS, limit=10))
    assert [len(p.objects) for p in got] == [10, 10, 5]
    assert [p.more for p in got] == [True, True, False]
    assert {o["id"] for p in got for o in p.objects} == {o["id"] for o in sent}
    watermark = got[-1].added_last
    assert watermark
    assert [len(p.objects) for p in client.pages(url, credentials=CREDENTIALS,
                                                 added_after=watermark)] == [0]


# --- bad answers: a failed status, a clear message, nothing written -------------------------

def _answer(stub: StubServer, status: int, media: str, body: bytes) -> None:
    stub.answers[COLLECTION] = (status, media, body)


def _fails(people: dict[str, Any], stub: StubServer, match: str) -> RemoteCollection:
    remote = (RemoteCollection.objects.filter(name="partner").first()
              or remote_for(people, f"{stub.url}/api1/collections/abc/"))
    before = AuditEvent.objects.count()
    with pytest.raises(DomainError, match=match):
        remote_pull(remote=remote)
    remote.refresh_from_db()
    assert remote.last_status == RemoteCollection.PullStatus.FAILED
    assert remote.last_message
    assert remote.added_after == ""
    assert (remote.last_created, remote.last_updated) == (0, 0)
    event = AuditEvent.objects.order_by("-seq").first()
    assert AuditEvent.objects.count() == before + 1
    assert event is not None and event.action == "taxii_client.remote.pull"
    assert event.result == "failure"
    return remote


def test_an_html_page_is_not_an_envelope(people: dict[str, Any], stub: StubServer) -> None:
    _answer(stub, 200, "text/html", b"<html><body>Please log in</body></html>")
    remote = _fails(people, stub, "answered text/html, not TAXII JSON")
    assert stub.url in remote.last_message


def test_a_server_error_fails_the_pull(people: dict[str, Any], stub: StubServer) -> None:
    _answer(stub, 500, TAXII, b'{"title": "InternalError"}')
    _fails(people, stub, "answered HTTP 500")


def test_a_huge_body_is_cut_off(people: dict[str, Any], stub: StubServer,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "MAX_PAGE_BYTES", 50_000)
    body = orjson.dumps({"objects": [indicator(f"203.0.113.{n % 250}")
                                     for n in range(200)]})
    assert len(body) > 50_000
    _answer(stub, 200, TAXII, body)
    _fails(people, stub, "larger than the limit of 50000 bytes")


def test_invalid_stix_names_the_object(people: dict[str, Any], stub: StubServer) -> None:
    good = indicator("203.0.113.5")
    bad = {**indicator("203.0.113.6"), "id": "indicator--not-a-uuid"}
    _answer(stub, 200, TAXII, orjson.dumps({"objects": [good, bad]}))
    remote = _fails(people, stub, "objects\\[1\\]: the id indicator--not-a-uuid")
    assert "objects[1]" in remote.last_message


def test_a_bad_timestamp_is_invalid_stix(people: dict[str, Any], stub: StubServer) -> None:
    _answer(stub, 200, TAXII, orjson.dumps({"objects": [
        indicator("203.0.113.7", modified="yesterday")]}))
    _fails(people, stub, "modified is not a STIX timestamp")


def test_not_json_and_not_an_envelope(people: dict[str, Any], stub: StubServer) -> None:
    _answer(stub, 200, TAXII, b'{"objects": [')
    _fails(people, stub, "not valid JSON")
    _answer(stub, 200, TAXII, b'{"objects": {"type": "indicator"}}')
    _fails(people, stub, "objects is not a list")


def test_a_bad_second_page_fails_the_whole_pull(people: dict[str, Any], stub: StubServer,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing of the first page is imported when a later page is bad."""
    called: list[int] = []
    monkeypatch.setattr(services, "import_objects",
                        lambda **kw: called.append(1))  # must never be reached
    pages = iter([
        (200, TAXII, orjson.dumps({"more": True, "next": "2",
                                   "objects": [indicator("203.0.113.8")]})),
        (200, "text/html", b"<html>session expired</html>"),
    ])

    def answers(path: str, default: Any) -> tuple[int, str, bytes]:
        return next(pages)

    monkeypatch.setattr(stub, "answers", type("A", (), {"get": staticmethod(answers)})())
    remote = remote_for(people, f"{stub.url}/api1/collections/abc/")
    with pytest.raises(DomainError, match="not TAXII JSON"):
        remote_pull(remote=remote)
    assert called == []
    assert "next=2" in stub.requests[-1][0]


def test_a_server_that_pages_forever_is_stopped(stub: StubServer) -> None:
    _answer(stub, 200, TAXII, orjson.dumps({"more": True, "objects": []}))
    with pytest.raises(client.TaxiiError, match="no way to the next page"):
        list(client.pages(f"{stub.url}{COLLECTION}", credentials=CREDENTIALS))


def test_private_addresses_need_the_operators_consent(people: dict[str, Any],
                                                      settings: Any) -> None:
    settings.VRISAC_FETCH_ALLOW_PRIVATE = False
    remote = remote_for(people, "http://127.0.0.1:9/taxii2/")
    with pytest.raises(DomainError, match="not a public address"):
        remote_pull(remote=remote)


# --- credentials ----------------------------------------------------------------------------

def test_the_secret_is_stored_sealed_and_sent_only_to_the_server(
        people: dict[str, Any], stub: StubServer) -> None:
    _answer(stub, 200, TAXII, b"{}")
    remote = remote_for(people, f"{stub.url}/api1/collections/abc/", auth="token",
                        secret="s3cr3t-token-value")
    stored = RemoteCollection.objects.values_list("secret", flat=True).get(pk=remote.pk)
    assert "s3cr3t" not in stored and stored.startswith("v1:")
    result = remote_pull(remote=remote)
    assert result.status == RemoteCollection.PullStatus.UNCHANGED
    assert stub.requests[-1][1]["Authorization"] == "Bearer s3cr3t-token-value"
    details = [str(e.details) for e in AuditEvent.objects.all()]
    assert details and not any("s3cr3t" in d for d in details)
    assert "s3cr3t" not in repr(services.credentials_for(remote))


def test_an_empty_secret_keeps_the_stored_one(people: dict[str, Any]) -> None:
    remote = remote_for(people, "https://taxii.example.org/taxii2/", auth="basic",
                        username="isac", secret="first")
    sealed = remote.secret
    remote_for(people, "https://taxii.example.org/taxii2/", auth="basic", username="isac",
               secret="", remote=remote)
    remote.refresh_from_db()
    assert remote.secret == sealed
    assert services.credentials_for(remote).secret == "first"
    with pytest.raises(DomainError, match="Give the password or token"):
        remote_for(people, "https://taxii.example.org/taxii2/", auth="token", secret="",
                   remote=remote)


def test_only_coordinators_configure(people: dict[str, Any]) -> None:
    for role in ("utrecht", "partner", "admin", "observer"):
        with pytest.raises(NotAllowed):
            remote_save(acting_user=people[role], name="x", title="x",
                        url="https://taxii.example.org/taxii2/",
                        import_as=people["partner"])


def test_moving_to_another_server_resets_the_watermark(people: dict[str, Any]) -> None:
    remote = remote_for(people, "https://taxii.example.org/taxii2/")
    RemoteCollection.objects.filter(pk=remote.pk).update(
        added_after="2026-01-01T00:00:00.000000Z", objects_url="https://taxii.example.org/x/")
    remote.refresh_from_db()
    remote_for(people, "https://taxii.example.org/taxii2/", remote=remote, title="Renamed")
    remote.refresh_from_db()
    assert remote.added_after == "2026-01-01T00:00:00.000000Z"
    remote_for(people, "https://other.example.org/taxii2/", remote=remote)
    remote.refresh_from_db()
    assert (remote.added_after, remote.objects_url) == ("", "")


def test_what_the_stix_importer_refuses_writes_nothing(people: dict[str, Any],
                                                       stub: StubServer) -> None:
    """An object that passes the envelope checks but not the importer's (an unknown
    marking) fails the whole pull: no report, no indicator, the watermark stays."""
    from vrisac.intel.models import Indicator
    from vrisac.reports.models import Report

    good = indicator("203.0.113.10")
    unknown = indicator("203.0.113.11", object_marking_refs=[
        "marking-definition--00000000-0000-4000-8000-000000000000"])
    _answer(stub, 200, TAXII, orjson.dumps({"objects": [good, unknown]}))
    remote = _fails(people, stub, "unknown marking")
    assert unknown["id"] in remote.last_message
    assert not Report.objects.exists() and not Indicator.objects.exists()
