"""The read paths (faces) of the platform, each as one small entry for the confidentiality
proof: a function that, given a world and a person, returns what that face shows the person
as a set of refs (``("report", 2)``, ``("indicator", (2, 0))``, ``("warning", 1)`` ...).

Every face is held to soundness (it reveals nothing the oracle does not allow). A face that
lists things also says what it must list (``expect``), so a face that forgets what it should
show fails as well. ``routes`` are the URL routes the face covers; the coverage test in
test_confidentiality.py enumerates the URLconf and fails on any route no face covers and no
entry of ``NOT_SHARED_CONTENT`` explains.

Adding a face (TAXII, MISP, a STIX export...) is one ``@face(...)`` function here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core import mail
from django.test import Client

from .world import (
    COMMON_WORD,
    KEYS,
    MARKER,
    NAMEABLE_ORGS,
    ZONE,
    Oracle,
    Person,
    Ref,
    World,
    marker,
    only,
)

Reveal = Callable[[World, "Person | None"], set[Ref]]
Expect = Callable[[Oracle, "Person | None"], set[Ref]]


@dataclass(frozen=True)
class Face:
    name: str
    routes: tuple[str, ...]
    reveal: Reveal
    #: What the face must show in full (``None``: soundness only).
    expect: Expect | None = None
    #: The kinds of refs ``expect`` speaks of (what the face lists).
    kinds: tuple[str, ...] = ()


FACES: list[Face] = []


def face(name: str, *, routes: tuple[str, ...], expect: Expect | None = None,
         kinds: tuple[str, ...] = ()) -> Callable[[Reveal], Reveal]:
    def register(fn: Reveal) -> Reveal:
        FACES.append(Face(name, routes, fn, expect, kinds))
        return fn
    return register


# --- helpers -------------------------------------------------------------------------------

def web(world: World, person: Person | None) -> Client:
    """The person's browser session (the leaver's is from before their seat ended)."""
    return world.web[person.key] if person is not None else Client()


def api(world: World, person: Person | None) -> Client | None:
    """The person's API token client (the leaver's token is from before; it was revoked)."""
    if person is None:
        return None
    return world.api.get(person.key)


def signed_in(person: Person | None) -> bool:
    return person is not None and person.active


def fetch(client: Client, url: str) -> bytes:
    """A response body; a redirect (to the login page) or an error shows nothing."""
    response = client.get(url)
    if response.status_code != 200:
        assert response.status_code in (302, 401, 403, 404), (url, response.status_code)
        return b""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return bytes(response.content)


def _members(expect: Expect) -> Expect:
    """Members' pages show nothing to someone who is not signed in."""
    return lambda oracle, person: expect(oracle, person) if signed_in(person) else set()


def _readers(expect: Expect) -> Expect:
    """Intelligence pages and the API are for the content roles (the observer sees
    aggregates only; the API has no tokens for the observer and the administrator)."""
    return lambda oracle, person: (expect(oracle, person)
                                   if person is not None and person.reads_content else set())


def _status_face(world: World, client: Client | None, template: str,
                 table: dict[Any, int], kind: str) -> set[Ref]:
    """Detail pages: each object answers 200 (shown, and what the page names) or 404."""
    out: set[Ref] = set()
    if client is None:
        return out
    for key, pk in table.items():
        response = client.get(template.format(pk=pk))
        if response.status_code == 200:
            out.add((kind, key))
            out |= world.refs_in(response.content)
        else:
            assert response.status_code in (302, 401, 403, 404), (template, response.status_code)
    return out


def author_marker(world: World, i: int) -> str:
    """The marker in the name of the author of report ``i``."""
    return marker("p", KEYS.index(world.spec.reports[i].author))


def hidden_sources(world: World, person: Person | None) -> set[int]:
    """Anonymous reports whose source this person may not know (docs/architecture.md)."""
    oracle = Oracle(world)
    return {i for i, r in enumerate(world.spec.reports)
            if r.anonymous and not oracle.source(person, i)}


# --- HTML pages -----------------------------------------------------------------------------

@face("report list page", routes=("reports/",), kinds=("report",),
      expect=_members(lambda o, p: o.reports(p)))
def report_list_page(world: World, person: Person | None) -> set[Ref]:
    return world.refs_in(fetch(web(world, person), "/reports/?per_page=100"))


@face("report pages", routes=("reports/<int:pk>/", "reports/<int:pk>/history/"),
      kinds=("report",), expect=_members(lambda o, p: o.reports(p)))
