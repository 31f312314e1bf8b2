"""Feeds: fetched over real HTTP from a local server, or read from a file; idempotent;
a bad line refuses the import and nothing already stored changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vrisac.core.errors import DomainError, NotAllowed
from vrisac.core.jobs import job_run
from vrisac.core.models import AuditEvent
from vrisac.core.testing import LoopbackServer, api_client, make_report
from vrisac.intel.correlation import correlate
from vrisac.intel.feeds import feed_import, feed_save
from vrisac.intel.models import Feed, Indicator

pytestmark = pytest.mark.django_db


class FeedServer(LoopbackServer):
    """A real HTTP server on loopback that serves whatever the test puts in ``files``."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.etags: dict[str, str] = {}
        self.requests: list[str] = []
        super().__init__(self._answer)

    def _answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.requests.append(path)
        body = self.files.get(path)
        if body is None:
            return 404, {}, b""
        etag = self.etags.get(path)
        if etag and headers.get("If-None-Match") == etag:
            return 304, {}, b""
        return 200, {"Content-Type": "text/plain", **({"ETag": etag} if etag else {})}, body


@pytest.fixture
def feed_server(settings: Any) -> Iterator[FeedServer]:
    settings.VRISAC_FETCH_ALLOW_PRIVATE = True
    server = FeedServer()
    try:
        yield server
    finally:
        server.close()


def text_feed(coordinator: Any, url: str, **extra: Any) -> Feed:
    return feed_save(acting_user=coordinator, name=extra.pop("name", "blocklist"),
                     title="Blocklist", url=url, **extra)


def test_text_feed_over_http_is_idempotent(people: dict, feed_server: FeedServer) -> None:
    feed_server.files["/ips.txt"] = b"# comment\n185.220.101.1\n185.220.101.2 # scanner\n\n"
    feed = text_feed(people["coordinator"], f"{feed_server.url}/ips.txt")
    result = feed_import(feed=feed)
    assert (result.status, result.rows, result.added) == ("ok", 2, 2)
    assert Indicator.objects.filter(feed=feed).count() == 2
    comment = Indicator.objects.get(feed=feed, value__value="185.220.101.2").comment
    assert comment == "scanner"
    again = feed_import(feed=Feed.objects.get(pk=feed.pk))
    assert again.status == "unchanged" and Indicator.objects.filter(feed=feed).count() == 2
    feed_server.files["/ips.txt"] += b"185.220.101.3\n"
    third = feed_import(feed=Feed.objects.get(pk=feed.pk))
    assert (third.status, third.rows, third.added) == ("ok", 3, 1)
    assert AuditEvent.objects.filter(action="intel.feed.fetch").count() == 3


def test_etag_not_modified(people: dict, feed_server: FeedServer) -> None:
    feed_server.files["/e.txt"] = b"evil.rooster-portaal.com\n"
    feed_server.etags["/e.txt"] = '"v1"'
    feed = text_feed(people["coordinator"], f"{feed_server.url}/e.txt")
    assert feed_import(feed=feed).status == "ok"
    assert feed_import(feed=Feed.objects.get(pk=feed.pk)).status == "unchanged"


def test_a_bad_line_refuses_the_import_and_changes_nothing(people: dict,
                                                           feed_server: FeedServer) -> None:
    feed_server.files["/f.txt"] = b"185.220.101.1\n"
    feed = text_feed(people["coordinator"], f"{feed_server.url}/f.txt", default_type="ipv4")
    feed_import(feed=feed)
    before = list(Indicator.objects.values_list("value__value", "last_seen"))
    feed_server.files["/f.txt"] = b"185.220.101.1\n185.220.101.9\n999.1.1.1\n"
    with pytest.raises(DomainError) as caught:
        feed_import(feed=Feed.objects.get(pk=feed.pk))
    assert "line 3" in caught.value.message and "999.1.1.1" in caught.value.message
    assert list(Indicator.objects.values_list("value__value", "last_seen")) == before
    stored = Feed.objects.get(pk=feed.pk)
    assert stored.last_status == "failed" and "line 3" in stored.last_message
    # With "skip invalid lines" the good lines go in and the bad one is reported.
    stored.skip_invalid = True
    stored.save()
    result = feed_import(feed=stored)
    assert (result.added, result.skipped) == (1, 1)
    assert "999.1.1.1" in result.errors[0]


def test_html_instead_of_a_feed_is_refused(people: dict, feed_server: FeedServer) -> None:
    feed_server.files["/oops.txt"] = b"<html><body>Login required</body></html>\n"
    feed = text_feed(people["coordinator"], f"{feed_server.url}/oops.txt")
    with pytest.raises(DomainError) as caught:
        feed_import(feed=feed)
    assert "line 1" in caught.value.message
    assert not Indicator.objects.exists()
    missing = text_feed(people["coordinator"], f"{feed_server.url}/missing.txt", name="m")
    with pytest.raises(DomainError) as caught:
        feed_import(feed=missing)
    assert "404" in caught.value.message


def test_private_addresses_are_refused_unless_allowed(people: dict, settings: Any) -> None:
    settings.VRISAC_FETCH_ALLOW_PRIVATE = False
    feed = text_feed(people["coordinator"], "http://127.0.0.1:9/feed.txt")
    with pytest.raises(DomainError) as caught:
        feed_import(feed=feed)
    assert "not a public address" in caught.value.message


