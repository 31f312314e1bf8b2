"""The pages: indicators, a report's indicators and correlations, extraction, search,
export, and the coordinators' pages, each through the policy."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from vrisac.core.models import AuditEvent
from vrisac.core.testing import client_for, make_report
from vrisac.intel.models import CorrelationExclusion, Indicator, Warninglist

pytestmark = pytest.mark.django_db


def ind(type_: str, value: str, **extra: Any) -> dict[str, Any]:
    return {"type": type_, "value": value, **extra}


def test_report_page_shows_indicators_and_only_visible_correlations(people: dict) -> None:
    shared = make_report(people["vnog"], title="Gedeeld incident",
                         indicators=[ind("ipv4", "185.220.101.47")])
    make_report(people["utrecht"], title="Geheim van Utrecht", audience="organisation",
                tlp="TLP:AMBER+STRICT", indicators=[ind("ipv4", "185.220.101.47")])
    network = make_report(people["haaglanden"], title="Netblok",
                          indicators=[ind("cidr", "185.220.101.0/24")])
    page = client_for(people["haaglanden"]).get(shared.get_absolute_url())
    html = page.content.decode()
    assert "185.220.101.47" in html and "Netblok" in html
    assert "Geheim van Utrecht" not in html
    own = client_for(people["utrecht"]).get(shared.get_absolute_url()).content.decode()
    assert "Geheim van Utrecht" in own
    assert network.pk


def test_indicator_pages_obey_the_policy(people: dict, django_assert_max_num_queries: Any
                                         ) -> None:
    for n in range(8):
        make_report(people["vnog"], indicators=[ind("ipv4", f"185.220.{n}.1"),
                                                ind("domain", f"d{n}.rooster-portaal.com")])
    hidden = make_report(people["utrecht"], audience="organisation", tlp="TLP:AMBER+STRICT",
                         indicators=[ind("domain", "secret.rooster-portaal.com")])
    client = client_for(people["haaglanden"])
    with django_assert_max_num_queries(20):
        page = client.get(reverse("intel:index"))
    assert page.status_code == 200
    assert "d7.rooster-portaal.com" in page.content.decode()
    assert "secret.rooster-portaal.com" not in page.content.decode()
    hidden_pk = Indicator.objects.get(report=hidden).pk
    assert client.get(reverse("intel:indicator", args=[hidden_pk])).status_code == 404
    assert client.get(reverse("intel:indicator", args=[999999])).status_code == 404
    assert client_for(people["observer"]).get(reverse("intel:index")).status_code == 404
    visible_pk = Indicator.objects.filter(report__author=people["vnog"]).values_list(
        "pk", flat=True)[0]
    assert client.get(reverse("intel:indicator", args=[visible_pk])).status_code == 200


def test_extract_and_add_from_the_report_page(people: dict) -> None:
    report = make_report(people["vnog"], title="Phishing")
    client = client_for(people["vnog"])
    page = client.post(reverse("intel:extract"), {
        "report": report.pk,
        "text": "Blokkeer hxxps://login.rooster-portaal[.]com/auth en 8.8.8.8 en 185.220.101.9"})
    html = page.content.decode()
    assert "https://login.rooster-portaal.com/auth" in html
    assert "Well-known public DNS resolvers" in html
    response = client.post(reverse("intel:extract_add"), {
        "report": report.pk,
        "pick": ["url||https://login.rooster-portaal.com/auth", "ipv4||185.220.101.9"]})
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    assert sorted(Indicator.objects.filter(report=report).values_list("value__value", flat=True)
                  ) == ["185.220.101.9", "https://login.rooster-portaal.com/auth"]
    # Someone who may not edit the report cannot add to it.
    other = client_for(people["utrecht"]).post(reverse("intel:extract_add"), {
        "report": report.pk, "pick": ["ipv4||1.2.3.4"]})
    assert other.status_code == 404
    assert not Indicator.objects.filter(value__value="1.2.3.4").exists()


def test_extract_refuses_bad_files_with_their_name(people: dict) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(people["utrecht"])
    page = client.post(reverse("intel:extract"), {
        "file": SimpleUploadedFile("blob.pdf", b"%PDF-1.7\n\x00\x01garbage")})
    assert "blob.pdf" in page.content.decode()
    page = client.post(reverse("intel:extract"), {})
    assert page.status_code == 200 and "Paste text or choose a file" in page.content.decode()


def test_search_and_header_box(people: dict) -> None:
    make_report(people["vnog"], title="Ransomware op de kantoorautomatisering",
                indicators=[ind("url", "https://cdn.rooster-portaal.com/a.js")])
    client = client_for(people["haaglanden"])
    dashboard = client.get(reverse("core:dashboard")).content.decode()
    assert 'action="/intel/search/"' in dashboard
    html = client.get(reverse("intel:search"), {"q": "kantoorautomatisering"}).content.decode()
    assert "Ransomware op de kantoorautomatisering" in html
    html = client.get(reverse("intel:search"), {"q": "rooster-portaal.com"}).content.decode()
    assert "https://cdn.rooster-portaal.com/a.js" in html


def test_export_page_streams_and_audits(people: dict) -> None:
    make_report(people["vnog"], indicators=[ind("domain", "evil.rooster-portaal.com"),
                                            ind("ipv4", "185.220.101.3")])
    client = client_for(people["haaglanden"])
    assert client.get(reverse("intel:export")).status_code == 200
    response = client.get(reverse("intel:export"), {"download": "1", "format": "text",
                                                    "type": ["domain"]})
    assert response["Content-Type"].startswith("text/plain")
    content: Any = response
    assert b"".join(content.streaming_content).decode() == "evil.rooster-portaal.com\n"
    page = client.get(reverse("intel:export"), {"download": "1", "format": "text"})
    assert page.status_code == 200 and "Choose the type" in page.content.decode()
    assert AuditEvent.objects.filter(action="intel.export").count() == 1


def test_sighting_from_the_page(people: dict) -> None:
    make_report(people["vnog"], indicators=[ind("ipv4", "185.220.101.5")])
    pk = Indicator.objects.get().pk
    client = client_for(people["haaglanden"])
    client.post(reverse("intel:sighting", args=[pk]), {"kind": "seen", "source": "firewall",
                                                       "named": "on"})
    html = client_for(people["utrecht"]).get(reverse("intel:indicator", args=[pk])
                                             ).content.decode()
    assert "Veiligheidsregio Haaglanden" in html and "firewall" in html


def test_coordinator_pages(people: dict) -> None:
    participant = client_for(people["utrecht"])
    for name in ("intel:warninglists", "intel:correlation", "intel:feed_new"):
        assert participant.get(reverse(name)).status_code == 404
    coordinator = client_for(people["coordinator"])
    assert coordinator.get(reverse("intel:warninglists")).status_code == 200
    page = coordinator.post(reverse("intel:warninglist_new"), {
        "name": "Eigen netwerken", "kind": "regex", "entries": "ok\n(a+)\\1", "enabled": "on"})
    assert "Line 2" in page.content.decode()
    assert not Warninglist.objects.filter(name="Eigen netwerken").exists()
    coordinator.post(reverse("intel:warninglist_new"), {
        "name": "Eigen netwerken", "kind": "cidr", "entries": "# regio\n145.1.0.0/16",
        "enabled": "on"})
    report = make_report(people["vnog"], indicators=[ind("ipv4", "145.1.2.3")])
    html = client_for(people["vnog"]).get(report.get_absolute_url()).content.decode()
    assert "Eigen netwerken" in html
    coordinator.post(reverse("intel:correlation"), {"value": "145.1.2.3", "comment": "eigen"})
    assert CorrelationExclusion.objects.filter(value="145.1.2.3").exists()
    coordinator.post(reverse("intel:correlation"), {"threshold": "7"})
    from vrisac.intel.services import correlation_settings

    assert correlation_settings().threshold == 7
    response = coordinator.post(reverse("intel:feed_new"), {
        "name": "abuse-list", "title": "Abuse list", "url": "https://feeds.example.org/ips.txt",
        "format": "text", "delimiter": ",", "interval_minutes": "60", "tlp": "TLP:GREEN",
        "audience": "participants", "enabled": "on", "for_detection": "on"})
    assert response.status_code == 302
    bad = coordinator.post(reverse("intel:feed_new"), {
        "name": "local", "title": "Local", "path": "/etc/passwd", "format": "text",
        "delimiter": ",", "interval_minutes": "60", "tlp": "TLP:GREEN",
        "audience": "participants"})
    assert "must lie in" in bad.content.decode()


def test_report_page_indicators_have_a_query_budget(people: dict,
                                                    django_assert_max_num_queries: Any) -> None:
    items = ([ind("ipv4", f"185.220.{n}.1") for n in range(15)]
             + [ind("cidr", f"10.{n}.0.0/16") for n in range(10)]
             + [ind("domain", f"d{n}.rooster-portaal.com") for n in range(10)]
             + [ind("md5", f"{n:032x}") for n in range(5)])
    report = make_report(people["vnog"], indicators=items)
    make_report(people["utrecht"], indicators=items[::3])
    client = client_for(people["haaglanden"])
    with django_assert_max_num_queries(24):
        page = client.get(report.get_absolute_url())
    assert page.content.decode().count('class="ioc"') >= 40
