"""Who may write a version of a STIX id in a TAXII collection, played with taxii2-client
2.3.0 against a running server: a STIX id belongs to the organisation that first stored it
(the ids the platform writes, to the platform), and an object names as its creator only
its poster's own organisation or a third party. A refused object is a failure of the status
resource (TAXII 2.1 section 4.3) and changes nothing; the platform's own versions of its
reports always reach the collections that carry them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from requests.auth import HTTPBasicAuth
from taxii2client.v21 import Collection

from vrisac.core.testing import make_report
from vrisac.interop.stix.export import PLATFORM_IDENTITY, stable_id
from vrisac.interop.taxii.collections import collection_id
from vrisac.reports.services import report_retract

from .conftest import indicator, raw_token

FUTURE = "2099-01-01T00:00:00.000Z"


def identity_of(slug: str) -> str:
    """The identity the platform writes for an organisation."""
    return stable_id("identity", "organisation", slug)


class English(HTTPBasicAuth):
    """The person's e-mail address and token, asking for answers in English."""

    def __call__(self, request: Any) -> Any:
        request.headers["Accept-Language"] = "en"
        return super().__call__(request)


def collection(live_server: Any, key: str, user: Any) -> Collection:
    url = f"{live_server.url}/taxii2/api/collections/{collection_id(key)}/"
    return Collection(url, auth=English(user.email, raw_token(user)))


def latest(reader: Collection, stix_id: str) -> dict[str, Any]:
    objects = reader.get_object(stix_id)["objects"]
    assert len(objects) == 1
    return dict(objects[0])


def failures(status: Any) -> dict[str, str]:
    """The refused objects of a status, id -> message; the counts add up."""
    assert status.status == "complete"
    assert status.total_count == status.success_count + status.failure_count
    assert all(f["version"] and f["message"] for f in status.failures)
    return {f["id"]: f["message"] for f in status.failures}


@pytest.mark.django_db(transaction=True)
def test_another_organisations_report_cannot_be_forged_and_its_retraction_arrives(
        live_server: Any, people: Any) -> None:
    """The attack: Haaglanden posts a newer version of Utrecht's report, dated 2099 and
    naming Utrecht as its creator. It is refused; readers keep the platform's version, and
    Utrecht's retraction reaches them as the latest version."""
    author = people["utrecht"]
    report = make_report(author, audience="participants", title="Real report",
                         indicators=[{"type": "domain", "value": "real.example"}])
    stix_id = f"report--{report.uuid}"
    reader = collection(live_server, "participants", people["vnog"])
    before = latest(reader, stix_id)
    versions = reader.object_versions(stix_id)["versions"]

    forged = {**before, "name": "Forged report", "modified": FUTURE,
              "created_by_ref": identity_of("utrecht"), "description": "forged"}
    attacker = collection(live_server, "participants", people["haaglanden"])
    status = attacker.add_objects({"objects": [forged]}, poll_interval=0.1)
    refused = failures(status)
    assert set(refused) == {stix_id} and status.success_count == 0
    assert "another organisation" in refused[stix_id]
    status.refresh()  # the status resource, read again
    assert failures(status) == refused
    assert latest(reader, stix_id) == before
    assert reader.object_versions(stix_id)["versions"] == versions

    report_retract(report=report, acting_user=author, reason="wrong")
    now = latest(reader, stix_id)
    assert now["revoked"] is True and now["name"] == "Real report"
    assert len(reader.object_versions(stix_id)["versions"]) == len(versions) + 1


