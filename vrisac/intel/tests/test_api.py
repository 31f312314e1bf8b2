"""The REST API: indicators on reports, look-up with correlations, extraction, sightings,
search and exports, each through the policy."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from vrisac.core.models import AuditEvent
from vrisac.core.testing import api_client, make_report
from vrisac.intel.models import Indicator, Sighting

pytestmark = pytest.mark.django_db

READ = ["intel:read", "reports:read"]
WRITE = ["intel:read", "intel:write", "reports:read", "reports:write"]


def streamed(response: Any) -> str:
    return b"".join(response.streaming_content).decode()


def ind(type_: str, value: str, **extra: Any) -> dict[str, Any]:
    return {"type": type_, "value": value, **extra}


def test_report_create_accepts_indicators_and_shows_them(people: dict) -> None:
    client = api_client(people["utrecht"], WRITE)
    response = client.post("/api/v1/reports", {
        "kind": "incident", "title": "Phishing", "tlp": "TLP:AMBER", "audience": "participants",
        "status": "published", "indicators": [
            ind("domain", "Rooster-Portaal[.]com", comment="landing page"),
            ind("url", "hxxps://login.rooster-portaal[.]com/auth", for_detection=True),
            ind("md5", "A" * 32), ind("sha256", "B" * 64),
        ]}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    values = {i["type"]: i["value"] for i in body["indicators"]}
    assert values == {"domain": "rooster-portaal.com",
                      "url": "https://login.rooster-portaal.com/auth",
                      "md5": "a" * 32, "sha256": "b" * 64}
    assert all(i["warninglists"] == [] for i in body["indicators"])
    groups = {i["type"]: i["file_group"] for i in body["indicators"]}
    assert groups["md5"] == groups["sha256"] is not None
    fetched = client.get(f"/api/v1/reports/{body['id']}").json()
    assert len(fetched["indicators"]) == 4


def test_report_create_with_a_bad_indicator_is_refused_and_names_it(people: dict) -> None:
    client = api_client(people["utrecht"], WRITE)
    response = client.post("/api/v1/reports", {
        "kind": "incident", "title": "Bad", "tlp": "TLP:AMBER", "audience": "participants",
        "indicators": [ind("ipv4", "10.0.0.1"), ind("ipv4", "10.0.0.300")]},
        content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "indicators[1].value"
    assert not Indicator.objects.exists()
    response = client.post("/api/v1/reports", {
        "kind": "incident", "title": "Bad", "tlp": "TLP:AMBER", "audience": "participants",
        "indicators": [ind("nonsense", "x")]}, content_type="application/json")
    assert response.status_code == 422


def test_indicator_lookup_with_correlations_through_the_policy(people: dict) -> None:
    visible = make_report(people["vnog"], title="Seen by all",
                          indicators=[ind("ipv4", "185.220.101.47")])
    hidden = make_report(people["utrecht"], title="Utrecht only", audience="organisation",
                         tlp="TLP:AMBER+STRICT", indicators=[ind("ipv4", "185.220.101.47")])
    network = make_report(people["vnog"], title="Netblock",
                          indicators=[ind("cidr", "185.220.101.0/24")])
    mine = make_report(people["haaglanden"], indicators=[ind("ipv4", "185.220.101.47")])
    client = api_client(people["haaglanden"], READ)
    body = client.get("/api/v1/indicators", {"value": "185.220.101[.]47"}).json()
    assert {i["report_id"] for i in body["items"]} == {visible.pk, mine.pk}
    item = next(i for i in body["items"] if i["report_id"] == mine.pk)
    assert sorted((c["report_id"], c["kind"]) for c in item["correlations"]) == sorted(
        [(visible.pk, "exact"), (network.pk, "cidr")])
    assert {c["report_title"] for c in item["correlations"]} == {"Seen by all", "Netblock"}
    assert item["over_correlating"] is None
    assert hidden.pk not in [c["report_id"] for c in item["correlations"]]
    assert b"Utrecht only" not in client.get("/api/v1/indicators",
                                             {"value": "185.220.101.47"}).content
    # Not allowed and not existing answer the same.
    hidden_id = Indicator.objects.get(report=hidden).pk
    assert client.get(f"/api/v1/indicators/{hidden_id}").status_code == 404
    assert client.get("/api/v1/indicators/999999").status_code == 404
    # Utrecht sees its own report among the correlations.
    own = api_client(people["utrecht"], READ).get(
        "/api/v1/indicators", {"value": "185.220.101.47", "report_id": visible.pk}).json()
    assert hidden.pk in [c["report_id"] for c in own["items"][0]["correlations"]]


def test_indicator_list_has_a_query_budget(people: dict,
                                           django_assert_max_num_queries: Any) -> None:
    for n in range(12):
        make_report(people["vnog"], indicators=[ind("ipv4", f"198.51.100.{n}"),
                                                ind("cidr", f"10.{n}.0.0/16"),
                                                ind("domain", f"d{n}.example.org"),
                                                ind("md5", f"{n:032x}")])
    client = api_client(people["utrecht"], READ)
    with django_assert_max_num_queries(21):
        body = client.get("/api/v1/indicators", {"limit": 50}).json()
    assert len(body["items"]) == 48


def test_add_indicators_to_an_existing_report(people: dict) -> None:
    report = make_report(people["vnog"])
    client = api_client(people["vnog"], WRITE)
    response = client.post("/api/v1/indicators", {"report_id": report.pk, "indicators": [
        ind("ipv4", "8.8.8.8"), ind("domain", "evil.example")]},
        content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["added"] == 2
    hits = {i["value"]: i["warninglists"] for i in body["items"]}
    assert hits["8.8.8.8"] == ["Well-known public DNS resolvers"]
    assert hits["evil.example"] == ["Reserved and special-use domain names"]
    other = api_client(people["utrecht"], WRITE)
    response = other.post("/api/v1/indicators", {"report_id": report.pk, "indicators": [
        ind("ipv4", "1.2.3.4")]}, content_type="application/json")
    assert response.status_code == 404
    read_only = api_client(people["vnog"], READ)
    assert read_only.post("/api/v1/indicators", {"report_id": report.pk, "indicators": []},
                          content_type="application/json").status_code == 403


def test_edit_and_remove_an_indicator(people: dict) -> None:
    report = make_report(people["vnog"], indicators=[ind("domain", "x.example.org")])
    pk = Indicator.objects.get(report=report).pk
    client = api_client(people["vnog"], WRITE)
    body = client.patch(f"/api/v1/indicators/{pk}", {"for_detection": False, "comment": "old"},
                        content_type="application/json").json()
    assert body["for_detection"] is False and body["comment"] == "old"
    stranger = api_client(people["utrecht"], WRITE)
    assert stranger.delete(f"/api/v1/indicators/{pk}").status_code == 404
    assert client.delete(f"/api/v1/indicators/{pk}").status_code == 204
    assert not Indicator.objects.filter(pk=pk).exists()


def test_extract_endpoint(people: dict) -> None:
    client = api_client(people["utrecht"], READ)
    body = client.post("/api/v1/extract", {"text": "c2 185.220.101[.]47 and 8.8.8.8, "
                                                   "see hxxp://evil[.]rooster-portaal[.]com/x"},
                       content_type="application/json").json()
    assert [(i["type"], i["value"], i["warninglists"]) for i in body["items"]] == [
        ("ipv4", "185.220.101.47", []),
        ("ipv4", "8.8.8.8", ["Well-known public DNS resolvers"]),
        ("url", "http://evil.rooster-portaal.com/x", []),
    ]
    too_long = client.post("/api/v1/extract", {"text": "a" * 1_000_001},
                           content_type="application/json")
    assert too_long.status_code == 422 and "text" in too_long.content.decode()
    megabytes = client.post("/api/v1/extract", {"text": "a" * 6_000_000},
                            content_type="application/json")
    assert megabytes.status_code == 413 and "larger than 5 MB" in megabytes.json()["detail"]
    assert not Indicator.objects.exists()


def test_extract_file_endpoint(people: dict) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api_client(people["utrecht"], READ)
    upload = SimpleUploadedFile("iocs.txt", b"evil[.]example.org 10.1.2.3\n")
    body = client.post("/api/v1/extract/file", {"file": upload}).json()
    assert ("hostname", "evil.example.org") in [(i["type"], i["value"]) for i in body["items"]]
    binary = SimpleUploadedFile("blob.txt", b"\x00\x01\x02")
    response = client.post("/api/v1/extract/file", {"file": binary})
    assert response.status_code == 400 and "blob.txt" in response.json()["detail"]


def test_sightings_counts_and_who_sees_the_organisation(people: dict) -> None:
    report = make_report(people["vnog"], indicators=[ind("ipv4", "203.0.113.50")])
    hidden = make_report(people["utrecht"], audience="organisation", tlp="TLP:AMBER+STRICT",
                         indicators=[ind("domain", "only-utrecht.example.org")])
    utrecht = api_client(people["utrecht"], WRITE)
    response = utrecht.post("/api/v1/sightings", {"value": "203.0.113.50", "kind": "seen",
                                                  "source": "firewall"},
                            content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["counts"]["seen"] == 1
    haaglanden = api_client(people["haaglanden"], WRITE)
    haaglanden.post("/api/v1/sightings", {"value": "203.0.113.50", "kind": "false_positive",
                                          "named": True}, content_type="application/json")
    pk = Indicator.objects.get(report=report).pk
    seen = api_client(people["vnog"], READ).get(f"/api/v1/indicators/{pk}/sightings").json()
    assert seen["counts"] == {"seen": 1, "false_positive": 1, "expired": 0}
    assert sorted(str(i["organisation"]) for i in seen["items"]) == [
        "None", "Veiligheidsregio Haaglanden"]
    as_coordinator = api_client(people["coordinator"], READ).get(
        f"/api/v1/indicators/{pk}/sightings").json()
    assert None not in [i["organisation"] for i in as_coordinator["items"]]
    listed = api_client(people["vnog"], READ).get(f"/api/v1/indicators/{pk}").json()
    assert listed["sightings"]["false_positive"] == 1
    # A value one cannot see cannot be sighted: 404, nothing stored.
    response = haaglanden.post("/api/v1/sightings", {"value": "only-utrecht.example.org",
                                                     "kind": "seen"},
                               content_type="application/json")
    assert response.status_code == 404
    assert not Sighting.objects.filter(value__value="only-utrecht.example.org").exists()
    assert hidden.pk


def test_search_finds_text_networks_subdomains_and_files(people: dict) -> None:
    report = make_report(people["vnog"], title="Ransomware bij de meldkamer",
                         body="De aanvallers gebruikten een **loader**.",
                         indicators=[ind("cidr", "185.220.101.0/24"),
                                     ind("url", "https://login.rooster-portaal.com/x"),
                                     ind("md5", "c" * 32), ind("sha256", "d" * 64)])
    secret = make_report(people["utrecht"], title="Ransomware intern", audience="organisation",
                         tlp="TLP:AMBER+STRICT", indicators=[ind("cidr", "185.220.0.0/16")])
    client = api_client(people["haaglanden"], READ)
    body = client.get("/api/v1/search", {"q": "ransomware"}).json()
    assert [r["id"] for r in body["reports"]] == [report.pk]
    body = client.get("/api/v1/search", {"q": "185.220.101.9"}).json()
    assert [(i["value"], i["match"]) for i in body["indicators"]] == [
        ("185.220.101.0/24", "contains")]
    body = client.get("/api/v1/search", {"q": "rooster-portaal.com"}).json()
    assert [(i["value"], i["match"]) for i in body["indicators"]] == [
        ("https://login.rooster-portaal.com/x", "subdomain")]
    body = client.get("/api/v1/search", {"q": "C" * 32}).json()
    assert sorted((i["value"], i["match"]) for i in body["indicators"]) == [
        ("c" * 32, "exact"), ("d" * 64, "file")]
    utrecht = api_client(people["utrecht"], READ).get("/api/v1/search",
                                                      {"q": "185.220.101.9"}).json()
    assert {i["report_id"] for i in utrecht["indicators"]} == {report.pk, secret.pk}
    assert client.get("/api/v1/search", {"q": 'ransom" OR (x'}).status_code == 200
    from vrisac.reports.services import report_update

    report_update(report=report, acting_user=people["vnog"], title="Wiper bij de meldkamer")
    body = client.get("/api/v1/search", {"q": "wiper"}).json()
    assert [r["id"] for r in body["reports"]] == [report.pk]
    assert client.get("/api/v1/search", {"q": "ransomware"}).json()["reports"] == []


def test_exports_obey_the_policy_filter_and_are_safe(people: dict) -> None:
    make_report(people["vnog"], tlp="TLP:GREEN", indicators=[
        ind("ipv4", "185.220.101.7", comment="=HYPERLINK(\"http://x\")"),
        ind("ipv4", "8.8.8.8"), ind("domain", "evil.example.org", for_detection=False)])
    make_report(people["utrecht"], audience="organisation", tlp="TLP:AMBER+STRICT",
                indicators=[ind("ipv4", "192.0.2.99")])
    make_report(people["vnog"], publish=False, indicators=[ind("ipv4", "192.0.2.55")])
    client = api_client(people["haaglanden"], READ)
    response = client.get("/api/v1/exports/csv")
    assert response.status_code == 200
    text = streamed(response)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["value"] for r in rows) == ["185.220.101.7", "8.8.8.8", "evil.example.org"]
    comment = next(r["comment"] for r in rows if r["value"] == "185.220.101.7")
    assert comment.startswith("'=")
    assert next(r["warninglists"] for r in rows if r["value"] == "8.8.8.8") == (
        "Well-known public DNS resolvers")
    lines = streamed(client.get("/api/v1/exports/text", {
        "type": "ipv4", "without_warninglisted": "true"}))
    assert lines == "185.220.101.7\n"
    detection = streamed(client.get("/api/v1/exports/csv", {
        "for_detection": "false"}))
    assert "evil.example.org" in detection and "185.220.101.7" not in detection
    none = streamed(client.get("/api/v1/exports/text", {"type": "ipv4", "tlp": "TLP:CLEAR"}))
    assert none == ""
    assert client.get("/api/v1/exports/text").status_code == 400
    assert client.get("/api/v1/exports/csv", {"since": "yesterday"}).status_code == 400
    assert AuditEvent.objects.filter(action="intel.export").count() == 4


def test_openapi_lists_the_intel_paths(people: dict) -> None:
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json").json()
    for path in ("/api/v1/indicators", "/api/v1/extract", "/api/v1/sightings",
                 "/api/v1/search", "/api/v1/exports/csv", "/api/v1/feeds"):
        assert path in schema["paths"], path
