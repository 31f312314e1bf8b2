"""The differencing attack on the anonymous benchmark, played as the outside attacker played
it: a participant submits all 0, reads the quartiles, changes to all 5 and reads again.

With the median and quartiles of five organisations the two reads give away the four other
organisations' scores on every measure. Now: quartiles are shown only from six organisations
(the sharing policy's ``MIN_GROUP_SIZE``), submitted scores are frozen for the quarter, and a
correction counts only once an ISAC coordinator accepts it (docs/resilience.md).

Whether an attacker "recovers" the others is judged by counting: every multiset of levels
0-5 for the other organisations that agrees with everything the attacker read. One left
means the scores are known; the count is computed, never written down.
"""

from __future__ import annotations

import itertools
import statistics
from typing import Any

import pytest
from django.urls import reverse

from vrisac.core.audit import verify_chain
from vrisac.core.errors import DomainError, NotAllowed
from vrisac.core.models import AuditEvent
from vrisac.core.testing import api_client, client_for, make_person
from vrisac.resilience import benchmark, services
from vrisac.resilience.models import Assessment, AssessmentCorrection, Score
from vrisac.resilience.periods import Period

pytestmark = pytest.mark.django_db

KEYS = "abcdefghij"
#: The other organisations' scores per measure (five organisations: four of them).
OTHERS_OF_FIVE = [[1, 2, 3, 4], [2, 2, 3, 3], [0, 1, 4, 4], [3, 3, 3, 5], [1, 1, 2, 3],
                  [2, 3, 4, 4], [0, 2, 2, 5], [1, 3, 3, 4], [2, 2, 2, 2], [1, 4, 4, 5]]
#: And for six organisations a fifth other one.
FIFTH = [3, 1, 2, 4, 0, 1, 3, 2, 4, 2]

Read = tuple[int, float | None, float | None, float | None]


def read(client: Any, period: Period) -> dict[str, Read]:
    """What the attacker's API token shows: per measure n, q1, median, q3 (and its own)."""
    answer = client.get(f"/api/v1/resilience/benchmark?period={period.key}")
    assert answer.status_code == 200
    return {r["measure"]: (r["distribution"]["n"], r["distribution"]["q1"],
                           r["distribution"]["median"], r["distribution"]["q3"])
            for r in answer.json()["rows"]}


def consistent(others: int, observations: list[tuple[int, Read]],
               shown: Any = benchmark.distribution) -> int:
    """How many multisets of ``others`` levels agree with every (own level, read) pair."""
    count = 0
    for candidate in itertools.combinations_with_replacement(range(6), others):
        d = [shown([*candidate, own]) for own, _read in observations]
        if all((x.n, x.q1, x.median, x.q3) == seen
               for x, (_own, seen) in zip(d, observations, strict=True)):
            count += 1
    return count


def quartiles_from_five(values: list[int]) -> benchmark.Distribution:
    """The rule before this change: median and quartiles from five organisations on."""
    q1, median, q3 = statistics.quantiles(sorted(map(float, values)), n=4, method="inclusive")
    return benchmark.Distribution(n=len(values), median=round(median, 2), q1=round(q1, 2),
                                  q3=round(q3, 2))


def submit(user: Any, period: Period, levels: list[int]) -> Assessment:
    record = services.assessment_get_or_start(acting_user=user, period=period)
    return services.assessment_save(assessment=record, acting_user=user, submit=True,
                                    scores={k: (lvl, "") for k, lvl in zip(KEYS, levels,
                                                                            strict=True)})


def others_submit(users: list[Any], period: Period, table: list[list[int]]) -> None:
    for i, user in enumerate(users):
        submit(user, period, [table[m][i] for m in range(len(KEYS))])


def test_the_arithmetic_of_the_attack_recovers_four_others_under_the_old_rule() -> None:
    """The attack is real: with quartiles of five, all 0 and then all 5 pin the four other
    organisations' scores down on every measure. (This is what the platform showed.)"""
    for others in OTHERS_OF_FIVE:
        reads = [(own, (5, d.q1, d.median, d.q3)) for own in (0, 5)
                 for d in [quartiles_from_five([*others, own])]]
        assert consistent(4, reads, shown=quartiles_from_five) == 1