def report_pages(world: World, person: Person | None) -> set[Ref]:
    client = web(world, person)
    shown = _status_face(world, client, "/reports/{pk}/", world.report_pk, "report")
    for i in hidden_sources(world, person) & {i for _kind, i in only(["report"], shown)}:
        page = fetch(client, f"/reports/{world.report_pk[i]}/").decode()
        assert author_marker(world, i) not in page, f"the source of anonymous report {i}"
    for pk in world.report_pk.values():
        # Earlier versions: editors and moderators only, never more than the report.
        shown |= world.refs_in(fetch(client, f"/reports/{pk}/history/"))
    return shown


@face("dashboard", routes=("dashboard/",))
def dashboard(world: World, person: Person | None) -> set[Ref]:
    return world.refs_in(fetch(web(world, person), "/dashboard/"))


@face("indicator list page", routes=("intel/",), kinds=("indicator",),
      expect=_readers(lambda o, p: only(["indicator"], o.indicators(p))))
def indicator_list_page(world: World, person: Person | None) -> set[Ref]:
    return world.refs_in(fetch(web(world, person), "/intel/"))


@face("indicator pages (correlations, sightings)", routes=("intel/indicators/<int:pk>/",),
      kinds=("indicator",),
      expect=_readers(lambda o, p: only(["indicator"], o.indicators(p))))
def indicator_pages(world: World, person: Person | None) -> set[Ref]:
    return _status_face(world, web(world, person), "/intel/indicators/{pk}/",
                        world.indicator_pk, "indicator")


@face("search page", routes=("intel/search/",), kinds=("report",),
      expect=_readers(lambda o, p: o.reports(p)))
def search_page(world: World, person: Person | None) -> set[Ref]:
    client = web(world, person)
    return (world.refs_in(fetch(client, f"/intel/search/?q={COMMON_WORD}"))
            | world.refs_in(fetch(client, f"/intel/search/?q={ZONE}")))


@face("indicator export page (CSV and text)", routes=("intel/export/",),
      kinds=("indicator", "value"),
      expect=_readers(lambda o, p: o.exported(p)))
def export_page(world: World, person: Person | None) -> set[Ref]:
    client = web(world, person)
    csv = world.refs_in(fetch(client, "/intel/export/?download=1&format=csv"))
    text = world.refs_in(fetch(client, "/intel/export/?download=1&format=text&type=domain"))
    return csv | text


@face("correlation page", routes=("intel/correlation/",))
def correlation_page(world: World, person: Person | None) -> set[Ref]:
    return world.refs_in(fetch(web(world, person), "/intel/correlation/"))


@face("warning list page", routes=("warnings/",), kinds=("warning",),
      expect=_members(lambda o, p: o.warnings(p)))
def warning_list_page(world: World, person: Person | None) -> set[Ref]:
    return world.refs_in(fetch(web(world, person), "/warnings/"))


@face("warning pages", routes=("warnings/<int:pk>/",), kinds=("warning",),
      expect=_members(lambda o, p: o.warnings(p)))
def warning_pages(world: World, person: Person | None) -> set[Ref]:
    return _status_face(world, web(world, person), "/warnings/{pk}/", world.warning_pk,
                        "warning")


@face("warning overview (aggregates)", routes=("warnings/overview/",))
def warning_overview(world: World, person: Person | None) -> set[Ref]:
    return world.refs_in(fetch(web(world, person), "/warnings/overview/"))


@face("inventory pages", routes=("inventory/", "inventory/export.csv", "inventory/common/"),
      kinds=("item",), expect=_members(lambda o, p: o.items(p)))
def inventory_pages(world: World, person: Person | None) -> set[Ref]:
    client = web(world, person)
    return (world.refs_in(fetch(client, "/inventory/"))
            | world.refs_in(fetch(client, "/inventory/export.csv"))
            | world.refs_in(fetch(client, "/inventory/common/")))


@face("notifications page", routes=("notifications/",))
def notifications_page(world: World, person: Person | None) -> set[Ref]:
    return world.refs_in(fetch(web(world, person), "/notifications/"))


@face("strategic dashboard (aggregates)", routes=("resilience/strategic/",))
def strategic_page(world: World, person: Person | None) -> set[Ref]:
    return world.refs_in(fetch(web(world, person), "/resilience/strategic/"))


