"""The confidentiality proof: for every generated world and every person, each read path
reveals exactly what the sharing rules allow.

The rules are written as a small oracle over the generated world (tests/assurance/world.py),
independent of vrisac/sharing/policy.py. Each face (tests/assurance/faces.py) is judged by
the markers and links in what it returns, so a leak through any part of a page is caught.

``VRISAC_ASSURANCE_WORLDS`` sets the number of worlds (CI: 500; ``make assurance``: 10,000).
"""

from __future__ import annotations

import os
import re
from typing import Any, ClassVar

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from vrisac.accounts.models import User
from vrisac.alerts.models import Warning
from vrisac.intel.models import Indicator
from vrisac.reports.models import Report
from vrisac.sharing.policy import can_view, users_with_access

from .faces import FACES, NOT_SHARED_CONTENT, Face
from .world import (
    KEYS,
    Oracle,
    Person,
    World,
    end_leaver,
    make_inventory,
    make_population,
    only,
    persons_of,
    reinvite_returner,
    world_from,
    world_specs,
)

WORLDS = int(os.environ.get("VRISAC_ASSURANCE_WORLDS", "500"))


def check_face(face: Face, world: World, oracle: Oracle, person: Person | None) -> None:
    """What ``face`` shows ``person`` is allowed, and complete where the face lists."""
    who = person.key if person is not None else "anonymous"
    shown = face.reveal(world, person)
    leaked = shown - oracle.allowed(person)
    assert not leaked, f"{face.name} shows {who} {sorted(map(str, leaked))}"
    if face.expect is not None:
        missing = face.expect(oracle, person) - only(face.kinds, shown)
        assert not missing, f"{face.name} hides from {who} {sorted(map(str, missing))}"


def _subject(person: Person | None) -> Any:
    return User.objects.get(pk=person.pk) if person is not None else AnonymousUser()


class ConfidentialityProof(TestCase):
    """One population in every role; generated content per example, rolled back after it."""

    users: ClassVar[dict[str, User]]
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

    def _world(self, spec: Any) -> World:
        cache.clear()  # the API's rate limit counts every example's requests otherwise
        return world_from(spec, self.users, self.people, self.web, self.api, self.inventory)

    @settings(max_examples=WORLDS, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(spec=world_specs(), viewer=st.sampled_from((*KEYS, "anonymous")),
           face=st.sampled_from(FACES))
    def test_every_face_reveals_exactly_what_the_rules_allow(
            self, spec: Any, viewer: str, face: Face) -> None:
        """Per world: the policy's recipients for every report, and for one drawn person the
        policy's queryset and predicate and one drawn face (500 worlds visit every face some
        twenty times; ``make assurance`` some four hundred)."""
        world = self._world(spec)
        oracle = Oracle(world)
        person = None if viewer == "anonymous" else world.people[viewer]
        self._policy_matches_the_rules(world, oracle, person)
        check_face(face, world, oracle, person)

    def _policy_matches_the_rules(self, world: World, oracle: Oracle,
                                  person: Person | None) -> None:
        """The queryset, the predicate and the recipients query against the oracle."""
        report_pks = {pk: i for i, pk in world.report_pk.items()}
        reports = list(Report.objects.filter(pk__in=report_pks).prefetch_related(
            "audience_organisations", "audience_people"))
        for report in reports:
            recipients = set(users_with_access(report).values_list("pk", flat=True))
            expected = {p.pk for p in world.people.values()
                        if p.active and oracle.report(p, report_pks[report.pk])}
            assert recipients & {p.pk for p in world.people.values()} == expected, (
                "users_with_access", report_pks[report.pk])
        subject = _subject(person)
        expected = {pk for pk, i in report_pks.items() if oracle.report(person, i)}
        visible = set(Report.objects.visible_to(subject).filter(pk__in=report_pks)
                      .values_list("pk", flat=True))
        assert visible == expected, "Report.objects.visible_to"
        for report in reports:
            assert can_view(subject, report) == (report.pk in expected), "can_view"
        indicators = set(Indicator.objects.visible_to(subject).filter(
            pk__in=world.indicator_pk.values()).values_list("pk", flat=True))
        assert indicators == {pk for key, pk in world.indicator_pk.items()
                              if oracle.report(person, key[0])}, "Indicator.objects.visible_to"
        warnings = set(Warning.objects.visible_to(subject).filter(
            pk__in=world.warning_pk.values()).values_list("pk", flat=True))
        assert warnings == {world.warning_pk[n] for _kind, n in oracle.warnings(person)}, (
            "Warning.objects.visible_to")


# --- every read path is a face --------------------------------------------------------------

def _routes(patterns: list[Any], prefix: str = "") -> list[str]:
    out = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            out += _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            # The public site's home page has an empty route.
            out.append(route or f"{pattern.name}")
    return out


def uncovered_routes() -> list[str]:
    covered = {route for f in FACES for route in f.routes}
    explained = [re.compile(rx) for rx in NOT_SHARED_CONTENT]
    return sorted({route for route in _routes(get_resolver().url_patterns)
                   if route not in covered and not any(rx.search(route) for rx in explained)})


def test_every_route_of_the_urlconf_is_a_face_or_explained() -> None:
    """A new read path (a TAXII collection, the MISP API, a feed, an export) fails here until
    it is added as a face in tests/assurance/faces.py (or explained there)."""
    assert uncovered_routes() == []


def test_the_coverage_check_notices_a_new_route(settings: Any) -> None:
    """The check itself can fail: a URLconf with an unknown read path is reported."""
    import types

    from django.urls import clear_url_caches, path

    from config import urls as project_urls

    def view(request: Any) -> HttpResponse:
        raise AssertionError("never called")

    module = types.ModuleType("vrisac_extra_urls")
    module.urlpatterns = [*project_urls.urlpatterns,  # type: ignore[attr-defined]
                          path("taxii2/collections/<str:id>/objects/", view)]
    import sys

    sys.modules["vrisac_extra_urls"] = module
    settings.ROOT_URLCONF = "vrisac_extra_urls"
    clear_url_caches()
    try:
        assert uncovered_routes() == ["taxii2/collections/<str:id>/objects/"]
    finally:
        del sys.modules["vrisac_extra_urls"]
        clear_url_caches()


def test_every_face_covers_a_route_that_exists() -> None:
    routes = set(_routes(get_resolver().url_patterns))
    for f in FACES:
        assert set(f.routes) <= routes, (f.name, set(f.routes) - routes)

