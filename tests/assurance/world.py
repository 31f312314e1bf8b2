"""Generated worlds for the confidentiality proof, and the oracle that judges them.

A *world* is a small population in every role (made once per test class, through the
services) plus generated content (made per example, written in bulk inside the example's
transaction, which is rolled back afterwards): reports with comments and indicators, values
shared between reports (so correlations have something to find), sightings, inventory items
and warnings.

Everything generated carries a *marker*, a word no template or fixture contains
(``kwxr3q`` is the title of report 3, ``kwxv3x1q`` its first indicator's value). A face of
the platform is then judged by what it prints: every marker and every link to a report,
indicator or warning found in a response names a thing the face revealed, wherever on the
page it stood.

The oracle (``Oracle``) is written from the rules in docs/architecture.md ("Sharing model",
"Decisions taken while building") and nothing else: it never imports the sharing policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from django.test import Client
from django.utils import timezone
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

# --- the population ------------------------------------------------------------------------

#: (key, role, organisation slug). Two seats per region: Utrecht is full.
POPULATION: tuple[tuple[str, str, str], ...] = (
    ("utrecht_a", "participant", "utrecht"),
    ("utrecht_b", "participant", "utrecht"),
    ("haaglanden", "participant", "haaglanden"),
    ("zeeland", "participant", "zeeland"),
    ("coordinator", "coordinator", "nipv"),
    ("partner", "partner", "ncsc"),
    ("observer", "observer", "veiligheidsberaad"),
    ("admin", "admin", "veiligheidsberaad"),
    # A participant whose membership ended after the world was written: sees nothing.
    ("leaver", "participant", "groningen"),
    # A participant who left and was invited again, and has not accepted: sees nothing, even
    # with a session opened before accepting; TLP:RED may still name them.
    ("returner", "participant", "groningen"),
)
KEYS = tuple(key for key, _role, _org in POPULATION)
#: People who can write content (the leaver wrote before leaving).
AUTHORS = ("utrecht_a", "utrecht_b", "haaglanden", "zeeland", "coordinator", "partner",
           "leaver", "returner")
#: Organisations a report may name (members and a partner; never the owner).
NAMEABLE_ORGS = ("utrecht", "haaglanden", "zeeland", "nipv", "ncsc", "groningen")
#: Organisations that hold inventories and warnings.
INVENTORY_ORGS = ("utrecht", "haaglanden", "zeeland", "nipv", "groningen")

CONTENT_ROLES = {"participant", "coordinator", "partner"}
PARTICIPANT_ROLES = {"participant", "coordinator"}

#: A word in every generated report, so one full-text search finds them all.
COMMON_WORD = "kwxalgemeen"
#: The zone every generated domain lies in, so one search finds every indicator.
ZONE = "kwxzone.example.org"
SHARED_VALUES = 3
VULNERABILITIES = 3
#: The minimum group for any figure across organisations (docs/resilience.md, "Minimum
#: group": more organisations than five). Written here from the docs, not from the policy.
MIN_GROUP_SIZE = 6


@dataclass(frozen=True)
class Person:
    key: str
    pk: int
    role: str
    org: str
    org_id: int
    active: bool = True

    @property
    def reads_content(self) -> bool:
        return self.active and self.role in CONTENT_ROLES

    @property
    def is_participant(self) -> bool:
        return self.active and self.role in PARTICIPANT_ROLES


# --- what a world holds ----------------------------------------------------------------------

@dataclass
class ReportSpec:
    author: str
    kind: str
    tlp: str
    audience: str
    orgs: tuple[str, ...]
    people: tuple[str, ...]
    anonymous: bool
    status: str
    #: Per indicator: ``None`` for a value of its own, or the index of a shared value.
    indicators: tuple[int | None, ...]
    commenters: tuple[str, ...]


@dataclass
class SightingSpec:
    person: str
    value: tuple[int, int | None]  # (report, indicator) of its own value, or (-1, shared)
    kind: str
    named: bool


@dataclass
class WarningSpec:
    org: str
    vulnerability: int
    tlp: str


@dataclass
class WorldSpec:
    reports: list[ReportSpec]
    sightings: list[SightingSpec]
    warnings: list[WarningSpec]


AUDIENCES = ("organisation", "organisations", "people", "participants", "partners", "public")


def _tlp_for(audience: str) -> st.SearchStrategy[str]:
    """The labels an audience allows (docs/architecture.md: RED only to named people,
    public only for CLEAR)."""
    if audience == "public":
        return st.just("TLP:CLEAR")
    labels = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT"]
    if audience == "people":
        labels.append("TLP:RED")
    return st.sampled_from(labels)


@st.composite
def report_specs(draw: Any) -> ReportSpec:
    author = draw(st.sampled_from(AUTHORS))
    audience = draw(st.sampled_from(AUDIENCES))
    tlp = draw(_tlp_for(audience))
    orgs: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    if audience == "organisations":
        orgs = tuple(draw(st.lists(st.sampled_from(NAMEABLE_ORGS), min_size=1, max_size=2,
                                   unique=True)))
    if audience == "people":
        named = [k for k in AUTHORS if k not in (author, "leaver")]
        people = tuple(draw(st.lists(st.sampled_from(named), min_size=1, max_size=2,
                                     unique=True)))
    kind = "warning" if author == "coordinator" and draw(st.booleans()) else draw(
        st.sampled_from(["incident", "threat", "vulnerability", "advice"]))
    return ReportSpec(
        author=author, kind=kind, tlp=tlp, audience=audience, orgs=orgs, people=people,
        anonymous=draw(st.booleans()),
        status=draw(st.sampled_from(["draft", "published", "published", "retracted"])),
        indicators=tuple(draw(st.lists(
            st.one_of(st.none(), st.integers(0, SHARED_VALUES - 1)), max_size=3))),
        commenters=tuple(draw(st.lists(st.sampled_from(AUTHORS[:6]), max_size=2))),
    )


@st.composite
def world_specs(draw: Any, max_reports: int = 5) -> WorldSpec:
    reports = draw(st.lists(report_specs(), min_size=1, max_size=max_reports))
    values: list[tuple[int, int | None]] = []
    for i, spec in enumerate(reports):
        for k, shared in enumerate(spec.indicators):
            values.append((i, k) if shared is None else (-1, shared))
    sightings = []
    if values:
        sightings = draw(st.lists(st.builds(
            SightingSpec,
            person=st.sampled_from(AUTHORS[:6]),
            value=st.sampled_from(values),
            kind=st.sampled_from(["seen", "false_positive", "expired"]),
            named=st.booleans(),
        ), max_size=3))
    warnings = draw(st.lists(st.builds(
        WarningSpec,
        org=st.sampled_from(INVENTORY_ORGS),
        vulnerability=st.integers(0, VULNERABILITIES - 1),
        tlp=st.sampled_from(["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER"]),
    ), max_size=3, unique_by=lambda w: (w.org, w.vulnerability)))
    return WorldSpec(reports=reports, sightings=sightings, warnings=warnings)


# --- markers -----------------------------------------------------------------------------------

def marker(kind: str, *numbers: int) -> str:
    return "kwx" + kind + "x".join(str(n) for n in numbers) + "q"


def value_marker(where: tuple[int, int | None]) -> str:
    report, k = where
    return marker("h", k or 0) if report < 0 else marker("v", report, k or 0)


def domain_of(where: tuple[int, int | None]) -> str:
    return f"{value_marker(where)}.{ZONE}"


MARKER = re.compile(r"kwx([a-z])(\d+)(?:x(\d+))?q")
LINKS = {
    "report": re.compile(r"/reports/(\d+)/"),
    "indicator": re.compile(r"/intel/indicators/(\d+)/"),
    "warning": re.compile(r"/warnings/(\d+)/"),
}

Ref = tuple[str, Any]


@dataclass
class World:
    """A generated world as written to the database, with its people and their clients."""

    spec: WorldSpec
    people: dict[str, Person]
    web: dict[str, Client]
    api: dict[str, Client]
    report_pk: dict[int, int] = field(default_factory=dict)
    indicator_pk: dict[tuple[int, int], int] = field(default_factory=dict)
    warning_pk: dict[int, int] = field(default_factory=dict)
    item_marker: dict[str, int] = field(default_factory=dict)

    def pk_to_ref(self, kind: str, pk: int) -> Ref | None:
        tables: dict[str, dict[Any, int]] = {
            "report": self.report_pk, "indicator": self.indicator_pk, "warning": self.warning_pk}
        table = tables[kind]
        for ref, key in table.items():
            if key == pk:
                return (kind, ref)
        return None

    def refs_in(self, text: str | bytes) -> set[Ref]:
        """Every generated thing a response names, by marker or by link."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        found: set[Ref] = set()
        for kind, a, b in MARKER.findall(text):
            n = int(a)
            m = int(b) if b else 0
            if kind in "rsb":
                found.add(("report", n))
            elif kind == "c":
                found.add(("comment", (n, m)))
            elif kind == "v":
                found.add(("indicator", (n, m)))
            elif kind == "h":
                found.add(("value", n))
            elif kind == "g":
                found.add(("sighting", n))
            elif kind == "w":
                found.add(("warning", n))
            elif kind == "i":
                found.add(("item", n))
        for kind, pattern in LINKS.items():
            for pk in pattern.findall(text):
                ref = self.pk_to_ref(kind, int(pk))
                if ref is not None:
                    found.add(ref)
        return found

    def persons(self) -> list[Person | None]:
        """Everyone who may look, the anonymous visitor (None) included."""
        return [None, *self.people.values()]


