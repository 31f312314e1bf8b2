"""PyMISP against the running server: every call of the MISP face, through PyMISP's own
methods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymisp import MISPEvent, MISPSighting
from stix2validator import ValidationOptions, validate_instance

from vrisac.intel.models import Indicator, Sighting
from vrisac.intel.normalise import normalise
from vrisac.intel.warninglists import current_matcher
from vrisac.reports.models import Report

from .data import (
    LISTED_IP,
    ORG_ONLY_HASH,
    PARTICIPANT_URL,
    PARTNER_DOMAIN,
    PARTNER_IP,
    PUBLIC_CVE,
    event_ids,
    shared_reports,
)


def _values(found: Any) -> set[str]:
    assert isinstance(found, dict) and "Attribute" in found, found
    return {a["value"] for a in found["Attribute"]}


def test_start_up_user_version_types_and_organisations(misp_for: Any, people: Any) -> None:
    misp = misp_for(people["utrecht"])  # start-up reads the version and users/view/me
    version = misp.misp_instance_version["version"]
    assert all(part.isdigit() for part in version.split("."))
    user, role, settings = misp.get_user(pythonify=True, expanded=True)
    assert user.email == people["utrecht"].email
    assert role.perm_add is True and role.perm_site_admin is False
    assert settings == []
    me = misp.get_user()
    assert me["Organisation"]["name"] == "Veiligheidsregio Utrecht"
    types = misp.describe_types_remote
    assert {"ip-dst", "domain", "sha256", "vulnerability"} <= set(types["types"])
    assert "ip-dst" in types["category_type_mappings"]["Network activity"]
    names = {o["Organisation"]["name"] for o in misp.organisations()}
    assert "Veiligheidsregio Utrecht" in names and "Veiligheidsberaad" not in names
    read_only = misp_for(people["partner"], scopes=["misp:read"])
    _user, partner_role, _settings = read_only.get_user(pythonify=True, expanded=True)
    assert partner_role.perm_add is False


def test_event_life_cycle(misp_for: Any, people: Any) -> None:
    misp = misp_for(people["utrecht"])
    event = MISPEvent()
    event.info = "Credential phishing against a region"
    event.distribution = 2
    event.add_tag("tlp:green")
    event.add_tag("phishing")
    event.add_attribute("ip-dst", "45.83.12.50", comment="sender")
    event.add_attribute("filename|md5", "mail.eml|0cc175b9c0f1b6a831c399e269772661")
    added = misp.add_event(event, pythonify=True)

    report = Report.objects.get(uuid=event.uuid)
    assert added.published is False and report.status == "draft"
    assert report.organisation.slug == "utrecht" and report.author == people["utrecht"]
    assert (report.tlp, report.audience) == ("TLP:GREEN", "partners")
    assert [t.name for t in report.tags.all()] == ["phishing"]
    stored = {(i.value.type, i.value.value) for i in report.indicators.select_related("value")}
    assert stored == {("ipv4", "45.83.12.50"), ("filename", "mail.eml"),
                      ("md5", "0cc175b9c0f1b6a831c399e269772661")}
    # The unpublished event is found by its own organisation's token.
    assert report.pk in event_ids(misp.search(controller="events", published=False))
    assert report.pk in {int(e["id"]) for e in misp.events()}
    assert misp.event_exists(event.uuid) is True
    assert misp.event_exists(report.pk) is True
    assert misp.event_exists("999999") is False

    fetched = misp.get_event(report.pk, pythonify=True)
    assert fetched.uuid == event.uuid and len(fetched.attributes) == 3
    assert {t.name for t in fetched.tags} == {"tlp:green", "phishing"}

    fetched.info = "Credential phishing against two regions"
    fetched.add_attribute("domain", "mail-qz.nl")
    updated = misp.update_event(fetched, pythonify=True)
    report.refresh_from_db()
    assert report.title == updated.info == "Credential phishing against two regions"
    assert len(updated.attributes) == 4

    attribute = misp.add_attribute(report.pk, {"type": "url", "value": "https://mail-qz.nl/x"},
                                   pythonify=True)
    assert attribute.value == "https://mail-qz.nl/x" and attribute.type == "url"
    again = misp.add_attribute(report.pk, {"type": "url", "value": "https://mail-qz.nl/x"})
    assert again["errors"][0] == 400 and "similar attribute" in again["errors"][1]["message"]
    assert report.indicators.count() == 5

    assert misp.tag(event.uuid, "tlp:amber")["saved"] is True
    misp.tag(event.uuid, "credentials")
    report.refresh_from_db()
    assert report.tlp == "TLP:AMBER"
    assert {t.name for t in report.tags.all()} == {"phishing", "credentials"}
    refused = misp.tag(attribute.uuid, "credentials")
    assert refused["errors"][0] == 400

    answer = misp.publish(report.pk)
    assert answer["message"] == "Event published."
    report.refresh_from_db()
    assert report.status == "published" and report.published_at is not None
    assert misp.publish(report.pk)["message"] == "Event was already published."

    seen = misp.add_sighting({"value": "45.83.12.50", "source": "firewall"})
    assert seen["Sighting"]["value"] == "45.83.12.50"
    sighting = MISPSighting()
    sighting.from_dict(type="1")
    misp.add_sighting(sighting, attribute=attribute.uuid)
    kinds = set(Sighting.objects.filter(organisation__slug="utrecht").values_list("kind",
                                                                                flat=True))
    assert kinds == {"seen", "false_positive"}


def test_search_filters_and_return_formats(misp_for: Any, people: Any) -> None:
    reports = shared_reports(people)
    matcher = current_matcher()
    assert matcher.hits(normalise("ipv4", LISTED_IP))
    assert not matcher.hits(normalise("ipv4", PARTNER_IP))
    Report.objects.filter(pk=reports.public.pk).update(
        published_at=datetime(2025, 3, 1, 12, tzinfo=UTC))
    Indicator.objects.filter(report=reports.public).update(
        created_at=datetime(2025, 3, 1, 12, tzinfo=UTC))
    misp = misp_for(people["utrecht"])

    def attrs(**filters: Any) -> set[str]:
        return _values(misp.search(controller="attributes", **filters))

    def events(**filters: Any) -> set[int]:
        return event_ids(misp.search(controller="events", **filters))

    everything = attrs()
    assert ORG_ONLY_HASH in everything and PARTICIPANT_URL in everything
    assert attrs(value=PARTNER_IP) == {PARTNER_IP}
    assert events(value=PARTNER_DOMAIN) == {reports.partners.pk}
    assert attrs(type_attribute="sha256") == {ORG_ONLY_HASH}
    assert attrs(category="External analysis") == {PUBLIC_CVE}
    assert attrs(type_attribute=["url", "vulnerability"]) == {PARTICIPANT_URL, PUBLIC_CVE}
    green_or_clear = {reports.partners.pk, reports.public.pk, reports.anonymous.pk}
    assert events(tags={"OR": ["tlp:green", "tlp:clear"]}) == green_or_clear
    assert events(tags={"AND": ["tlp:green", "ransomware"]}) == {reports.partners.pk}
    assert events(tags={"NOT": ["tlp:amber"]}) == green_or_clear
    assert events(tags=["tlp:green", "!ransomware"]) == {reports.anonymous.pk}
    assert attrs(eventid=reports.org_only.pk) == {ORG_ONLY_HASH}
    assert attrs(eventid=str(reports.org_only.uuid)) == {ORG_ONLY_HASH}
    one = reports.partners.indicators.select_related("value").get(value__type="domain")
    assert attrs(uuid=str(one.uuid)) == {PARTNER_DOMAIN}
    assert events(uuid=str(reports.public.uuid)) == {reports.public.pk}
    assert events(date_to="2025-12-31") == {reports.public.pk}
    assert reports.public.pk not in events(date_from="2026-01-01")
    assert reports.public.pk not in events(last="1d")
    assert reports.partners.pk in events(last="1d")
    an_hour_ago = datetime.now(tz=UTC) - timedelta(hours=1)
    assert PUBLIC_CVE not in attrs(timestamp=an_hour_ago)
    assert PARTNER_IP in attrs(timestamp=an_hour_ago)
    assert events(published=False) == {reports.draft.pk}
    assert reports.draft.pk not in events(published=True)
    assert attrs(to_ids=0) == {"invoice.pdf.exe", PUBLIC_CVE}
    assert LISTED_IP in attrs(value=LISTED_IP)
    assert attrs(value=LISTED_IP, enforce_warninglist=True) == set()
    warned = misp.search(controller="events", eventid=reports.participants.pk,
                         enforce_warninglist=True)
    assert [a["value"] for a in warned[0]["Event"]["Attribute"]] == [PARTICIPANT_URL]

    first = misp.search(controller="attributes", limit=3, page=1)["Attribute"]
    second = misp.search(controller="attributes", limit=3, page=2)["Attribute"]
    assert len(first) == 3 and len(second) == 3
    assert not {a["id"] for a in first} & {a["id"] for a in second}
    assert len(misp.search(controller="events", limit=2, page=1)) == 2

    objects = misp.search(controller="attributes", value=PARTNER_IP, pythonify=True)
    assert objects[0].value == PARTNER_IP and objects[0].Event.info == "Ransomware dropper"
    csv_rows = misp.search(controller="attributes", return_format="csv", value=PARTNER_IP,
                           pythonify=True)
    assert csv_rows[0]["value"] == PARTNER_IP and csv_rows[0]["type"] == "ip-dst"
    assert csv_rows[0]["event_id"] == str(reports.partners.pk)
    raw_csv = misp.search(controller="events", return_format="csv",
                          eventid=reports.partners.pk)
    assert raw_csv.splitlines()[0].startswith("uuid,event_id,category,type,value")
    assert len(raw_csv.splitlines()) == 4
    text = misp.search(controller="attributes", return_format="text", type_attribute="ip-dst")
    assert set(text.split()) == {PARTNER_IP, LISTED_IP, "45.83.12.99"}
    bundle = misp.search(controller="events", return_format="stix2",
                         eventid=reports.partners.pk)
    assert bundle["type"] == "bundle"
    assert validate_instance(bundle, ValidationOptions()).is_valid
    names = {o.get("name") for o in bundle["objects"] if o["type"] == "indicator"}
    assert PARTNER_IP in names and PARTNER_DOMAIN in names
    assert [o["name"] for o in bundle["objects"] if o["type"] == "report"] == [
        "Ransomware dropper"]
    only_ip = misp.search(controller="attributes", return_format="stix2", value=PARTNER_IP)
    assert validate_instance(only_ip, ValidationOptions()).is_valid
    assert {o["name"] for o in only_ip["objects"] if o["type"] == "indicator"} == {PARTNER_IP}
    assert not [o for o in only_ip["objects"] if o["type"] == "report"]
