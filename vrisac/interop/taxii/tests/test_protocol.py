"""The TAXII answers of the specification: media types, authentication, the error message
resource for every refusal, query parameters, paging headers, default labels; and nothing
written by a refused envelope."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
from django.test import Client

from vrisac.core.testing import make_report
from vrisac.interop.taxii.collections import collection_id
from vrisac.interop.taxii.models import TaxiiObject
from vrisac.interop.taxii.services import collection_default_set

from .conftest import basic, indicator, raw_token

pytestmark = pytest.mark.django_db

TAXII = "application/taxii+json;version=2.1"
COLLECTION = f"/taxii2/api/collections/{collection_id('participants')}/"


@pytest.fixture
def client(people: Any) -> Client:
    token = raw_token(people["utrecht"])
    return Client(HTTP_AUTHORIZATION=basic(people["utrecht"], token), HTTP_ACCEPT=TAXII,
                  HTTP_ACCEPT_LANGUAGE="en")


def post(client: Client, objects: Any, url: str = COLLECTION + "objects/",
         **extra: Any) -> Any:
    body = objects if isinstance(objects, bytes) else orjson.dumps({"objects": objects})
    return client.post(url, body, content_type=extra.pop("content_type", TAXII), **extra)


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == TAXII
    body = orjson.loads(response.content)
    assert body["http_status"] == str(status) and body["title"]
    return body


def test_authentication_and_media_types(people: Any, client: Client) -> None:
    user = people["utrecht"]
    token = raw_token(user, ["taxii:read"])
    assert Client().get("/taxii2/")["WWW-Authenticate"].startswith("Basic")
    error(Client().get("/taxii2/"), 401)
    error(Client(HTTP_AUTHORIZATION="Bearer vrisac_wrong").get("/taxii2/"), 401)
    error(Client(HTTP_AUTHORIZATION=basic(people["haaglanden"], token)).get("/taxii2/"), 401)
    error(Client(HTTP_AUTHORIZATION="Basic !!!").get("/taxii2/"), 401)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/taxii2/").status_code == 200
    read_only = Client(HTTP_AUTHORIZATION=basic(user, token))
    error(post(read_only, [indicator(1)]), 403)
    error(client.get("/taxii2/api/", HTTP_ACCEPT="application/json"), 406)
    error(client.get("/taxii2/api/", HTTP_ACCEPT="application/taxii+json;version=2.0"), 406)
    error(post(client, [indicator(1)], content_type="application/json"), 415)
    error(client.put(COLLECTION + "objects/"), 405)
    root = orjson.loads(client.get("/taxii2/api/").content)
    assert root["versions"] == [TAXII] and root["max_content_length"] > 0


def test_observer_and_admin_see_no_collection(people: Any) -> None:
    for role in ("observer", "admin"):
        from vrisac.accounts.services import token_create

        _token, raw = token_create(user=people[role], scopes=["organisations:read"])
        response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/taxii2/api/collections/")
        error(response, 403)


def test_unknown_and_foreign_collections_answer_404(people: Any, client: Client) -> None:
    error(client.get(f"/taxii2/api/collections/{uuid.uuid4()}/objects/"), 404)
    foreign = f"/taxii2/api/collections/{collection_id('organisation:haaglanden')}/"
    error(client.get(foreign), 404)
    error(post(client, [indicator(1)], url=foreign + "objects/"), 404)
    error(client.get(f"/taxii2/api/status/{uuid.uuid4()}/"), 404)


BAD_OBJECTS = [
    ({**indicator(1), "id": "indicator--12345"}, "not a STIX identifier"),
    ({**indicator(1), "spec_version": "2.0"}, "spec_version 2.0"),
    ({**indicator(1), "object_marking_refs": [f"marking-definition--{uuid.uuid4()}"]},
     "unknown marking"),
    ({**indicator(1), "object_marking_refs": [
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]}, "TLP:RED"),
    ({**indicator(1), "created": "not a time"}, "not a STIX timestamp"),
    ({"type": "Bad Type", "id": "x"}, "type must be"),
    ("not an object", "not a JSON object"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_OBJECTS)
def test_a_bad_object_refuses_the_whole_envelope(client: Client, bad: Any, message: str
                                                 ) -> None:
    body = error(post(client, [indicator(2), bad]), 422)
    assert message in body["description"]
    assert not TaxiiObject.objects.exists()


def test_cycles_nesting_size_and_broken_json_are_refused(client: Client, monkeypatch: Any
                                                         ) -> None:
    a, b = f"grouping--{uuid.uuid4()}", f"grouping--{uuid.uuid4()}"
    cyclic = [{"type": "grouping", "spec_version": "2.1", "id": a, "context": "x",
               "created": "2026-01-01T00:00:00Z", "object_refs": [b]},
              {"type": "grouping", "spec_version": "2.1", "id": b, "context": "x",
               "created": "2026-01-01T00:00:00Z", "object_refs": [a]}]
    assert "cycle" in error(post(client, cyclic), 422)["description"]
    deep = b'{"objects": [' + b"[" * 100 + b"]" * 100 + b"]}"
    assert "nested deeper" in error(post(client, deep), 422)["description"]
    deeper = b'{"objects": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
    error(post(client, deeper), 422)
    error(post(client, b"{broken"), 422)
    error(post(client, b'{"no": "objects"}'), 422)
    from vrisac.interop.taxii import views

    monkeypatch.setattr(views, "MAX_BYTES", 10_000)
    error(post(client, [indicator(n) for n in range(100)]), 413)
    assert not TaxiiObject.objects.exists()


def test_a_50_mb_envelope_is_refused_unread(client: Client) -> None:
    body = b'{"objects": [' + b" " * (50 * 1024 * 1024) + b"]}"
    error(post(client, body), 413)


@pytest.mark.parametrize("query", [
    "limit=abc", "limit=0", "added_after=yesterday", "match[id]=not-an-id",
    "match[type]=Not_A_Type", "match[version]=newest", "match[spec_version]=two",
    "next=%%%", "next=bm90LWEtdG9rZW4",
])
def test_bad_query_parameters_answer_400(client: Client, query: str) -> None:
    body = error(client.get(COLLECTION + "objects/?" + query), 400)
    assert query.split("=")[0].replace("%", "") in body["description"]


def test_filters_paging_headers_and_versions(client: Client) -> None:
    posted = [indicator(n) for n in range(6)]
    malware = {"type": "malware", "spec_version": "2.1", "id": f"malware--{uuid.uuid4()}",
               "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
               "name": "x", "is_family": False}
    first = orjson.loads(post(client, [*posted, malware]).content)
    assert first["status"] == "complete" and first["success_count"] == 7
    status = orjson.loads(client.get(f"/taxii2/api/status/{first['id']}/").content)
    assert status == first
    page = client.get(COLLECTION + "objects/?limit=4")
    body = orjson.loads(page.content)
    assert body["more"] is True and len(body["objects"]) == 4
    assert page["X-TAXII-Date-Added-First"] < page["X-TAXII-Date-Added-Last"]
    rest = orjson.loads(client.get(COLLECTION + f"objects/?limit=4&next={body['next']}").content)
    assert rest["more"] is False and "next" not in rest
    assert body["objects"] + rest["objects"] == [*posted, malware]
    after = client.get(COLLECTION + "objects/?added_after=" + page["X-TAXII-Date-Added-Last"])
    assert orjson.loads(after.content)["objects"] == rest["objects"]
    only = orjson.loads(client.get(COLLECTION + "objects/?match[type]=malware").content)
    assert only["objects"] == [malware]
    ids = f"{posted[1]['id']},{posted[4]['id']}"
    chosen = orjson.loads(client.get(COLLECTION + f"objects/?match[id]={ids}").content)
    assert chosen["objects"] == [posted[1], posted[4]]
    none = orjson.loads(client.get(COLLECTION + "objects/?match[spec_version]=2.0").content)
    assert none["objects"] == []
    # The same object posted again is one version; a newer one is another.
    post(client, [posted[0]])
    post(client, [{**posted[0], "modified": "2026-03-01T00:00:00.000Z"}])
    url = COLLECTION + f"objects/{posted[0]['id']}/"
    every = orjson.loads(client.get(url + "?match[version]=all").content)["objects"]
    assert [o["modified"] for o in every] == ["2026-01-01T00:00:00.000Z",
                                             "2026-03-01T00:00:00.000Z"]
    exact = client.get(url + "?match[version]=2026-01-01T00:00:00.000Z")
    assert orjson.loads(exact.content)["objects"] == [posted[0]]
    versions = orjson.loads(client.get(url + "versions/").content)["versions"]
    assert versions == ["2026-01-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"]
    manifest = orjson.loads(client.get(COLLECTION + "manifest/?limit=2").content)
    assert manifest["more"] is True and manifest["objects"][0]["id"] == posted[1]["id"]


def test_unmarked_objects_take_the_collections_default_label(people: Any, client: Client
                                                             ) -> None:
    green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    post(client, [indicator(1), indicator(2, object_marking_refs=[green])])
    assert sorted(TaxiiObject.objects.values_list("tlp", flat=True)) == [
        "TLP:AMBER", "TLP:GREEN"]
    collection_default_set(acting_user=people["coordinator"], key="participants",
                           tlp="TLP:GREEN")
    described = orjson.loads(client.get(COLLECTION, HTTP_ACCEPT_LANGUAGE="en").content)
    assert "labelled TLP:GREEN" in described["description"]
    post(client, [indicator(3)])
    assert TaxiiObject.objects.filter(tlp="TLP:GREEN").count() == 2
    from vrisac.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        collection_default_set(acting_user=people["utrecht"], key="participants",
                               tlp="TLP:CLEAR")


def test_objects_list_query_budget(people: Any, client: Client,
                                   django_assert_max_num_queries: Any) -> None:
    post(client, [indicator(n) for n in range(300)])
    make_report(people["haaglanden"], indicators=[{"type": "ipv4", "value": "192.0.2.5"}])
    with django_assert_max_num_queries(8):
        response = client.get(COLLECTION + "objects/?limit=1000")
    assert len(orjson.loads(response.content)["objects"]) > 300
    with django_assert_max_num_queries(8):
        client.get(COLLECTION + "manifest/")


def test_a_posted_report_becomes_a_platform_report(
        people: Any, client: Client, django_capture_on_commit_callbacks: Any) -> None:
    from vrisac.intel.models import Indicator
    from vrisac.reports.models import Report

    one, two = indicator(1), indicator(2)
    report = {"type": "report", "spec_version": "2.1", "id": f"report--{uuid.uuid4()}",
              "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
              "published": "2026-01-01T00:00:00.000Z", "name": "Posted over TAXII",
              "object_refs": [one["id"], two["id"]]}
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, [report, one, two]).status_code == 202
    made = Report.objects.get(title="Posted over TAXII")
    assert (made.organisation.slug, made.audience, made.tlp, made.status) == (
        "utrecht", "participants", "TLP:AMBER", "published")
    assert Indicator.objects.filter(report=made).count() == 2
    # The collection keeps the objects as posted; the platform report adds nothing to it.
    listed = orjson.loads(client.get(COLLECTION + "objects/").content)["objects"]
    assert listed == [report, one, two]