@face("strategic report (PDF)", routes=("resilience/strategic/<str:period>/report.pdf",))
def strategic_pdf(world: World, person: Person | None) -> set[Ref]:
    """The quarterly report for the Veiligheidsberaad: aggregates only, read as text."""
    import io

    from pypdf import PdfReader

    from vrisac.resilience.periods import Period

    body = fetch(web(world, person), f"/resilience/strategic/{Period.current().key}/report.pdf")
    if not body:
        return set()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    assert "VR-ISAC" in text or "eiligheidsregio" in text  # the text was read
    return world.refs_in(text)


@face("audit log", routes=("audit/",))
def audit_log(world: World, person: Person | None) -> set[Ref]:
    """Coordinators and administrators: every row, and filtered by action, organisation and
    person (a filter that finds the author of an anonymous report names its source)."""
    from vrisac.core.testing import organisation

    client = web(world, person)
    out = world.refs_in(fetch(client, "/audit/"))
    for slug in NAMEABLE_ORGS:
        out |= world.refs_in(fetch(client, f"/audit/?action=report.create"
                                           f"&organisation={organisation(slug).pk}"))
    for someone in world.people.values():
        out |= world.refs_in(fetch(client, f"/audit/?person={someone.pk}"))
    return out


# --- REST API -------------------------------------------------------------------------------

def _json(client: Client | None, url: str) -> bytes:
    return fetch(client, url) if client is not None else b""


def _api_details(world: World, client: Client | None, kind: str, table: dict[Any, int],
                 *templates: str) -> set[Ref]:
    """Each object's API answers: shown when the first answers 200, with all they name."""
    out: set[Ref] = set()
    if client is None:
        return out
    for key, pk in table.items():
        bodies = [_json(client, template.format(pk=pk)) for template in templates]
        if bodies[0]:
            out.add((kind, key))
        for body in bodies:
            out |= world.refs_in(body)
    return out


@face("API reports", routes=("api/v1/reports", "api/v1/reports/<report_id>",
                             "api/v1/reports/<report_id>/comments"),
      kinds=("report", "comment"), expect=_readers(
          lambda o, p: only(["report", "comment"], o.allowed(p))))
def api_reports(world: World, person: Person | None) -> set[Ref]:
    client = api(world, person)
    listed = _json(client, "/api/v1/reports?limit=200")
    if listed:
        by_pk = {pk: i for i, pk in world.report_pk.items()}
        hidden = hidden_sources(world, person)
        for item in json.loads(listed)["items"]:
            if by_pk.get(item["id"]) in hidden:
                assert item["organisation"] is None and item["author"] is None, (
                    f"the source of anonymous report {by_pk[item['id']]}")
    return world.refs_in(listed) | _api_details(
        world, client, "report", world.report_pk,
        "/api/v1/reports/{pk}", "/api/v1/reports/{pk}/comments")


@face("API indicators and sightings", routes=(
    "api/v1/indicators", "api/v1/indicators/<indicator_id>",
    "api/v1/indicators/<indicator_id>/sightings"),
    kinds=("indicator", "sighting"), expect=_readers(
        lambda o, p: only(["indicator", "sighting"], o.allowed(p))))
def api_indicators(world: World, person: Person | None) -> set[Ref]:
    client = api(world, person)
    return world.refs_in(_json(client, "/api/v1/indicators?limit=500")) | _api_details(
        world, client, "indicator", world.indicator_pk,
        "/api/v1/indicators/{pk}", "/api/v1/indicators/{pk}/sightings")


@face("API search", routes=("api/v1/search",), kinds=("report",),
      expect=_readers(lambda o, p: o.reports(p)))
def api_search(world: World, person: Person | None) -> set[Ref]:
    client = api(world, person)
    return (world.refs_in(_json(client, f"/api/v1/search?q={COMMON_WORD}"))
            | world.refs_in(_json(client, f"/api/v1/search?q={ZONE}")))


@face("API exports (CSV and text)", routes=("api/v1/exports/csv", "api/v1/exports/text"),
      kinds=("indicator", "value"),
      expect=_readers(lambda o, p: o.exported(p)))
def api_exports(world: World, person: Person | None) -> set[Ref]:
    client = api(world, person)
    return (world.refs_in(_json(client, "/api/v1/exports/csv"))
            | world.refs_in(_json(client, "/api/v1/exports/text?type=domain")))