def test_csv_feed_with_columns_and_correlation(people: dict, feed_server: FeedServer) -> None:
    feed_server.files["/c.csv"] = (
        b"indicator,kind,note,first_seen\n"
        b"185.220.101.47,ipv4,c2,2025-01-02T03:04:05+00:00\n"
        b"=calc.exe,filename,\"formula, quoted\",\n"
        b"login.rooster-portaal.com,hostname,phish,\n")
    feed = feed_save(acting_user=people["coordinator"], name="csvfeed", title="CSV",
                     url=f"{feed_server.url}/c.csv", format="csv", value_column="indicator",
                     type_column="kind", comment_column="note", tlp="TLP:GREEN")
    result = feed_import(feed=feed)
    assert result.added == 3
    first = Indicator.objects.get(feed=feed, value__value="185.220.101.47")
    assert first.first_seen.year == 2025 and first.comment == "c2"
    report = make_report(people["vnog"], indicators=[{"type": "ipv4",
                                                      "value": "185.220.101.47"}])
    rows = list(Indicator.objects.filter(report=report).select_related("value"))
    links = correlate(user=people["haaglanden"], indicators=rows)[rows[0].pk].links
    assert [(link.indicator.feed_id, link.kind) for link in links] == [(feed.pk, "exact")]
    # A feed for the coordinator's own organisation is not seen by others.
    own = feed_save(acting_user=people["coordinator"], name="own", title="Own",
                    url=f"{feed_server.url}/c.csv", format="csv", value_column="indicator",
                    type_column="kind", audience="organisation", tlp="TLP:AMBER")
    feed_import(feed=own)
    links = correlate(user=people["haaglanden"], indicators=rows)[rows[0].pk].links
    assert own.pk not in [link.indicator.feed_id for link in links]
    body = api_client(people["haaglanden"], ["intel:read"]).get("/api/v1/feeds").json()
    assert [f["name"] for f in body] == ["csvfeed"] and body[0]["source"] is None


def test_only_coordinators_configure_feeds(people: dict) -> None:
    with pytest.raises(NotAllowed):
        feed_save(acting_user=people["utrecht"], name="x", title="x",
                  url="https://example.org/x")
    response = api_client(people["utrecht"], ["intel:read", "intel:write"]).post(
        "/api/v1/feeds", {"name": "x", "title": "x", "url": "https://example.org/x"},
        content_type="application/json")
    assert response.status_code == 403


def test_scheduled_job_fetches_due_feeds(people: dict, feed_server: FeedServer) -> None:
    feed_server.files["/a.txt"] = b"185.220.101.10\n"
    feed_server.files["/b.txt"] = b"not a value at all!\n"
    text_feed(people["coordinator"], f"{feed_server.url}/a.txt", name="a")
    text_feed(people["coordinator"], f"{feed_server.url}/b.txt", name="b")
    row = job_run("intel.fetch_feeds")
    assert row.result == {"feeds": {"a": "ok", "b": "failed"}}
    # Not due again before the interval.
    assert job_run("intel.fetch_feeds").result == {"feeds": {}}
    from vrisac.core.schedule import SCHEDULE

    assert "intel.fetch_feeds" in [entry.job for entry in SCHEDULE]


def test_import_feed_command_by_path_and_name(people: dict, tmp_path: Path,
                                              capsys: Any) -> None:
    path = tmp_path / "blocklist.txt"
    path.write_text("185.220.101.20\nevil.rooster-portaal.com\n")
    with pytest.raises(CommandError):
        call_command("import_feed", str(path))
    call_command("import_feed", str(path), "--as", people["coordinator"].email)
    feed = Feed.objects.get(name="blocklist")
    assert Indicator.objects.filter(feed=feed).count() == 2
    call_command("import_feed", "blocklist")
    assert '"status": "unchanged"' in capsys.readouterr().out
    call_command("import_feed", str(path))
    assert Indicator.objects.filter(feed=feed).count() == 2
    with pytest.raises(CommandError):
        call_command("import_feed", "no-such-feed")


def test_extract_command(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "mail.txt"
    path.write_text("C2 op 185.220.101[.]47 en hxxp://evil[.]rooster-portaal[.]com/x\n")
    call_command("extract", str(path))
    out = capsys.readouterr().out
    assert "ipv4\t185.220.101.47\t" in out and "url\thttp://evil.rooster-portaal.com/x" in out
    pdf = Path(__file__).parent / "fixtures" / "advisory.pdf"
    call_command("extract", str(pdf), "--json")
    assert '"value": "185.220.101.47"' in capsys.readouterr().out
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(CommandError) as caught:
        call_command("extract", str(binary))
    assert "x.bin" in str(caught.value)


def test_feed_api_create_and_fetch_now(people: dict, feed_server: FeedServer,
                                       django_capture_on_commit_callbacks: Any) -> None:
    feed_server.files["/api.txt"] = b"185.220.101.30\n"
    client = api_client(people["coordinator"], ["intel:read", "intel:write"])
    response = client.post("/api/v1/feeds", {
        "name": "api-feed", "title": "API feed", "url": f"{feed_server.url}/api.txt"},
        content_type="application/json")
    assert response.status_code == 201, response.content
    feed_id = response.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/feeds/{feed_id}/fetch")
    assert response.status_code == 202
    assert Indicator.objects.filter(feed_id=feed_id).count() == 1
    assert Feed.objects.get(pk=feed_id).last_status == "ok"
    participant = api_client(people["utrecht"], ["intel:read", "intel:write"])
    assert participant.post(f"/api/v1/feeds/{feed_id}/fetch").status_code == 403