# --- writing a world ---------------------------------------------------------------------------

def make_population() -> tuple[dict[str, Any], dict[str, Client], dict[str, Client]]:
    """The people, a signed-in browser session and an API token each, once per test class.
    Made through the services (invitation, acceptance, second factor)."""
    from vrisac.core.testing import api_client, client_for, make_person

    users: dict[str, Any] = {}
    for n, (key, role, org) in enumerate(POPULATION):
        users[key] = make_person(role, org, name=f"Persoon {marker('p', n)}")
    web = {key: client_for(user) for key, user in users.items()}
    api = {key: api_client(user) for key, user in users.items() if key not in (
        "observer", "admin")}
    return users, web, api


def end_leaver(users: dict[str, Any]) -> None:
    """End the leaver's seat: their session and token (made before) now reach nothing."""
    from vrisac.organisations.services import membership_end

    leaver = users["leaver"]
    membership_end(membership=leaver.memberships.get(status="active"))
    leaver.refresh_from_db()


def reinvite_returner(users: dict[str, Any], web: dict[str, Client]) -> None:
    """End the returner's seat and invite them again, not accepted; their browser is given a
    session as if their old password and second factor had still opened one."""
    from vrisac.core.testing import login
    from vrisac.organisations.services import membership_end, membership_invite

    returner = users["returner"]
    membership = returner.memberships.get(status="active")
    membership_end(membership=membership)
    membership_invite(organisation=membership.organisation, email=returner.email,
                      name=returner.name, send_email=False)
    returner.refresh_from_db()
    login(web["returner"], returner)


