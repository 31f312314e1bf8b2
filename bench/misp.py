"""The MISP face at size: restSearch and the feed export on 100,000 indicators.

    .venv/bin/python -m bench misp [--db postgres://postgres@127.0.0.1:5432/vrisac_misp_bench]
        [--indicators 100000] [--reports 1000] [--repeat 30]

Starts from an empty database (SQLite: var/bench/misp.sqlite3; PostgreSQL: the database in
the URL is dropped and created again, so give it a name of its own), writes R reports (half
shared with partners, one in ten for the author's organisation only) and N indicators over
them through the bulk path, then times, as a participant of another region through the HTTP
stack (Django's test client, token authentication included):

1. ``attributes/restSearch`` on one exact value;
2. ``attributes/restSearch`` on a type, one page of 1,000 deep in the result (page 20);
3. ``events/restSearch`` on tags (OR of two), 100 events a page, with their attributes;
4. ``events/index``, 100 events a page;
5. the feed written to a directory (``write_feed``: every partner event with its
   attributes, the manifest and hashes.csv).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import fresh_database, median_ms, organisation_id_of, peak_rss_mb, setup_django


def populate(reports: int, indicators: int) -> tuple[Any, Any, str]:
    from django.db import connection
    from django.utils import timezone

    from bench.intel import raw_values
    from vrisac.core.testing import make_person
    from vrisac.intel import services, store
    from vrisac.intel.normalise import normalise
    from vrisac.reports.models import Report, Tag

    author = make_person("participant", "noord-en-oost-gelderland", totp=False)
    viewer = make_person("participant", "haaglanden", totp=False)
    org = organisation_id_of(author)
    now = timezone.now()
    rows = []
    for n in range(reports):
        own = n % 10 == 9
        rows.append(Report(
            kind="threat", title=f"Benchmark event {n}", tlp="TLP:AMBER" if own else
            "TLP:GREEN", audience="organisation" if own else
            ("partners" if n % 2 == 0 else "participants"),
            status="published", published_at=now, organisation_id=org, author=author))
    Report.objects.bulk_create(rows, batch_size=2000)
    ids = list(Report.objects.order_by("id").values_list("id", flat=True))
    tags = Tag.objects.bulk_create([Tag(name=f"campaign-{i}") for i in range(10)])
    through = Report.tags.through
    through.objects.bulk_create([through(report_id=r, tag_id=tags[i % 10].pk)
                                 for i, r in enumerate(ids)])

    def stream() -> Any:
        for report, type_, raw, group in raw_values(indicators, ids):
            yield store.Row(report, normalise(type_, raw), True, "", now, now, group)

    started = time.perf_counter()
    result = services.bulk_ingest(acting_user=author, rows=stream(), batch_size=10_000,
                                  read_ahead=True)
    print(f"  data: {len(ids):,} reports, {result.added:,} indicators "
          f"({time.perf_counter() - started:.1f} s to write)")
    if connection.vendor == "postgresql":
        # As autovacuum would soon after such a write: the planner sees the tables' sizes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    from vrisac.intel.models import Indicator

    sample = (Indicator.objects.filter(report__audience="partners")
              .select_related("value").order_by("id")[indicators // 3])
    return author, viewer, sample.value.value


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench misp")
    parser.add_argument("--db")
    parser.add_argument("--indicators", type=int, default=100_000)
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    setup_django(fresh_database(args.db, sqlite_name="misp.sqlite3", prefix="vrisac_misp"))
    from django.core.management import call_command
    from django.db import connection

    call_command("createcachetable")
    from django.test import Client

    from vrisac.accounts.services import token_create
    from vrisac.interop.misp.feed import write_feed

    print(f"bench misp on {connection.vendor}, load average {os.getloadavg()[0]:.1f}")
    _author, viewer, value = populate(args.reports, args.indicators)
    _token, key = token_create(user=viewer, scopes=["misp:read"])
    client = Client(HTTP_AUTHORIZATION=key, HTTP_HOST="localhost")

    def post(path: str, body: dict[str, Any]) -> Any:
        def call() -> None:
            answer = client.post(path, json.dumps(body), content_type="application/json")
            assert answer.status_code == 200, answer.content[:200]
        return call

    def get(path: str) -> Any:
        def call() -> None:
            assert client.get(path).status_code == 200
        return call

    cases = [
        ("attributes/restSearch value (exact)",
         post("/misp/attributes/restSearch", {"value": value})),
        ("attributes/restSearch type=domain, page 20 of 1,000",
         post("/misp/attributes/restSearch", {"type": "domain", "limit": 1000, "page": 20})),
        ("events/restSearch tags OR, 100 events with attributes",
         post("/misp/events/restSearch", {"tags": {"OR": ["campaign-1", "campaign-2"]},
                                          "limit": 100})),
        ("events/index, 100 events", get("/misp/events/index/limit:100")),
    ]
    for label, call in cases:
        call()
        print(f"  {label}: median {median_ms(call, args.repeat):.1f} ms "
              f"over {args.repeat} runs")
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        result = write_feed(Path(directory))
        elapsed = time.perf_counter() - started
        size = sum(p.stat().st_size for p in Path(directory).iterdir()) / (1024 * 1024)
    print(f"  feed export: {result.events:,} events, {result.attributes:,} attributes, "
          f"{size:.1f} MB in {elapsed:.1f} s")
    print(f"  peak resident memory: {peak_rss_mb():.0f} MB")
