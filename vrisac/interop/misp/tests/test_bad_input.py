"""Bad input gets a MISP-style error with a clear message, never a 500, and nothing is
half-written: the API's bodies and parameters, and hostile MISP feeds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.test import Client

from vrisac.core.errors import DomainError
from vrisac.core.testing import make_person
from vrisac.intel.feeds import feed_import, feed_save
from vrisac.intel.models import Feed, Indicator
from vrisac.interop.misp import feedimport
from vrisac.interop.misp.feed import write_feed
from vrisac.interop.misp.models import MispFeedEvent
from vrisac.reports.models import Report

from .data import shared_reports


@pytest.fixture
def client_of(key_for: Any) -> Any:
    def make(user: Any, scopes: list[str] | None = None) -> Client:
        return Client(HTTP_AUTHORIZATION=key_for(user, scopes))

    return make


def _post(client: Client, path: str, body: Any) -> Any:
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(f"/misp/{path}", raw, content_type="application/json")


def _error(answer: Any, status: int) -> str:
    assert answer.status_code == status, answer.content[:300]
    data = answer.json()
    assert data["url"] == answer.wsgi_request.path
    assert data["message"] == data["name"]
    return str(data["message"])


@pytest.mark.parametrize(("body", "status", "says"), [
    (b"{not json", 400, "not valid JSON"),
    (b"[1, 2", 400, "not valid JSON"),
    ({"Event": "a string"}, 400, "Event: a JSON object"),
    ({"info": ["a", "list"]}, 400, "Event.info: text was expected"),
    ({"info": "x", "Attribute": {"type": "ip-dst"}}, 400, "Event.Attribute: a list"),
    ({"info": "x", "Attribute": [{"type": "ip-dst", "value": "1.2.3.4"}, "oops"]}, 400,
     "Event.Attribute[1]: a JSON object"),
    ({"info": "x", "Attribute": [{"type": "ip-dst", "value": "45.83.12.7"},
                                 {"type": "ip-dst", "value": "not-an-address"}]}, 400,
     "Event.Attribute[1].value"),
    ({"info": "x", "Attribute": [{"type": "btc", "value": "1abc"}]}, 400,
     "Event.Attribute[0].type: the attribute type 'btc' is not supported"),
    ({"info": "x", "Attribute": [{"type": "ip-dst", "value": None}]},
     400, "Event.Attribute[0].value: text was expected"),
    ({"info": "x", "Attribute": [{"type": "domain", "value": "a-qz.nl", "to_ids": "maybe"}]},
     400, "to_ids"),
    ({"info": "x", "distribution": 4}, 400, "sharing groups are not supported"),
    ({"info": "x", "distribution": "nine"}, 400, "distribution is a number"),
    ({"info": "x", "distribution": 3, "Tag": [{"name": "tlp:amber"}]}, 400,
     "Only TLP:CLEAR content can be public"),
    ({"info": "x", "Tag": [{"name": "tlp:green"}, {"name": "tlp:red"}]}, 400,
     "more than one TLP tag"),
    ({"info": "", "Attribute": []}, 400, "needs a title"),
    ({"info": "x", "uuid": "../../etc/passwd"}, 400, "Event.uuid: not a uuid"),
    ({"Event": {"info": "x", "Object": [{"Attribute": [{"type": "md5", "value": "zz"}]}]}},
     400, "Event.Object[0].Attribute[0].value"),
    (b"[" * 100 + b"]" * 100, 400, "nested deeper"),
])
def test_event_add_refuses_bad_documents_and_writes_nothing(
        client_of: Any, body: Any, status: int, says: str) -> None:
    client = client_of(make_person("participant", "utrecht"))
    reports, indicators = Report.objects.count(), Indicator.objects.count()
    assert says in _error(_post(client, "events/add", body), status)
    assert (Report.objects.count(), Indicator.objects.count()) == (reports, indicators)


def test_oversized_body_answers_413(client_of: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    client = client_of(make_person("participant", "utrecht"))
    body = {"info": "x", "Attribute": [{"type": "domain", "value": f"d{i}-qz.nl"}
                                       for i in range(200)]}
    assert "larger than" in _error(_post(client, "events/add", body), 413)
    assert not Report.objects.exists()


def test_keys_scopes_and_methods(client_of: Any, people: Any) -> None:
    assert "Authentication failed" in _error(Client().get("/misp/events/index"), 403)
    wrong = Client(HTTP_AUTHORIZATION="vrs_not-a-real-key")
    assert "Authentication failed" in _error(wrong.get("/misp/servers/getVersion"), 403)
    reader = client_of(people["utrecht"], ["misp:read"])
    assert "misp:write" in _error(_post(reader, "events/add", {"info": "x"}), 403)
    assert reader.get("/misp/servers/getVersion.json").status_code == 200
    other_scope = client_of(people["utrecht"], ["reports:read"])
    assert "misp:read" in _error(other_scope.get("/misp/events/index"), 403)
    writer = client_of(people["utrecht"])
    assert _error(writer.get("/misp/events/add"), 405)
    assert not Report.objects.exists()


def test_search_parameters_are_checked(client_of: Any) -> None:
    client = client_of(make_person("participant", "utrecht"))
    for body, says in [
        ({"returnFormat": "xml"}, "return format 'xml' is not supported"),
        ({"bogus": 1}, "Unknown search parameter(s): bogus"),
        ({"limit": "lots"}, "limit: a whole number"),
        ({"limit": 10**9}, "limit: between 1 and"),
        ({"from": "yesterday-ish"}, "from: a timestamp, a date"),
        ({"timestamp": [1, 2, 3]}, "timestamp: one time or a pair"),
        ({"tags": {"XOR": ["a"]}}, "tags: only the keys AND, OR and NOT"),
        ({"tags": [{"name": "x"}]}, "tags: values are strings or numbers"),
        ({"to_ids": "perhaps"}, "to_ids: 0 or 1"),
        ({"eventid": "not-an-id"}, "eventid: 'not-an-id' is neither an id nor a uuid"),
        ({"value": ["x"] * 501}, "value: at most 500 values"),
        ([1, 2], "a JSON object of filters"),
    ]:
        for controller in ("events", "attributes"):
            assert says in _error(_post(client, f"{controller}/restSearch", body), 400)


def test_writes_on_events_refuse_bad_targets(client_of: Any, people: Any) -> None:
    reports = shared_reports(people)
    client = client_of(people["utrecht"])
    assert _error(_post(client, "attributes/add/999999", {"type": "domain",
                                                          "value": "a-qz.nl"}), 404)
    assert _error(_post(client, f"attributes/add/{reports.partners.pk}", []), 400)
    assert "similar attribute" in _error(_post(
        client, f"attributes/add/{reports.partners.pk}",
        {"type": "ip-dst", "value": "45.83.12.7"}), 400)
    assert "sharing groups" in _error(_post(client, f"events/edit/{reports.partners.pk}",
                                            {"distribution": 4}), 400)
    assert _error(_post(client, "tags/attachTagToObject", {"uuid": str(reports.partners.uuid),
                                                           "tag": "tlp:purple"}), 400)
    assert _error(_post(client, "sightings/add", {"value": "45.83.12.7", "type": "7"}), 400)
    assert _error(_post(client, "sightings/add", {"type": "0"}), 400)
    assert _error(_post(client, "sightings/add/999999", {}), 404)
    assert reports.partners.indicators.count() == 3


# --- hostile feeds -------------------------------------------------------------------------------

@pytest.fixture
def feed_dir(people: Any, tmp_path: Path) -> tuple[Feed, Path]:
    shared_reports(people)
    directory = tmp_path / "feed"
    write_feed(directory)
    feed = feed_save(acting_user=people["coordinator"], name="hostile", title="hostile",
                     path=str(directory), format="misp", trusted_path=True)
    return feed, directory


def _manifest(directory: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((directory / "manifest.json").read_bytes())
    return data


def _refused(feed: Feed, says: str) -> None:
    with pytest.raises(DomainError) as refused:
        feed_import(feed=feed)
    assert says in refused.value.message, refused.value.message
    feed.refresh_from_db()
    assert feed.last_status == "failed" and says in feed.last_message


def test_manifest_keys_must_be_uuids(feed_dir: tuple[Feed, Path]) -> None:
    feed, directory = feed_dir
    manifest = _manifest(directory)
    manifest["../../../etc/passwd"] = {"timestamp": "1"}
    (directory / "manifest.json").write_bytes(orjson.dumps(manifest))
    _refused(feed, "the key '../../../etc/passwd' is not a uuid")
    assert not Indicator.objects.filter(feed=feed).exists()


@pytest.mark.parametrize(("content", "says"), [
    (b"[]", "an object of events by uuid"),
    (b"{\"a\": ", "not valid JSON"),
    (b"{\"0b8e4fd2-7b5e-4c39-9f87-3f1b8a7a2f01\": {\"timestamp\": \"soon\"}}",
     "the timestamp is not a number"),
    (b"{\"0b8e4fd2-7b5e-4c39-9f87-3f1b8a7a2f01\": []}", "an object was expected"),
])
def test_malformed_manifests_are_refused(feed_dir: tuple[Feed, Path], content: bytes,
                                         says: str) -> None:
    feed, directory = feed_dir
    (directory / "manifest.json").write_bytes(content)
    _refused(feed, says)
    assert not Indicator.objects.filter(feed=feed).exists()


def test_huge_manifest_is_refused(feed_dir: tuple[Feed, Path], monkeypatch: Any) -> None:
    feed, _directory = feed_dir
    monkeypatch.setattr(feedimport, "MAX_MANIFEST_BYTES", 256)
    _refused(feed, "manifest.json is larger than")
    monkeypatch.setattr(feedimport, "MAX_MANIFEST_BYTES", 20 * 1024 * 1024)
    monkeypatch.setattr(feedimport, "MAX_EVENTS", 2)
    _refused(feed, "more than 2 events")


def test_wrong_hashes_refuse_the_event_and_keep_the_others(
        feed_dir: tuple[Feed, Path]) -> None:
    feed, directory = feed_dir
    refs = sorted(_manifest(directory))
    victim = refs[-1]
    lines = (directory / "hashes.csv").read_text().splitlines()
    kept = [line for line in lines if not line.endswith(victim)]
    (directory / "hashes.csv").write_text("\n".join([*kept, f"{'0' * 32},{victim}"]) + "\n")
    _refused(feed, f"{victim}.json, Attribute[0]: hashes.csv does not list this value")
    imported = set(MispFeedEvent.objects.filter(feed=feed).values_list("uuid", flat=True))
    assert {str(u) for u in imported} == set(refs[:-1])
    event = orjson.loads((directory / f"{victim}.json").read_bytes())
    values = {a["value"] for a in event["Event"]["Attribute"]}
    assert not Indicator.objects.filter(feed=feed, value__value__in=values).exists()
    (directory / "hashes.csv").write_text("nonsense\n")
    _refused(feed, "hashes.csv, line 1: not an MD5 and an event uuid")


def test_event_files_must_match_their_names(feed_dir: tuple[Feed, Path]) -> None:
    feed, directory = feed_dir
    first, second = sorted(_manifest(directory))[:2]
    (directory / f"{first}.json").write_bytes((directory / f"{second}.json").read_bytes())
    _refused(feed, f"the event's uuid is not {first}")
    (directory / f"{first}.json").write_bytes(b"\x00\x01 not json")
    _refused(feed, f"{first}.json: not valid JSON")
    (directory / f"{first}.json").unlink()
    _refused(feed, f"{first}.json: no such file")
    assert not Indicator.objects.filter(feed=feed).exists()


def test_unsupported_types_are_skipped_and_bad_values_named(
        feed_dir: tuple[Feed, Path], capsys: Any) -> None:
    feed, directory = feed_dir
    ref = sorted(_manifest(directory))[0]
    event = orjson.loads((directory / f"{ref}.json").read_bytes())
    event["Event"]["Attribute"].append({"type": "btc", "value": "1abc", "uuid": ref})
    (directory / f"{ref}.json").write_bytes(orjson.dumps(event))
    (directory / "hashes.csv").unlink()
    result = feed_import(feed=feed)
    assert result.status == "ok" and result.skipped == 1
    event["Event"]["Attribute"].append({"type": "ip-dst", "value": "999.1.1.1"})
    (directory / f"{ref}.json").write_bytes(orjson.dumps(event))
    with pytest.raises(DomainError) as refused:
        feed_import(feed=feed, force=True)
    assert f"{ref}.json, Attribute[" in refused.value.message
    with pytest.raises(Exception, match="no such directory"):
        call_command("import_misp_feed", str(directory / "missing"))


def test_a_misp_feed_is_fetched_on_the_schedule_like_the_other_feeds(
        feed_dir: tuple[Feed, Path]) -> None:
    from vrisac.core.jobs import job_run

    feed, directory = feed_dir
    row = job_run("intel.fetch_feeds")
    assert row.result == {"feeds": {"hostile": "ok"}}
    feed.refresh_from_db()
    assert feed.last_status == "ok" and feed.last_count == Indicator.objects.filter(
        feed=feed).count() > 0
    assert MispFeedEvent.objects.filter(feed=feed).count() == len(_manifest(directory))