def make_inventory(users: dict[str, Any]) -> dict[str, Any]:
    """One inventory item per organisation and a few vulnerabilities, once per class."""
    from vrisac.advisories.models import Vulnerability
    from vrisac.assets.models import InventoryItem
    from vrisac.core.testing import organisation

    items = {}
    for n, slug in enumerate(INVENTORY_ORGS):
        items[slug] = InventoryItem.objects.create(
            organisation=organisation(slug), vendor="Kwxvendor", product=marker("i", n),
            version="1.0", name_key=f"kwxvendor {marker('i', n)}")
    vulns = [Vulnerability.objects.create(cve_id=f"CVE-2099-{1000 + n}", title=f"kwx vuln {n}")
             for n in range(VULNERABILITIES)]
    return {"items": items, "vulnerabilities": vulns}


def write_world(spec: WorldSpec, users: dict[str, Any], people: dict[str, Person],
                inventory: dict[str, Any]) -> dict[str, Any]:
    """Write the generated content in bulk (a handful of statements per kind)."""
    from vrisac.alerts.models import Warning
    from vrisac.core.audit import audit_record
    from vrisac.core.markdown import render_markdown
    from vrisac.core.testing import organisation
    from vrisac.intel import search_index
    from vrisac.intel.models import Indicator, IndicatorValue, Sighting
    from vrisac.intel.normalise import normalise
    from vrisac.reports.models import Comment, Report

    now = timezone.now()
    orgs = {slug: organisation(slug) for slug in {*NAMEABLE_ORGS, *INVENTORY_ORGS}}
    users_by_pk = {user.pk: user for user in users.values()}
    rows = []
    for i, r in enumerate(spec.reports):
        author = people[r.author]
        body = f"{marker('b', i)} {COMMON_WORD}"
        rows.append(Report(
            kind=r.kind, title=f"Melding {marker('r', i)} {COMMON_WORD}",
            summary=f"{marker('s', i)} {COMMON_WORD}", body=body,
            body_html=render_markdown(body), tlp=r.tlp, audience=r.audience,
            anonymous=r.anonymous, status=r.status, organisation_id=author.org_id,
            author_id=author.pk,
            published_at=None if r.status == "draft" else now - timedelta(minutes=i),
            retracted_at=now if r.status == "retracted" else None,
        ))
    reports = Report.objects.bulk_create(rows)
    org_links = []
    people_links = []
    comments = []
    for i, (r, report) in enumerate(zip(spec.reports, reports, strict=True)):
        org_links += [Report.audience_organisations.through(
            report_id=report.pk, organisation_id=orgs[s].pk) for s in r.orgs]
        people_links += [Report.audience_people.through(
            report_id=report.pk, user_id=people[k].pk) for k in r.people]
        if r.status != "draft":
            for j, commenter in enumerate(r.commenters):
                body = f"{marker('c', i, j)}"
                comments.append(Comment(report=report, author_id=people[commenter].pk,
                                        organisation_id=people[commenter].org_id, body=body,
                                        body_html=render_markdown(body)))
        search_index.update_report(report)
    Report.audience_organisations.through.objects.bulk_create(org_links)
    Report.audience_people.through.objects.bulk_create(people_links)
    made_comments = Comment.objects.bulk_create(comments)
    # The audit rows the report services write for the same content (who wrote what).
    for r, report in zip(spec.reports, reports, strict=True):
        audit_record(action="report.create", actor=users[r.author], obj=report,
                     organisation_id=people[r.author].org_id,
                     details={"tlp": r.tlp, "audience": r.audience, "kind": r.kind})
    for comment in made_comments:
        audit_record(action="comment.create", actor=users_by_pk[comment.author_id],
                     obj=comment, organisation_id=comment.organisation_id,
                     details={"report": comment.report_id})

    wanted: dict[tuple[int, int | None], Any] = {}
    for i, r in enumerate(spec.reports):
        for k, shared in enumerate(r.indicators):
            where = (i, k) if shared is None else (-1, shared)
            wanted.setdefault(where, normalise("domain", domain_of(where)))
    values = {}
    if wanted:
        IndicatorValue.objects.bulk_create([
            IndicatorValue(digest=n.digest, type=n.type, value=n.value, ip_start=n.ip_start,
                           prefixlen=n.prefixlen, host_rev=n.host_rev)
            for n in wanted.values()])
        by_digest = {bytes(v.digest): v for v in IndicatorValue.objects.filter(
            digest__in=[n.digest for n in wanted.values()])}
        values = {where: by_digest[n.digest] for where, n in wanted.items()}
    indicators = []
    keys = []
    for i, (r, report) in enumerate(zip(spec.reports, reports, strict=True)):
        seen_values = set()
        for k, shared in enumerate(r.indicators):
            where = (i, k) if shared is None else (-1, shared)
            if where in seen_values:
                continue  # one indicator per value and report
            seen_values.add(where)
            indicators.append(Indicator(
                value=values[where], report=report, comment="",
                first_seen=now, last_seen=now, created_at=now,
                added_by_id=people[r.author].pk))
            keys.append((i, k))
    made = Indicator.objects.bulk_create(indicators)
    sightings = []
    for n, seen in enumerate(spec.sightings):
        who = people[seen.person]
        sightings.append(Sighting(value=values[seen.value], kind=seen.kind,
                                  organisation_id=who.org_id, user_id=who.pk,
                                  named=seen.named, seen_at=now,
                                  source=marker("g", n)))
    for sighting in Sighting.objects.bulk_create(sightings):
        audit_record(action="intel.sighting.add", actor=users_by_pk[sighting.user_id],
                     obj=sighting, organisation_id=sighting.organisation_id,
                     details={"kind": sighting.kind})
    warnings = Warning.objects.bulk_create([
        Warning(organisation=orgs[w.org], item=inventory["items"][w.org],
                vulnerability=inventory["vulnerabilities"][w.vulnerability], priority="high",
                confidence="confirmed", tlp=w.tlp, justification=marker("w", n),
                match_reasons={"nl": [marker("w", n)], "en": [marker("w", n)]})
        for n, w in enumerate(spec.warnings)])
    return {
        "reports": {i: r.pk for i, r in enumerate(reports)},
        "indicators": {key: ind.pk for key, ind in zip(keys, made, strict=True)},
        "warnings": {n: w.pk for n, w in enumerate(warnings)},
        "values": values,
    }