@face("API warnings", routes=("api/v1/warnings", "api/v1/warnings/<warning_id>",
                              "api/v1/warnings/statistics", "api/v1/warnings/overview"),
      kinds=("warning",), expect=_readers(lambda o, p: o.warnings(p)))
def api_warnings(world: World, person: Person | None) -> set[Ref]:
    client = api(world, person)
    return (world.refs_in(_json(client, "/api/v1/warnings"))
            | _api_details(world, client, "warning", world.warning_pk, "/api/v1/warnings/{pk}")
            | world.refs_in(_json(client, "/api/v1/warnings/statistics"))
            | world.refs_in(_json(client, "/api/v1/warnings/overview")))


@face("API inventory", routes=("api/v1/inventory", "api/v1/inventory/<item_id>",
                               "api/v1/inventory/export.csv", "api/v1/inventory/common"),
      kinds=("item",), expect=_readers(lambda o, p: o.items(p)))
def api_inventory(world: World, person: Person | None) -> set[Ref]:
    client = api(world, person)
    return (world.refs_in(_json(client, "/api/v1/inventory"))
            | world.refs_in(_json(client, "/api/v1/inventory/export.csv"))
            | world.refs_in(_json(client, "/api/v1/inventory/common")))


# --- exchange: STIX, TAXII, MISP -----------------------------------------------------------

@face("STIX export (web and API)", routes=("stix/reports/<int:pk>.json",
                                           "api/v1/stix/reports/<report_id>"),
      kinds=("report",), expect=_readers(lambda o, p: o.reports(p)))
def stix_export(world: World, person: Person | None) -> set[Ref]:
    shown = _status_face(world, web(world, person), "/stix/reports/{pk}.json",
                         world.report_pk, "report")
    return shown | _api_details(world, api(world, person), "report", world.report_pk,
                                "/api/v1/stix/reports/{pk}")


def _exchange_client(world: World, person: Person | None, *, raw: bool = False,
                     accept: str = "application/json") -> Client | None:
    """The person's API token on a machine face: ``Bearer`` (TAXII) or the raw key (MISP)."""
    client = api(world, person)
    if client is None:
        return None
    header = client.defaults["HTTP_AUTHORIZATION"]
    return Client(HTTP_AUTHORIZATION=header.split(" ", 1)[1] if raw else header,
                  HTTP_ACCEPT=accept)


def share_world_over_taxii(world: World) -> None:
    """The world is bulk-written; run the hook the report services run on every publish,
    edit and retraction, so the TAXII collections hold the world's reports."""
    from vrisac.interop.taxii.services import report_shared
    from vrisac.reports.models import Report

    for report in Report.objects.filter(pk__in=world.report_pk.values()).exclude(
            status="draft").order_by("pk"):
        report_shared(report=report)


@face("TAXII 2.1", routes=(
    "taxii2/", "taxii2/api/", "taxii2/api/collections/",
    "taxii2/api/collections/<str:collection>/",
    "taxii2/api/collections/<str:collection>/manifest/",
    "taxii2/api/collections/<str:collection>/objects/",
    "taxii2/api/collections/<str:collection>/objects/<str:object_id>/",
    "taxii2/api/collections/<str:collection>/objects/<str:object_id>/versions/"))
def taxii(world: World, person: Person | None) -> set[Ref]:
    """Discovery, every collection the token lists, its objects, manifest, and each report
    object with its versions."""
    share_world_over_taxii(world)
    client = _exchange_client(world, person, accept="application/taxii+json;version=2.1")
    if client is None:
        return set()
    out = world.refs_in(fetch(client, "/taxii2/")) | world.refs_in(fetch(client, "/taxii2/api/"))
    listing = fetch(client, "/taxii2/api/collections/")
    for collection in json.loads(listing or b"{}").get("collections", []):
        base = f"/taxii2/api/collections/{collection['id']}/"
        out |= world.refs_in(fetch(client, base)) | world.refs_in(fetch(client, base + "manifest/"))
        body = fetch(client, base + "objects/?limit=1000")
        out |= world.refs_in(body)
        for obj in json.loads(body or b"{}").get("objects", []):
            if obj.get("type") == "report":
                out |= world.refs_in(fetch(client, f"{base}objects/{obj['id']}/"))
                out |= world.refs_in(fetch(client, f"{base}objects/{obj['id']}/versions/"))
    return out


TAXII = "application/taxii+json;version=2.1"


