"""Writes on warnings: (re-)matching, the states an organisation gives them, preferences and
the ISAC warning report a coordinator makes of a vulnerability.

Matching is incremental: a changed vulnerability (advisory, NVD, CVE 5, KEV, EPSS) is
matched against the items whose keys its statements name; a changed inventory item against
the statements its keys name. Nothing compares every advisory with every item.
"""

from __future__ import annotations

import functools
import hashlib
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vrisac.advisories import versions as V
from vrisac.advisories.importers.common import fast_insert, fast_update
from vrisac.advisories.models import Advisory, AffectedProduct, Vulnerability
from vrisac.assets.models import InventoryItem
from vrisac.core.audit import audit_record
from vrisac.core.errors import DomainError, NotAllowed, NotFound
from vrisac.sharing.policy import MIN_GROUP_SIZE, can_view_organisation_data, viewer_for
from vrisac.sharing.tlp import rank as tlp_rank

from .matching import AFFECTED, ITEM_FIELDS, STATEMENT_FIELDS, Item, PairResult, evaluate
from .models import Warning, WarningPreference, in_language
from .priority import Signals, prioritise

KEY_CHUNK = 400
ITEM_CHUNK = 500
Progress = Callable[[int], None]
Pair = tuple[int, int]

_VULN_FIELDS = ("pk", "cve_id", "has_versions", "cvss3_score", "cvss3_vector", "cvss4_score",
                "cvss4_vector", "kev_added", "kev_ransomware", "kev_action", "kev_due",
                "ssvc_exploitation", "epss", "epss_percentile")


def _chunks(values: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _statements_for_keys(keys: dict[str, set[str]], lowest_major: int | None = None
                         ) -> list[dict[str, Any]]:
    """The statements naming these keys; with ``lowest_major``, not those whose affected
    versions all end below it (they cannot hit any of the items asking)."""
    bound = Q() if lowest_major is None else (
        Q(bound_major__isnull=True) | Q(bound_major__gte=lowest_major))
    rows: list[dict[str, Any]] = []
    for column, values in keys.items():
        ordered = sorted(values)
        for chunk in _chunks(ordered, KEY_CHUNK):
            rows.extend(AffectedProduct.objects.filter(bound, **{f"{column}__in": chunk})
                        .values(*STATEMENT_FIELDS))
    unique = {row["pk"]: row for row in rows}
    return list(unique.values())


def _vulnerabilities(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(ids)), 900):
        for row in Vulnerability.objects.filter(pk__in=chunk).values(*_VULN_FIELDS):
            out[row["pk"]] = row
    return out


