"""An import killed with SIGKILL half-way: a real ``vrisac import_nvd`` process on the test
database (SQLite or PostgreSQL, whichever the suite runs on), killed once it has committed
some batches and before it finished. What it left is consistent (every stored
vulnerability has all its affected products: a batch is one transaction); run again, the
import completes with every record exactly once."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from vrisac.advisories.models import AffectedProduct, Vulnerability
from vrisac.ops.tests.support import process_env, processes, stop, vrisac_process, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

RECORDS = 2500
PRODUCTS_PER_RECORD = 3


def nvd_page(count: int) -> dict[str, Any]:
    """An NVD API 2.0 page of ``count`` made-up CVEs, each affecting three products."""
    vulnerabilities = []
    for i in range(count):
        matches = [{"vulnerable": True, "matchCriteriaId": f"{i}-{p}",
                    "criteria": f"cpe:2.3:a:vendor{p}:product{i % 97}:{p}.{i % 10}:*:*:*:*:*:*:*"}
                   for p in range(PRODUCTS_PER_RECORD)]
        vulnerabilities.append({"cve": {
            "id": f"CVE-2026-{100000 + i}", "published": "2026-11-01T10:00:00.000",
            "lastModified": "2026-11-02T10:00:00.000", "vulnStatus": "Analyzed",
            "descriptions": [{"lang": "en", "value": f"A made-up flaw number {i}."}],
            "configurations": [{"nodes": [{"operator": "OR", "negate": False,
                                           "cpeMatch": matches}]}],
        }})
    return {"resultsPerPage": count, "startIndex": 0, "totalResults": count,
            "format": "NVD_CVE", "version": "2.0", "timestamp": "2026-11-29T10:00:00.000",
            "vulnerabilities": vulnerabilities}


def consistent() -> tuple[int, int]:
    """(vulnerabilities, affected products); every vulnerability has all its products."""
    from django.db.models import Count

    counts = list(Vulnerability.objects.annotate(n=Count("affected")).values_list("n", flat=True))
    assert all(n == PRODUCTS_PER_RECORD for n in counts), "a vulnerability was half-written"
    return len(counts), AffectedProduct.objects.count()


def test_import_killed_half_way_leaves_whole_records_and_completes_on_rerun(
        tmp_path: Path) -> None:
    page = tmp_path / "nvd-page.json"
    page.write_text(json.dumps(nvd_page(RECORDS)))
    env = process_env(tmp_path)
    log = tmp_path / "import.log"
    first = vrisac_process(["import_nvd", str(page)], env, log)
    with processes(first):
        # Some batches committed, the import not done: the moment to pull the plug.
        wait_for(lambda: Vulnerability.objects.count() >= 1000 or first.poll() is not None,
                 timeout=240, what="the first batches")
        stop(first, signal.SIGKILL)
    assert first.returncode == -signal.SIGKILL, log.read_text()[-2000:]
    stored, _products = consistent()
    assert 0 < stored < RECORDS, f"the kill came at {stored} of {RECORDS} records"

    started = time.monotonic()
    second = vrisac_process(["import_nvd", str(page)], env, log)
    with processes(second):
        second.wait(timeout=600)
    assert second.returncode == 0, log.read_text()[-3000:]
    assert consistent() == (RECORDS, RECORDS * PRODUCTS_PER_RECORD)
    assert "0 skipped" in log.read_text()
    # A third run changes nothing (the same page, already stored).
    third = vrisac_process(["import_nvd", str(page)], env, log)
    with processes(third):
        third.wait(timeout=600)
    assert third.returncode == 0 and consistent() == (RECORDS, RECORDS * PRODUCTS_PER_RECORD)
    assert time.monotonic() - started < 1200
