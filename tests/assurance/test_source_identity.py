"""The source of anonymous content, proven on every face and in every field: what a face shows
a person does not depend on who shared an anonymous report, unless the rules let that person
know the source.

This is a non-interference check, so it needs no list of the fields that can name an
organisation (ids, uuids, names, e-mail addresses, ``created_by_ref``, MISP's ``Org``,
``Orgc``, ``org_id``, ``orgc_id``, sharing groups, sighting sources, audit rows, ...): for a
generated world and a drawn person, every response of a drawn face is recorded; then the
source of one anonymous report the person may not trace is exchanged for another
organisation (its author, its organisation, and everything done by either side on that
report: indicators added, replies written), and the face is asked again. Every response must
be the same, byte for byte after removing what differs between any two requests (form tokens,
script nonces, random bundle ids). A face that prints the source in any field, format or
header line shows the change.

Relative times ("3 minuten geleden") may tick between two requests: a response counts as the
same when it equals the answer before the exchange or the answer after exchanging back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vrisac.accounts.models import User

from .faces import FACES, Face, share_world_over_taxii
from .world import (
    AUTHORS,
    KEYS,
    Oracle,
    Person,
    PopulationTestCase,
    World,
    WorldSpec,
    marker,
    world_specs,
)

WORLDS = max(1, int(os.environ.get("VRISAC_ASSURANCE_WORLDS", "500")) // 2)

#: What differs between any two requests of the same page, whoever shared what.
NOISE = (
    (re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]+'), rb"\1"),
    (re.compile(rb'(csrf[-_]?token["\']?\s*[:=]\s*["\'])[^"\']+', re.I), rb"\1"),
    (re.compile(rb'(nonce=")[^"]+'), rb"\1"),
    # A PDF's creation time and file identifier.
    (re.compile(rb"/(CreationDate|ModDate) \(D:[0-9Z+'-]+\)"), rb"/\1 ()"),
    (re.compile(rb"/ID \[<[0-9a-fA-F]+> ?<[0-9a-fA-F]+>\]"), rb"/ID []"),
    # STIX bundles and TAXII envelopes get a new random (version 4) id on every request.
    (re.compile(rb"bundle--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
     rb"bundle--"),
)


def normalised(body: bytes) -> bytes:
    for pattern, replacement in NOISE:
        body = pattern.sub(replacement, body)
    return body


@dataclass
class Recorded:
    """Every response a face gave, in order, and the e-mails it caused."""

    responses: list[tuple[str, int, bytes]]
    mails: list[bytes]


@contextmanager
def recording(address: str | None) -> Iterator[Recorded]:
    """Record every response of Django's test client while a face is asked, and the
    e-mails sent to ``address``."""
    out = Recorded([], [])
    original = Client.request

    def request(self: Client, **environ: Any) -> Any:
        response = original(self, **environ)
        if getattr(response, "streaming", False):
            body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
            response.streaming_content = [body]  # type: ignore[attr-defined]
        else:
            body = bytes(response.content)
        where = f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '')}" \
                f"?{environ.get('QUERY_STRING', '')}"
        out.responses.append((where, response.status_code, normalised(body)))
        return response

    Client.request = request  # type: ignore[method-assign]
    try:
        yield out
    finally:
        Client.request = original  # type: ignore[method-assign]
        out.mails = [normalised(f"{m.subject}\n{m.body}".encode())
                     for m in getattr(mail, "outbox", []) if address in m.to]


def hidden_report(oracle: Oracle, person: Person | None) -> int | None:
    """An anonymous report whose source ``person`` may not know (the first, if any)."""
    for i, r in enumerate(oracle.spec.reports):
        if r.anonymous and not oracle.source(person, i):
            return i
    return None


def stand_in(world: World, person: Person | None, i: int) -> str | None:
    """Another author, of an organisation that has no part in report ``i`` (no reply, no
    named person, not a named organisation), such that, for ``person``, nothing the rules let
    them see changes: the same reports visible, the source still not theirs to know."""
    spec = world.spec
    report = spec.reports[i]
    source_org = world.people[report.author].org
    involved = {world.people[k].org for k in (*report.commenters, *report.people)}
    oracle = Oracle(world)
    for key in AUTHORS:
        candidate = world.people[key]
        if candidate.org in {source_org, *involved, *report.orgs}:
            continue
        if person is not None and (key == person.key or candidate.org == person.org):
            continue
        changed = WorldSpec(reports=[replace(r, author=key) if n == i else r
                                     for n, r in enumerate(spec.reports)],
                            sightings=spec.sightings, warnings=spec.warnings)
        other = Oracle(replace(world, spec=changed))
        same = all(other.report(person, n) == oracle.report(person, n)
                   for n in range(len(spec.reports)))
        if same and not other.source(person, i):
            return key
    return None


def exchange_source(world: World, i: int, new_author: str) -> None:
    """Make ``new_author`` (and their organisation) the source of report ``i``: the author,
    the organisation, and the source's side of everything on the report (who added its
    indicators, who of the source's organisation replied or is named), with their audit
    rows. The new organisation had no part in the report (``stand_in``), so exchanging back
    restores the world."""
    from vrisac.core.models import AuditEvent
    from vrisac.intel.models import Indicator
    from vrisac.reports.models import Comment, Report

    old = world.people[world.spec.reports[i].author]
    new = world.people[new_author]
    names = dict(User.objects.values_list("pk", "name"))
    orgs = {p.pk: p.org_id for p in world.people.values()}

    def audited(object_type: str, pk: int) -> None:
        AuditEvent.objects.filter(object_type=object_type, object_id=str(pk)).update(
            actor_id=new.pk, organisation_id=new.org_id, actor_label=names[new.pk])

    pk = world.report_pk[i]
    Report.objects.filter(pk=pk).update(author_id=new.pk, organisation_id=new.org_id)
    audited("reports.report", pk)
    for comment in Comment.objects.filter(report_id=pk, organisation_id=old.org_id):
        Comment.objects.filter(pk=comment.pk).update(author_id=new.pk,
                                                     organisation_id=new.org_id)
        audited("reports.comment", comment.pk)
    Indicator.objects.filter(report_id=pk, added_by_id__in=[
        p for p, org in orgs.items() if org == old.org_id]).update(added_by_id=new.pk)
    # Named people of the source's organisation: who an anonymous report names tells its
    # source.
    named = Report.audience_people.through.objects.filter(report_id=pk)
    named.filter(user_id__in=[p for p, org in orgs.items() if org == old.org_id]).update(
        user_id=new.pk)
    report = world.spec.reports[i]

    def moved(keys: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(new_author if world.people[k].org_id == old.org_id else k for k in keys)

    world.spec.reports[i] = replace(report, author=new_author, people=moved(report.people),
                                    commenters=moved(report.commenters))


@dataclass
class Secret:
    """A source the person may not know, and how to exchange it for another and back."""

    what: str
    exchange: Callable[[], None]
    restore: Callable[[], None]


def report_secret(world: World, person: Person | None) -> Secret | None:
    i = hidden_report(Oracle(world), person)
    if i is None:
        return None
    new_author = stand_in(world, person, i)
    if new_author is None:
        return None
    old_author = world.spec.reports[i].author
    return Secret(f"who shared anonymous report {i} ({old_author} or {new_author})",
                  lambda: exchange_source(world, i, new_author),
                  lambda: exchange_source(world, i, old_author))


def sighting_secret(world: World, person: Person | None) -> Secret | None:
    """An unnamed sighting whose organisation the person may not know, and another
    organisation (not the person's) to have made it."""
    from vrisac.core.models import AuditEvent
    from vrisac.intel.models import Sighting

    for n, seen in enumerate(world.spec.sightings):
        old = world.people[seen.person]
        if seen.named or (person is not None and (person.role == "coordinator"
                                                  or person.org == old.org)):
            continue
        others = [p for p in world.people.values() if p.active and p.role == "participant"
                  and p.org != old.org and (person is None or p.org != person.org)]
        if not others:
            continue
        new = others[0]
        row = Sighting.objects.filter(source=marker("g", n))

        def made_by(who: Person, row: Any = row, n: int = n) -> None:
            names = dict(User.objects.values_list("pk", "name"))
            pk = row.get().pk
            row.update(organisation_id=who.org_id, user_id=who.pk)
            AuditEvent.objects.filter(object_type="intel.sighting", object_id=str(pk)).update(
                actor_id=who.pk, organisation_id=who.org_id, actor_label=names[who.pk])
            world.spec.sightings[n] = replace(world.spec.sightings[n], person=who.key)

        return Secret(f"who made unnamed sighting {n} ({old.key} or {new.key})",
                      partial(made_by, new), partial(made_by, old))
    return None


def ask(face: Face, world: World, person: Person | None) -> Recorded:
    """The face's answers, each time from the same database: what asking writes (a
    notification, a TAXII version, a token's use) is rolled back."""
    cache.clear()
    mail.outbox = []
    address = User.objects.get(pk=person.pk).email if person is not None else None
    with transaction.atomic(), recording(address) as recorded:
        face.reveal(world, person)
        transaction.set_rollback(True)
    return recorded


def differences(before: Recorded, after: Recorded, back: Recorded) -> list[str]:
    out = []
    if len(after.responses) != len(before.responses):
        return [f"{len(before.responses)} requests before, {len(after.responses)} after"]
    for n, got in enumerate(after.responses):
        if got != before.responses[n] and got != back.responses[n]:
            where, status, body = got
            _w, status_before, body_before = before.responses[n]
            out.append(f"{where}: {status_before} -> {status}; "
                       f"{first_difference(body_before, body)}")
    if after.mails != before.mails and after.mails != back.mails:
        out.append(f"e-mail: {first_difference(b''.join(before.mails), b''.join(after.mails))}")
    return out


def first_difference(a: bytes, b: bytes) -> str:
    at = next((n for n, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
              min(len(a), len(b)))
    return f"…{a[max(0, at - 80):at + 80]!r} became …{b[max(0, at - 80):at + 80]!r}"


class SourceIdentityProof(PopulationTestCase):
    """The population of the confidentiality proof; generated worlds rolled back after each."""


    @settings(max_examples=WORLDS, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(spec=world_specs(), viewer=st.sampled_from((*KEYS, "anonymous")),
           face=st.sampled_from(FACES), secret=st.sampled_from(("report", "sighting")),
           anonymous=st.integers(0, 4))
    def test_no_face_depends_on_a_source_the_person_may_not_know(
            self, spec: WorldSpec, viewer: str, face: Face, secret: str,
            anonymous: int) -> None:
        reports = list(spec.reports)
        n = anonymous % len(reports)
        reports[n] = replace(reports[n], anonymous=True)
        sightings = [replace(s, named=False) if k == anonymous % max(1, len(spec.sightings))
                     else s for k, s in enumerate(spec.sightings)]
        spec = WorldSpec(reports=reports, sightings=sightings, warnings=spec.warnings)
        world = self.world_of(spec)
        person = None if viewer == "anonymous" else world.people[viewer]
        hidden = (report_secret if secret == "report" else sighting_secret)(world, person)
        assume(hidden is not None)
        assert hidden is not None
        # The TAXII collections hold the world's reports, and are kept in step with each
        # change of a report as the report services do (a face asks again in any case).
        share_world_over_taxii(world)
        before = ask(face, world, person)
        hidden.exchange()
        share_world_over_taxii(world)
        after = ask(face, world, person)
        hidden.restore()
        share_world_over_taxii(world)
        back = ask(face, world, person)
        who = person.key if person is not None else "anonymous"
        found = differences(before, after, back)
        assert not found, (f"{face.name} tells {who} {hidden.what}:\n" + "\n".join(found[:5]))