def test_the_quartile_attack_at_five_organisations(people: dict[str, Any],
                                                   six_regions: list[Any]) -> None:
    attacker, others = six_regions[0], six_regions[1:5]
    period = Period.current()
    others_submit(others, period, OTHERS_OF_FIVE)
    submit(attacker, period, [0] * 10)
    token = api_client(attacker, ["resilience:read"])
    first = read(token, period)
    # Five organisations: nothing of the distribution is shown.
    assert all(r == (5, None, None, None) for r in first.values())
    page = client_for(attacker).get(f"/resilience/benchmark/?period={period.key}")
    assert "Minder dan 6 organisaties antwoordden" in page.content.decode()

    # The attacker changes to all 5: refused, through the service and through the page.
    record = Assessment.objects.get(organisation__slug="utrecht")
    with pytest.raises(DomainError) as refused:
        services.assessment_save(assessment=record, acting_user=attacker,
                                 scores={k: (5, "") for k in KEYS}, submit=True)
    assert refused.value.field == "level_a"
    form = {f"level_{k}": "5" for k in KEYS} | {f"evidence_{k}": "" for k in KEYS}
    answer = client_for(attacker).post(f"/resilience/assessment/{period.key}/",
                                       form | {"submit": "1"})
    assert answer.status_code == 200 and "liggen vast voor het kwartaal" in \
        answer.content.decode()
    assert set(Score.objects.filter(assessment=record).values_list("level", flat=True)) == {0}

    # So it asks for a correction: pending, outside the benchmark.
    answer = client_for(attacker).post(f"/resilience/assessment/{period.key}/",
                                       form | {"correct": "1", "reason": "Verkeerd ingevuld."})
    assert answer.status_code == 302
    correction = AssessmentCorrection.objects.get()
    assert correction.state == "pending"
    pending = client_for(attacker).get(f"/resilience/assessment/{period.key}/")
    assert "wacht op een ISAC-coördinator" in pending.content.decode()
    assert read(token, period) == first

    # Even a coordinator's acceptance gives five organisations nothing to compare.
    services.correction_decide(correction=correction, acting_user=people["coordinator"],
                               accept=True)
    second = read(token, period)
    assert all(r == (5, None, None, None) for r in second.values())
    assert set(Score.objects.filter(assessment=record).values_list("level", flat=True)) == {5}
    for key in KEYS:
        everything = consistent(4, [])
        assert consistent(4, [(0, first[key]), (5, second[key])]) == everything, key


def test_at_six_the_quartiles_show_and_one_read_does_not_give_the_others_away(
        people: dict[str, Any], six_regions: list[Any]) -> None:
    attacker, others = six_regions[0], six_regions[1:6]
    period = Period.current()
    table = [[*row, extra] for row, extra in zip(OTHERS_OF_FIVE, FIFTH, strict=True)]
    others_submit(others, period, table)
    submit(attacker, period, [0] * 10)
    token = api_client(attacker, ["resilience:read"])
    first = read(token, period)
    assert all(r[0] == 6 and r[2] is not None for r in first.values())  # shown from six
    # One read leaves several possibilities for the five others on every measure.
    for key in KEYS:
        assert consistent(5, [(0, first[key])]) > 1, key
    # Changing the submitted scores is refused; a correction waits for a coordinator, and
    # meanwhile the benchmark does not move.
    record = Assessment.objects.get(organisation__slug="utrecht")
    with pytest.raises(DomainError):
        services.assessment_save(assessment=record, acting_user=attacker,
                                 scores={k: (5, "") for k in KEYS})
    assert read(token, period) == first
    correction = services.correction_request(
        assessment=record, acting_user=attacker, scores={k: (5, "") for k in KEYS},
        reason="Alles was fout.")
    assert read(token, period) == first
    # The coordinator sees the shape of the change (every measure +5) and the warning.
    queue = client_for(people["coordinator"]).get(reverse("resilience:corrections"))
    body = queue.content.decode()
    assert queue.status_code == 200 and body.count("+5") == 10
    assert "de scores van de anderen afleiden" in body and "Alles was fout." in body
    # A coordinator refuses it, saying why; the organisation reads the note.
    services.correction_decide(correction=correction, acting_user=people["coordinator"],
                               accept=False, note="Geen verklaring voor de wijziging.")
    assert read(token, period) == first
    page = client_for(attacker).get(f"/resilience/assessment/{period.key}/").content.decode()
    assert "Geen verklaring voor de wijziging." in page
    assert consistent(5, [(0, first["a"])]) > 1


