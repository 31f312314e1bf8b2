"""The matcher: which inventory items a vulnerability's statements hit, in which versions,
and why. Pure functions over rows already read; ``services.py`` reads and writes.

The rules, in order:

1. A statement is about an item when a key is equal: the CPE's vendor:product (then the
   other CPE components must agree, ``*`` matching anything), the purl's
   type/namespace/name, or the normalised vendor and product names (after aliases).
2. Its versions are compared the vendor's way (``vrisac.advisories.versions``): inside them
   is a confirmed match, outside is no match, and a version that cannot be compared (or an
   item or statement without a version) is a lower-confidence "check this".
3. A fixed or not-affected statement (CSAF product status, VEX, CVE 5 ``unaffected``) that
   covers the item's version removes the match.
4. KEV names vendor and product only: it gives a "check this" warning only when no NVD,
   CVE 5 or CSAF record for that CVE gives versions; otherwise those records decide and
   KEV only raises the priority.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from vrisac.advisories import versions as V
from vrisac.advisories.normalise import Cpe, CpeError, PurlError, cpe_value_matches, parse_cpe
from vrisac.advisories.normalise import parse_purl as _parse_purl

AFFECTED, CHECK, NOT_AFFECTED, NO_MATCH = "affected", "check", "not_affected", "no_match"

#: Statement columns the matcher reads.
STATEMENT_FIELDS = (
    "pk", "vulnerability_id", "advisory_id", "source", "status", "vendor", "product", "cpe",
    "purl", "cpe_key", "name_key", "purl_key", "version_exact", "version_start",
    "version_start_incl", "version_end", "version_end_incl", "version_expr", "all_versions",
    "field", "platform", "bound_major",
)
ITEM_FIELDS = ("pk", "organisation_id", "vendor", "product", "version", "cpe", "purl",
               "name_key", "cpe_name_key", "cpe_key", "purl_key", "internet_facing",
               "criticality")

SOURCE_NAMES = {"nvd": "NVD", "cve5": "CVE 5", "csaf": "CSAF", "kev": "CISA KEV"}


@dataclass
class Item:
    pk: int
    organisation_id: int
    vendor: str
    product: str
    version: str
    cpe: str
    purl: str
    name_key: str
    cpe_name_key: str
    cpe_key: str
    purl_key: str
    internet_facing: bool
    criticality: str
    parsed_cpe: Cpe | None = None
    purl_type: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Item:
        item = cls(**{k: row[k] for k in ITEM_FIELDS})
        if item.cpe:
            try:
                item.parsed_cpe = parse_cpe(item.cpe)
            except CpeError:
                item.parsed_cpe = None
        if item.purl:
            try:
                item.purl_type = _parse_purl(item.purl).type
            except PurlError:
                item.purl_type = ""
        return item

    @property
    def signature(self) -> tuple[str, ...]:
        """Everything a verdict depends on (not the organisation)."""
        return (self.vendor, self.product, self.version, self.cpe, self.purl, self.name_key,
                self.cpe_name_key, self.cpe_key, self.purl_key)

    @property
    def keys(self) -> dict[str, set[str]]:
        return {
            "cpe_key": {self.cpe_key} - {""},
            "name_key": {self.name_key, self.cpe_name_key} - {""},
            "purl_key": {self.purl_key} - {""},
        }


@dataclass
class Verdict:
    """One statement judged against one item. The sentence is built only when asked for:
    most statements are outside the item's version and their sentences are never shown."""

    outcome: str
    rule: str
    statement: dict[str, Any]
    item: Item
    version: tuple[str, str, dict[str, Any]]
    advisory_ids: dict[int, str]

    @property
    def reason(self) -> str:
        st = self.statement
        how = _how(self.rule, self.item, st)
        where = _where(st, self.advisory_ids)
        if st["source"] == "kev":
            return _("%(how)s (%(where)s), which names no versions") % {"how": how,
                                                                       "where": where}
        platform = (_("; only on %(p)s") % {"p": st["platform"]}) if st["platform"] else ""
        sentence = f"{how} ({where}): {_version_text(*self.version[1:])}{platform}"
        if self.outcome == NOT_AFFECTED:
            label = _("fixed") if st["status"] == "fixed" else _("not affected")
            return _("%(s)s, marked %(label)s") % {"s": sentence, "label": label}
        if st["status"] == "investigating":
            return _("%(s)s; the publisher is still investigating") % {"s": sentence}
        return sentence