# --- the oracle --------------------------------------------------------------------------------

class Oracle:
    """What each person may see in a world, from the rules alone."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.spec = world.spec

    def report(self, person: Person | None, i: int) -> bool:
        r = self.spec.reports[i]
        people = self.world.people
        active = person is not None and person.active
        if active and person is not None and people[r.author].pk == person.pk:
            return True  # the author sees their own, drafts included
        if r.status == "draft":
            return False
        if r.audience == "public":
            return True
        if not active or person is None or not person.reads_content:
            return False
        if r.audience == "participants":
            return person.role in PARTICIPANT_ROLES
        if r.audience == "partners":
            return True
        source_org = people[r.author].org
        if r.audience == "organisation":
            return person.org == source_org
        if r.audience == "organisations":
            return person.org == source_org or person.org in r.orgs
        if r.audience == "people":
            return person.key in r.people
        raise AssertionError(r.audience)

    def source(self, person: Person | None, i: int) -> bool:
        """May this person know who shared report ``i``?"""
        r = self.spec.reports[i]
        if not r.anonymous:
            return True
        if person is None or not person.active:
            return False
        return (person.role == "coordinator" or person.key == r.author
                or person.org == self.world.people[r.author].org)

    def _value_holders(self, where: tuple[int, int | None]) -> list[int]:
        report, k = where
        if report >= 0:
            return [report]
        return [i for i, r in enumerate(self.spec.reports) if k in r.indicators]

    def value(self, person: Person | None, where: tuple[int, int | None]) -> bool:
        return any(self.report(person, i) for i in self._value_holders(where))

    def warning(self, person: Person | None, n: int) -> bool:
        return self.item(person, self.spec.warnings[n].org)

    def item(self, person: Person | None, org: str) -> bool:
        return person is not None and person.is_participant and person.org == org

    def allowed(self, person: Person | None) -> set[Ref]:
        """Every generated thing this person may see, as refs."""
        out: set[Ref] = set()
        for i, r in enumerate(self.spec.reports):
            if not self.report(person, i):
                continue
            out.add(("report", i))
            if r.status != "draft":
                out |= {("comment", (i, j)) for j in range(len(r.commenters))}
        out |= self.indicators(person)
        for n, s in enumerate(self.spec.sightings):
            if self.value(person, s.value):
                out.add(("sighting", n))
        for n in range(len(self.spec.warnings)):
            if self.warning(person, n):
                out.add(("warning", n))
        for n, slug in enumerate(INVENTORY_ORGS):
            if self.item(person, slug) or (self.product_names(person)
                                           and self.product_group(n) >= MIN_GROUP_SIZE):
                out.add(("item", n))
        return out

    def product_group(self, n: int) -> int:
        """How many organisations run a product of the name of item ``n`` (``make_inventory``
        names each organisation's product by its own marker). Under the minimum group a
        product name never appears beside an aggregate."""
        return sum(marker("i", m) == marker("i", n) for m in range(len(INVENTORY_ORGS)))

    def items(self, person: Person | None) -> set[Ref]:
        """The inventory rows (one item per organisation) this person may read."""
        return {("item", n) for n, slug in enumerate(INVENTORY_ORGS) if self.item(person, slug)}

    def product_names(self, person: Person | None) -> bool:
        """Coordinators and the owner observer see which products are hit across regions
        (an aggregate: a product name without its organisation), never inventory rows."""
        return person is not None and person.active and person.role in (
            "coordinator", "observer")

    def reports(self, person: Person | None, *, statuses: Iterable[str] = (
            "draft", "published", "retracted")) -> set[Ref]:
        wanted = set(statuses)
        return {("report", i) for i, r in enumerate(self.spec.reports)
                if r.status in wanted and self.report(person, i)}

    def indicators(self, person: Person | None, *, active_only: bool = False) -> set[Ref]:
        """Indicator refs (own values) and shared-value refs this person may see."""
        out: set[Ref] = set()
        for i, k in self.world.indicator_pk:
            r = self.spec.reports[i]
            if not self.report(person, i) or (active_only and r.status == "retracted"):
                continue
            out.add(("indicator", (i, k)))
            shared = r.indicators[k]
            if shared is not None:
                out.add(("value", shared))
        return out

    def exported(self, person: Person | None) -> set[Ref]:
        """What an export carries: the values of published reports the person may see."""
        out: set[Ref] = set()
        for i, k in self.world.indicator_pk:
            r = self.spec.reports[i]
            if r.status == "published" and self.report(person, i):
                shared = r.indicators[k]
                out.add(("indicator", (i, k)) if shared is None else ("value", shared))
        return out

    def warnings(self, person: Person | None) -> set[Ref]:
        return {("warning", n) for n in range(len(self.spec.warnings))
                if self.warning(person, n)}

    # --- writes over TAXII (docs/exchange.md, "Posting" and "Whose an id is") ------------

    def collection_of(self, i: int) -> str | None:
        """The TAXII collection that carries report ``i`` once shared (none for a draft, a
        report retracted before, or one for named organisations or people)."""
        r = self.spec.reports[i]
        if r.status != "published" or r.audience in ("organisations", "people"):
            return None  # a retraction reaches only the collections that carried it
        if r.audience == "organisation":
            return f"organisation:{self.world.people[r.author].org}"
        return "participants" if r.audience == "participants" else "partners"

    def collections(self, person: Person | None) -> set[str]:
        """The collections a person may read and post to: all participants (participants
        and coordinators), participants and partners (every content role), their own
        organisation's."""
        if person is None or not person.reads_content:
            return set()
        keys = {"partners", f"organisation:{person.org}"}
        if person.is_participant:
            keys.add("participants")
        return keys

    def _known(self, person: Person, key: str, written: Written) -> bool:
        """Whether the versions of an id are ones the person could know: in the collection
        posted to, in a collection the person reads, or of a report the person may see."""
        if written.report is not None and self.report(person, written.report):
            return True
        return any(k == key or k in self.collections(person) for k in written.collections)

    def may_post_version(self, person: Person | None, key: str, written: Written) -> bool:
        """May this person post a version of an id written so into collection ``key``? An
        id belongs to the organisation that first stored it; what the platform writes (a
        report's objects, its definitions and identities) only the platform writes."""
        if person is None or key not in self.collections(person):
            return False
        if written.platform and written.report is None:
            return False
        if not self._known(person, key, written):
            return True  # a new id, as far as the person can tell
        return not written.platform and written.org == person.org

    def may_name_creator(self, person: Person | None, key: str, written: Written) -> bool:
        """May an object this person posts name this identity as its creator? Its own
        organisation, or an identity it cannot know to be someone else's; never the
        platform's own."""
        if person is None or key not in self.collections(person):
            return False
        if written.platform and written.report is None:
            return written.org == person.org
        return not self._known(person, key, written) or written.org == person.org


@dataclass(frozen=True)
class Written:
    """Who wrote the versions of a STIX id: the platform (for world report ``report``, or
    its own definitions and identities, standing for organisation ``org``), or a person of
    organisation ``org``; and the collections that hold them."""

    platform: bool
    org: str | None = None
    report: int | None = None
    collections: frozenset[str] = frozenset()


def only(kinds: Iterable[str], refs: set[Ref]) -> set[Ref]:
    wanted = set(kinds)
    return {ref for ref in refs if ref[0] in wanted}


def persons_of(users: dict[str, Any]) -> dict[str, Person]:
    from vrisac.core.testing import organisation

    return {key: Person(key=key, pk=users[key].pk, role=role, org=org,
                        org_id=organisation(org).pk,
                        active=key not in ("leaver", "returner"))
            for key, role, org in POPULATION}


def world_from(spec: WorldSpec, users: dict[str, Any], people: dict[str, Person],
               web: dict[str, Client], api: dict[str, Client],
               inventory: dict[str, Any]) -> World:
    written = write_world(spec, users, people, inventory)
    world = World(spec=spec, people=people, web=web, api=api,
                  report_pk=written["reports"], indicator_pk=written["indicators"],
                  warning_pk=written["warnings"])
    return world




class PopulationTestCase(TestCase):
    """A test class with the proof's population (every role, a browser session and an API
    token each, the inventories, the leaver), made once; each example's world is written
    inside the example's transaction and rolled back after it."""

    users: ClassVar[dict[str, Any]]
    people: ClassVar[dict[str, Person]]
    web: ClassVar[dict[str, Client]]
    api: ClassVar[dict[str, Client]]
    inventory: ClassVar[dict[str, Any]]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.users, cls.web, cls.api = make_population()
        cls.inventory = make_inventory(cls.users)
        end_leaver(cls.users)
        reinvite_returner(cls.users, cls.web)
        cls.people = persons_of(cls.users)

    def world_of(self, spec: WorldSpec) -> World:
        return world_from(spec, self.users, self.people, self.web, self.api, self.inventory)
