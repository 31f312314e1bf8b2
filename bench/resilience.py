"""Resilience: the benchmark and strategic aggregates, chart rendering and the PDFs.

Builds 25 regions plus NIPV with eight quarters of submitted self-assessments, 2,000 reports
over twelve months, 60 tracked significant incidents and an incident picture with 200
updates, then times the reads people wait for. The peer named in the issue for charts is the
chart library itself: matplotlib's SVG is compared with its PNG output in the same run.

    .venv/bin/python -m bench resilience [--database-url URL]
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from typing import Any

from bench.common import median_ms, peak_rss_mb, setup_django


def _build() -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from vrisac.core.testing import make_person
    from vrisac.organisations.models import Organisation
    from vrisac.reports.models import Report
    from vrisac.resilience import services
    from vrisac.resilience.models import Assessment, IncidentPicture, Measure, Score
    from vrisac.resilience.periods import recent

    regions = list(Organisation.objects.filter(kind__in=["region", "institute"]))
    people = []
    for org in regions:
        from vrisac.organisations.models import Membership

        member = Membership.objects.current().filter(organisation=org,
                                                     role="participant").first()
        people.append(member.user if member else make_person("participant", org.slug))
    coordinator = make_person("coordinator", "nipv") if not Membership.objects.current(
    ).filter(role="coordinator").exists() else Membership.objects.current().filter(
        role="coordinator").first().user  # type: ignore[union-attr]
    measures = list(Measure.objects.all())
    with transaction.atomic():
        for q, period in enumerate(recent(8)):
            for i, org in enumerate(regions):
                assessment, _ = Assessment.objects.get_or_create(
                    organisation=org, year=period.year, quarter=period.quarter,
                    defaults={"state": "submitted", "submitted_at": timezone.now()})
                Score.objects.bulk_create([
                    Score(assessment=assessment, measure=m, level=(i + j + q) % 6)
                    for j, m in enumerate(measures)], ignore_conflicts=True)
    now = timezone.now()
    if Report.objects.count() < 2000:
        rows = []
        for n in range(2000):
            org = regions[n % len(regions)]
            rows.append(Report(kind=["incident", "threat", "vulnerability", "advice"][n % 4],
                               title=f"bench {n}", tlp="TLP:AMBER", audience="participants",
                               status="published", organisation=org, author=people[0],
                               published_at=now - timedelta(days=n % 360)))
        Report.objects.bulk_create(rows, batch_size=500)
    from vrisac.resilience.models import Nis2Incident

    missing = max(0, 60 - Nis2Incident.objects.count())
    incidents = list(Report.objects.filter(kind="incident", nis2__isnull=True)[:missing])
    for report in incidents:
        author = people[regions.index(report.organisation)]
        report.author = author
        report.save(update_fields=["author"])
        services.nis2_start(report=report, acting_user=author,
                            aware_at=now - timedelta(hours=30))
    picture = IncidentPicture.objects.first()
    if picture is None:
        first = Report.objects.filter(kind="incident").first()
        assert first is not None
        picture = services.picture_start(report=first, acting_user=coordinator)
        for n in range(200):
            services.picture_add_update(picture=picture, acting_user=coordinator,
                                        known=f"update {n} " + "tekst " * 40,
                                        at=now - timedelta(minutes=n))
    return {"people": people, "coordinator": coordinator, "picture": picture}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench resilience")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    setup_django(args.database_url)

    from vrisac.resilience import charts, pdf, selectors, strategic
    from vrisac.resilience.models import Nis2Incident
    from vrisac.resilience.periods import Period

    started = time.perf_counter()
    data = _build()
    print(f"data set built in {time.perf_counter() - started:.1f} s")
    period = Period.current()
    organisation = selectors.own_organisation(data["people"][0])
    rows = selectors.benchmark_rows(period=period, organisation=organisation)
    picture = strategic.strategic_picture(period, ask_warnings=False)

    figures = {
        "benchmark rows (26 orgs x 10 measures)": median_ms(
            lambda: selectors.benchmark_rows(period=period, organisation=organisation), 50),
        "strategic picture (12 months, 6 quarters, 2,000 reports)": median_ms(
            lambda: strategic.strategic_picture(period, ask_warnings=False), 20),
        "benchmark chart, SVG": median_ms(
            lambda: charts.render(charts.benchmark_chart(rows, own_label="eigen"), "svg"), 30),
        "benchmark chart, PNG (peer: same library)": median_ms(
            lambda: charts.render(charts.benchmark_chart(rows, own_label="eigen"), "png"), 30),
        "quarterly report PDF (4 charts)": median_ms(
            lambda: pdf.quarterly_report(picture), 5),
        "incident briefing PDF (200 updates)": median_ms(
            lambda: pdf.picture_briefing(data["picture"], selectors.picture_updates(
                picture=data["picture"], user=data["coordinator"])), 5),
        "deadlines and statuses of 60 tracked incidents": median_ms(
            lambda: [selectors.stage_infos(i) for i in
                     Nis2Incident.objects.prefetch_related("stages")], 20),
    }
    for label, value in figures.items():
        print(f"{label:60s} {value:9.1f} ms (median)")
    svg = charts.render(charts.benchmark_chart(rows, own_label="eigen"), "svg")
    png = charts.render(charts.benchmark_chart(rows, own_label="eigen"), "png")
    print(f"{'benchmark chart size SVG / PNG':60s} {len(svg) // 1024} KiB / "
          f"{len(png) // 1024} KiB")
    print(f"{'quarterly report size':60s} {len(pdf.quarterly_report(picture)) // 1024} KiB")
    print(f"{'peak memory':60s} {peak_rss_mb():9.1f} MB")