class PairResult:
    """The outcome of one (item, vulnerability) pair; its sentences are built on demand."""

    def __init__(self, outcome: str, confidence: str, verdicts: list[Verdict],
                 extra: str = "", deciding: dict[str, Any] | None = None,
                 statements: list[dict[str, Any]] | None = None,
                 fixed_reasons: list[str] | None = None) -> None:
        self.outcome = outcome
        self.confidence = confidence
        self.verdicts = verdicts
        self.extra = extra
        self.deciding = deciding if deciding is not None else (
            verdicts[0].statement if verdicts else None)
        self.statements = statements or []
        self._fixed = fixed_reasons

    @property
    def reasons(self) -> list[str]:
        if self._fixed is not None:
            return self._fixed
        out = [v.reason for v in self.verdicts]
        if self.extra:
            out.append(self.extra)
        return out


def _where(st: dict[str, Any], advisory_ids: dict[int, str]) -> str:
    source = SOURCE_NAMES.get(st["source"], st["source"])
    if st["source"] == "csaf" and st.get("advisory_id") in advisory_ids:
        source = f"CSAF {advisory_ids[st['advisory_id']]}"
    return f"{source} {st['field']}"


def _versions_text(st: dict[str, Any]) -> str:
    if st["all_versions"]:
        return _("all versions")
    if st["version_start"] or st["version_end"]:
        return V.describe_range(start=st["version_start"], start_incl=st["version_start_incl"],
                                end=st["version_end"], end_incl=st["version_end_incl"])
    if st["version_expr"]:
        return st["version_expr"]
    if st["version_exact"]:
        return st["version_exact"]
    return _("no versions named")


def _rule(item: Item, st: dict[str, Any]) -> str | None:
    """The rule by which the statement is about this item's product, else None."""
    if st["cpe_key"] and st["cpe_key"] == item.cpe_key and item.parsed_cpe is not None:
        try:
            other = parse_cpe(st["cpe"])
        except CpeError:
            return None
        for attr in ("part", "update", "edition", "language", "sw_edition", "target_sw",
                     "target_hw", "other"):
            if attr == "update" and other.version in ("*", "-"):
                continue
            if not cpe_value_matches(getattr(other, attr), getattr(item.parsed_cpe, attr)):
                return None
        return "cpe"
    if st["purl_key"] and st["purl_key"] == item.purl_key:
        return "purl"
    if st["name_key"] and st["name_key"] in (item.name_key, item.cpe_name_key):
        return "name"
    return None


def _how(rule: str, item: Item, st: dict[str, Any]) -> str:
    if rule == "cpe":
        return _("CPE %(item)s matches %(adv)s") % {"item": item.cpe, "adv": st["cpe"]}
    if rule == "purl":
        return _("purl %(item)s matches %(adv)s") % {"item": item.purl, "adv": st["purl"]}
    return _("vendor and product %(v)s %(p)s match %(av)s %(ap)s") % {
        "v": item.vendor, "p": item.product, "av": st["vendor"] or "?",
        "ap": st["product"] or "?"}


def _item_version(item: Item, rule: str) -> str:
    if rule == "cpe" and item.parsed_cpe is not None and item.parsed_cpe.version not in (
        "*", "-"
    ):
        return item.parsed_cpe.version.replace("\\", "")
    return (item.version or "").strip()


def _version_text(code: str, params: dict[str, Any]) -> str:
    if code == "all":
        return _("every version is named (%(v)s)") % params
    if code == "no_item_version":
        return _("the inventory gives no version to compare with %(v)s") % params
    if code == "line":
        return _("version %(i)s lies in the %(a)s line the advisory names; check whether "
                 "the advisory means the whole line") % params
    if code == "no_versions":
        return _("the statement names no versions")
    if code == "uncomparable":
        return _("version %(i)s cannot be compared with %(v)s (%(why)s)") % params
    if code == "in":
        return _("version %(i)s is within %(v)s") % params
    return _("version %(i)s is outside %(v)s") % params