def _collection_url(key: str) -> str:
    from vrisac.interop.taxii.collections import collection_id

    return f"/taxii2/api/collections/{collection_id(key)}/objects/"


def _post(client: Client, key: str, objects: list[dict[str, Any]]) -> Any:
    return client.post(_collection_url(key), json.dumps({"objects": objects}),
                       content_type=TAXII)


def _later_than_everything() -> str:
    """A ``modified`` after every stored version (and within the clock's allowance)."""
    from datetime import timedelta

    from django.utils import timezone

    from vrisac.interop.stix.export import timestamp

    return timestamp(timezone.now() + timedelta(minutes=1))


def _attempt(stix_id: str, **fields: Any) -> dict[str, Any]:
    """A version of an id: newer, relabelled (TLP:GREEN) and revoked in one."""
    return {"type": stix_id.partition("--")[0], "spec_version": "2.1", "id": stix_id,
            "created": "2026-01-01T00:00:00.000Z", "modified": _later_than_everything(),
            "name": "attempt", "revoked": True,
            "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
            **fields}


def _new_id(type_: str) -> str:
    import uuid

    return f"{type_}--{uuid.uuid4()}"


def post_as_everyone(world: World, oracle: Oracle) -> tuple[dict[str, Any], list[Any]]:
    """Every active author with a token posts, to each collection it may, an identity of
    its own and an indicator naming it as its creator: all accepted. Returns id -> how it
    was written, and (poster, status id) of each envelope."""
    from vrisac.accounts.models import User
    from vrisac.interop.taxii.collections import collection_for, collection_id
    from vrisac.interop.taxii.services import envelope_add
    from vrisac.sharing.policy import viewer_for

    from .world import Written

    written: dict[str, Any] = {}
    statuses: list[tuple[str, str]] = []
    for key, person in world.people.items():
        if key not in world.api or not person.reads_content:
            continue
        user = User.objects.get(pk=person.pk)
        for collection in sorted(oracle.collections(person)):
            identity = _attempt(_new_id("identity"), name=f"Poster {key}", revoked=False,
                                identity_class="organization")
            made = [identity, _attempt(_new_id("indicator"), revoked=False,
                                       created_by_ref=identity["id"])]
            # Through the service the TAXII view calls (the posts under test go over HTTP).
            found = collection_for(viewer_for(user), str(collection_id(collection)),
                                   with_label=True)
            assert found is not None, (key, collection)
            status = envelope_add(acting_user=user, collection=found, objects=made)
            assert status.success_count == 2, (key, collection, status.failures)
            statuses.append((key, str(status.id)))
            for obj in made:
                written[obj["id"]] = Written(platform=False, org=person.org,
                                             collections=frozenset({collection}))
    return written, statuses


def platform_written(world: World, oracle: Oracle) -> dict[str, Any]:
    """The ids the platform wrote: every world report's own id and its objects in the
    collection that carries it; the definitions and the identities of the platform and of
    the organisations. Cyber-observables (ids derived from values) are nobody's."""
    from vrisac.interop.stix.export import PLATFORM_IDENTITY, organisation_identity_id
    from vrisac.interop.stix.parsing import SCO_TYPES
    from vrisac.interop.taxii.collections import collection_id
    from vrisac.interop.taxii.models import TaxiiObject
    from vrisac.reports.models import Report

    from .world import NAMEABLE_ORGS, Written

    written: dict[str, Any] = {PLATFORM_IDENTITY: Written(platform=True)}
    for slug in NAMEABLE_ORGS:
        written[organisation_identity_id(slug)] = Written(platform=True, org=slug)
    by_pk = {pk: i for i, pk in world.report_pk.items()}
    for pk, report_uuid in Report.objects.filter(pk__in=by_pk).values_list("pk", "uuid"):
        i = by_pk[pk]
        key = oracle.collection_of(i)
        written[f"report--{report_uuid}"] = Written(
            platform=True, org=world.people[world.spec.reports[i].author].org, report=i,
            collections=frozenset({key} if key else ()))
    for stix_id, type_, report_id, collection in TaxiiObject.objects.filter(
            report_id__in=by_pk).values_list("stix_id", "type", "report_id", "collection"):
        i = by_pk[report_id]
        key = oracle.collection_of(i)
        assert key is not None and collection == collection_id(key), (
            f"report {i} is in a collection the rules do not give it")
        if type_ not in SCO_TYPES and stix_id not in written:
            written[stix_id] = Written(
                platform=True, org=world.people[world.spec.reports[i].author].org,
                report=i, collections=frozenset({key}))
    for stix_id in TaxiiObject.objects.filter(
            type__in=("marking-definition", "extension-definition")).values_list(
            "stix_id", flat=True).distinct():
        written[stix_id] = Written(platform=True)
    return written


