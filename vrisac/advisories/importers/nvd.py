"""NVD CVE API 2.0: API pages (``{"vulnerabilities": [{"cve": {...}}]}``) and bare CVE objects
(``{"id": "CVE-...", "configurations": ...}``) as per-CVE mirrors keep them, streamed.

Each ``cpeMatch`` with ``vulnerable: true`` becomes one statement, keyed by its CPE's
vendor:product and its normalised names, with NVD's versionStart/End Including/Excluding.
In an AND configuration (an application on a platform), the non-vulnerable CPEs are kept as
the platform condition and shown in the warning's reasons.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from vrisac.advisories.normalise import Aliases, CpeError, parse_cpe, unescape

from .common import (
    CVE_ID,
    FileError,
    ImportReport,
    Parsed,
    RecordError,
    VulnerabilityWriter,
    check_shape,
    cvss_fields,
    english,
    parse_datetime,
    stream_json,
)

SOURCE = "nvd"


def cpe_statement(criteria: str, where: str, aliases: Aliases, match: dict[str, Any]
                  ) -> dict[str, Any]:
    try:
        cpe = parse_cpe(criteria)
    except CpeError as exc:
        raise RecordError(where + ".criteria", f"{criteria[:120]!r} is not a CPE: {exc}"
                          ) from None
    row: dict[str, Any] = {
        "vendor": cpe.readable_vendor[:200],
        "product": cpe.readable_product[:300],
        "cpe": cpe.as_23()[:500],
        "cpe_key": cpe.key,
        "name_key": aliases.name_key(cpe.readable_vendor, cpe.readable_product),
        "field": where[:300],
    }
    bounds = {
        "version_start": (match.get("versionStartIncluding") or match.get(
            "versionStartExcluding") or ""),
        "version_end": (match.get("versionEndIncluding") or match.get(
            "versionEndExcluding") or ""),
    }
    for key, value in bounds.items():
        if not isinstance(value, str) or len(value) > 200:
            raise RecordError(f"{where}.{key}", "is not a version")
    if bounds["version_start"] or bounds["version_end"]:
        row.update(bounds)
        row["version_start_incl"] = "versionStartExcluding" not in match
        row["version_end_incl"] = "versionEndIncluding" in match
    elif cpe.version in ("*", "-"):
        row["all_versions"] = True
    else:
        version = unescape(cpe.version)
        if cpe.update not in ("*", "-"):
            version = f"{version} {unescape(cpe.update)}"
        row["version_exact"] = version[:200]
    return row


def parse_cve(cve: Any, record: str, aliases: Aliases) -> Parsed:
    if not isinstance(cve, dict):
        raise RecordError("(record)", "is not a JSON object")
    check_shape(cve)
    cve_id = cve.get("id")
    if not isinstance(cve_id, str) or not CVE_ID.match(cve_id):
        raise RecordError("id", f"{str(cve_id)[:40]!r} is not a CVE id")
    record = f"{record} ({cve_id})"
    modified = parse_datetime(cve.get("lastModified"), "lastModified")
    fields: dict[str, Any] = {
        "description": english(cve.get("descriptions"), "descriptions"),
        "published": parse_datetime(cve.get("published"), "published"),
    }
    status = str(cve.get("vulnStatus") or "")
    if status == "Rejected":
        fields["title"] = "REJECTED"
    metrics = cve.get("metrics") or {}
    if not isinstance(metrics, dict):
        raise RecordError("metrics", "is not an object")
    vectors: list[tuple[str, str]] = []
    for key in ("cvssMetricV40", "cvssMetricV31", "cvssMetricV30"):
        entries = metrics.get(key) or []
        if not isinstance(entries, list):
            raise RecordError(f"metrics.{key}", "is not a list")
        ordered = sorted(enumerate(entries),
                         key=lambda e: 0 if isinstance(e[1], dict) and e[1].get(
                             "type") == "Primary" else 1)
        for i, entry in ordered:
            data = entry.get("cvssData") if isinstance(entry, dict) else None
            if isinstance(data, dict):
                vectors.append((f"metrics.{key}[{i}].cvssData.vectorString",
                                str(data.get("vectorString") or "")))
    cvss = cvss_fields(vectors)
    if cvss:
        fields.update(cvss, cvss_source="nvd")
    affected: list[dict[str, Any]] = []
    configurations = cve.get("configurations") or []
    if not isinstance(configurations, list):
        raise RecordError("configurations", "is not a list")
    for ci, configuration in enumerate(configurations):
        if not isinstance(configuration, dict):
            raise RecordError(f"configurations[{ci}]", "is not an object")
        nodes = configuration.get("nodes") or []
        if not isinstance(nodes, list):
            raise RecordError(f"configurations[{ci}].nodes", "is not a list")
        is_and = str(configuration.get("operator") or "").upper() == "AND"
        platforms: list[str] = []
        statements: list[dict[str, Any]] = []
        for ni, node in enumerate(nodes):
            if not isinstance(node, dict):
                raise RecordError(f"configurations[{ci}].nodes[{ni}]", "is not an object")
            if node.get("negate"):
                continue
            matches = node.get("cpeMatch") or []
            if not isinstance(matches, list):
                raise RecordError(f"configurations[{ci}].nodes[{ni}].cpeMatch", "is not a list")
            for mi, match in enumerate(matches):
                where = f"configurations[{ci}].nodes[{ni}].cpeMatch[{mi}]"
                if not isinstance(match, dict):
                    raise RecordError(where, "is not an object")
                criteria = match.get("criteria")
                if not isinstance(criteria, str):
                    raise RecordError(where + ".criteria", "is missing")
                if match.get("vulnerable") is False:
                    if is_and:
                        platforms.append(criteria)
                    continue
                statements.append(cpe_statement(criteria, where, aliases, match))
        platform = ", ".join(platforms)[:500]
        for row in statements:
            if platform:
                row["platform"] = platform
            affected.append(row)
    return Parsed(cve_id=cve_id, record=record, modified=modified, fields=fields,
                  affected=affected)


def import_stream(fp: IO[bytes], name: str, report: ImportReport, aliases: Aliases,
                  progress: Any = None) -> dict[str, Any]:
    """Returns the page's top-level members (``totalResults``, ``resultsPerPage``, ...)."""
    top: dict[str, Any] = {}
    writer = VulnerabilityWriter(SOURCE, report, name, "nvd_modified")
    count = 0
    try:
        for kind, value in stream_json(fp, "vulnerabilities.item"):
            if kind == "item":
                count += 1
                report.read += 1
                record = f"vulnerabilities[{count - 1}]"
                cve = value.get("cve") if isinstance(value, dict) else None
                _one(writer, cve, record, name, report, aliases)
                if progress is not None:
                    progress(1)
            elif count == 0:
                top = value
                if "id" in value:
                    report.read += 1
                    _one(writer, value, "(the CVE object)", name, report, aliases)
                elif "vulnerabilities" not in value:
                    raise FileError("is neither an NVD API 2.0 page nor an NVD CVE object")
            else:
                top = value
    finally:
        writer.flush()
    return top


def _one(writer: VulnerabilityWriter, cve: Any, record: str, name: str,
         report: ImportReport, aliases: Aliases) -> None:
    try:
        writer.add(parse_cve(cve, record, aliases))
    except RecordError as exc:
        cve_id = cve.get("id") if isinstance(cve, dict) else None
        label = f"{record} ({cve_id})" if isinstance(cve_id, str) else record
        report.skip(name, label, exc.field, exc.reason)


def import_path(path: Path, report: ImportReport, aliases: Aliases, progress: Any = None
                ) -> None:
    from .common import open_path

    with open_path(path, SOURCE) as fp:
        import_stream(fp, str(path), report, aliases, progress)
