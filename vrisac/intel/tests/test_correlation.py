"""Indicators on reports and their correlation, through the sharing policy on both ends."""

from __future__ import annotations

from typing import Any

import pytest

from vrisac.core.audit import verify_chain
from vrisac.core.errors import DomainError, NotFound
from vrisac.core.models import AuditEvent
from vrisac.core.testing import make_report
from vrisac.intel import selectors, services, store
from vrisac.intel.correlation import correlate
from vrisac.intel.models import Indicator, IndicatorValue
from vrisac.intel.normalise import normalise
from vrisac.reports.models import Report
from vrisac.reports.services import report_retract

pytestmark = pytest.mark.django_db


def ind(type_: str, value: str, **extra: Any) -> dict[str, Any]:
    return {"type": type_, "value": value, **extra}


def links_of(user: Any, report: Report) -> dict[str, list[tuple[int, str]]]:
    rows = list(selectors.report_indicators(user=user, report=report))
    found = correlate(user=user, indicators=rows)
    return {
        row.value.value: sorted((link.indicator.report_id or 0, link.kind)
                                for link in found[row.pk].links)
        for row in rows
    }


def test_indicators_are_normalised_and_stored_once_per_report(people: dict) -> None:
    report = make_report(people["utrecht"], indicators=[
        ind("domain", "Evil[.]NL"), ind("domain", "evil.nl."), ind("ipv4", "10.0.0.1",
                                                                  comment="intern"),
        ind("filename", "a.exe"),
    ])
    rows = list(Indicator.objects.filter(report=report).select_related("value")
                .order_by("value__type"))
    assert [(r.value.type, r.value.value) for r in rows] == [
        ("domain", "evil.nl"), ("filename", "a.exe"), ("ipv4", "10.0.0.1")]
    assert [r.for_detection for r in rows] == [True, False, True]
    assert rows[2].comment == "intern"
    assert all(r.first_seen <= r.last_seen for r in rows)
    assert IndicatorValue.objects.get(value="evil.nl").occurrences == 1
    # One audit row for the batch, not one per indicator; the chain holds.
    assert AuditEvent.objects.filter(action="intel.indicators.add").count() == 1
    assert list(verify_chain()) == []


def test_occurrences_count_indicators_not_repeats(people: dict) -> None:
    reports = [make_report(people[who], indicators=[ind("domain", "counted.nl")])
               for who in ("vnog", "utrecht", "haaglanden")]
    value = IndicatorValue.objects.get(value="counted.nl")
    assert value.occurrences == 3
    again = services.report_indicators_add(report=reports[0], acting_user=people["vnog"],
                                           items=[ind("domain", "counted.nl"),
                                                  ind("domain", "fresh.nl")])
    assert again.added == 1
    value.refresh_from_db()
    assert value.occurrences == 3
    assert IndicatorValue.objects.get(value="fresh.nl").occurrences == 1
    services.indicator_remove(indicator=Indicator.objects.get(report=reports[1]),
                              acting_user=people["utrecht"])
    value.refresh_from_db()
    assert value.occurrences == 2


def test_a_bad_indicator_refuses_the_whole_report(people: dict) -> None:
    before = Report.objects.count()
    with pytest.raises(DomainError) as caught:
        make_report(people["utrecht"], indicators=[ind("ipv4", "1.2.3.4"),
                                                   ind("ipv4", "999.1.1.1")])
    assert caught.value.field == "indicators[1].value"
    assert "999.1.1.1" in caught.value.message
    assert Report.objects.count() == before
    assert not IndicatorValue.objects.filter(value="1.2.3.4").exists()