def version_outcome(item: Item, st: dict[str, Any], rule: str
                    ) -> tuple[str, str, dict[str, Any]]:
    """("in" | "out" | "unknown", explanation code, its parameters)."""
    if st["all_versions"]:
        return "in", "all", {"v": _versions_text(st)}
    version = _item_version(item, rule)
    if V.is_unknown(version) or version == "*":
        return "unknown", "no_item_version", {"v": _versions_text(st)}
    scheme = item.purl_type if rule == "purl" else None
    try:
        if st["version_start"] or st["version_end"]:
            inside = V.in_range(version, start=st["version_start"],
                                start_incl=st["version_start_incl"], end=st["version_end"],
                                end_incl=st["version_end_incl"], scheme=scheme)
        elif st["version_expr"]:
            inside = V.contains(V.parse_expression(st["version_expr"]), version, scheme)
        elif st["version_exact"]:
            inside = V.compare(version, st["version_exact"], scheme) == 0
            if not inside and st["source"] == "csaf" and version.lower().startswith(
                st["version_exact"].lower() + "."
            ):
                return "unknown", "line", {"i": version, "a": st["version_exact"]}
        else:
            return "unknown", "no_versions", {}
    except (V.Uncomparable, V.ExpressionError) as exc:
        return "unknown", "uncomparable", {"i": version, "v": _versions_text(st),
                                           "why": str(exc)}
    if inside:
        return "in", "in", {"i": version, "v": _versions_text(st)}
    return "out", "out", {"i": version, "v": _versions_text(st)}


def judge_statement(item: Item, st: dict[str, Any], advisory_ids: dict[int, str]
                    ) -> Verdict | None:
    rule = _rule(item, st)
    if rule is None:
        return None
    if st["source"] == "kev":
        return Verdict(CHECK, rule, st, item, ("unknown", "no_versions", {}), advisory_ids)
    version = version_outcome(item, st, rule)
    state = version[0]
    if st["status"] in ("fixed", "not_affected"):
        return Verdict(NOT_AFFECTED, rule, st, item, version, advisory_ids) \
            if state == "in" else None
    if st["status"] == "investigating":
        return Verdict(CHECK, rule, st, item, version, advisory_ids) if state != "out" \
            else None
    outcome = {"in": AFFECTED, "unknown": CHECK, "out": NO_MATCH}[state]
    return Verdict(outcome, rule, st, item, version, advisory_ids)


_RULE_ORDER = {"cpe": 0, "purl": 1, "name": 2}
_SOURCE_ORDER = {"csaf": 0, "nvd": 1, "cve5": 2, "kev": 3}


def _best(verdicts: list[Verdict]) -> Verdict:
    return sorted(verdicts, key=lambda v: (_RULE_ORDER[v.rule],
                                           _SOURCE_ORDER.get(v.statement["source"], 9)))[0]


def combine(verdicts: list[Verdict], has_versions: bool,
            statements: list[dict[str, Any]] | None = None) -> PairResult:
    """All verdicts of one (item, vulnerability) pair into one outcome with its reasons."""
    statements = statements if statements is not None else [v.statement for v in verdicts]
    removals = [v for v in verdicts if v.outcome == NOT_AFFECTED]
    if removals:
        return PairResult(NOT_AFFECTED, "", [_best(removals)], statements=statements)
    versioned = [v for v in verdicts if v.statement["source"] != "kev"]
    affected = [v for v in versioned if v.outcome == AFFECTED]
    if affected:
        return PairResult(AFFECTED, "confirmed", [_best(affected)], statements=statements)
    checks = [v for v in versioned if v.outcome == CHECK]
    if checks:
        return PairResult(AFFECTED, "check", [_best(checks)], _(
            "Check this: the version could not be confirmed."), statements=statements)
    kev = [v for v in verdicts if v.statement["source"] == "kev"]
    if kev and not has_versions:
        return PairResult(AFFECTED, "check", [kev[0]], _(
            "Check this: no NVD, CVE 5 or CSAF record gives the affected versions yet."),
            statements=statements)
    if versioned:
        best = _best(versioned)
        ordered = [best, *[v for v in versioned if v is not best]][:5]
        return PairResult(NO_MATCH, "", ordered, statements=statements)
    if kev:
        return PairResult(NO_MATCH, "", [], deciding=kev[0].statement, statements=statements,
                          fixed_reasons=[_(
                              "Only CISA KEV names this product, and the NVD, CVE 5 or CSAF "
                              "records that give versions for this vulnerability do not name "
                              "it.")])
    return PairResult(NO_MATCH, "", [], statements=statements)


def evaluate(item: Item, statements: list[dict[str, Any]], has_versions: bool,
             advisory_ids: dict[int, str]) -> PairResult:
    verdicts = [v for st in statements
                if (v := judge_statement(item, st, advisory_ids)) is not None]
    return combine(verdicts, has_versions, statements)
