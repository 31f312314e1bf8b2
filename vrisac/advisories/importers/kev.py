"""The CISA Known Exploited Vulnerabilities catalogue (JSON, as CISA publishes it).

Each entry marks its CVE as actively exploited (``kev_*`` fields) and adds one product-only
statement (vendorProject and product, no versions): the matcher uses it for a "check this"
warning only when no NVD, CVE 5 or CSAF record gives versions for that CVE.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from vrisac.advisories.normalise import Aliases

from .common import (
    CVE_ID,
    FileError,
    ImportReport,
    Parsed,
    RecordError,
    VulnerabilityWriter,
    check_shape,
    open_path,
    parse_date,
    stream_json,
    text_of,
)

SOURCE = "kev"


def parse_entry(entry: Any, record: str, aliases: Aliases) -> Parsed:
    if not isinstance(entry, dict):
        raise RecordError("(record)", "is not a JSON object")
    check_shape(entry)
    cve_id = entry.get("cveID")
    if not isinstance(cve_id, str) or not CVE_ID.match(cve_id):
        raise RecordError("cveID", f"{str(cve_id)[:40]!r} is not a CVE id")
    vendor = text_of(entry.get("vendorProject"), "vendorProject", max_length=200,
                     required=True)
    product = text_of(entry.get("product"), "product", max_length=200, required=True)
    added = parse_date(entry.get("dateAdded"), "dateAdded")
    if added is None:
        raise RecordError("dateAdded", "is missing")
    fields = {
        "kev_added": added,
        "kev_due": parse_date(entry.get("dueDate"), "dueDate"),
        "kev_ransomware": str(entry.get("knownRansomwareCampaignUse", "")).lower() == "known",
        "kev_vendor": vendor,
        "kev_product": product,
        "kev_name": text_of(entry.get("vulnerabilityName"), "vulnerabilityName",
                            max_length=300),
        "kev_action": text_of(entry.get("requiredAction"), "requiredAction",
                              max_length=2000),
    }
    name_key = aliases.name_key(vendor, product)
    affected = []
    if name_key:
        affected.append({"vendor": vendor, "product": product, "name_key": name_key,
                         "field": "vendorProject, product"})
    return Parsed(cve_id=cve_id, record=f"{record} ({cve_id})", modified=None,
                  fields=fields, affected=affected)


def import_stream(fp: IO[bytes], name: str, report: ImportReport, aliases: Aliases,
                  progress: Any = None) -> None:
    writer = VulnerabilityWriter(SOURCE, report, name, None)
    count = 0
    try:
        for kind, value in stream_json(fp, "vulnerabilities.item"):
            if kind == "item":
                report.read += 1
                record = f"vulnerabilities[{count}]"
                count += 1
                try:
                    writer.add(parse_entry(value, record, aliases))
                except RecordError as exc:
                    cve = value.get("cveID") if isinstance(value, dict) else None
                    label = f"{record} ({cve})" if isinstance(cve, str) else record
                    report.skip(name, label, exc.field, exc.reason)
                if progress is not None:
                    progress(1)
            else:
                if count == 0 and "vulnerabilities" not in value and "catalogVersion" not in value:
                    raise FileError("is not the KEV catalogue (no 'vulnerabilities' list)")
                if value.get("catalogVersion"):
                    report.notes.append(f"KEV catalogue version {value['catalogVersion']}")
    finally:
        writer.flush()


def import_path(path: Path, report: ImportReport, aliases: Aliases, progress: Any = None
                ) -> None:
    with open_path(path, SOURCE) as fp:
        import_stream(fp, str(path), report, aliases, progress)
