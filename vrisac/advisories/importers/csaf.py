"""CSAF 2.0 advisories: validated offline against the CSAF 2.0 JSON schema, then the product
tree (branches, full product names, relationships, product groups, CPE and purl helpers)
resolved so each product status becomes a statement the matcher can use.

TLP: CSAF 2.0 carries TLP 1.0 labels (WHITE, GREEN, AMBER, RED); WHITE is TLP:CLEAR. An
advisory without a label is treated as TLP:AMBER. TLP:RED (and AMBER+STRICT, should a
publisher use the 2.0 label) advisories are refused with a clear message: they are meant for
named recipients, and warnings would spread them to every participant of a region.

An advisory is keyed by its publisher's namespace and tracking id. A newer revision
(``current_release_date``, then ``version``) replaces the older in place; the same or an
older revision changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any

import orjson
from django.db import DatabaseError, transaction
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

from vrisac.advisories import versions as V
from vrisac.advisories.models import Advisory, AffectedProduct, Vulnerability
from vrisac.advisories.normalise import (
    Aliases,
    CpeError,
    PurlError,
    parse_cpe,
    parse_purl,
    purl_key,
)
from vrisac.sharing.policy import ADVISORY_IMPORTABLE_LABELS

from .common import (
    CVE_ID,
    FileError,
    ImportReport,
    RecordError,
    check_shape,
    cvss_base,
    limit_bytes,
    open_stream,
    parse_datetime,
    refresh_has_versions,
)

SOURCE = "csaf"
SCHEMAS = Path(__file__).resolve().parent.parent / "data" / "schemas"
_TLP = {"WHITE": "TLP:CLEAR", "CLEAR": "TLP:CLEAR", "GREEN": "TLP:GREEN",
        "AMBER": "TLP:AMBER", "AMBER+STRICT": "TLP:AMBER+STRICT", "RED": "TLP:RED"}
_STATUS = {
    "known_affected": "affected", "first_affected": "affected", "last_affected": "affected",
    "fixed": "fixed", "first_fixed": "fixed", "recommended": "fixed",
    "known_not_affected": "not_affected", "under_investigation": "investigating",
}
_VERSION_CATEGORIES = ("product_version", "service_pack", "patch_level")


@cache
def validator() -> Draft202012Validator:
    """The CSAF 2.0 schema with FIRST's CVSS schemas resolved from the app's own copies."""
    schema = json.loads((SCHEMAS / "csaf_2.0_json_schema.json").read_text())
    resources = []
    for name in ("cvss-v2.0.json", "cvss-v3.0.json", "cvss-v3.1.json"):
        contents = json.loads((SCHEMAS / name).read_text())
        resources.append((f"https://www.first.org/cvss/{name}",
                          Resource.from_contents(contents)))

    def refuse(uri: str) -> Resource:
        # Never online: a reference outside the bundled schemas is an error.
        raise NoSuchResource(ref=uri)  # type: ignore[call-arg]

    registry: Registry = Registry(retrieve=refuse).with_resources(resources)  # type: ignore[call-arg]
    return Draft202012Validator(schema, registry=registry)


def _path(error: Any) -> str:
    parts = []
    for part in error.absolute_path:
        parts.append(f"[{part}]" if isinstance(part, int) else f".{part}")
    return "".join(parts).lstrip(".") or "(document)"


def _deepest(error: Any) -> Any:
    """For oneOf/anyOf failures, the nested error that got furthest into the document."""
    while error.context:
        branches: dict[Any, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        closest = min(branches.values(), key=len)  # the alternative that nearly fitted
        error = max(closest, key=lambda e: len(e.absolute_path))
    return error


def validate(document: Any) -> None:
    errors = sorted(validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = _deepest(errors[0])
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise RecordError(_path(first), f"does not follow the CSAF 2.0 schema: "
                                        f"{first.message[:200]}{more}")


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref", "")
    while ref.startswith("#/"):
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
        ref = node.get("$ref", "")
    return node


def unknown_fields(document: Any, limit: int = 20) -> list[str]:
    """Members the CSAF 2.0 schema does not define (it allows them): their paths, so the
    report can say they were ignored."""
    schema = validator().schema
    found: list[str] = []
    stack: list[tuple[Any, dict[str, Any], str]] = [(document, schema, "")]
    while stack and len(found) < limit:
        value, node, path = stack.pop()
        node = _resolve(schema, node)
        if isinstance(value, dict) and "properties" in node:
            for key, child in value.items():
                where = f"{path}.{key}" if path else key
                if key not in node["properties"]:
                    found.append(where)
                else:
                    stack.append((child, node["properties"][key], where))
        elif isinstance(value, list) and isinstance(node.get("items"), dict):
            for i, child in enumerate(value):
                stack.append((child, node["items"], f"{path}[{i}]"))
    return sorted(found)


@dataclass
class ProductInfo:
    product_id: str
    name: str
    vendor: str = ""
    product: str = ""
    version: str = ""
    version_range: str = ""
    cpe: str = ""
    purl: str = ""
    platform: str = ""
    where: str = ""


@dataclass
class Tree:
    products: dict[str, ProductInfo] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)


def _helper(info: ProductInfo, product: dict[str, Any]) -> None:
    helper = product.get("product_identification_helper") or {}
    info.cpe = str(helper.get("cpe") or "")
    info.purl = str(helper.get("purl") or "")


def _walk(branches: list[Any], where: str, context: dict[str, str], tree: Tree) -> None:
    stack = [(branches, where, context)]
    while stack:
        items, base, ctx = stack.pop()
        for i, branch in enumerate(items):
            here = f"{base}[{i}]"
            category = branch.get("category", "")
            name = str(branch.get("name", ""))
            inner = dict(ctx)
            if category == "vendor":
                inner["vendor"] = name
            elif category in ("product_name", "product_family"):
                inner["product"] = name if category == "product_name" or "product" not in \
                    inner else inner["product"]
                if category == "product_family":
                    inner.setdefault("family", name)
            elif category in _VERSION_CATEGORIES:
                inner["version"] = name
                inner.pop("version_range", None)
            elif category == "product_version_range":
                inner["version_range"] = name
                inner.pop("version", None)
            if isinstance(branch.get("product"), dict):
                product = branch["product"]
                info = ProductInfo(
                    product_id=product["product_id"], name=str(product.get("name", "")),
                    vendor=inner.get("vendor", ""),
                    product=inner.get("product", inner.get("family", "")),
                    version=inner.get("version", ""),
                    version_range=inner.get("version_range", ""), where=here + ".product",
                )
                _helper(info, product)
                tree.products[info.product_id] = info
            if isinstance(branch.get("branches"), list):
                stack.append((branch["branches"], here + ".branches", inner))


def product_tree(document: dict[str, Any]) -> Tree:
    tree = Tree()
    raw = document.get("product_tree") or {}
    _walk(raw.get("branches") or [], "product_tree.branches", {}, tree)
    for i, product in enumerate(raw.get("full_product_names") or []):
        info = ProductInfo(product_id=product["product_id"], name=str(product.get("name", "")),
                           where=f"product_tree.full_product_names[{i}]")
        _helper(info, product)
        tree.products[info.product_id] = info
    for i, relationship in enumerate(raw.get("relationships") or []):
        full = relationship.get("full_product_name") or {}
        component = tree.products.get(relationship.get("product_reference", ""))
        platform = tree.products.get(relationship.get("relates_to_product_reference", ""))
        base = component or ProductInfo(product_id="", name=str(full.get("name", "")))
        info = ProductInfo(
            product_id=full.get("product_id", ""), name=str(full.get("name", "")),
            vendor=base.vendor, product=base.product, version=base.version,
            version_range=base.version_range, cpe=base.cpe, purl=base.purl,
            platform=(f"{relationship.get('category', '').replace('_', ' ')} "
                      f"{platform.name if platform else ''}").strip(),
            where=f"product_tree.relationships[{i}]",
        )
        if full.get("product_identification_helper"):
            _helper(info, full)
        tree.products[info.product_id] = info
    for group in raw.get("product_groups") or []:
        tree.groups[group.get("group_id", "")] = list(group.get("product_ids") or [])
    return tree


def _statement(info: ProductInfo, status: str, where: str, aliases: Aliases
               ) -> list[dict[str, Any]]:
    """One product in one status, as one row per key it can be found by."""
    base: dict[str, Any] = {"status": status, "field": where[:300],
                            "platform": info.platform[:500]}
    version_fields: dict[str, Any] = {}
    if info.version_range:
        try:
            V.parse_expression(info.version_range)
        except V.ExpressionError as exc:
            raise RecordError(info.where, f"version range: {exc}") from None
        version_fields["version_expr"] = info.version_range[:500]
    elif info.version:
        version_fields["version_exact"] = info.version[:200]
    rows: list[dict[str, Any]] = []
    vendor, product = info.vendor, info.product
    if info.cpe:
        try:
            cpe = parse_cpe(info.cpe)
        except CpeError as exc:
            raise RecordError(info.where + ".product_identification_helper.cpe",
                              f"is not a CPE: {exc}") from None
        vendor = vendor or cpe.readable_vendor
        product = product or cpe.readable_product
        cpe_version = dict(version_fields)
        if not cpe_version and cpe.version not in ("*", "-"):
            cpe_version["version_exact"] = cpe.version.replace("\\", "")[:200]
        rows.append({**base, **cpe_version, "cpe": info.cpe[:500], "cpe_key": cpe.key,
                     "name_key": aliases.name_key(vendor, product) if vendor and product
                     else aliases.name_key(cpe.readable_vendor, cpe.readable_product)})
    if info.purl:
        try:
            purl = parse_purl(info.purl)
        except PurlError as exc:
            raise RecordError(info.where + ".product_identification_helper.purl",
                              f"is not a purl: {exc}") from None
        purl_version = dict(version_fields)
        if not purl_version and purl.version:
            purl_version["version_exact"] = purl.version[:200]
        rows.append({**base, **purl_version, "purl": info.purl[:500],
                     "purl_key": purl_key(purl),
                     "name_key": aliases.name_key(vendor or (purl.namespace or purl.type),
                                                  product or purl.name)})
    if not rows and vendor and product:
        rows.append({**base, **version_fields, "name_key": aliases.name_key(vendor, product)})
    for row in rows:
        row["vendor"] = vendor[:200]
        row["product"] = (product or info.name)[:300]
        if not any(row.get(k) for k in ("version_exact", "version_expr")) and status in (
            "fixed", "not_affected"
        ) and not info.version and not info.version_range:
            # "fixed" / "not affected" without a version says the whole product line.
            row["all_versions"] = True
    return rows


def _ids(ids: list[str], groups: dict[str, list[str]], group_ids: list[str]) -> list[str]:
    out = list(ids or [])
    for gid in group_ids or []:
        out.extend(groups.get(gid, []))
    return out


def _ncsc_priority(document: dict[str, Any]) -> str:
    """NCSC-NL rates chance (kans) and damage (schade) as low/medium/high."""
    publisher = (document.get("publisher") or {}).get("namespace", "")
    if "ncsc.nl" not in publisher:
        return ""
    found: dict[str, str] = {}
    for note in document.get("notes") or []:
        title = str(note.get("title", "")).lower()
        text = str(note.get("text", "")).strip().lower()
        for key, words in (("chance", ("kans", "probability", "chance")),
                           ("damage", ("schade", "damage", "impact"))):
            if any(w in title for w in words) and text in ("low", "medium", "high"):
                found[key] = text
    severity = str((document.get("aggregate_severity") or {}).get("text", "")).lower()
    if not found and "/" in severity:
        chance, _sep, damage = severity.partition("/")
        found = {"chance": chance.strip(), "damage": damage.strip()}
    if found.get("chance") in ("low", "medium", "high") and found.get("damage") in (
        "low", "medium", "high"
    ):
        return f"{found['chance']}/{found['damage']}"
    return ""


@dataclass
class ParsedAdvisory:
    fields: dict[str, Any]
    vulnerabilities: list[tuple[str, dict[str, Any]]]
    statements: list[tuple[str, dict[str, Any]]]


def parse_document(document: Any, aliases: Aliases) -> ParsedAdvisory:
    if not isinstance(document, dict):
        raise RecordError("(document)", "is not a JSON object")
    check_shape(document)
    validate(document)
    doc = document["document"]
    tracking = doc["tracking"]
    tlp_label = str(((doc.get("distribution") or {}).get("tlp") or {}).get("label") or "")
    tlp = _TLP.get(tlp_label.upper(), "TLP:AMBER")
    if tlp not in ADVISORY_IMPORTABLE_LABELS:
        raise RecordError(
            "document.distribution.tlp.label",
            f"{tlp} advisories are not imported: they are for named recipients only. Share "
            "what participants need as a report with that label instead.")
    tree = product_tree(document)
    summary = ""
    for note in doc.get("notes") or []:
        if note.get("category") in ("summary", "description", "general"):
            summary = str(note.get("text", ""))[:4000]
            break
    remediations: list[dict[str, Any]] = []
    threats: list[dict[str, Any]] = []
    vulnerabilities: list[tuple[str, dict[str, Any]]] = []
    statements: list[tuple[str, dict[str, Any]]] = []
    for vi, vuln in enumerate(document.get("vulnerabilities") or []):
        cve = vuln.get("cve") or ""
        if cve and not CVE_ID.match(cve):
            raise RecordError(f"vulnerabilities[{vi}].cve", f"{cve!r} is not a CVE id")
        key = cve or (tracking["id"] if len(document.get("vulnerabilities") or []) == 1
                      else f"{tracking['id']}/{vi + 1}")
        vfields: dict[str, Any] = {
            "title": str(vuln.get("title") or "")[:500],
            "description": next((str(n.get("text", ""))[:20_000]
                                 for n in vuln.get("notes") or []
                                 if n.get("category") in ("description", "summary")), ""),
        }
        for si, score in enumerate(vuln.get("scores") or []):
            for metric in ("cvss_v3",):
                vector = (score.get(metric) or {}).get("vectorString")
                if vector and "cvss3_vector" not in vfields:
                    try:
                        clean, base = cvss_base(vector)
                    except ValueError as exc:
                        raise RecordError(f"vulnerabilities[{vi}].scores[{si}].{metric}",
                                          f"invalid CVSS vector: {exc}") from None
                    vfields.update(cvss3_vector=clean, cvss3_score=base, cvss_source="csaf")
        vulnerabilities.append((key, vfields))
        status = vuln.get("product_status") or {}
        for category, product_ids in status.items():
            mapped = _STATUS.get(category)
            if mapped is None:
                continue
            for pid in product_ids:
                info = tree.products.get(pid)
                where = f"vulnerabilities[{vi}].product_status.{category}[{pid}]"
                if info is None:
                    raise RecordError(where, "names a product that is not in the product tree")
                for row in _statement(info, mapped, where, aliases):
                    statements.append((key, row))
        names = {pid: tree.products[pid].name for pid in tree.products}
        for ri, remediation in enumerate(vuln.get("remediations") or []):
            pids = _ids(remediation.get("product_ids"), tree.groups,
                        remediation.get("group_ids"))
            remediations.append({
                "category": remediation.get("category", ""),
                "details": str(remediation.get("details", ""))[:4000],
                "url": str(remediation.get("url", ""))[:1000],
                "cves": [key],
                "products": sorted({names.get(p, p) for p in pids})[:50],
                "field": f"vulnerabilities[{vi}].remediations[{ri}]",
            })
        for threat in vuln.get("threats") or []:
            threats.append({"category": threat.get("category", ""),
                            "details": str(threat.get("details", ""))[:2000], "cves": [key]})
    publisher = doc["publisher"]
    fields = {
        "publisher_namespace": str(publisher["namespace"])[:300],
        "publisher_name": str(publisher["name"])[:300],
        "tracking_id": str(tracking["id"])[:200],
        "category": str(doc["category"])[:100],
        "title": str(doc["title"])[:500],
        "tlp": tlp,
        "version": str(tracking["version"])[:50],
        "status": str(tracking["status"])[:20],
        "initial_release": parse_datetime(tracking.get("initial_release_date"),
                                          "document.tracking.initial_release_date"),
        "current_release": parse_datetime(tracking.get("current_release_date"),
                                          "document.tracking.current_release_date"),
        "severity": str((doc.get("aggregate_severity") or {}).get("text", ""))[:100],
        "ncsc_priority": _ncsc_priority(doc),
        "summary": summary,
        "remediations": remediations,
        "threats": threats,
    }
    return ParsedAdvisory(fields, vulnerabilities, statements)


def _version_key(version: str) -> tuple[Any, ...]:
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return (version,)


def _is_newer(parsed: ParsedAdvisory, existing: Advisory) -> bool:
    new_date, old_date = parsed.fields["current_release"], existing.current_release
    if new_date and old_date and new_date != old_date:
        return bool(new_date > old_date)
    return _version_key(parsed.fields["version"]) >= _version_key(existing.version)


def store(parsed: ParsedAdvisory, *, digest: str, source_url: str, report: ImportReport
          ) -> Advisory | None:
    """Write one advisory and its statements in one transaction (or nothing)."""
    fields = parsed.fields
    with transaction.atomic():
        existing = Advisory.objects.select_for_update().filter(
            publisher_namespace=fields["publisher_namespace"],
            tracking_id=fields["tracking_id"]).first()
        if existing is not None:
            if existing.document_sha256 == digest or not _is_newer(parsed, existing):
                report.unchanged += 1
                return None
            old_vulns = set(existing.vulnerabilities.values_list("pk", flat=True))
            for key, value in fields.items():
                setattr(existing, key, value)
            existing.document_sha256 = digest
            existing.source_url = source_url[:1000]
            existing.save()
            existing.affected.all().delete()
            advisory = existing
            report.updated += 1
        else:
            advisory = Advisory.objects.create(document_sha256=digest,
                                               source_url=source_url[:1000], **fields)
            old_vulns = set()
            report.created += 1
        keys = [key for key, _f in parsed.vulnerabilities]
        # Only public advisories (TLP:CLEAR, TLP:GREEN) lend their text and scores to the
        # vulnerability record, which is read more widely than a TLP:AMBER advisory.
        lend = fields["tlp"] in ("TLP:CLEAR", "TLP:GREEN")
        known = dict(Vulnerability.objects.filter(cve_id__in=keys).values_list("cve_id", "pk"))
        for key, vfields in parsed.vulnerabilities:
            if not lend:
                vfields = {}
            if key not in known:
                known[key] = Vulnerability.objects.create(cve_id=key, **vfields).pk
            else:
                updates = {k: v for k, v in vfields.items()
                           if v and k in ("title", "description")}
                vuln = Vulnerability.objects.filter(pk=known[key])
                if updates:
                    vuln.filter(title="").update(**{k: v for k, v in updates.items()
                                                    if k == "title"})
                    vuln.filter(description="").update(
                        **{k: v for k, v in updates.items() if k == "description"})
                if "cvss3_vector" in vfields:
                    vuln.filter(cvss_source__in=["", "csaf"]).update(
                        cvss3_vector=vfields["cvss3_vector"],
                        cvss3_score=vfields["cvss3_score"], cvss_source="csaf")
        advisory.vulnerabilities.set(list(known.values()))
        AffectedProduct.objects.bulk_create([
            AffectedProduct(vulnerability_id=known[key], advisory=advisory, source=SOURCE,
                            bound_major=V.affected_bound(row), **row)
            for key, row in parsed.statements
        ], batch_size=1000)
        touched = set(known.values()) | old_vulns
        refresh_has_versions(touched)
    report.changed_vulnerabilities |= touched
    report.changed_advisories.add(advisory.pk)
    return advisory


def _member(value: Any, key: str) -> dict[str, Any]:
    """``value[key]`` when both are JSON objects, else an empty one (for naming a record
    before the document is validated)."""
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def import_bytes(data: bytes, name: str, report: ImportReport, aliases: Aliases,
                 source_url: str = "") -> Advisory | None:
    report.read += 1
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        report.skip(name, "(document)", "(file)", f"is not valid JSON ({exc})"[:300])
        return None
    record = str(_member(_member(document, "document"), "tracking").get("id")
                 or "(document)")[:200]
    try:
        parsed = parse_document(document, aliases)
        for where in unknown_fields(document):
            report.ignore(name, record, where, "not a CSAF 2.0 field; ignored")
        return store(parsed, digest=hashlib.sha256(data).hexdigest(),
                     source_url=source_url or name, report=report)
    except RecordError as exc:
        report.skip(name, record, exc.field, exc.reason)
    except DatabaseError as exc:
        report.skip(name, record, "(document)", f"the database refused it: {exc}"[:300])
    return None


def read_limited(fp: IO[bytes], name: str) -> bytes:
    limit = limit_bytes(SOURCE)
    stream = open_stream(fp, name=name, limit=limit)
    return stream.read()


def import_path(path: Path, report: ImportReport, aliases: Aliases) -> Advisory | None:
    try:
        size = path.stat().st_size
        if size > limit_bytes(SOURCE):
            raise FileError(f"is {size / 1024 / 1024:.0f} MB, larger than the limit of "
                            f"{limit_bytes(SOURCE) // (1024 * 1024)} MB for one CSAF document")
        with path.open("rb") as fp:
            data = read_limited(fp, str(path))
    except FileError as exc:
        report.read += 1
        report.skip(str(path), "(document)", "(file)", str(exc))
        return None
    return import_bytes(data, str(path), report, aliases)
