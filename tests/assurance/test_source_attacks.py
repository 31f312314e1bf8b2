"""The attacks on the source of anonymous reports, played as the outside attacker played them
(issue: confidentiality holes, items 1, 11 and 12). The general proof is
``test_source_identity.py``; these are the reported attacks, one by one, against the running
server and its real clients.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client

from vrisac.accounts.services import token_create
from vrisac.core.testing import client_for, make_report
from vrisac.interop.misp.mapping import org_uuid
from vrisac.interop.stix.export import organisation_identity
from vrisac.organisations.models import Organisation

ANONYMOUS_VALUE = "45.83.12.77"


def identifiers(organisation: Organisation, *people: Any) -> list[str]:
    """Every way a response can name an organisation and its people."""
    out = [organisation.name, organisation.slug, org_uuid(organisation.slug),
           organisation_identity(organisation)["id"],
           f'"org_id": "{organisation.pk}"', f'"orgc_id": "{organisation.pk}"',
           f'"org_id":"{organisation.pk}"', f'"orgc_id":"{organisation.pk}"',
           f'"id": "{organisation.pk}"', f'"id":"{organisation.pk}"']
    for person in people:
        out += [person.name, person.email]
    return out


def named_in(body: str, names: list[str]) -> list[str]:
    return [name for name in names if name in body]


@pytest.fixture
def anonymous_report(people: dict[str, Any]) -> Any:
    return make_report(people["utrecht"], title="Seen by a region", tlp="TLP:GREEN",
                       audience="partners", anonymous=True,
                       indicators=[{"type": "ipv4", "value": ANONYMOUS_VALUE}])


def test_pymisp_cannot_name_the_source_of_an_anonymous_report(
        live_server: Any, transactional_db: Any, people: dict[str, Any],
        anonymous_report: Any) -> None:
    """Item 1: ``attributes/restSearch`` gave each attribute its event's real ``org_id``, and
    ``organisations/index`` turned it into a name. Now every search, format and event view
    names the neutral source to a participant or partner of another organisation; the
    coordinator and the source's own organisation still see it."""
    from pymisp import PyMISP

    logging.getLogger("pymisp").setLevel(logging.CRITICAL)
    utrecht = Organisation.objects.get(slug="utrecht")
    hidden = identifiers(utrecht, people["utrecht"], people["utrecht2"])

    def misp(user: Any) -> Any:
        _token, raw = token_create(user=user, scopes=["misp:read"])
        return PyMISP(f"{live_server.url}/misp/", raw, ssl=False, timeout=30)

    for reader in ("haaglanden", "partner"):
        client = misp(people[reader])
        ids = {o["Organisation"]["id"]: o["Organisation"]["name"]
               for o in client.organisations()}
        found = client.search(controller="attributes", value=ANONYMOUS_VALUE)
        assert found["Attribute"], reader
        for attribute in found["Attribute"]:
            event = attribute["Event"]
            # The attacker's step: the event's organisation id, looked up in the index.
            assert ids.get(event["org_id"]) is None and ids.get(event["orgc_id"]) is None
        answers = [json.dumps(found)]
        for form in ("json", "csv", "text", "stix2"):
            for controller in ("attributes", "events"):
                answers.append(str(client.search(controller=controller, value=ANONYMOUS_VALUE,
                                                 return_format=form)))
        answers.append(json.dumps(client.get_event(anonymous_report.pk)))
        answers.append(json.dumps(client.events()))
        leaked = named_in("\n".join(answers), hidden)
        assert not leaked, (reader, leaked)
    for insider in ("coordinator", "utrecht2"):
        event = misp(people[insider]).get_event(anonymous_report.pk)["Event"]
        assert event["Orgc"]["name"] == utrecht.name, insider


def test_the_named_people_of_an_anonymous_report_do_not_tell_its_source(
        people: dict[str, Any]) -> None:
    """Item 11: an anonymous TLP:RED report naming a colleague of its source showed every
    recipient's address; now those who may not know the source see themselves and a count,
    on the page and in the API."""
    author, colleague = people["utrecht"], people["utrecht2"]
    reader = people["haaglanden"]
    report = make_report(author, title="Only for you two", tlp="TLP:RED", audience="people",
                         anonymous=True, audience_people=[colleague, reader])
    page = client_for(reader).get(f"/reports/{report.pk}/").content.decode()
    assert reader.name in page
    assert colleague.name not in page and colleague.email not in page
    assert "1 andere genoemde persoon" in page
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=reader)[1]}")
    item = api.get(f"/api/v1/reports/{report.pk}").json()
    assert item["audience_people"] == [reader.email]
    # The source's own organisation and the coordinators see everyone named.
    own = client_for(colleague).get(f"/reports/{report.pk}/").content.decode()
    assert reader.name in own and colleague.name in own


def test_the_audit_log_does_not_tell_the_administrator_who_shared_anonymously(
        people: dict[str, Any], anonymous_report: Any) -> None:
    """Item 12: ``/audit/?action=report.create`` named the author of anonymous reports to the
    administrator, and filtering by person or organisation found them. Coordinators still
    see who."""
    utrecht = Organisation.objects.get(slug="utrecht")
    author = people["utrecht"]
    about = f"reports.report {anonymous_report.pk}<"
    admin = client_for(people["admin"])

    def rows(url: str, client: Client = admin) -> list[str]:
        body = client.get(url).content.decode().split("<tbody>", 1)[1].split("</tbody>")[0]
        return body.split("<tr>")[1:]

    listed = [row for row in rows("/audit/?action=report.create") if about in row]
    assert listed, "the row is there"
    for row in listed:  # ... but not its actor, organisation or address
        assert not named_in(row, [author.name, author.email, utrecht.name]), row
    for url in (f"/audit/?person={author.pk}", f"/audit/?organisation={utrecht.pk}",
                f"/audit/?person={author.pk}&action=report.create"):
        assert not [row for row in rows(url) if about in row], url
    coordinator = [row for row in rows(f"/audit/?person={author.pk}&action=report.create",
                                       client_for(people["coordinator"])) if about in row]
    assert coordinator and author.name in coordinator[0]


def test_an_unnamed_sighting_stays_unnamed_in_the_audit_log(people: dict[str, Any],
                                                          anonymous_report: Any) -> None:
    """The same rule for a sighting whose organisation chose not to be named."""
    from vrisac.intel.services import sighting_add

    made = sighting_add(acting_user=people["haaglanden"], kind="seen", value=ANONYMOUS_VALUE,
                        named=False, source="")
    body = client_for(people["admin"]).get(
        f"/audit/?person={people['haaglanden'].pk}").content.decode()
    assert f"intel.sighting {made[0].pk}" not in body