def test_exact_correlation_obeys_the_policy_on_both_ends(people: dict) -> None:
    public = make_report(people["vnog"], indicators=[ind("ipv4", "185.220.101.47")])
    own_org = make_report(people["utrecht"], audience="organisation", tlp="TLP:AMBER+STRICT",
                          indicators=[ind("ipv4", "185.220.101.47")])
    other = make_report(people["haaglanden"], indicators=[ind("ipv4", "185.220.101.47")])
    # Utrecht sees all three.
    assert links_of(people["utrecht"], public)["185.220.101.47"] == sorted(
        [(own_org.pk, "exact"), (other.pk, "exact")])
    # Haaglanden cannot see Utrecht's own-organisation report: not named, not counted.
    seen = links_of(people["haaglanden"], other)
    assert seen == {"185.220.101.47": [(public.pk, "exact")]}
    # The observer reads no content at all.
    assert list(selectors.report_indicators(user=people["observer"], report=public)) == []


def test_cidr_correlation_v4_and_v6(people: dict) -> None:
    network = make_report(people["vnog"], indicators=[ind("cidr", "185.220.101.0/24"),
                                                      ind("cidr", "2a0b:f4c2::/32")])
    address = make_report(people["utrecht"], indicators=[
        ind("ipv4", "185.220.101.47"), ind("ipv6", "2a0b:f4c2:2::1"), ind("ipv4", "185.220.102.1"),
        ind("cidr", "185.220.101.128/25")])
    seen = links_of(people["haaglanden"], address)
    assert seen["185.220.101.47"] == [(network.pk, "cidr")]
    assert seen["2a0b:f4c2:2::1"] == [(network.pk, "cidr")]
    assert seen["185.220.102.1"] == []
    assert seen["185.220.101.128/25"] == [(network.pk, "cidr")]
    back = links_of(people["haaglanden"], network)
    assert back["185.220.101.0/24"] == [(address.pk, "cidr"), (address.pk, "cidr")]
    assert back["2a0b:f4c2::/32"] == [(address.pk, "cidr")]


def test_domain_subdomains_and_urls(people: dict) -> None:
    domain = make_report(people["vnog"], indicators=[ind("domain", "rooster-portaal.com")])
    urls = make_report(people["utrecht"], indicators=[
        ind("url", "https://login.rooster-portaal.com/auth"),
        ind("hostname", "login.rooster-portaal.com"),
        ind("email", "hr@rooster-portaal.com"),
        ind("domain", "notrooster-portaal.com"),
    ])
    seen = links_of(people["haaglanden"], urls)
    assert seen["https://login.rooster-portaal.com/auth"] == [(domain.pk, "domain")]
    assert seen["login.rooster-portaal.com"] == [(domain.pk, "domain")]
    assert seen["hr@rooster-portaal.com"] == [(domain.pk, "domain")]
    assert seen["notrooster-portaal.com"] == []
    assert links_of(people["haaglanden"], domain)["rooster-portaal.com"] == [
        (urls.pk, "domain")] * 3


def test_hash_set_links_the_hashes_of_one_file(people: dict) -> None:
    md5, sha1, sha256 = "a" * 32, "b" * 40, "c" * 64
    make_report(people["vnog"], indicators=[ind("md5", md5), ind("sha1", sha1),
                                            ind("sha256", sha256)])
    only_md5 = make_report(people["utrecht"], indicators=[ind("md5", md5)])
    only_sha256 = make_report(people["haaglanden"], indicators=[ind("sha256", sha256)])
    seen = links_of(people["utrecht"], only_sha256)[sha256]
    assert (only_md5.pk, "hash set") in seen
    # Without a report that gives them together, the hashes do not link.
    separate = make_report(people["utrecht"], indicators=[ind("md5", "d" * 32),
                                                          ind("md5", "e" * 32)])
    lonely = make_report(people["haaglanden"], indicators=[ind("md5", "d" * 32)])
    assert links_of(people["utrecht"], lonely)["d" * 32] == [(separate.pk, "exact")]


def test_hash_set_from_a_report_the_viewer_cannot_see_does_not_link(people: dict) -> None:
    md5, sha256 = "f" * 32, "0" * 64
    make_report(people["utrecht"], audience="organisation", tlp="TLP:AMBER+STRICT",
                indicators=[ind("md5", md5), ind("sha256", sha256)])
    make_report(people["vnog"], indicators=[ind("md5", md5)])
    b = make_report(people["haaglanden"], indicators=[ind("sha256", sha256)])
    assert links_of(people["haaglanden"], b)[sha256] == []