def identity(name: str, stix_id: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "identity", "spec_version": "2.1",
            "id": stix_id or f"identity--{uuid.uuid4()}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "name": name, "identity_class": "organization", **extra}


def later(obj: dict[str, Any], month: int, **changes: Any) -> dict[str, Any]:
    return {**obj, "modified": f"2026-{month:02d}-01T00:00:00.000Z", **changes}


@pytest.mark.django_db(transaction=True)
def test_whose_ids_and_which_creators_a_participant_and_a_partner_may_write(
        live_server: Any, people: Any) -> None:
    from vrisac.organisations.models import Organisation

    utrecht = collection(live_server, "participants", people["utrecht"])
    own = indicator(1, created_by_ref=identity_of("utrecht"))
    soc = identity("Utrecht SOC")
    assert failures(utrecht.add_objects({"objects": [own, soc]}, poll_interval=0.1)) == {}
    # The same poster, and a colleague of the same organisation, write newer versions.
    colleague = collection(live_server, "participants", people["utrecht2"])
    newer = later(own, 2, name="renamed", created_by_ref=soc["id"])
    assert failures(colleague.add_objects({"objects": [newer]}, poll_interval=0.1)) == {}

    haaglanden = collection(live_server, "participants", people["haaglanden"])
    attempts = [
        later(own, 3, name="hijacked"),                      # another organisation's object
        later(soc, 3, name="Haaglanden SOC"),                # another organisation's identity
        identity("Veiligheidsregio Utrecht (new)", identity_of("utrecht")),  # the platform's
        indicator(2, created_by_ref=identity_of("utrecht")),  # claims Utrecht
        indicator(3, created_by_ref=PLATFORM_IDENTITY),      # claims the platform
        indicator(4, created_by_ref=soc["id"]),              # claims Utrecht's own identity
        indicator(5, extensions={"x-acme-ext": {"x_acme_created_by_ref": identity_of("utrecht")}}),
        identity(Organisation.objects.get(slug="utrecht").name),  # a new identity named so
        identity("VR-ISAC"),
    ]
    mine = indicator(6, created_by_ref=identity_of("haaglanden"))
    mine_too = identity("Haaglanden SOC")
    status = haaglanden.add_objects({"objects": [*attempts, mine, mine_too]},
                                    poll_interval=0.1)
    refused = failures(status)
    assert list(refused) == [a["id"] for a in attempts]
    assert [s["id"] for s in status.successes] == [mine["id"], mine_too["id"]]
    assert not any("Utrecht" in message for message in refused.values()
                   if "named" not in message)  # a refusal does not name the owner

    reader = collection(live_server, "participants", people["vnog"])
    assert latest(reader, own["id"]) == newer
    assert reader.object_versions(own["id"])["versions"] == [own["modified"], newer["modified"]]
    assert latest(reader, soc["id"]) == soc
    stored = {o["id"] for o in reader.get_objects()["objects"]}
    assert stored == {own["id"], soc["id"], mine["id"], mine_too["id"]}

    # A partner posts to the collection it shares with the participants: its own objects,
    # naming itself; not a version of a participant's object, nor naming a participant.
    partner = collection(live_server, "partners", people["partner"])
    ncsc = indicator(7, created_by_ref=identity_of("ncsc"))
    status = partner.add_objects({"objects": [ncsc, indicator(8, created_by_ref=identity_of(
        "utrecht"))]}, poll_interval=0.1)
    assert len(failures(status)) == 1 and status.successes[0]["id"] == ncsc["id"]
    assert failures(partner.add_objects({"objects": [later(ncsc, 2)]}, poll_interval=0.1)) == {}
    assert len(failures(partner.add_objects({"objects": [later(own, 4)]},
                                            poll_interval=0.1))) == 1  # names Utrecht
    in_partners = collection(live_server, "partners", people["utrecht"])
    assert len(failures(in_partners.add_objects({"objects": [later(ncsc, 5)]},
                                                poll_interval=0.1))) == 1
    assert latest(collection(live_server, "partners", people["vnog"]), ncsc["id"]) == later(
        ncsc, 2)


# --- the same rules, and what else the path allows, through the protocol ------------------

TAXII = "application/taxii+json;version=2.1"


def client_of(user: Any) -> Any:
    from django.test import Client

    from .conftest import basic

    return Client(HTTP_AUTHORIZATION=basic(user, raw_token(user)), HTTP_ACCEPT=TAXII,
                  HTTP_ACCEPT_LANGUAGE="en")


def url(key: str, tail: str = "objects/") -> str:
    return f"/taxii2/api/collections/{collection_id(key)}/{tail}"


def post(client: Any, objects: list[dict[str, Any]], key: str = "participants"
         ) -> dict[str, Any]:
    import orjson

    response = client.post(url(key), orjson.dumps({"objects": objects}), content_type=TAXII)
    assert response.status_code == 202, response.content
    status = orjson.loads(response.content)
    assert status["total_count"] == status["success_count"] + status["failure_count"]
    return dict(status)


def refused(status: dict[str, Any]) -> dict[str, str]:
    return {f["id"]: f["message"] for f in status["failures"]}


def read(client: Any, stix_id: str, key: str = "participants", tail: str = "") -> Any:
    import orjson

    response = client.get(url(key, f"objects/{stix_id}/{tail}"))
    if response.status_code == 404:
        return None
    body = orjson.loads(response.content)
    return body["versions"] if tail else body["objects"]


def moment(minutes: float) -> str:
    from datetime import timedelta

    from django.utils import timezone

    from vrisac.interop.stix.export import timestamp

    return timestamp(timezone.now() + timedelta(minutes=minutes))


@pytest.mark.django_db
def test_a_version_dated_in_the_future_is_refused(people: Any) -> None:
    """A version dated years ahead would stay the latest over every later one."""
    client = client_of(people["utrecht"])
    far = indicator(1, modified=FUTURE)
    near = indicator(2, created=moment(-1), modified=moment(2))  # a clock a little ahead
    status = post(client, [far, near, {**indicator(3), "created": FUTURE}])
    assert list(refused(status)) == [far["id"], status["failures"][1]["id"]]
    assert "in the future" in status["failures"][0]["message"]
    assert read(client, far["id"]) is None and read(client, near["id"]) == [near]


@pytest.mark.django_db
def test_the_platforms_definitions_and_identities_are_written_by_the_platform_alone(
        people: Any) -> None:
    from vrisac.interop.stix import markings

    make_report(people["utrecht"], audience="participants", tlp="TLP:AMBER")
    client = client_of(people["utrecht"])
    amber = markings.marking_definition("TLP:AMBER")
    own_identity = read(client, identity_of("utrecht"))[0]
    status = post(client, [amber, own_identity])  # as the platform wrote them: no change
    assert status["failure_count"] == 0
    assert all("nothing changed" in s["message"] for s in status["successes"])
    white = {**amber, "created": "2022-10-02T00:00:00.000Z", "name": "TLP:CLEAR"}
    legacy = {"type": "marking-definition", "spec_version": "2.1",
              "id": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
              "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp",
              "definition": {"tlp": "white"}}
    renamed = later(own_identity, 3, name="Utrecht, renamed")
    status = post(client, [white, legacy, renamed, markings.extension_definition() | {
        "modified": "2026-01-01T00:00:00.000Z"}])
    assert status["success_count"] == 0
    assert all("written by the platform" in f["message"] for f in status["failures"])
    assert read(client, amber["id"]) == [amber]
    # Nor may the organisation whose report brought them into the collection delete them.
    for stix_id in (amber["id"], identity_of("utrecht"), markings.TLP_EXTENSION_ID):
        assert client.delete(url("participants", f"objects/{stix_id}/")).status_code == 403
    assert read(client, identity_of("utrecht")) == [own_identity]


@pytest.mark.django_db
def test_a_cyber_observable_is_nobodys_and_an_unchanged_one_adds_no_version(
        people: Any) -> None:
    """Its id is derived from its value, the same for everyone who sees the address (and
    the same in a report the poster may not read: a refusal would tell it exists)."""
    from vrisac.interop.stix.mapping import to_stix

    make_report(people["utrecht"], audience="organisation",
                indicators=[{"type": "ipv4", "value": "192.0.2.7"}])
    address = to_stix("ipv4", "192.0.2.7").objects[0]
    utrecht, haaglanden = client_of(people["utrecht"]), client_of(people["haaglanden"])
    assert post(haaglanden, [address])["failure_count"] == 0
    assert post(utrecht, [address])["successes"][0]["message"]  # already stored as posted
    assert len(read(utrecht, address["id"], tail="versions/")) == 1
    marked = {**address, "object_marking_refs": [
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}
    assert post(utrecht, [marked])["failure_count"] == 0
    assert read(haaglanden, address["id"]) == [marked]


@pytest.mark.django_db
def test_an_object_takes_a_bounded_number_of_versions(people: Any, monkeypatch: Any) -> None:
    from vrisac.interop.taxii import services

    monkeypatch.setattr(services, "MAX_VERSIONS", 3)
    client = client_of(people["utrecht"])
    first = indicator(1)
    status = post(client, [first, *(later(first, month) for month in (2, 3, 4))])
    assert status["success_count"] == 3 and "versions" in status["failures"][0]["message"]
    assert "2026-04" in status["failures"][0]["version"]
    assert post(client, [later(first, 5)])["failure_count"] == 1
    assert len(read(client, first["id"], tail="versions/")) == 3


@pytest.mark.django_db
def test_a_report_posted_over_taxii_is_revoked_where_it_was_posted(
        people: Any, django_capture_on_commit_callbacks: Any) -> None:
    """The platform report taken in from a posted report leaves the posted objects as they
    came, until it is retracted: the revocation is the latest version there, even over a
    version the poster dated a little ahead."""
    from vrisac.reports.models import Report

    client = client_of(people["utrecht"])
    one = indicator(1)
    posted: dict[str, Any] = {
        "type": "report", "spec_version": "2.1", "id": f"report--{uuid.uuid4()}",
        "created": moment(-1), "modified": moment(4), "published": moment(-1),
        "name": "Posted over TAXII", "object_refs": [one["id"]],
        "created_by_ref": identity_of("utrecht")}
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, [posted, one])["failure_count"] == 0
    report = Report.objects.get(title="Posted over TAXII")
    assert read(client, posted["id"]) == [posted]
    report_retract(report=report, acting_user=people["coordinator"], reason="moderated")
    reader = client_of(people["vnog"])
    now = read(reader, posted["id"])[0]
    assert now["revoked"] is True and now["modified"] > posted["modified"]
    assert read(reader, one["id"])[0]["revoked"] is True
    assert len(read(reader, posted["id"], tail="versions/")) == 2


@pytest.mark.django_db
def test_copies_of_a_reports_ids_give_way_when_the_report_reaches_the_collection(
        people: Any) -> None:
    """Haaglanden may read a report Utrecht shared with it by name, and posts the report's
    id (refused: Utrecht's) and its indicator's id (the platform made it; nothing tells the
    poster so) to all participants; it also posts the id of a report it may not read (not
    refused: that would tell it exists). When the reports reach the collection, those
    copies are gone and the platform's versions are the latest and only ones."""
    from vrisac.interop.stix.export import report_objects
    from vrisac.organisations.models import Organisation
    from vrisac.reports.services import report_update

    named = make_report(people["utrecht"], audience="organisations",
                        audience_organisations=[Organisation.objects.get(slug="haaglanden")],
                        indicators=[{"type": "domain", "value": "named.example"}])
    hidden = make_report(people["utrecht"], audience="organisation")
    exported = {o["type"]: o for o in report_objects(named)}
    haaglanden = client_of(people["haaglanden"])
    copies = [later(exported["report"], 11, modified=moment(3)),
              {**exported["indicator"], "modified": moment(3), "name": "copied"},
              {**later(exported["report"], 11, modified=moment(3)),
               "id": f"report--{hidden.uuid}"}]
    status = post(haaglanden, [{**c, "created_by_ref": identity_of("haaglanden")}
                               for c in copies])
    assert list(refused(status)) == [copies[0]["id"]]
    widened = [report_update(report=report, acting_user=people["utrecht"],
                             audience="participants") for report in (named, hidden)]
    reader = client_of(people["vnog"])
    for report in widened:
        platform = {o["id"]: o for o in report_objects(report)}
        for stix_id in (f"report--{report.uuid}", *(i for i in platform
                                                    if i.startswith("indicator--"))):
            assert read(reader, stix_id) == [platform[stix_id]]
            assert read(reader, stix_id, tail="versions/") == [platform[stix_id]["modified"]]


@pytest.mark.django_db
def test_an_id_another_organisation_stored_first_stays_theirs_when_a_report_carries_it(
        people: Any) -> None:
    """Haaglanden posted an indicator and a report over TAXII. Utrecht imports a bundle
    carrying that indicator under its id (the STIX import keeps ids) and retracts it, and
    makes a report whose uuid is the posted report's (a MISP event's uuid can be chosen):
    neither lays a version over Haaglanden's objects in the collection."""
    from vrisac.interop.stix.services import objects_import
    from vrisac.reports.models import Report

    haaglanden = client_of(people["haaglanden"])
    theirs = indicator(1, created_by_ref=identity_of("haaglanden"))
    posted: dict[str, Any] = {
        "type": "report", "spec_version": "2.1", "id": f"report--{uuid.uuid4()}",
        "created": moment(-2), "modified": moment(-2), "published": moment(-2),
        "name": "Haaglanden's", "object_refs": [theirs["id"]]}
    assert post(haaglanden, [theirs, posted])["failure_count"] == 0
    bundle = [{**theirs, "modified": moment(0), "name": "laundered"},
              {**posted, "id": f"report--{uuid.uuid4()}", "modified": moment(0),
               "name": "Utrecht's import"}]
    result = objects_import(acting_user=people["utrecht"], objects=bundle,
                            where="bundle.json", audience="participants")
    imported = Report.objects.get(pk=result.created[0])
    report_retract(report=imported, acting_user=people["utrecht"], reason="withdrawn")
    make_report(people["utrecht"], audience="participants", title="Chosen uuid",
                uuid=uuid.UUID(posted["id"].removeprefix("report--")))
    reader = client_of(people["vnog"])
    assert read(reader, theirs["id"]) == [theirs]
    assert read(reader, posted["id"]) == [posted]
    assert read(reader, bundle[1]["id"])[0]["revoked"] is True  # Utrecht's own report


def test_a_report_shared_again_adds_no_version_of_its_unchanged_observables(
        people: dict[str, Any]) -> None:
    """An observable's version is the time it was added: sharing a report again (an edit of
    its text) must not add a version of each of its unchanged observables."""
    from vrisac.interop.taxii.models import TaxiiObject
    from vrisac.interop.taxii.services import report_shared

    report = make_report(people["utrecht"], tlp="TLP:GREEN", audience="partners",
                         indicators=[{"type": "domain", "value": "observed-once.example.nl"}])
    observables = TaxiiObject.objects.filter(type="domain-name")
    assert observables.count() == 1
    report_shared(report=report)
    report_shared(report=report)
    assert observables.count() == 1
