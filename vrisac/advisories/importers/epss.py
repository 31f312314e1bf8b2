"""FIRST EPSS scores: ``cve,epss,percentile`` CSV, gzipped or not, with the
``#model_version:...,score_date:...`` comment line FIRST puts first.

A row per CVE; rows for CVEs not yet imported create the vulnerability (NVD fills it in
later). Only vulnerabilities whose score changed are re-prioritised.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from vrisac.advisories.models import Vulnerability

from .common import CVE_ID, FileError, ImportReport, fast_update, open_path, parse_date

SOURCE = "epss"
BATCH = 5000


def _flush(rows: dict[str, tuple[float, float]], score_date: Any, report: ImportReport
           ) -> None:
    if not rows:
        return
    now = timezone.now()
    with transaction.atomic():
        existing = {
            cve: (pk, epss, pct)
            for pk, cve, epss, pct in Vulnerability.objects.filter(cve_id__in=list(rows))
            .values_list("pk", "cve_id", "epss", "epss_percentile")
        }
        updates = []
        new = []
        for cve, (score, pct) in rows.items():
            found = existing.get(cve)
            if found is None:
                new.append(Vulnerability(cve_id=cve, epss=score, epss_percentile=pct,
                                         epss_date=score_date))
            elif found[1] != score or found[2] != pct:
                updates.append(Vulnerability(pk=found[0], epss=score, epss_percentile=pct,
                                             epss_date=score_date, updated_at=now))
                report.changed_vulnerabilities.add(found[0])
            else:
                report.unchanged += 1
        Vulnerability.objects.bulk_create(new, batch_size=1000)
        fast_update(Vulnerability, updates, ["epss", "epss_percentile", "epss_date",
                                             "updated_at"])
        report.created += len(new)
        report.updated += len(updates)


def import_stream(fp: IO[bytes], name: str, report: ImportReport, progress: Any = None
                  ) -> None:
    text = io.TextIOWrapper(fp, encoding="utf-8", errors="strict", newline="")
    score_date = None
    rows: dict[str, tuple[float, float]] = {}
    try:
        first = text.readline()
        header_line = first
        if first.startswith("#"):
            for part in first[1:].strip().split(","):
                key, _sep, value = part.partition(":")
                if key.strip() == "score_date":
                    try:
                        score_date = parse_date(value.strip(), "score_date")
                    except Exception:
                        report.skip(name, "line 1", "score_date", f"{value[:30]!r} is not a date")
            header_line = text.readline()
        header = [h.strip().lower() for h in next(csv.reader([header_line]), [])]
        if header[:3] != ["cve", "epss", "percentile"]:
            raise FileError("does not start with the columns cve,epss,percentile")
        line = 2 if first.startswith("#") else 1
        for row in csv.reader(text):
            line += 1
            report.read += 1
            if len(row) < 3:
                report.skip(name, f"line {line}", "(row)", "has fewer than 3 columns")
                continue
            cve = row[0].strip()
            if not CVE_ID.match(cve):
                report.skip(name, f"line {line}", "cve", f"{cve[:40]!r} is not a CVE id")
                continue
            try:
                score, pct = float(row[1]), float(row[2])
            except ValueError:
                report.skip(name, f"line {line} ({cve})", "epss",
                            "epss or percentile is not a number")
                continue
            if not (0 <= score <= 1 and 0 <= pct <= 1):
                report.skip(name, f"line {line} ({cve})", "epss",
                            "epss and percentile lie between 0 and 1")
                continue
            rows[cve] = (score, pct)
            if len(rows) >= BATCH:
                _flush(rows, score_date, report)
                if progress is not None:
                    progress(len(rows))
                rows = {}
    except UnicodeDecodeError as exc:
        raise FileError(f"is not UTF-8 text ({exc.reason})") from None
    except (OSError, EOFError) as exc:
        raise FileError(f"cannot be read to the end ({exc})") from None
    finally:
        _flush(rows, score_date, report)
        if progress is not None and rows:
            progress(len(rows))


def import_path(path: Path, report: ImportReport, progress: Any = None) -> None:
    with open_path(path, SOURCE) as fp:
        import_stream(fp, str(path), report, progress)