def test_explicit_file_groups(people: dict) -> None:
    report = make_report(people["vnog"], indicators=[
        ind("md5", "1" * 32, file="dropper"), ind("sha256", "2" * 64, file="dropper"),
        ind("md5", "3" * 32, file="loader"), ind("sha256", "4" * 64, file="loader"),
        ind("filename", "dropper.exe", file="dropper")])
    groups = dict(Indicator.objects.filter(report=report).values_list("value__value",
                                                                      "file_group"))
    assert groups["1" * 32] == groups["2" * 64] == groups["dropper.exe"]
    assert groups["3" * 32] == groups["4" * 64] != groups["1" * 32]
    other = make_report(people["utrecht"], indicators=[ind("sha256", "2" * 64)])
    probe = make_report(people["haaglanden"], indicators=[ind("md5", "1" * 32)])
    seen = links_of(people["haaglanden"], probe)["1" * 32]
    assert (other.pk, "hash set") in seen and (report.pk, "exact") in seen
    assert all(pk != other.pk or kind == "hash set" for pk, kind in seen)


def test_retracted_reports_leave_the_correlation(people: dict) -> None:
    a = make_report(people["vnog"], indicators=[ind("domain", "retract-me.nl")])
    b = make_report(people["utrecht"], indicators=[ind("domain", "retract-me.nl")])
    assert links_of(people["haaglanden"], b)["retract-me.nl"] == [(a.pk, "exact")]
    report_retract(report=a, acting_user=people["vnog"], reason="test data")
    assert links_of(people["haaglanden"], b)["retract-me.nl"] == []


def test_over_correlation_mark_for_coordinators_only(people: dict) -> None:
    services.correlation_threshold_set(acting_user=people["coordinator"], threshold=2)
    reports = [make_report(people[who], indicators=[ind("ipv4", "203.0.113.9")])
               for who in ("vnog", "utrecht", "haaglanden", "utrecht2")]
    hidden = make_report(people["vnog"], audience="organisation", tlp="TLP:AMBER+STRICT",
                         indicators=[ind("domain", "quiet.nl")])
    visible = make_report(people["utrecht"], indicators=[ind("domain", "quiet.nl")])
    coordinator_rows = list(selectors.report_indicators(user=people["coordinator"],
                                                        report=reports[0]))
    seen = correlate(user=people["coordinator"], indicators=coordinator_rows)
    item = seen[coordinator_rows[0].pk]
    assert item.over_correlating is True and item.links == [] and item.collapsed is False
    participant_rows = list(selectors.report_indicators(user=people["haaglanden"],
                                                        report=reports[0]))
    as_participant = correlate(user=people["haaglanden"], indicators=participant_rows)
    item = as_participant[participant_rows[0].pk]
    assert item.over_correlating is None  # the mark is not for participants
    assert item.collapsed is True and item.links == []
    # One hidden from Haaglanden: it sees no correlation and no count.
    rows = list(selectors.report_indicators(user=people["haaglanden"], report=visible))
    item = correlate(user=people["haaglanden"], indicators=rows)[rows[0].pk]
    assert item.links == [] and item.collapsed is False
    # Its author sees the own-organisation report correlate.
    rows = list(selectors.report_indicators(user=people["vnog"], report=visible))
    assert [link.indicator.report_id for link in correlate(
        user=people["vnog"], indicators=rows)[rows[0].pk].links] == [hidden.pk]


