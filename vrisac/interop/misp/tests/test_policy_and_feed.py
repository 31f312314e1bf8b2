"""Nobody gets more through the MISP API and the feed than the policy allows; the feed
written by the command and served over HTTP round-trips through the importer; a retracted
report is a deletion on the MISP faces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import requests
from django.core.management import call_command

from vrisac.intel.models import Feed, Indicator
from vrisac.reports.services import report_retract

from .data import (
    ANONYMOUS_IP,
    ORG_ONLY_HASH,
    PARTICIPANT_URL,
    PARTNER_DOMAIN,
    PARTNER_IP,
    PUBLIC_CVE,
    event_ids,
    shared_reports,
)


def test_partner_and_other_organisation_get_nothing_beyond_the_policy(
        misp_for: Any, people: Any, live_server: Any) -> None:
    reports = shared_reports(people)
    partner = misp_for(people["partner"])
    allowed = {reports.partners.pk, reports.public.pk, reports.anonymous.pk}
    assert event_ids(partner.search(controller="events")) == allowed
    assert {int(e["id"]) for e in partner.events()} == allowed
    values = {a["value"] for a in partner.search(controller="attributes")["Attribute"]}
    assert values == {PARTNER_IP, PARTNER_DOMAIN, "invoice.pdf.exe", PUBLIC_CVE, ANONYMOUS_IP}
    for hidden in (reports.org_only, reports.participants, reports.draft):
        assert partner.event_exists(hidden.uuid) is False
        assert partner.get_event(hidden.pk)["errors"][0] == 404
        assert partner.search(controller="attributes", eventid=hidden.pk)["Attribute"] == []
    assert partner.search(controller="attributes", value=PARTICIPANT_URL)["Attribute"] == []
    assert partner.add_sighting({"value": ORG_ONLY_HASH})["errors"][0] == 404
    assert partner.add_attribute(reports.partners.pk, {"type": "domain",
                                                       "value": "x-qz.nl"})["errors"][0] == 404
    anonymous = partner.get_event(reports.anonymous.pk)["Event"]
    assert anonymous["Orgc"]["name"] == "VR-ISAC participant"

    other = misp_for(people["haaglanden"])
    assert other.event_exists(reports.org_only.uuid) is False
    assert other.search(controller="attributes", value=ORG_ONLY_HASH)["Attribute"] == []
    assert reports.org_only.pk not in event_ids(other.search(controller="events"))
    assert other.tag(reports.org_only.uuid, "x")["errors"][0] == 404
    assert other.publish(reports.draft.pk)["errors"][0] == 404
    colleague = misp_for(people["utrecht2"])
    assert colleague.search(controller="attributes", value=ORG_ONLY_HASH)["Attribute"]

    # The feed over HTTP: what the partner may see, of the audiences partners and public.
    key = partner.key
    base = f"{live_server.url}/misp/feed/"
    manifest = requests.get(base + "manifest.json", headers={"Authorization": key},
                            timeout=30).json()
    assert set(manifest) == {str(reports.partners.uuid), str(reports.public.uuid),
                             str(reports.anonymous.uuid)}
    for hidden in (reports.org_only, reports.participants, reports.draft):
        answer = requests.get(f"{base}{hidden.uuid}.json", headers={"Authorization": key},
                              timeout=30)
        assert answer.status_code == 404
    participant_key = misp_for(people["haaglanden"]).key
    theirs = requests.get(base + "manifest.json", headers={"Authorization": participant_key},
                          timeout=30).json()
    assert str(reports.participants.uuid) not in theirs  # participants only: not in a feed
    assert requests.get(base + "manifest.json", timeout=30).status_code == 403


def _feed_values(feed: Feed) -> set[tuple[str, str]]:
    return set(Indicator.objects.filter(feed=feed).values_list("value__type", "value__value"))


def test_feed_round_trip_by_command_and_over_http(misp_for: Any, people: Any,
                                                  live_server: Any, tmp_path: Path,
                                                  settings: Any, capsys: Any) -> None:
    reports = shared_reports(people)
    expected = {(t, v) for t, v in Indicator.objects.filter(
        report__in=[reports.partners, reports.public, reports.anonymous]).values_list(
        "value__type", "value__value")}
    assert len(expected) == 5

    directory = tmp_path / "feed"
    call_command("export_misp_feed", str(directory))
    names = {p.name for p in directory.iterdir()}
    assert names == {"manifest.json", "hashes.csv", f"{reports.partners.uuid}.json",
                     f"{reports.public.uuid}.json", f"{reports.anonymous.uuid}.json"}
    call_command("import_misp_feed", str(directory), "--as", people["coordinator"].email,
                 "--name", "from-dir")
    from_dir = Feed.objects.get(name="from-dir")
    assert from_dir.format == "misp" and _feed_values(from_dir) == expected
    before = list(Indicator.objects.filter(feed=from_dir).values_list("pk", "last_seen"))
    capsys.readouterr()
    call_command("import_misp_feed", str(directory))
    assert '"status": "unchanged"' in capsys.readouterr().out
    assert list(Indicator.objects.filter(feed=from_dir).values_list("pk", "last_seen")) == \
        before

    settings.VRISAC_FETCH_ALLOW_PRIVATE = True
    key = misp_for(people["partner"]).key
    url = f"{live_server.url}/misp/feed/"
    call_command("import_misp_feed", url, "--key", key, "--as",
                 people["coordinator"].email, "--name", "over-http")
    over_http = Feed.objects.get(name="over-http")
    assert _feed_values(over_http) == expected
    before = list(Indicator.objects.filter(feed=over_http).values_list("pk", "last_seen"))
    capsys.readouterr()
    call_command("import_misp_feed", url, "--key", key)
    assert '"status": "unchanged"' in capsys.readouterr().out
    assert list(Indicator.objects.filter(feed=over_http).values_list("pk", "last_seen")) == \
        before

    # A retraction: gone from searches, deleted in the event view and in the feed.
    report_retract(report=reports.partners, acting_user=people["utrecht"], reason="wrong")
    misp = misp_for(people["partner"])
    assert reports.partners.pk not in event_ids(misp.search(controller="events"))
    assert misp.search(controller="attributes", value=PARTNER_IP)["Attribute"] == []
    view = misp.get_event(reports.partners.pk)["Event"]
    assert view["deleted"] is True and all(a["deleted"] for a in view["Attribute"])
    call_command("export_misp_feed", str(directory))
    event = orjson.loads((directory / f"{reports.partners.uuid}.json").read_bytes())
    assert all(a["deleted"] for a in event["Event"]["Attribute"])
    hashes = (directory / "hashes.csv").read_text()
    assert str(reports.partners.uuid) not in hashes