def creator_fields(world: World) -> set[str]:
    """Where an object names its creator: ``created_by_ref``, and every property of the
    platform's own objects that points at an identity (a field added to the export is
    tried without anyone adding it here)."""
    from vrisac.interop.taxii.models import TaxiiObject

    fields = {"created_by_ref"}
    for body in TaxiiObject.objects.filter(report_id__in=world.report_pk.values()).values_list(
            "body", flat=True):
        for name, value in json.loads(bytes(body)).items():
            if name.endswith("_ref") and str(value).startswith("identity--"):
                fields.add(name)
    return fields


def _stored(ids: set[str]) -> set[tuple[Any, ...]]:
    from vrisac.interop.taxii.models import TaxiiObject

    return set(TaxiiObject.objects.filter(stix_id__in=ids).values_list(
        "collection", "stix_id", "version_at", "latest", "tlp", "audience", "body"))


@face("TAXII posts (who may write a version, whom an object may name)",
      routes=("taxii2/api/status/<uuid:status_id>/",))
def taxii_posts(world: World, person: Person | None) -> set[Ref]:
    """The person posts, to every collection there is, a newer, relabelled and revoked
    version of every id the platform or anyone else wrote, and new objects naming every
    identity as their creator (in every field that can). The oracle decides each; the
    status resource must say the same, and nothing refused changes."""
    from vrisac.interop.taxii.collections import collection_id

    from .world import NAMEABLE_ORGS

    share_world_over_taxii(world)
    oracle = Oracle(world)
    posted, statuses = post_as_everyone(world, oracle)
    written = {**platform_written(world, oracle), **posted}
    identities = {i: w for i, w in written.items() if i.startswith("identity--")}
    fields = creator_fields(world)
    client = _exchange_client(world, person, accept=TAXII)
    if client is None:
        return set()
    listing = fetch(client, "/taxii2/api/collections/")
    listed = {c["id"] for c in json.loads(listing or b"{}").get("collections", [])}
    assert listed == {str(collection_id(k)) for k in oracle.collections(person)}
    out: set[Ref] = set()
    for poster, status_id in statuses:  # a status resource is its poster's alone
        body = fetch(client, f"/taxii2/api/status/{status_id}/")
        assert bool(body) == (person is not None and poster == person.key), (poster, body)
        out |= world.refs_in(body)
    keys = ["participants", "partners", *(f"organisation:{slug}" for slug in NAMEABLE_ORGS)]
    for key in keys:
        versions = [_attempt(stix_id) for stix_id in written]
        claims = [(_attempt(_new_id("indicator"), revoked=False, **{name: ref}), ref)
                  for ref in identities for name in fields]
        expected = {obj["id"]: oracle.may_post_version(person, key, written[obj["id"]])
                    for obj in versions}
        expected.update({obj["id"]: oracle.may_name_creator(person, key, identities[ref])
                         for obj, ref in claims})
        before = _stored(set(written))
        response = _post(client, key, [*versions, *(obj for obj, _ref in claims)])
        if key not in oracle.collections(person):
            assert response.status_code in (401, 403, 404, 429), (key, response.status_code)
            assert _stored(set(written)) == before, f"a refused post to {key} changed it"
            continue
        assert response.status_code == 202, (key, response.content)
        status = json.loads(response.content)
        again = fetch(client, f"/taxii2/api/status/{status['id']}/")
        assert json.loads(again) == status
        out |= world.refs_in(again)
        accepted = {s["id"] for s in status["successes"]}
        wrong = {i: ok for i, ok in expected.items() if (i in accepted) != ok}
        assert not wrong, f"TAXII posts to {key}: accepted != oracle for {wrong}"
        refused = set(expected) - accepted
        assert _stored(refused) == {row for row in before if row[1] in refused}, (
            f"a refused post changed what {key} holds")
    return out


def _misp_reports(world: World) -> list[tuple[int, Any]]:
    from vrisac.reports.models import Report

    return list(Report.objects.filter(pk__in=world.report_pk.values())
                .order_by("pk").values_list("pk", "uuid"))