def test_excluded_values_do_not_correlate(people: dict) -> None:
    a = make_report(people["vnog"], indicators=[ind("domain", "common.nl")])
    make_report(people["utrecht"], indicators=[ind("domain", "common.nl")])
    services.exclusion_add(acting_user=people["coordinator"], value="common[.]nl")
    rows = list(selectors.report_indicators(user=people["coordinator"], report=a))
    item = correlate(user=people["coordinator"], indicators=rows)[rows[0].pk]
    assert item.excluded is True and item.links == []
    rows = list(selectors.report_indicators(user=people["utrecht"], report=a))
    item = correlate(user=people["utrecht"], indicators=rows)[rows[0].pk]
    assert item.excluded is None and item.links == []
    with pytest.raises(DomainError):
        services.exclusion_add(acting_user=people["utrecht"], value="x.nl")


def test_indicators_only_for_editors(people: dict) -> None:
    report = make_report(people["vnog"])
    with pytest.raises(NotFound):
        services.report_indicators_add(report=report, acting_user=people["utrecht"],
                                       items=[ind("ipv4", "1.1.1.1")])
    result = services.report_indicators_add(report=report, acting_user=people["vnog"],
                                            items=[ind("ipv4", "1.1.1.1")])
    assert result.added == 1 and result.items[0].warninglists == [
        "Well-known public DNS resolvers"]
    again = services.report_indicators_add(report=report, acting_user=people["vnog"],
                                           items=[ind("ipv4", "1.1.1.1")])
    assert again.added == 0
    assert Indicator.objects.filter(report=report).count() == 1


def test_bulk_ingest_streams_batches_with_one_audit_row_each(people: dict) -> None:
    author = people["vnog"]
    reports = [make_report(author) for _ in range(3)]
    from django.utils import timezone

    now = timezone.now()

    def rows() -> Any:
        for n in range(2500):
            report = reports[n % 3]
            yield store.Row(report.pk, normalise("ipv4", f"10.{n // 250}.{n % 250}.1"), True,
                            "", now, now)

    result = services.bulk_ingest(acting_user=author, rows=rows(), batch_size=1000)
    assert (result.rows, result.added, result.batches) == (2500, 2500, 3)
    assert AuditEvent.objects.filter(action="intel.indicators.bulk_add.report").count() == 3
    again = services.bulk_ingest(acting_user=author, rows=rows(), batch_size=1000)
    assert again.added == 0
    assert Indicator.objects.count() == 2500
    with pytest.raises(NotFound):
        services.bulk_ingest(acting_user=people["haaglanden"], rows=rows(), batch_size=1000)


def test_correlating_a_report_takes_a_fixed_number_of_queries(
        people: dict, django_assert_max_num_queries: Any) -> None:
    items = ([ind("ipv4", f"192.0.2.{n}") for n in range(30)]
             + [ind("url", f"https://h{n}.example.org/x") for n in range(30)]
             + [ind("sha256", f"{n:064x}") for n in range(30)]
             + [ind("cidr", "198.51.100.0/24"), ind("domain", "example.org")])
    report = make_report(people["vnog"], indicators=items)
    make_report(people["utrecht"], indicators=items[:5] + items[40:45])
    rows = list(selectors.report_indicators(user=people["utrecht"], report=report))
    with django_assert_max_num_queries(16):
        correlate(user=people["utrecht"], indicators=rows)


def test_bulk_ingest_reading_ahead_and_an_error_midway(people: dict) -> None:
    from django.utils import timezone

    author = people["vnog"]
    report = make_report(author)
    now = timezone.now()

    def rows(fail_at: int | None = None) -> Any:
        for n in range(2500):
            if n == fail_at:
                raise DomainError(f"line {n}: broken")
            yield store.Row(report.pk, normalise("domain", f"d{n}.rooster-portaal.com"), True,
                            "", now, now)

    with pytest.raises(DomainError) as caught:
        services.bulk_ingest(acting_user=author, rows=rows(fail_at=2100), batch_size=500,
                             read_ahead=True)
    assert caught.value.message == "line 2100: broken"
    assert not Indicator.objects.filter(report=report).exists()
    result = services.bulk_ingest(acting_user=author, rows=rows(), batch_size=500,
                                  read_ahead=True)
    assert (result.rows, result.added, result.batches) == (2500, 2500, 5)
