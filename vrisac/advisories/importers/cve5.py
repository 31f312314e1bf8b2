"""CVE JSON 5 records (cvelistV5), one record per file, including CISA's ADP container
("CISA-ADP": SSVC exploitation, CVSS and CPEs where the CNA gave none).

``affected[].versions[]`` become statements: ``version`` with ``lessThan`` or
``lessThanOrEqual`` a range, a textual ``version`` ("< 4.1.108.Final", "all versions",
"vers:...") an expression, ``status: unaffected`` a not-affected statement, and
``defaultStatus: affected`` without versions "all versions".
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import orjson

from vrisac.advisories import versions as V
from vrisac.advisories.normalise import (
    Aliases,
    CpeError,
    PurlError,
    parse_cpe,
    parse_purl,
    purl_key,
)

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
    limit_bytes,
    open_path,
    parse_datetime,
    stream_json,
    text_of,
)

SOURCE = "cve5"
_NA = {"", "n/a", "na", "unknown", "unspecified", "*"}


def _version_fields(entry: dict[str, Any], where: str) -> dict[str, Any]:
    version = str(entry.get("version") or "").strip()
    less = entry.get("lessThan")
    less_eq = entry.get("lessThanOrEqual")
    if less or less_eq:
        end = str(less or less_eq).strip()
        out: dict[str, Any] = {"version_end": end[:200], "version_end_incl": bool(less_eq)}
        if end in ("*",):
            out = {"version_end": ""}
        if version and version.lower() not in _NA and version not in ("0", "0.0.0"):
            out["version_start"] = version[:200]
            out["version_start_incl"] = True
        if not out.get("version_end") and not out.get("version_start"):
            return {"all_versions": True}
        return out
    if version.lower() in _NA:
        return {}
    try:
        expression = V.parse_expression(version)
    except V.ExpressionError as exc:
        raise RecordError(where + ".version", str(exc)) from None
    if expression.all:
        return {"all_versions": True}
    if len(expression.constraints) == 1 and expression.constraints[0].comparator == "=":
        return {"version_exact": version[:200]}
    return {"version_expr": version[:500]}


def affected_rows(affected: Any, where: str, aliases: Aliases) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if not affected:
        return rows
    if not isinstance(affected, list):
        raise RecordError(where, "is not a list")
    for ai, entry in enumerate(affected):
        base_where = f"{where}[{ai}]"
        if not isinstance(entry, dict):
            raise RecordError(base_where, "is not an object")
        vendor = text_of(entry.get("vendor"), base_where + ".vendor", max_length=200)
        product = text_of(entry.get("product"), base_where + ".product", max_length=300)
        package = text_of(entry.get("packageName"), base_where + ".packageName",
                          max_length=300)
        keys: list[dict[str, Any]] = []
        name_key = ""
        if vendor.lower() not in _NA and (product or package).lower() not in _NA:
            name_key = aliases.name_key(vendor, product or package)
        cpes = entry.get("cpes") or []
        if not isinstance(cpes, list):
            raise RecordError(base_where + ".cpes", "is not a list")
        for ci, text in enumerate(cpes):
            try:
                cpe = parse_cpe(str(text))
            except CpeError as exc:
                raise RecordError(f"{base_where}.cpes[{ci}]", f"is not a CPE: {exc}") from None
            keys.append({"cpe": cpe.as_23()[:500], "cpe_key": cpe.key,
                         "name_key": name_key or aliases.name_key(cpe.readable_vendor,
                                                                  cpe.readable_product)})
        purl_text = entry.get("packageURL") or ""
        if purl_text:
            try:
                purl = parse_purl(str(purl_text))
            except PurlError as exc:
                raise RecordError(base_where + ".packageURL", f"is not a purl: {exc}") from None
            keys.append({"purl": str(purl_text)[:500], "purl_key": purl_key(purl),
                         "name_key": name_key})
        if not keys and name_key:
            keys.append({"name_key": name_key})
        if not keys:
            continue
        statements: list[dict[str, Any]] = []
        entries = entry.get("versions") or []
        if not isinstance(entries, list):
            raise RecordError(base_where + ".versions", "is not a list")
        for vi, version in enumerate(entries):
            vwhere = f"{base_where}.versions[{vi}]"
            if not isinstance(version, dict):
                raise RecordError(vwhere, "is not an object")
            status = str(version.get("status") or "affected")
            if status not in ("affected", "unaffected", "unknown"):
                raise RecordError(vwhere + ".status", f"{status[:30]!r} is not a status")
            fields = _version_fields(version, vwhere)
            statements.append({
                "status": {"affected": "affected", "unaffected": "not_affected",
                           "unknown": "investigating"}[status],
                "field": vwhere, **fields,
            })
        default = str(entry.get("defaultStatus") or "")
        if default == "affected" and not any(s["status"] == "affected" for s in statements):
            statements.append({"status": "affected", "all_versions": True,
                               "field": base_where + ".defaultStatus"})
        if not statements:
            statements.append({"status": "affected", "field": base_where})
        for key in keys:
            for statement in statements:
                rows.append({"vendor": vendor, "product": product or package, **key,
                             **statement})
    return rows


def parse_record(record_json: Any, record: str, aliases: Aliases) -> Parsed:
    if not isinstance(record_json, dict):
        raise RecordError("(record)", "is not a JSON object")
    check_shape(record_json)
    if record_json.get("dataType") != "CVE_RECORD":
        raise RecordError("dataType", "is not CVE_RECORD: not a CVE JSON 5 record")
    meta = record_json.get("cveMetadata")
    if not isinstance(meta, dict):
        raise RecordError("cveMetadata", "is missing")
    cve_id = meta.get("cveId")
    if not isinstance(cve_id, str) or not CVE_ID.match(cve_id):
        raise RecordError("cveMetadata.cveId", f"{str(cve_id)[:40]!r} is not a CVE id")
    modified = parse_datetime(meta.get("dateUpdated") or meta.get("datePublished"),
                              "cveMetadata.dateUpdated")
    containers = record_json.get("containers")
    if not isinstance(containers, dict) or not isinstance(containers.get("cna"), dict):
        raise RecordError("containers.cna", "is missing")
    cna = containers["cna"]
    fields: dict[str, Any] = {
        "published": parse_datetime(meta.get("datePublished"), "cveMetadata.datePublished"),
    }
    if meta.get("state") == "REJECTED":
        fields["title"] = "REJECTED"
        return Parsed(cve_id=cve_id, record=record, modified=modified, fields=fields,
                      affected=[])
    fields["title"] = text_of(cna.get("title"), "containers.cna.title", max_length=500)
    fields["description"] = english(cna.get("descriptions"), "containers.cna.descriptions")
    vectors = _vectors(cna.get("metrics"), "containers.cna.metrics")
    affected = affected_rows(cna.get("affected"), "containers.cna.affected", aliases)
    adp = containers.get("adp") or []
    if not isinstance(adp, list):
        raise RecordError("containers.adp", "is not a list")
    cvss_source = "cve5"
    for i, container in enumerate(adp):
        if not isinstance(container, dict):
            raise RecordError(f"containers.adp[{i}]", "is not an object")
        provider = (container.get("providerMetadata") or {}).get("shortName", "")
        if provider != "CISA-ADP":
            continue
        if not vectors:
            vectors = _vectors(container.get("metrics"), f"containers.adp[{i}].metrics")
            cvss_source = "adp"
        for mi, metric in enumerate(container.get("metrics") or []):
            other = metric.get("other") if isinstance(metric, dict) else None
            if isinstance(other, dict) and other.get("type") == "ssvc":
                options = (other.get("content") or {}).get("options") or []
                for option in options:
                    if isinstance(option, dict) and "Exploitation" in option:
                        value = str(option["Exploitation"]).lower()
                        if value not in ("none", "poc", "active"):
                            raise RecordError(
                                f"containers.adp[{i}].metrics[{mi}].other.content.options",
                                f"Exploitation {value[:20]!r} is not none, poc or active")
                        fields["ssvc_exploitation"] = value
        if not affected:
            affected = affected_rows(container.get("affected"),
                                     f"containers.adp[{i}].affected", aliases)
    cvss = cvss_fields(vectors)
    if cvss:
        fields.update(cvss, cvss_source=cvss_source)
    return Parsed(cve_id=cve_id, record=record, modified=modified, fields=fields,
                  affected=affected)


def _vectors(metrics: Any, where: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not metrics:
        return out
    if not isinstance(metrics, list):
        raise RecordError(where, "is not a list")
    for i, metric in enumerate(metrics):
        if not isinstance(metric, dict):
            continue
        for key in ("cvssV4_0", "cvssV3_1", "cvssV3_0"):
            data = metric.get(key)
            if isinstance(data, dict) and data.get("vectorString"):
                out.append((f"{where}[{i}].{key}.vectorString", str(data["vectorString"])))
    order = {"CVSS:4.0": 0, "CVSS:3.1": 1, "CVSS:3.0": 2}
    return sorted(out, key=lambda item: order.get(item[1][:8], 3))


def import_stream(fp: IO[bytes], name: str, report: ImportReport, aliases: Aliases,
                  progress: Any = None) -> None:
    """One record per file (cvelistV5), or a JSON document ``{"cves": [...]}``."""
    writer = VulnerabilityWriter(SOURCE, report, name, "cve5_modified")
    count = 0
    try:
        for kind, value in stream_json(fp, "cves.item"):
            if kind == "item":
                _one(writer, value, f"cves[{count}]", name, report, aliases)
                count += 1
            elif count == 0:
                if "cveMetadata" not in value and "dataType" not in value:
                    raise FileError("is not a CVE JSON 5 record")
                _one(writer, value, "(the record)", name, report, aliases)
            if progress is not None and kind == "item":
                progress(1)
    finally:
        writer.flush()


def _one(writer: VulnerabilityWriter, value: Any, record: str, name: str,
         report: ImportReport, aliases: Aliases) -> None:
    report.read += 1
    meta = value.get("cveMetadata") if isinstance(value, dict) else None
    cve_id = meta.get("cveId") if isinstance(meta, dict) else None
    label = f"{record} ({cve_id})" if isinstance(cve_id, str) else record
    try:
        writer.add(parse_record(value, label, aliases))
    except RecordError as exc:
        report.skip(name, label, exc.field, exc.reason)


def import_path(path: Path, report: ImportReport, aliases: Aliases, progress: Any = None
                ) -> None:
    if path.name.lower().endswith(".zip"):
        import_zip(path, report, aliases, progress)
        return
    with open_path(path, SOURCE) as fp:
        import_stream(fp, str(path), report, aliases, progress)


#: A CVE record compresses some 5 to 20 times; far more is a zip bomb, not a record.
MAX_RATIO = 200
#: What a zip may unpack to in all, as a multiple of the limit on the zip itself.
MAX_UNPACK_FACTOR = 10


def import_zip(path: Path, report: ImportReport, aliases: Aliases, progress: Any = None
               ) -> None:
    """A zip of records (as the cvelistV5 releases ship them), one transaction per batch."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise FileError("is not a readable zip archive") from None
    limit = limit_bytes(SOURCE)
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACK_FACTOR * limit_bytes("cve5_zip"):
        archive.close()
        raise FileError(f"unpacks to {unpacked // (1024 * 1024)} MB, more than "
                        f"{MAX_UNPACK_FACTOR} times the limit for a CVE zip: refused")
    writer = VulnerabilityWriter(SOURCE, report, str(path), "cve5_modified")
    try:
        with archive:
            for info in archive.infolist():
                if info.is_dir() or not info.filename.lower().endswith(".json") or \
                        "delta" in info.filename.lower():
                    continue
                name = f"{path}!{info.filename}"
                if info.file_size > limit:
                    report.read += 1
                    report.skip(name, "(record)", "(file)", "larger than the limit")
                    continue
                if info.file_size > 1024 * 1024 and \
                        info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    report.read += 1
                    report.skip(name, "(record)", "(file)",
                                f"compressed more than {MAX_RATIO}:1, not a CVE record")
                    continue
                try:
                    value = orjson.loads(archive.read(info))
                except (orjson.JSONDecodeError, zipfile.BadZipFile, OSError, EOFError,
                        zlib.error, NotImplementedError, RuntimeError) as exc:
                    # A damaged entry (bad deflate data, an unsupported compression
                    # method, a password) is skipped like unreadable JSON.
                    report.read += 1
                    report.skip(name, "(record)", "(file)", f"not readable JSON ({exc})"[:300])
                    continue
                _one(writer, value, "(the record)", name, report, aliases)
                if progress is not None:
                    progress(1)
    finally:
        writer.flush()