@face("MISP API", routes=(
    r"misp/^events/index(?:\.json)?(?P<named>(?:/[A-Za-z_]+:[^/]*)*)/?$",
    r"misp/^events/view/(?P<ref>[0-9A-Za-z-]{1,64})(?:\.json)?(?P<named>(?:/[A-Za-z_]+:[^/]*)*)/?$",
    r"misp/^(?P<controller>events|attributes)/restSearch(?:\.json)?"
    r"(?P<named>(?:/[A-Za-z_]+:[^/]*)*)/?$"))
def misp_api(world: World, person: Person | None) -> set[Ref]:
    """The index, every event by id and by uuid, and both searches in all four formats."""
    client = _exchange_client(world, person, raw=True)
    if client is None:
        return set()
    out = world.refs_in(fetch(client, "/misp/events/index"))
    for pk, ref in _misp_reports(world):
        out |= world.refs_in(fetch(client, f"/misp/events/view/{pk}"))
        out |= world.refs_in(fetch(client, f"/misp/events/view/{ref}"))
    for controller in ("events", "attributes"):
        for form in ("json", "csv", "text", "stix2"):
            response = client.post(f"/misp/{controller}/restSearch",
                                   data=json.dumps({"returnFormat": form, "limit": 1000}),
                                   content_type="application/json")
            assert response.status_code in (200, 403, 404), (controller, form,
                                                             response.status_code)
            if response.status_code == 200:
                out |= world.refs_in(response.content)
    return out


@face("MISP feed", routes=(r"misp/^feed/(?P<name>[^/]{1,100})$",))
def misp_feed(world: World, person: Person | None) -> set[Ref]:
    """The manifest, the value hashes and every event file, by the person's key."""
    client = _exchange_client(world, person, raw=True)
    if client is None:
        return set()
    out = world.refs_in(fetch(client, "/misp/feed/manifest.json"))
    out |= world.refs_in(fetch(client, "/misp/feed/hashes.csv"))
    for _pk, ref in _misp_reports(world):
        out |= world.refs_in(fetch(client, f"/misp/feed/{ref}.json"))
    return out


# --- e-mail ---------------------------------------------------------------------------------

def notify_world(world: World) -> None:
    """The real notification path: publishing tells everyone the policy allows, the
    immediate e-mails are sent (Django's outbox in tests; a real SMTP server in
    test_confidentiality_email.py)."""
    from vrisac.notifications.models import Notification
    from vrisac.notifications.services import notify_report_shared, send_pending
    from vrisac.reports.models import Report

    mail.outbox = []
    reports = Report.objects.filter(pk__in=world.report_pk.values(), status="published")
    created: list[int] = []
    for report in reports:
        created += [n.pk for n in notify_report_shared(report=report)]
    send_pending([n for n in created if Notification.objects.filter(
        pk=n, email_state=Notification.EmailState.PENDING).exists()])


def mail_for(world: World, person: Person | None, messages: list[Any]) -> set[Ref]:
    """The refs in the e-mails sent to ``person``."""
    if person is None:
        return set()
    from vrisac.accounts.models import User

    address = User.objects.get(pk=person.pk).email
    out: set[Ref] = set()
    for message in messages:
        if address in message.to:
            out |= world.refs_in(f"{message.subject}\n{message.body}")
    return out


def emailed(oracle: Oracle, person: Person | None) -> set[Ref]:
    """What e-mail must carry: published reports the person may see and did not write,
    never the text of a TLP:RED one; nothing to someone who left (public reports too)."""
    return {("report", i) for i, r in enumerate(oracle.spec.reports)
            if person is not None and person.active and r.status == "published"
            and r.tlp != "TLP:RED"
            and oracle.report(person, i) and r.author != person.key}


#: Labels whose text never travels by e-mail (docs/architecture.md: never TLP:RED; the
#: platform keeps AMBER and AMBER+STRICT titles out of mail as well).
TEXT_NEVER_MAILED = ("TLP:RED",)


def text_markers_mailed(world: World, messages: list[Any]) -> set[int]:
    """The reports whose title, summary or text appears in any e-mail (by its markers, not
    by its link)."""
    text = "\n".join(f"{m.subject}\n{m.body}" for m in messages)
    return {int(n) for kind, n, _rest in MARKER.findall(text) if kind in "rsb"}