def test_a_correction_counts_only_once_accepted_and_every_step_is_audited(
        people: dict[str, Any], six_regions: list[Any]) -> None:
    period = Period.current()
    for i, user in enumerate(six_regions[:6]):
        submit(user, period, [i % 6] * 10)
    coordinator, participant = people["coordinator"], six_regions[0]
    record = Assessment.objects.get(organisation__slug="utrecht")
    token = api_client(participant, ["resilience:read"])
    before = read(token, period)
    with pytest.raises(DomainError) as err:
        services.correction_request(assessment=record, acting_user=participant,
                                    scores={"a": (0, "")}, reason="x")
    assert err.value.field == "scores"  # nothing changes
    with pytest.raises(DomainError) as err:
        services.correction_request(assessment=record, acting_user=participant,
                                    scores={"a": (3, "")}, reason="  ")
    assert err.value.field == "reason"
    with pytest.raises(DomainError) as err:
        services.correction_request(assessment=record, acting_user=participant,
                                    scores={"a": (7, "")}, reason="x")
    assert err.value.field == "level_a"
    correction = services.correction_request(
        assessment=record, acting_user=participant,
        scores={"a": (3, "Beleid vastgesteld")}, reason="Beleid is in oktober vastgesteld.")
    # The evidence is stored at once (it counts nowhere); the level waits.
    assert record.scores.get(measure__key="a").evidence == "Beleid vastgesteld"
    assert record.scores.get(measure__key="a").level == 0
    with pytest.raises(DomainError):
        services.correction_request(assessment=record, acting_user=participant,
                                    scores={"b": (3, "")}, reason="Nog een.")
    # Who may decide: a coordinator, not the person who asked, and nobody else at all.
    for key in ("vnog", "partner", "observer", "admin"):
        client = client_for(people[key])
        assert client.get(reverse("resilience:corrections")).status_code == 404
        assert client.post(reverse("resilience:correction_decide", args=[correction.pk]),
                           {"decision": "accept"}).status_code == 404
    with pytest.raises(NotAllowed):
        services.correction_decide(correction=correction, acting_user=people["vnog"],
                                   accept=True)
    asking_coordinator = make_person("coordinator", "nipv")
    own = services.correction_request(
        assessment=Assessment.objects.get(organisation__slug="nipv"),
        acting_user=asking_coordinator, scores={"c": (5, "")}, reason="Eigen correctie.")
    with pytest.raises(NotAllowed):
        services.correction_decide(correction=own, acting_user=asking_coordinator,
                                   accept=True)
    with pytest.raises(DomainError) as err:
        services.correction_decide(correction=correction, acting_user=coordinator,
                                   accept=False, note="")
    assert err.value.field == "note"
    assert read(token, period) == before
    # The coordinator accepts through the Dutch page.
    client = client_for(coordinator)
    queue = client.get(reverse("resilience:corrections")).content.decode()
    assert "Correcties van zelfevaluaties" in queue and "Accepteren" in queue
    assert "Beleid is in oktober vastgesteld." in queue and "Beleid vastgesteld<" not in queue
    answer = client.post(reverse("resilience:correction_decide", args=[correction.pk]),
                         {"decision": "accept", "note": ""}, follow=True)
    assert "De correctie is geaccepteerd" in answer.content.decode()
    correction.refresh_from_db()
    assert (correction.state, correction.decided_by) == ("accepted", coordinator)
    assert record.scores.get(measure__key="a").level == 3
    assert read(token, period) != before
    again = client.post(reverse("resilience:correction_decide", args=[correction.pk]),
                        {"decision": "refuse", "note": "Toch niet."}, follow=True)
    assert "Over deze correctie is al besloten." in again.content.decode()
    actions = list(AuditEvent.objects
                   .filter(action__startswith="resilience.assessment.correction")
                   .order_by("seq").values_list("action", "details"))
    assert [a for a, _d in actions] == ["resilience.assessment.correction.request",
                                        "resilience.assessment.correction.request",
                                        "resilience.assessment.correction.accept"]
    # The audit log names the measures, never a level (the scores stay the organisation's).
    assert all(set(d) == {"period", "measures"} for _a, d in actions)
    assert actions[-1][1]["measures"] == ["a"]
    assert list(verify_chain()) == []
    page = client_for(participant).get(f"/resilience/assessment/{period.key}/").content.decode()
    assert "Uw laatste correctie is op" in page and "geaccepteerd" in page