def _advisories(ids: Iterable[int | None]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    wanted = sorted(i for i in set(ids) if i is not None)
    for chunk in _chunks(wanted, 900):
        for row in Advisory.objects.filter(pk__in=chunk).values(
            "pk", "tracking_id", "tlp", "severity", "ncsc_priority", "remediations"
        ):
            out[row["pk"]] = dict(row)
    return out


def _item_major(item: Item) -> int | None:
    """The version line a statement's bound is compared with; None when unsure."""
    found = V.line(item.version)
    cpe = item.parsed_cpe
    if cpe is not None and cpe.version not in ("*", "-") and V.line(
        cpe.version.replace("\\", "")
    ) != found:
        return None
    return found


class _Ladder:
    """The statements of one key, ordered by their ``bound_major``, so an item skips those
    that end below its own major version: those can only be "outside"."""

    ALWAYS = 1 << 62

    def __init__(self, statements: list[dict[str, Any]]) -> None:
        keyed = sorted(((self.ALWAYS if st["bound_major"] is None else st["bound_major"], st)
                        for st in statements), key=lambda p: p[0])
        self.bounds = [b for b, _st in keyed]
        self.statements = [st for _b, st in keyed]

    def candidates(self, major: int | None) -> list[dict[str, Any]]:
        if major is None:
            return self.statements
        return self.statements[bisect_left(self.bounds, major):]


class Evaluation:
    """The outcome for every (item, vulnerability) pair in scope. Items with the same
    signature (regions run the same products in the same versions) are judged once."""

    def __init__(self, items: list[Item], statements: list[dict[str, Any]]) -> None:
        groups: dict[tuple[str, ...], list[Item]] = {}
        for item in items:
            groups.setdefault(item.signature, []).append(item)
        self.groups = list(groups.values())
        self.group_of = {item.pk: gi for gi, group in enumerate(self.groups) for item in group}
        self.items = {item.pk: item for item in items}
        by_key: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for st in statements:
            for column in ("cpe_key", "purl_key", "name_key"):
                if st[column]:
                    by_key[(column, st[column])].append(st)
        ladders = {key: _Ladder(sts) for key, sts in by_key.items()}
        by_pair: dict[tuple[int, int], list[dict[str, Any]]] = {}
        for gi, group in enumerate(self.groups):
            major = _item_major(group[0])
            seen: set[int] = set()
            for column, values in group[0].keys.items():
                for value in values:
                    ladder = ladders.get((column, value))
                    if ladder is None:
                        continue
                    for st in ladder.candidates(major):
                        if st["pk"] not in seen:
                            seen.add(st["pk"])
                            by_pair.setdefault((gi, st["vulnerability_id"]), []).append(st)
        self.vulns = _vulnerabilities(v for _g, v in by_pair)
        advisory_ids = {st["advisory_id"] for sts in by_pair.values() for st in sts
                        if st["advisory_id"]}
        self.advisories = _advisories(advisory_ids)
        names = {pk: a["tracking_id"] for pk, a in self.advisories.items()}
        self.by_group: dict[tuple[int, int], PairResult] = {}
        for (gi, vid), sts in by_pair.items():
            vuln = self.vulns.get(vid)
            if vuln is not None:
                self.by_group[(gi, vid)] = evaluate(self.groups[gi][0], sts,
                                                    vuln["has_versions"], names)
        self.pairs = len(by_pair)

    def affected(self) -> Iterable[tuple[Pair, PairResult]]:
        for (gi, vid), result in self.by_group.items():
            if result.outcome == AFFECTED:
                for item in self.groups[gi]:
                    yield (item.pk, vid), result

    def result(self, pair: Pair) -> PairResult | None:
        gi = self.group_of.get(pair[0])
        return None if gi is None else self.by_group.get((gi, pair[1]))


def _desired(result: PairResult, item: Item, vuln: dict[str, Any],
             advisories: dict[int, dict[str, Any]]) -> dict[str, Any]:
    matched = [advisories[st["advisory_id"]] for st in result.statements
               if st["advisory_id"] in advisories]
    deciding = result.deciding or {}
    main = advisories.get(deciding.get("advisory_id") or 0) if deciding else None
    if main is None and matched:
        main = matched[0]
    ncsc = next((a["ncsc_priority"] for a in matched if a["ncsc_priority"]), "")
    signals = Signals(
        cvss4_score=vuln["cvss4_score"], cvss4_vector=vuln["cvss4_vector"],
        cvss3_score=vuln["cvss3_score"], cvss3_vector=vuln["cvss3_vector"],
        advisory_severity=main["severity"] if main else "",
        kev_added=vuln["kev_added"], kev_ransomware=vuln["kev_ransomware"],
        ssvc_exploitation=vuln["ssvc_exploitation"], epss=vuln["epss"],
        epss_percentile=vuln["epss_percentile"], ncsc_priority=ncsc,
        internet_facing=item.internet_facing, criticality=item.criticality,
    )
    priority, rank, _reasons = prioritise(signals)
    remediations: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for advisory in matched:
        for r in advisory["remediations"]:
            key = (r.get("category", ""), r.get("details", ""))
            if vuln["cve_id"] in r.get("cves", []) and key not in seen:
                seen.add(key)
                remediations.append({"category": r.get("category", ""),
                                     "details": r.get("details", ""), "url": r.get("url", ""),
                                     "source": advisory["tracking_id"]})
    if vuln["kev_action"]:
        remediations.append({"category": "required_action", "details": vuln["kev_action"],
                             "url": "", "source": "CISA KEV",
                             "due": str(vuln["kev_due"] or "")})
    tlp = "TLP:CLEAR"
    for advisory in matched:
        if tlp_rank(advisory["tlp"]) > tlp_rank(tlp):
            tlp = advisory["tlp"]
    return {
        "priority": priority, "priority_rank": rank, "confidence": result.confidence,
        "match_reasons": in_languages(lambda: result.reasons),
        "priority_reasons": in_languages(lambda: prioritise(signals)[2]),
        "remediations": remediations, "tlp": tlp, "advisory_id": main["pk"] if main else None,
    }


_COMPARED = ("priority", "priority_rank", "confidence", "match_reasons", "priority_reasons",
             "remediations", "tlp", "advisory_id")


def _update_rows(rows: list[Warning], fields: list[str]) -> None:
    fast_update(Warning, rows, fields)


def _priority_reasons(signals: Signals) -> list[str]:
    return prioritise(signals)[2]


def in_languages(render: Callable[[], list[str]]) -> dict[str, list[str]]:
    """The sentences in every interface language, so each reader gets their own."""
    out: dict[str, list[str]] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            out[code] = render()
    return out


def _digest(desired: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(desired, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


def _reconcile(evaluation: Evaluation, existing: Any, stats: dict[str, int]) -> list[int]:
    """Create, update, re-open and withdraw warnings; returns the ids of new ones.
    ``existing``: the warnings in scope, as a queryset (read as compact rows)."""
    now = timezone.now()
    current = {
        (item_id, vuln_id): (pk, digest, withdrawn)
        for pk, item_id, vuln_id, digest, withdrawn in existing.values_list(
            "pk", "item_id", "vulnerability_id", "digest", "withdrawn_at")
    }
    creates: list[dict[str, Any]] = []
    updates: list[Warning] = []
    desired_cache: dict[tuple[int, int, int], tuple[dict[str, Any], str]] = {}
    for pair, result in evaluation.affected():
        item = evaluation.items[pair[0]]
        key = (evaluation.group_of[item.pk], pair[1], id(result))
        cached = desired_cache.get(key)
        if cached is None:
            desired = _desired(result, item, evaluation.vulns[pair[1]], evaluation.advisories)
            cached = desired_cache[key] = (desired, _digest(desired))
        desired, digest = cached
        found = current.pop(pair, None)
        if found is None:
            creates.append({"organisation_id": item.organisation_id, "item_id": item.pk,
                            "vulnerability_id": pair[1], "digest": digest,
                            "created_at": now, "updated_at": now, **desired})
        elif found[1] != digest or found[2] is not None:
            updates.append(Warning(pk=found[0], digest=digest, withdrawn_at=None,
                                   updated_at=now, **desired))
    gone_pairs = {pk: pair for pair, (pk, _d, withdrawn) in current.items() if withdrawn is None}
    withdrawals: list[Warning] = []
    for warning in Warning.objects.filter(pk__in=list(gone_pairs)).only("pk", "match_reasons"):
        gone = evaluation.result(gone_pairs[warning.pk])
        before = warning.match_reasons

        def reasons(gone: PairResult | None = gone, before: Any = before) -> list[str]:
            kept = gone.reasons if gone is not None and gone.reasons else in_language(before)
            return [*kept, _("No longer matched.")]

        withdrawals.append(Warning(pk=warning.pk, withdrawn_at=now, updated_at=now,
                                   match_reasons=in_languages(reasons)))
    fast_insert(Warning, creates)
    _update_rows(updates, [*_COMPARED, "digest", "withdrawn_at", "updated_at"])
    _update_rows(withdrawals, ["withdrawn_at", "updated_at", "match_reasons"])
    stats["created"] += len(creates)
    stats["updated"] += len(updates)
    stats["withdrawn"] += len(withdrawals)
    if not creates:
        return []
    # The rows this batch inserted carry its own time stamp.
    return list(Warning.objects.filter(
        item_id__in=sorted({c["item_id"] for c in creates}), created_at=now,
    ).values_list("pk", flat=True))


def _items(qs: Any) -> list[Item]:
    return [Item.from_row(row) for row in qs.values(*ITEM_FIELDS)]


def _notify(created: list[int]) -> None:
    if created:
        from vrisac.notifications.services import notify_new_warnings

        ids = list(created)
        transaction.on_commit(lambda: notify_new_warnings(warning_ids=ids))


def _audit_rematch(scope: str, count: int, stats: dict[str, int]) -> None:
    """One audit row per batch that changed warnings."""
    if stats["created"] or stats["updated"] or stats["withdrawn"]:
        audit_record(action="alerts.rematch", actor_label="matcher",
                     details={"scope": scope, "count": count, **stats})


def _apply(items: list[Item], statements: list[dict[str, Any]], existing: Any, scope: str,
           count: int, stats: dict[str, int]) -> list[int]:
    """Judge, then write what changed for the warnings in scope (inside the caller's
    transaction); one audit row for the batch."""
    evaluation = Evaluation(items, statements)
    stats["pairs"] += evaluation.pairs
    created = _reconcile(evaluation, existing.select_for_update(), stats)
    _audit_rematch(scope, count, stats)
    return created


def rematch_vulnerabilities(vulnerability_ids: Iterable[int], *,
                            progress: Progress | None = None) -> dict[str, int]:
    """Match changed vulnerabilities against every inventory that names their products."""
    ids = sorted(set(vulnerability_ids))
    stats = {"created": 0, "updated": 0, "withdrawn": 0, "pairs": 0}
    created: list[int] = []
    for chunk in _chunks(ids, 500):
        with transaction.atomic():
            statements = list(AffectedProduct.objects.filter(vulnerability_id__in=chunk)
                              .values(*STATEMENT_FIELDS))
            keys: dict[str, set[str]] = {"cpe_key": set(), "name_key": set(), "purl_key": set()}
            for st in statements:
                for column in keys:
                    if st[column]:
                        keys[column].add(st[column])
            condition = Q(pk__in=[])
            if keys["cpe_key"]:
                condition |= Q(cpe_key__in=sorted(keys["cpe_key"]))
            if keys["purl_key"]:
                condition |= Q(purl_key__in=sorted(keys["purl_key"]))
            if keys["name_key"]:
                names = sorted(keys["name_key"])
                condition |= Q(name_key__in=names) | Q(cpe_name_key__in=names)
            items = _items(InventoryItem.objects.filter(condition)) if statements else []
            created += _apply(items, statements, Warning.objects.filter(
                vulnerability_id__in=chunk), "vulnerabilities", len(chunk), stats)
        if progress:
            progress(len(chunk))
    _notify(created)
    return stats


def rematch_items(item_ids: Iterable[int], *, progress: Progress | None = None,
                  ordered: bool = False) -> dict[str, int]:
    """Match changed inventory items against every statement that names their products."""
    ids = list(dict.fromkeys(item_ids)) if ordered else sorted(set(item_ids))
    stats = {"created": 0, "updated": 0, "withdrawn": 0, "pairs": 0}
    created: list[int] = []
    for chunk in _chunks(ids, ITEM_CHUNK):
        with transaction.atomic():
            items = _items(InventoryItem.objects.filter(pk__in=chunk))
            keys: dict[str, set[str]] = {"cpe_key": set(), "name_key": set(), "purl_key": set()}
            for item in items:
                for column, values in item.keys.items():
                    keys[column] |= values
            majors = [_item_major(item) for item in items]
            lowest = None if not majors or None in majors else min(
                m for m in majors if m is not None)
            created += _apply(items, _statements_for_keys(keys, lowest),
                              Warning.objects.filter(item_id__in=chunk), "items", len(chunk),
                              stats)
        if progress:
            progress(len(chunk))
    _notify(created)
    return stats


def reprioritise(vulnerability_ids: Iterable[int], *, progress: Progress | None = None
                 ) -> dict[str, int]:
    """Scores changed (EPSS), matches did not: recompute the priority of the current
    warnings of these vulnerabilities without judging any statement again."""
    ids = sorted(set(vulnerability_ids))
    stats = {"created": 0, "updated": 0, "withdrawn": 0, "pairs": 0}
    for chunk in _chunks(ids, 2000):
        with transaction.atomic():
            vulns = _vulnerabilities(chunk)
            warnings = list(Warning.objects.select_for_update(of=("self",)).filter(
                vulnerability_id__in=chunk, withdrawn_at__isnull=True
            ).select_related("item", "advisory"))
            stats["pairs"] += len(warnings)
            updates = []
            for w in warnings:
                vuln = vulns[w.vulnerability_id]
                signals = Signals(
                    cvss4_score=vuln["cvss4_score"], cvss4_vector=vuln["cvss4_vector"],
                    cvss3_score=vuln["cvss3_score"], cvss3_vector=vuln["cvss3_vector"],
                    advisory_severity=w.advisory.severity if w.advisory else "",
                    kev_added=vuln["kev_added"], kev_ransomware=vuln["kev_ransomware"],
                    ssvc_exploitation=vuln["ssvc_exploitation"], epss=vuln["epss"],
                    epss_percentile=vuln["epss_percentile"],
                    ncsc_priority=w.advisory.ncsc_priority if w.advisory else "",
                    internet_facing=w.item.internet_facing, criticality=w.item.criticality)
                priority, rank, _reasons = prioritise(signals)
                reasons = in_languages(functools.partial(_priority_reasons, signals))
                if (priority, rank, reasons) == (w.priority, w.priority_rank,
                                                 w.priority_reasons):
                    continue
                w.priority, w.priority_rank, w.priority_reasons = priority, rank, reasons
                w.digest = _digest({f: getattr(w, f) for f in _COMPARED})
                w.updated_at = timezone.now()
                updates.append(w)
            _update_rows(updates, ["priority", "priority_rank", "priority_reasons", "digest",
                                   "updated_at"])
            stats["updated"] += len(updates)
            _audit_rematch("priorities", len(chunk), stats)
        if progress:
            progress(len(chunk))
    return stats


def rematch_all(*, progress: Progress | None = None) -> dict[str, int]:
    """Every item, in chunks of items that run the same products (few statements each)."""
    ids = list(InventoryItem.objects.order_by("name_key", "pk").values_list("pk", flat=True))
    return rematch_items(ids, progress=progress, ordered=True)


def rekey_all(*, progress: Progress | None = None) -> dict[str, int]:
    """After the alias table changed: recompute every name key, then match everything."""
    from vrisac.advisories.normalise import Aliases, CpeError, PurlError, inventory_keys

    aliases = Aliases.load()
    changed_items = 0
    updates = []
    for item in InventoryItem.objects.all().iterator(chunk_size=2000):
        try:
            keys = inventory_keys(item.vendor, item.product, item.cpe, item.purl, aliases)
        except (CpeError, PurlError):
            continue
        if any(getattr(item, k) != v for k, v in keys.items()):
            for k, v in keys.items():
                setattr(item, k, v)
            updates.append(item)
    with transaction.atomic():
        InventoryItem.objects.bulk_update(updates, ["name_key", "cpe_name_key", "cpe_key",
                                                    "purl_key"], batch_size=1000)
        changed_items = len(updates)
    changed_statements = 0
    batch: list[AffectedProduct] = []
    for st in AffectedProduct.objects.exclude(name_key="").only(
        "pk", "vendor", "product", "name_key"
    ).iterator(chunk_size=5000):
        key = aliases.name_key(st.vendor, st.product)
        if key and key != st.name_key:
            st.name_key = key
            batch.append(st)
        if len(batch) >= 5000:
            AffectedProduct.objects.bulk_update(batch, ["name_key"])
            changed_statements += len(batch)
            batch = []
    AffectedProduct.objects.bulk_update(batch, ["name_key"])
    changed_statements += len(batch)
    stats = rematch_all(progress=progress)
    return {"items_rekeyed": changed_items, "statements_rekeyed": changed_statements, **stats}


# --- what people do with a warning ---------------------------------------------------------


def _get_for_change(warning: Warning, acting_user: Any) -> Warning:
    locked = Warning.objects.select_for_update().filter(pk=warning.pk).first()
    if locked is None or not can_view_organisation_data(acting_user, locked.organisation_id):
        raise NotFound(_("Warning not found."))
    return locked


@transaction.atomic
def warning_set_status(*, warning: Warning, status: str, justification: str = "",
                       acting_user: Any) -> Warning:
    """New, acknowledged, mitigated, or not affected (which needs a justification)."""
    warning = _get_for_change(warning, acting_user)
    if status not in Warning.Status.values:
        raise DomainError(_("Unknown status."), field="status")
    justification = (justification or "").strip()
    if len(justification) > 2000:
        raise DomainError(_("The justification is at most 2,000 characters."),
                          field="justification")
    if status == Warning.Status.NOT_AFFECTED and not justification:
        raise DomainError(_("Say why you are not affected (for example: the vulnerable "
                            "module is not installed)."), field="justification")
    previous = warning.status
    now = timezone.now()
    warning.status = status
    warning.justification = justification
    warning.status_changed_at = now
    warning.status_changed_by = acting_user
    if status != Warning.Status.NEW and warning.acknowledged_at is None:
        warning.acknowledged_at = now
    warning.save(update_fields=["status", "justification", "status_changed_at",
                                "status_changed_by", "acknowledged_at", "updated_at"])
    audit_record(action="alerts.warning.status", actor=acting_user, obj=warning,
                 details={"from": previous, "to": status,
                          "vulnerability": warning.vulnerability_id})
    return warning


@transaction.atomic
def preference_set(*, user: Any, mode: str) -> WarningPreference:
    if mode not in WarningPreference.Mode.values:
        raise DomainError(_("Unknown choice."), field="mode")
    preference, _created = WarningPreference.objects.update_or_create(
        user=user, defaults={"mode": mode})
    audit_record(action="alerts.preference", actor=user, obj=preference,
                 details={"mode": mode})
    return preference


def isac_warning_report(*, vulnerability: Vulnerability, acting_user: Any, tlp: str,
                        extra: str = "", publish: bool = True) -> Any:
    """A coordinator turns a vulnerability into an ISAC warning report for all participants:
    what it is, how many regions it hits (a count, no names; "fewer than six" below the
    policy's minimum group), what to do."""
    from vrisac.reports.services import report_create

    from .selectors import affected_region_count

    if not viewer_for(acting_user).is_coordinator:
        raise NotAllowed(_("Only ISAC coordinators publish ISAC warnings."))
    regions = affected_region_count(vulnerability_id=vulnerability.pk)
    advisories = list(vulnerability.advisories.all())
    strictest = max([tlp, *[a.tlp for a in advisories]], key=tlp_rank)
    if tlp_rank(tlp) < tlp_rank(strictest):
        raise DomainError(_("An advisory behind this vulnerability is %(l)s: the report "
                            "cannot carry a lower label.") % {"l": strictest}, field="tlp")
    lines = [
        f"**{vulnerability.cve_id}**" + (f": {vulnerability.title}" if vulnerability.title
                                          else ""),
        "",
        vulnerability.description[:4000],
        "",
        _("Regions running an affected product, by the inventories in VR-ISAC: %(n)s.")
        % {"n": regions if regions is not None
           else _("fewer than %(n)d") % {"n": MIN_GROUP_SIZE}},
    ]
    if vulnerability.kev_added:
        lines.append(_("Actively exploited (CISA KEV since %(d)s).") % {
            "d": vulnerability.kev_added})
    if vulnerability.cvss3_score is not None:
        lines.append(f"CVSS v3: {vulnerability.cvss3_score:.1f} ({vulnerability.cvss3_vector})")
    if vulnerability.cvss4_score is not None:
        lines.append(f"CVSS v4: {vulnerability.cvss4_score:.1f} ({vulnerability.cvss4_vector})")
    actions = [r for a in advisories for r in a.remediations
               if vulnerability.cve_id in r.get("cves", [])]
    if actions or vulnerability.kev_action:
        lines += ["", "**" + _("What to do") + "**", ""]
        for r in actions[:10]:
            lines.append(f"* {r.get('category', '').replace('_', ' ')}: {r.get('details', '')}"
                         + (f" ({r['url']})" if r.get("url") else ""))
        if vulnerability.kev_action:
            lines.append(f"* CISA: {vulnerability.kev_action}")
    if advisories:
        lines += ["", _("Advisories: %(a)s") % {"a": ", ".join(a.tracking_id
                                                               for a in advisories)}]
    if extra.strip():
        lines += ["", extra.strip()]
    report = report_create(
        author=acting_user, kind="warning",
        title=(f"{vulnerability.cve_id}: {vulnerability.title}" if vulnerability.title
               else _("Warning: %(id)s") % {"id": vulnerability.cve_id})[:200],
        summary=(_("%(n)d regions run an affected product.") % {"n": regions}
                 if regions is not None  # the policy's minimum group
                 else _("Fewer than %(n)d regions run an affected product.")
                 % {"n": MIN_GROUP_SIZE}),
        body="\n".join(lines), tlp=tlp, audience="participants",
        tags=[vulnerability.cve_id.lower()], publish=publish,
    )
    return report