@face("e-mail notifications", routes=(), kinds=("report",), expect=emailed)
def email_notifications(world: World, person: Person | None) -> set[Ref]:
    notify_world(world)
    messages = list(mail.outbox)
    red = {i for i, r in enumerate(world.spec.reports) if r.tlp in TEXT_NEVER_MAILED}
    assert not text_markers_mailed(world, messages) & red, "TLP:RED text in an e-mail"
    return mail_for(world, person, messages)


# --- routes that reveal no generated content -----------------------------------------------

#: Route (regular expression on the URLconf route) -> why it is not a face of the proof.
NOT_SHARED_CONTENT: dict[str, str] = {
    r"^(healthz|readyz|metrics|favicon\.ico)$": "operations: process state and counters",
    r"^accounts/": "the person's own account, sessions, second factor and tokens",
    r"^invite/": "an invitation by its secret token",
    r"^members/": "the organisation's own memberships",
    r"^i18n/setlang/$": "language switch",
    r"^django-admin/": "the Django admin: users, memberships, tokens; no shared content "
                       "is registered there",
    r"^api/v1/openapi\.json$": "the API description",
    r"^api/v1/$": "the API root",
    r"^api/v1/organisations$": "the list of organisations (public facts)",
    r"^(en/)?(contact|digitale-weerbaarheid|vr-isac|ncsc|nis2|cvd|digitale-ontwrichting|"
    r"podcasts|video|privacy)": "the public site and its contact form",
    r"^(en/)?$": "the public home page",
    r"^home$": "the public home page (its route is empty)",
    r"^ops/": "the jobs page: coordinators and administrators",
    # Writes: each answers 404 on what the person may not see (the services' tests); what
    # they change is read back through the faces above.
    r"^reports/(new|preview)/$": "a form (write)",
    r"^reports/<int:pk>/(edit|publish|retract|comments|attachments)/$": "a write on a "
        "report (404 when not visible: vrisac/reports/tests)",
    r"^intel/indicators/<int:pk>/(edit|remove|sighting)/$": "a write on an indicator",
    r"^intel/extract/": "extraction of pasted text (the person's own input)",
    r"^intel/correlation/exclusions/": "a coordinator's correlation setting (write)",
    r"^intel/warninglists/": "warninglists: public lists of benign values",
    r"^notifications/read/$": "marking the person's own notifications read (write)",
    r"^warnings/(<int:pk>/acknowledge|preferences|lookup)/$": "a write, the person's "
        "preferences, or a lookup of the person's own input",
    r"^warnings/overview/<str:cve_id>/report/$": "a coordinator's ISAC warning (write)",
    r"^inventory/(new|<int:pk>|<int:pk>/delete|import)/$": "edits of the own inventory",
    r"^advisories/": "external advisories (TLP from the publisher; "
                     "vrisac/advisories/tests/test_visibility.py) and aliases",
    r"^api/v1/advisories": "external advisories (vrisac/advisories/tests)",
    r"^api/v1/(extract|extract/file|sightings)$": "a write or the person's own input",
    r"^api/v1/reports/<report_id>/(publish|retract)$": "a write on a report",
    r"^api/v1/warnings/<warning_id>/status$": "a write on a warning",
    r"^api/v1/inventory/import$": "an import into the own inventory",
    r"^api/v1/feeds": "indicator feeds (vrisac/intel/tests/test_feeds.py)",
    r"^intel/feeds/": "indicator feeds (vrisac/intel/tests/test_feeds.py)",
    # Shared content outside the generated world, proven by its own app's tests.
    r"^reports/attachments/<uuid:uuid>/$": "attachments: vrisac/sharing/tests/test_policy.py",
    r"^(resilience/|api/v1/(nis2|resilience)/)": "resilience: NIS2 incidents, incident "
        "pictures, questions, meetings, benchmark (vrisac/resilience/tests)",
    r"^(knowledge/|api/v1/knowledge/)": "the knowledge base (vrisac/knowledge/tests)",
    # Exchange: writes, descriptions and settings.
    r"^api/v1/stix/bundles$": "a STIX import (write)",
    r"^exchange/taxii/": "coordinators' remote TAXII collections (settings and pull state)",
    r"^misp/\^(servers/getVersion|attributes/describeTypes|users/view|organisations/index)":
        "the version, the type table, the person's own account and the organisations",
    r"^misp/\^(events/(add|edit|publish)|attributes/add|tags/attachTagToObject|sightings/add)":
        "a write through the MISP face (404 on what the person may not see: "
        "vrisac/interop/misp/tests)",
}
