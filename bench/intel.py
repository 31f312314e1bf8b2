"""Threat intelligence: bulk ingest with correlation keys, and look-ups through the policy.

    .venv/bin/python -m bench intel [--db postgres://postgres@127.0.0.1:5432/vrisac_intel_bench]
        [--indicators 1000000] [--reports 10000] [--lookups 1000]

Starts from an empty database (SQLite: var/bench/intel.sqlite3; PostgreSQL: the database in
the URL is dropped and created again, so give it a name of its own). Then:

1. ingest: N indicators over R reports, streamed from a generator through normalisation
   and ``intel.services.bulk_ingest`` (values, indicators, occurrence counts, one audit
   row per batch), printing the resident memory along the way and the peak at the end;
2. floor: the very same value and indicator rows written with plain ``executemany`` into
   tables with the same columns and indexes (no normalisation, no look-up of value ids);
3. exact look-up of a value through the policy (``intel.selectors.lookup``) against the
   same question as one indexed SQL query;
4. IP-in-CIDR among the ~100,000 CIDRs (``intel.selectors.containing``) against the same
   question as one indexed SQL query (the network keys computed outside the timing);
5. correlation of one whole report (100 indicators) through the policy.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import time
from collections.abc import Iterator
from typing import Any

from bench.common import fresh_database as common_fresh_database
from bench.common import median_ms, organisation_id_of, peak_rss_mb, setup_django

TYPES_BY_BUCKET: list[str] = (
    ["ipv4"] * 30 + ["cidr"] * 10 + ["ipv6"] * 5 + ["domain"] * 7 + ["hostname"] * 8
    + ["url"] * 15 + ["hash"] * 10 + ["email"] * 5
    + ["filename", "filepath", "regkey", "mutex", "user_agent", "asn", "cve", "ja3", "ja4",
       "sha512"]
)
SHARED_IPS = 20_000
SHARED_DOMAINS = 5_000


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def fresh_database(url: str | None) -> str | None:
    return common_fresh_database(url, sqlite_name="intel.sqlite3", prefix="vrisac_intel")


Raw = tuple[int, str, str, int | None]


def _octets(rnd: random.Random) -> str:
    return f"{rnd.randrange(1, 224)}.{rnd.randrange(256)}.{rnd.randrange(256)}"


def raw_values(n: int, reports: list[int], seed: int = 7) -> Iterator[Raw]:
    """(report id, type, raw value, file group) for n indicators, 100 per report, with
    realistic overlap (a shared pool of addresses and domains) and defanged spellings."""
    rnd = random.Random(seed)
    per_report = max(1, n // len(reports))
    for i in range(n):
        report = reports[min(i // per_report, len(reports) - 1)]
        kind = TYPES_BY_BUCKET[i % 100]
        if kind == "ipv4":
            if rnd.random() < 0.3:
                k = rnd.randrange(SHARED_IPS)
                yield report, "ipv4", f"185.{k // 250 % 250}.{k % 250}.{k % 200 + 1}", None
            else:
                yield report, "ipv4", f"{_octets(rnd)}.{rnd.randrange(256)}", None
        elif kind == "cidr":
            prefix = rnd.choice((16, 20, 22, 24, 24, 24, 26, 28))
            yield report, "cidr", f"{_octets(rnd)}.0/{prefix}", None
        elif kind == "ipv6":
            words = ":".join(f"{rnd.randrange(65536):x}" for _ in range(2))
            yield report, "ipv6", f"2a0b:{words}::{rnd.randrange(65536):x}", None
        elif kind in ("domain", "hostname"):
            if rnd.random() < 0.3:
                base = f"shared-{rnd.randrange(SHARED_DOMAINS)}.com"
            else:
                base = f"d{rnd.getrandbits(40):x}.net"
            value = base if kind == "domain" else f"login.{base}"
            yield report, kind, value.replace(".", "[.]", 1), None
        elif kind == "url":
            base = (f"shared-{rnd.randrange(SHARED_DOMAINS)}.com" if rnd.random() < 0.3
                    else f"u{rnd.getrandbits(40):x}.org")
            yield report, "url", f"hxxps://www.{base}/p/{rnd.getrandbits(32):x}?id={i}", None
        elif kind == "hash":
            # md5, sha1, sha256 of one file: three consecutive buckets share a group.
            seed_bytes = f"{report}-{i // 3}".encode()
            group = (i % 100 - 75) // 3 + 1
            which = (i % 100 - 75) % 3
            if which == 0:
                yield report, "md5", hashlib.md5(seed_bytes).hexdigest(), group
            elif which == 1:
                yield report, "sha1", hashlib.sha1(seed_bytes).hexdigest(), group
            else:
                yield report, "sha256", hashlib.sha256(seed_bytes).hexdigest(), group
        elif kind == "email":
            mailbox = f"hr{rnd.getrandbits(24):x}"
            yield report, "email", f"{mailbox}@mail-{rnd.randrange(50_000)}.nl", None
        elif kind == "filename":
            yield report, kind, f"update{rnd.getrandbits(20):x}.exe", None
        elif kind == "filepath":
            yield report, kind, f"C:\\Users\\Public\\t{rnd.getrandbits(20):x}.dll", None
        elif kind == "regkey":
            yield report, kind, f"HKLM\\Software\\Run\\k{rnd.getrandbits(20):x}", None
        elif kind == "mutex":
            yield report, kind, f"Global\\m{rnd.getrandbits(32):x}", None
        elif kind == "user_agent":
            yield report, kind, f"Mozilla/5.0 (Windows NT 10.0) Bot/{rnd.randrange(1000)}", None
        elif kind == "asn":
            yield report, kind, f"AS{rnd.randrange(1, 400_000)}", None
        elif kind == "cve":
            yield report, kind, f"CVE-20{rnd.randrange(15, 26)}-{rnd.randrange(1000, 50_000)}", None
        elif kind == "ja3":
            yield report, kind, f"{rnd.getrandbits(128):032x}", None
        elif kind == "ja4":
            counts = f"{rnd.randrange(10, 99)}{rnd.randrange(10, 99)}"
            parts = f"{rnd.getrandbits(48):012x}_{rnd.getrandbits(48):012x}"
            yield report, kind, f"t13d{counts}h2_{parts}", None
        else:
            yield report, "sha512", hashlib.sha512(f"{i}".encode()).hexdigest(), None


def make_people_and_reports(count: int) -> tuple[Any, Any, list[int]]:
    from django.utils import timezone

    from vrisac.core.testing import make_person
    from vrisac.reports.models import Report

    author = make_person("participant", "noord-en-oost-gelderland", totp=False)
    viewer = make_person("participant", "haaglanden", totp=False)

    org = organisation_id_of(author)
    now = timezone.now()
    rows = []
    for n in range(count):
        # One in ten is for the author's own organisation only: the viewer may not see it.
        own = n % 10 == 9
        rows.append(Report(
            kind="incident", title=f"Benchmark report {n}", summary="", body="",
            tlp="TLP:AMBER+STRICT" if own else "TLP:AMBER",
            audience="organisation" if own else "participants",
            status="published", published_at=now, organisation_id=org, author=author,
        ))
    Report.objects.bulk_create(rows, batch_size=2000)
    ids = list(Report.objects.order_by("id").values_list("id", flat=True))
    return author, viewer, ids


def ingest(author: Any, reports: list[int], n: int) -> dict[str, float]:
    from django.utils import timezone

    from vrisac.intel import services, store
    from vrisac.intel.normalise import normalise

    now = timezone.now()
    marks = {int(n * f) for f in (0.25, 0.5, 0.75)}
    done = 0
    rss: list[str] = []

    def rows() -> Iterator[Any]:
        for report, type_, raw, group in raw_values(n, reports):
            yield store.Row(report, normalise(type_, raw), True, "", now, now, group)

    def progress(count: int) -> None:
        nonlocal done
        before = done
        done += count
        for mark in sorted(marks):
            if before < mark <= done:
                rss.append(f"{mark:,}: {current_rss_mb():.0f} MB")

    started = time.perf_counter()
    result = services.bulk_ingest(acting_user=author, rows=rows(), batch_size=10_000,
                                  progress=progress, read_ahead=True)
    elapsed = time.perf_counter() - started
    print(f"  resident memory during ingest: {'; '.join(rss)}")
    print(f"  rows {result.rows:,}, new indicators {result.added:,}, batches {result.batches}")
    # The generator and normalisation alone, for the record (not part of the floor).
    started = time.perf_counter()
    for _row in rows():
        pass
    generate = time.perf_counter() - started
    return {"ingest": elapsed, "generate_and_normalise": generate}


def floor(n: int) -> float:
    """The same rows written with plain executemany into tables with the same columns and
    indexes (no foreign keys, no normalisation, value ids known)."""
    from django.db import connection, transaction

    from vrisac.intel.models import Indicator, IndicatorValue

    values, indicators = IndicatorValue._meta.db_table, Indicator._meta.db_table
    pairs = ((values, "bench_floor_value"), (indicators, "bench_floor_indicator"))
    with connection.cursor() as cursor:
        for source, target in pairs:
            cursor.execute(f"DROP TABLE IF EXISTS {target}")
            if connection.vendor == "postgresql":
                cursor.execute(f"CREATE TABLE {target} (LIKE {source} INCLUDING DEFAULTS "
                               f"INCLUDING CONSTRAINTS INCLUDING INDEXES)")
            else:
                cursor.execute("SELECT sql FROM sqlite_master WHERE tbl_name = %s AND type IN "
                               "('table', 'index') AND sql IS "
                               "NOT NULL", [source])
                for (sql,) in cursor.fetchall():
                    sql = re.sub(r' REFERENCES "[^"]+" \("id"\)( DEFERRABLE INITIALLY DEFERRED)?',
                                 "", sql)
                    sql = re.sub(r'INDEX "(\w+)" ON', rf'INDEX "{target}_\1" ON', sql)
                    cursor.execute(sql.replace(f'"{source}"', f'"{target}"'))
    columns_v = ["id", "digest", "type", "value", "ip_start", "prefixlen", "host_rev",
                 "occurrences"]
    columns_i = ["id", "uuid", "value_id", "report_id", "feed_id", "file_group",
                 "for_detection", "comment", "first_seen", "last_seen", "created_at",
                 "added_by_id"]
    spent = 0.0
    with transaction.atomic():
        for source, target, columns in ((values, "bench_floor_value", columns_v),
                                        (indicators, "bench_floor_indicator", columns_i)):
            last = 0
            insert = (f"INSERT INTO {target} ({', '.join(columns)}) "
                      f"VALUES ({', '.join(['%s'] * len(columns))})")
            while True:
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT {', '.join(columns)} FROM {source} WHERE id > %s "
                                   f"ORDER BY id LIMIT 10000", [last])
                    rows = cursor.fetchall()
                if not rows:
                    break
                last = rows[-1][0]
                with connection.cursor() as cursor:
                    started = time.perf_counter()
                    cursor.executemany(insert, rows)
                    spent += time.perf_counter() - started
    with connection.cursor() as cursor:
        for _source, target in pairs:
            cursor.execute(f"DROP TABLE {target}")
    return spent


def lookups(viewer: Any, reports: list[int], count: int) -> dict[str, float]:
    from vrisac.intel import selectors
    from vrisac.intel.correlation import correlate
    from vrisac.intel.models import Indicator, IndicatorValue
    from vrisac.intel.normalise import containing_networks, normalise
    from vrisac.reports.models import Report
    from vrisac.sharing.policy import viewer_for

    viewer_for(viewer)  # once per request in the product; cached on the user
    rnd = random.Random(11)
    exact = [f"185.{k // 250 % 250}.{k % 250}.{k % 200 + 1}"
             for k in (rnd.randrange(SHARED_IPS) for _ in range(count))]
    cidrs = list(IndicatorValue.objects.filter(type="cidr").order_by("?")
                 .values_list("value", flat=True)[:count])
    inside = []
    for network in cidrs:
        base, _slash, _len = network.partition("/")
        a, b, c, _d = base.split(".")
        inside.append(f"{a}.{b}.{c}.{rnd.randrange(1, 255)}")
    digests = [normalise("ipv4", v).digest for v in exact]
    keysets = [containing_networks(normalise("ipv4", v).ip_start or b"", 32) for v in inside]
    print(f"  CIDRs in the table: {IndicatorValue.objects.filter(type='cidr').count():,}")
    values, indicators = IndicatorValue._meta.db_table, Indicator._meta.db_table

    def cycle(items: list[Any]) -> Iterator[Any]:
        while True:
            yield from items

    exact_iter, inside_iter = cycle(exact), cycle(inside)
    digest_iter, keys_iter = cycle(digests), cycle(keysets)
    hits = sum(1 for v in exact[:200] if selectors.lookup_ids(user=viewer, value=v))
    found = sum(1 for v in inside[:200] if selectors.containing_ids(user=viewer, address=v))
    print(f"  exact look-ups that found something: {hits}/200; CIDR look-ups: {found}/200")
    # The floor runs its one indexed query the way the product runs its compiled look-ups
    # (``core.compiled.fetch``), so the difference is the policy and the product's own
    # work, not the driver.
    from vrisac.core.compiled import fetch

    exact_sql = (f"SELECT i.id, i.report_id FROM {indicators} i JOIN {values} v ON "
                 f"v.id = i.value_id WHERE v.digest = %s")

    def raw_exact() -> None:
        fetch(exact_sql, [next(digest_iter)])

    def raw_cidr() -> None:
        keys = next(keys_iter)
        fetch(f"SELECT i.id, i.report_id, v.ip_start, v.prefixlen FROM {indicators} i "
              f"JOIN {values} v ON v.id = i.value_id WHERE v.type = 'cidr' AND "
              f"v.ip_start IN ({', '.join(['%s'] * len(keys))})", keys)

    report_rows = [list(selectors.report_indicators(user=viewer, report=Report(pk=pk)))
                   for pk in reports[:50]]
    report_iter = cycle(report_rows)
    figures = {
        "exact_policy": median_ms(lambda: selectors.lookup_ids(user=viewer,
                                                               value=next(exact_iter)), count),
        "exact_loaded": median_ms(lambda: selectors.lookup(user=viewer, value=next(exact_iter)),
                                  count),
        "exact_floor": median_ms(raw_exact, count),
        "cidr_policy": median_ms(lambda: selectors.containing_ids(
            user=viewer, address=next(inside_iter)), count),
        "cidr_floor": median_ms(raw_cidr, count),
        "correlate_report": median_ms(lambda: correlate(user=viewer,
                                                        indicators=next(report_iter)), 50),
    }
    return figures


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench intel")
    parser.add_argument("--db", default=None, help="postgres://... (default: SQLite)")
    parser.add_argument("--indicators", type=int, default=1_000_000)
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=1000)
    args = parser.parse_args(argv)
    url = fresh_database(args.db)
    setup_django(url)
    from django.db import connection

    print(f"intel benchmark on {connection.vendor}: {args.indicators:,} indicators over "
          f"{args.reports:,} reports")
    author, viewer, reports = make_people_and_reports(args.reports)
    figures = ingest(author, reports, args.indicators)
    rate = args.indicators / figures["ingest"]
    print(f"  ingest with correlation keys: {figures['ingest']:.1f} s ({rate:,.0f} indicators/s)"
          f"; generating and normalising alone: {figures['generate_and_normalise']:.1f} s")
    print(f"  peak resident memory after ingest: {peak_rss_mb():.0f} MB")
    floor_s = floor(args.indicators)
    print(f"  floor, the same rows with plain executemany: {floor_s:.1f} s "
          f"(ingest is {figures['ingest'] / floor_s:.1f}x the floor)")
    look = lookups(viewer, reports, args.lookups)
    print(f"  exact look-up through the policy: {look['exact_policy']:.3f} ms median; "
          f"floor (one indexed query): {look['exact_floor']:.3f} ms "
          f"({look['exact_policy'] / look['exact_floor']:.1f}x)")
    print(f"  exact look-up with the indicator rows loaded for display: "
          f"{look['exact_loaded']:.3f} ms median")
    print(f"  IP in CIDR through the policy: {look['cidr_policy']:.3f} ms median; "
          f"floor (one indexed query): {look['cidr_floor']:.3f} ms "
          f"({look['cidr_policy'] / look['cidr_floor']:.1f}x)")
    print(f"  correlation of a 100-indicator report through the policy: "
          f"{look['correlate_report']:.1f} ms median")
    print(f"  peak resident memory: {peak_rss_mb():.0f} MB")
