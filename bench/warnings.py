"""Warnings at real size: 300,000 CVEs with NVD-style configurations, 5,000 CSAF advisories,
the KEV list, EPSS for every CVE, 28 organisations with 500 inventory items each.

    .venv/bin/python -m bench warnings [--scale 0.1] [--keep]

Runs, on a SQLite database of its own (var/bench/warnings.sqlite3), what an operator does on
an empty platform: import the inventories, then the same jobs the commands and the worker
run (``advisories.import_nvd`` ... ``advisories.import_epss``: each imports and re-matches
what changed). Then one new CSAF advisory re-matched against all inventories, and one changed
inventory item re-matched (medians over repeated runs). Prints peak memory, and the floor:
the same rows inserted with ``executemany`` into empty copies of the tables, in this run.
The data is generated (seeded) under var/bench/warnings-data/.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import random
import shutil
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

import orjson

from bench.common import ROOT, peak_rss_mb, setup_django

DATA = ROOT / "var" / "bench" / "warnings-data"
DB = ROOT / "var" / "bench" / "warnings.sqlite3"
SYLLABLES = ["net", "gate", "sec", "cloud", "core", "fort", "data", "link", "soft", "ware",
             "view", "path", "mail", "web", "trust", "guard", "flow", "base", "sys", "tel"]
CVSS = ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N",
        "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"]


class Catalogue:
    """Products with release histories, in the version styles real vendors use."""

    def __init__(self, rng: random.Random, count: int) -> None:
        self.products = []
        for n in range(count):
            vendor = rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + str(n // 5)
            product = rng.choice(SYLLABLES).title() + rng.choice(SYLLABLES) + f" {n}"
            style = rng.choice(["semver", "semver", "semver", "citrix", "build"])
            releases = []
            major = rng.randint(1, 15)
            for r in range(40):
                if style == "semver":
                    releases.append(f"{major + r // 10}.{r % 10}.{rng.randint(0, 9)}")
                elif style == "citrix":
                    releases.append(f"{major + r // 20}.{r % 20 // 10}-{r + 10}."
                                    f"{rng.randint(1, 99)}")
                else:
                    releases.append(f"{major + r // 10}.{r % 10} build {1000 + r * 7}")
            self.products.append({"vendor": vendor, "product": product, "style": style,
                                  "releases": releases,
                                  "cpe_vendor": vendor.lower(),
                                  "cpe_product": product.lower().replace(" ", "_")})
        self.weights = [1 / (r + 10) ** 1.1 for r in range(count)]

    def pick(self, rng: random.Random) -> dict[str, Any]:
        return rng.choices(self.products, weights=self.weights)[0]


def generate(scale: float, seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed)
    marker = DATA / f"scale-{scale}-v3"
    sizes = {"cves": int(300_000 * scale), "csaf": int(5_000 * scale), "kev": 1_400,
             "orgs": 28, "items": 500}
    if marker.exists():
        return sizes
    shutil.rmtree(DATA, ignore_errors=True)
    (DATA / "nvd").mkdir(parents=True)
    (DATA / "csaf").mkdir()
    (DATA / "inventory").mkdir()
    catalogue = Catalogue(rng, 4000)
    cves = []
    page: list[dict[str, Any]] = []
    pages = 0

    def flush() -> None:
        nonlocal page, pages
        if page:
            (DATA / "nvd" / f"page-{pages:04d}.json").write_bytes(orjson.dumps(
                {"resultsPerPage": len(page), "startIndex": pages * 2000,
                 "totalResults": sizes["cves"], "format": "NVD_CVE", "version": "2.0",
                 "vulnerabilities": page}))
            pages += 1
            page = []

    for n in range(sizes["cves"]):
        cve_id = f"CVE-{2000 + n // 20000}-{n % 20000 + 10000}"
        product = catalogue.pick(rng)
        matches = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            releases = product["releases"]
            # Most CVEs were fixed releases ago; a few hit the releases regions run now.
            end = rng.randint(30, 39) if rng.random() < 0.004 else rng.randint(1, 29)
            start = max(0, end - rng.randint(1, 12))
            cpe_version = "*"
            match: dict[str, Any] = {"vulnerable": True, "matchCriteriaId": f"{n:08X}"}
            if product["style"] == "build" or rng.random() < 0.1:
                match["versionEndExcluding"] = releases[end]
            elif rng.random() < 0.1:
                cpe_version = releases[end].replace(" ", "_")
            else:
                match["versionStartIncluding"] = releases[start]
                match["versionEndExcluding"] = releases[end]
            match["criteria"] = (f"cpe:2.3:a:{product['cpe_vendor']}:{product['cpe_product']}:"
                                 f"{cpe_version}:*:*:*:*:*:*:*")
            matches.append(match)
        cves.append((cve_id, product))
        page.append({"cve": {
            "id": cve_id, "published": "2024-01-01T00:00:00.000",
            "lastModified": "2025-01-01T00:00:00.000", "vulnStatus": "Analyzed",
            "descriptions": [{"lang": "en", "value": f"Generated vulnerability {n} in "
                                                     f"{product['product']}."}],
            "metrics": {"cvssMetricV31": [{"source": "nvd@nist.gov", "type": "Primary",
                                           "cvssData": {"version": "3.1",
                                                        "vectorString": rng.choice(CVSS)}}]},
            "configurations": [{"nodes": [{"operator": "OR", "negate": False,
                                           "cpeMatch": matches}]}],
        }})
        if len(page) == 2000:
            flush()
    flush()
    by_product: dict[str, list[str]] = {}
    for cve_id, product in cves:
        by_product.setdefault(product["product"], []).append(cve_id)
    for n in range(sizes["csaf"]):
        # Vendors publish for their whole line-up, not for what regions happen to run.
        product = rng.choice(catalogue.products)
        (DATA / "csaf" / f"adv-{n:05d}.json").write_bytes(orjson.dumps(csaf_document(
            rng, product, by_product.get(product["product"]) or [cves[n][0]],
            f"BENCH-{n:05d}")))
    kev = [{"cveID": cve_id, "vendorProject": product["vendor"],
            "product": product["product"], "vulnerabilityName": "Generated",
            "dateAdded": "2024-06-01", "shortDescription": "Generated",
            "requiredAction": "Apply updates per vendor instructions.",
            "dueDate": "2024-06-22", "knownRansomwareCampaignUse": "Unknown", "notes": ""}
           for cve_id, product in rng.sample(cves, sizes["kev"])]
    (DATA / "kev.json").write_bytes(orjson.dumps({"catalogVersion": "bench",
                                                  "count": len(kev), "vulnerabilities": kev}))
    with gzip.open(DATA / "epss.csv.gz", "wt") as fh:
        fh.write("#model_version:v2025.03.14,score_date:2026-01-01T00:00:00+0000\n")
        fh.write("cve,epss,percentile\n")
        for cve_id, _product in cves:
            fh.write(f"{cve_id},{rng.random() ** 6:.5f},{rng.random():.5f}\n")
    for org in range(sizes["orgs"]):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["vendor", "product", "version", "cpe", "purl", "internet_facing",
                         "criticality"])
        seen: set[tuple[str, str]] = set()
        while len(seen) < sizes["items"]:
            product = catalogue.pick(rng)
            version = rng.choice(product["releases"][-10:])
            if (product["product"], version) in seen:
                continue
            seen.add((product["product"], version))
            cpe = ""
            if product["style"] != "build" and rng.random() < 0.6:
                cpe = (f"cpe:2.3:a:{product['cpe_vendor']}:{product['cpe_product']}:{version}"
                       ":*:*:*:*:*:*:*")
            writer.writerow([product["vendor"], product["product"], version, cpe, "",
                             rng.choice(["yes", "no", "no", "no"]),
                             rng.choice(["high", "medium", "medium", "low"])])
        (DATA / "inventory" / f"org-{org:02d}.csv").write_text(out.getvalue())
    marker.touch()
    return sizes


def csaf_document(rng: random.Random, product: dict[str, Any], cve_ids: list[str],
                  tracking_id: str) -> dict[str, Any]:
    """An advisory of the product's vendor about one or two of its CVEs: the older releases
    affected, the two newest fixed."""
    picked = list(dict.fromkeys(rng.sample(cve_ids, k=min(2, len(cve_ids)))))
    releases = product["releases"]
    # The fix is mostly releases ago; sometimes it is the newest release.
    fix = rng.randint(35, 39) if rng.random() < 0.3 else rng.randint(6, 34)
    branch_products = []
    affected: list[str] = []
    fixed: list[str] = []
    for i, version in enumerate(releases[fix - 4:fix + 2]):
        pid = f"CSAFPID-{i:04d}"
        branch_products.append({"category": "product_version", "name": version,
                                "product": {"name": f"{product['product']} {version}",
                                            "product_id": pid}})
        (fixed if i >= 4 else affected).append(pid)
    return {
        "document": {
            "category": "csaf_security_advisory", "csaf_version": "2.0",
            "distribution": {"tlp": {"label": rng.choice(["WHITE", "GREEN", "AMBER"])}},
            "publisher": {"category": "vendor", "name": product["vendor"],
                          "namespace": f"https://{product['cpe_vendor']}.example"},
            "title": f"Vulnerabilities in {product['product']}",
            "aggregate_severity": {"text": rng.choice(["Critical", "High", "Medium"])},
            "tracking": {"id": tracking_id, "version": "1", "status": "final",
                         "initial_release_date": "2025-01-01T00:00:00.000Z",
                         "current_release_date": "2025-01-01T00:00:00.000Z",
                         "revision_history": [{"date": "2025-01-01T00:00:00.000Z",
                                               "number": "1", "summary": "Initial"}]},
        },
        "product_tree": {"branches": [{"category": "vendor", "name": product["vendor"],
                                       "branches": [{"category": "product_name",
                                                     "name": product["product"],
                                                     "branches": branch_products}]}]},
        "vulnerabilities": [{
            "cve": cve_id,
            "product_status": {"known_affected": affected, "fixed": fixed},
            "remediations": [{"category": "vendor_fix", "details": f"Update to {releases[-2]}",
                              "product_ids": affected}],
        } for cve_id in picked],
    }


def floor(tables: list[str]) -> tuple[float, int]:
    """The same rows, inserted with executemany into empty copies: the database's own cost."""
    conn = sqlite3.connect(DB)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    total_rows = 0
    elapsed = 0.0
    for table in tables:
        conn.execute(f"DROP TABLE IF EXISTS floor_{table}")
        conn.execute(f"CREATE TABLE floor_{table} AS SELECT * FROM {table} WHERE 0")
        cursor = conn.execute(f"SELECT * FROM {table}")
        marks = ",".join("?" * len(cursor.description))
        while rows := cursor.fetchmany(50_000):
            started = time.perf_counter()
            conn.executemany(f"INSERT INTO floor_{table} VALUES ({marks})", rows)
            elapsed += time.perf_counter() - started
            total_rows += len(rows)
        started = time.perf_counter()
        conn.commit()
        elapsed += time.perf_counter() - started
        conn.execute(f"DROP TABLE floor_{table}")
    conn.commit()
    conn.close()
    return elapsed, total_rows


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench warnings")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    sizes = generate(args.scale)
    print(f"data: {sizes} (generated or reused in {time.perf_counter() - started:.1f} s)",
          flush=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(DB) + suffix).unlink(missing_ok=True)
    setup_django(f"sqlite:///{DB}")

    from django.db import connection

    from vrisac.advisories.models import AffectedProduct, Vulnerability
    from vrisac.alerts.models import Warning
    from vrisac.alerts.services import rematch_items, rematch_vulnerabilities
    from vrisac.assets.models import InventoryItem
    from vrisac.assets.services import inventory_import_csv
    from vrisac.core.jobs import job_run
    from vrisac.organisations.models import Organisation

    timings: dict[str, float] = {}
    orgs = list(Organisation.objects.filter(kind__in=["region", "institute"]).order_by("pk"))
    t0 = time.perf_counter()
    cpu_started = time.process_time()
    for n, path in enumerate(sorted((DATA / "inventory").glob("*.csv"))):
        with path.open("rb") as fh:
            inventory_import_csv(organisation=orgs[n % len(orgs)], stream=fh, filename=path.name)
    timings["inventories (28 x 500 items, CSV)"] = time.perf_counter() - t0
    print(f"  inventories: {InventoryItem.objects.count()} items "
          f"({timings['inventories (28 x 500 items, CSV)']:.1f} s)", flush=True)
    for kind, location in [("nvd", DATA / "nvd"), ("csaf", DATA / "csaf"),
                           ("kev", DATA / "kev.json"), ("epss", DATA / "epss.csv.gz")]:
        t = time.perf_counter()
        row = job_run(f"advisories.import_{kind}", arguments={"locations": [str(location)]})
        result = row.result
        timings[f"import_{kind} + re-match"] = time.perf_counter() - t
        print(f"  {kind}: {result['read']} read, {result['created']} new, "
              f"{result['skipped_count']} skipped; warnings +{result['rematch']['created']} "
              f"~{result['rematch']['updated']} -{result['rematch']['withdrawn']} "
              f"({timings[f'import_{kind} + re-match']:.1f} s)", flush=True)
    full = time.perf_counter() - t0
    full_cpu = time.process_time() - cpu_started
    counts = {"vulnerabilities": Vulnerability.objects.count(),
              "statements": AffectedProduct.objects.count(),
              "items": InventoryItem.objects.count(), "warnings": Warning.objects.count()}
    print(f"rows: {counts}")

    # One new advisory, re-matched against all inventories (the import is timed apart).
    from vrisac.advisories.importers.common import ImportReport
    from vrisac.advisories.importers.csaf import import_bytes
    from vrisac.advisories.normalise import Aliases

    rng = random.Random(7)
    catalogue = Catalogue(random.Random(2026), 4000)
    import_ms, match_ms = [], []
    aliases = Aliases.load()
    for n in range(args.repeat):
        product = catalogue.pick(rng)  # popular products are in many inventories
        cve_ids = list(Vulnerability.objects.filter(
            affected__name_key=aliases.name_key(product["vendor"], product["product"]),
        ).values_list("cve_id", flat=True)[:50]) or ["CVE-2099-0001"]
        doc = csaf_document(rng, product, cve_ids, f"NEW-{n:04d}")
        report = ImportReport(source="csaf")
        t = time.perf_counter()
        import_bytes(orjson.dumps(doc), f"new-{n}.json", report, aliases)
        import_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        rematch_vulnerabilities(report.changed_vulnerabilities)
        match_ms.append((time.perf_counter() - t) * 1000)
    # One changed inventory item, re-matched.
    items = list(InventoryItem.objects.order_by("?")[:args.repeat])
    item_ms: list[float] = []
    item_changes: list[int] = []
    for item in items:
        releases = next((p["releases"] for p in catalogue.products
                         if p["product"] == item.product), [item.version])
        new_version = rng.choice(releases)
        if InventoryItem.objects.filter(organisation_id=item.organisation_id,
                                        vendor=item.vendor, product=item.product,
                                        version=new_version).exists():
            continue
        # What item_update writes (the service also checks the user and audits).
        InventoryItem.objects.filter(pk=item.pk).update(version=new_version, cpe="",
                                                        cpe_key="", cpe_name_key="")
        t = time.perf_counter()
        changed = rematch_items([item.pk])
        item_ms.append((time.perf_counter() - t) * 1000)
        item_changes.append(changed["created"] + changed["updated"] + changed["withdrawn"])
    connection.close()
    peak_before_floor = peak_rss_mb()
    floor_s, floor_rows = floor(["advisories_vulnerability", "advisories_affectedproduct",
                                 "advisories_advisory", "assets_inventoryitem",
                                 "alerts_warning"])
    print()
    print("| step | time |")
    print("|---|---|")
    for label, seconds in timings.items():
        print(f"| {label} | {seconds:.1f} s |")
    print(f"| **full import and match** | **{full:.1f} s** (CPU time of this process: "
          f"{full_cpu:.1f} s) |")
    print(f"| floor: the same {floor_rows:,} rows with executemany | {floor_s:.1f} s |")
    print(f"| one new CSAF advisory: import (median of {len(import_ms)}) | "
          f"{statistics.median(import_ms):.1f} ms |")
    print(f"| one new CSAF advisory: re-match all inventories (median) | "
          f"{statistics.median(match_ms):.1f} ms (max {max(match_ms):.1f}) |")
    slowest = item_ms.index(max(item_ms))
    print(f"| one changed inventory item: re-match (median of {len(item_ms)}) | "
          f"{statistics.median(item_ms):.1f} ms (max {max(item_ms):.1f}, which wrote "
          f"{item_changes[slowest]} warnings; median warnings written "
          f"{statistics.median(item_changes):.0f}) |")
    print(f"| peak memory (RSS) of import and match | {peak_before_floor:.0f} MB |")
