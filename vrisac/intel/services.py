"""Writes of threat intelligence: indicators on reports, the bulk ingest, sightings,
warninglists, the correlation settings and the report search index. One transaction each,
the audit row inside it (one per batch for bulk work)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record
from vrisac.core.errors import DomainError, NotAllowed, NotFound
from vrisac.reports.models import Report
from vrisac.sharing.models import Status
from vrisac.sharing.policy import can_edit, can_view, viewer_for

from . import search_index, store
from .models import (
    CorrelationExclusion,
    CorrelationSettings,
    Indicator,
    IndicatorValue,
    Sighting,
    Warninglist,
)
from .normalise import DETECTION_DEFAULT, HASH_TYPES, InvalidValue, normalise, normalise_any
from .warninglists import bump_version, current_matcher, parse_entries

BATCH_SIZE = 5000
MAX_PER_CALL = 10_000
MAX_COMMENT = 1000


@dataclass
class Prepared:
    """One validated indicator from a caller, before it is written."""

    row: store.Row
    label: str | None
    warninglists: list[str] = field(default_factory=list)


@dataclass
class AddResult:
    added: int
    items: list[Prepared]

    @property
    def warninglisted(self) -> list[Prepared]:
        return [p for p in self.items if p.warninglists]


def _when(value: Any, default: datetime, where: str) -> datetime:
    if value in (None, ""):
        return default
    parsed: datetime | None = value if isinstance(value, datetime) else None
    if parsed is None:
        try:
            parsed = parse_datetime(str(value))
        except ValueError:
            parsed = None
        if parsed is None:
            raise DomainError(_("%(w)s: %(v)s is not a date and time (ISO 8601).")
                              % {"w": where, "v": str(value)[:40]}, field=where)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
    return parsed


def prepare(item: Mapping[str, Any], *, index: int | None, source_id: int = 0,
            now: datetime | None = None, where: str = "indicators") -> Prepared:
    """Validate and normalise one ``{"type", "value", "for_detection", "comment",
    "first_seen", "last_seen", "file"}``; the error names the item and the field."""
    moment = now or timezone.now()
    place = f"{where}[{index}]" if index is not None else where
    type_ = item.get("type")
    try:
        normalised = normalise(str(type_ or ""), item.get("value") or "")
    except InvalidValue as exc:
        raise DomainError(f"{place}.{exc.field or 'value'}: {exc.message}",
                          field=f"{place}.{exc.field or 'value'}") from None
    comment = str(item.get("comment") or "").strip()
    if len(comment) > MAX_COMMENT:
        raise DomainError(_("%(p)s.comment: at most %(n)d characters.")
                          % {"p": place, "n": MAX_COMMENT}, field=f"{place}.comment")
    if any(ord(c) < 32 and c not in "\t" for c in comment):
        raise DomainError(_("%(p)s.comment: the comment contains control characters.")
                          % {"p": place}, field=f"{place}.comment")
    detection = item.get("for_detection")
    if detection is None:
        detection = normalised.type in DETECTION_DEFAULT
    first_seen = _when(item.get("first_seen"), moment, f"{place}.first_seen")
    last_seen = _when(item.get("last_seen"), max(moment, first_seen), f"{place}.last_seen")
    if last_seen < first_seen:
        raise DomainError(_("%(p)s: last seen lies before first seen.") % {"p": place},
                          field=f"{place}.last_seen")
    label = item.get("file")
    label = str(label).strip()[:100] if label not in (None, "") else None
    group = item.get("group") if isinstance(item.get("group"), int) else None
    return Prepared(
        store.Row(source_id, normalised, bool(detection), comment, first_seen, last_seen,
                  group),
        label,
    )


def _assign_groups(items: list[Prepared], first_free: int) -> None:
    """File groups: items with the same ``file`` label form one file; without labels, the
    hashes of one call form one file when each kind of hash occurs once (md5, sha1 and
    sha256 given together)."""
    labels: dict[str, int] = {}
    next_group = first_free
    for item in items:
        if item.label is not None:
            if item.label not in labels:
                labels[item.label] = next_group
                next_group += 1
            item.row = _with_group(item.row, labels[item.label])
    if labels:
        return
    hashes = [i for i in items if i.row.item.type in HASH_TYPES]
    kinds = {i.row.item.type for i in hashes}
    if len(hashes) > 1 and len(kinds) == len(hashes):
        for item in hashes:
            item.row = _with_group(item.row, next_group)


def _with_group(row: store.Row, group: int | None) -> store.Row:
    return store.Row(row.source_id, row.item, row.for_detection, row.comment, row.first_seen,
                     row.last_seen, group)


def _batches(rows: Iterable[store.Row], size: int) -> Iterator[list[store.Row]]:
    batch: list[store.Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


_DONE = object()


def _ahead(rows: Iterable[store.Row], size: int) -> Iterator[list[store.Row]]:
    """The batches of ``rows``, produced one batch ahead on a helper thread: while the
    database writes one batch, Python reads and normalises the next (the thread waits on
    the database without holding the interpreter). At most two batches wait, so memory stays
    flat; an error in the stream is raised here, in the writing thread, so the transaction
    rolls back. The stream must not use the database (it runs on another connection)."""
    waiting: queue.Queue[Any] = queue.Queue(maxsize=2)
    stop = threading.Event()
    language = translation.get_language()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        with translation.override(language):
            try:
                for batch in _batches(rows, size):
                    if not put(batch):
                        return
                put(_DONE)
            except BaseException as exc:  # handed to the writing thread
                put(exc)

    helper = threading.Thread(target=produce, name="intel-ingest-reader", daemon=True)
    helper.start()
    try:
        while True:
            item = waiting.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        helper.join(timeout=10)


@transaction.atomic
def report_indicators_add(*, report: Report, acting_user: Any,
                          items: Sequence[Mapping[str, Any]]) -> AddResult:
    """Add indicators to a report its editors may change. All or nothing: one invalid item
    refuses the call, naming it."""
    if not can_edit(acting_user, report):
        raise NotFound(_("Report not found."))
    if report.status == Status.RETRACTED:
        raise DomainError(_("A retracted report can no longer be changed."))
    if len(items) > MAX_PER_CALL:
        raise DomainError(_("At most %(n)d indicators at a time.") % {"n": MAX_PER_CALL},
                          field="indicators")
    now = timezone.now()
    prepared = [prepare(item, index=i, source_id=report.pk, now=now)
                for i, item in enumerate(items)]
    if not prepared:
        return AddResult(0, [])
    last_group = (Indicator.objects.filter(report=report, file_group__isnull=False)
                  .order_by("-file_group").values_list("file_group", flat=True).first())
    _assign_groups(prepared, (last_group or 0) + 1)
    matcher = current_matcher()
    for item in prepared:
        item.warninglists = matcher.hits(item.row.item)
    added = 0
    for batch in _batches((p.row for p in prepared), BATCH_SIZE):
        new = store.write_batch(batch, kind="report", now=now, added_by_id=acting_user.pk)
        added += new
        audit_record(action="intel.indicators.add", actor=acting_user, obj=report,
                     details={"report": report.pk, "given": len(batch), "added": new,
                              "warninglisted": sum(1 for p in prepared if p.warninglists)})
    if added and report.status == Status.PUBLISHED:
        from vrisac.interop.taxii.services import report_shared

        report_shared(report=report)
    return AddResult(added, prepared)


@dataclass
class IngestResult:
    rows: int = 0
    added: int = 0
    batches: int = 0
    sources: set[int] = field(default_factory=set)


@transaction.atomic
def bulk_ingest(*, acting_user: Any, rows: Iterable[store.Row], kind: str = "report",
                batch_size: int = BATCH_SIZE, audit_obj: Any = None,
                progress: Callable[[int], None] | None = None,
                read_ahead: bool = False) -> IngestResult:
    """Write a stream of already validated rows, batch by batch, in one transaction: memory
    stays flat however long the stream is. Report rows are checked against the acting user's
    right to edit each report; one audit row per batch. ``read_ahead`` produces the next
    batch on a helper thread while this one is written (for streams that do not use the
    database: a feed file, a generator)."""
    result = IngestResult()
    allowed: set[int] = set()
    now = timezone.now()
    batches = _ahead(rows, batch_size) if read_ahead else _batches(rows, batch_size)
    _ingest(acting_user, batches, kind, audit_obj, progress, result, allowed, now)
    if result.rows >= 10_000:
        store.refresh_statistics()
    return result


def _ingest(acting_user: Any, batches: Iterable[list[store.Row]], kind: str,
            audit_obj: Any, progress: Callable[[int], None] | None, result: IngestResult,
            allowed: set[int], now: datetime) -> None:
    for batch in batches:
        sources = {r.source_id for r in batch}
        if kind == "report":
            unknown = sources - allowed
            if unknown:
                reports = Report.objects.filter(pk__in=unknown).select_related(None)
                for report in reports:
                    if not can_edit(acting_user, report) or report.status == Status.RETRACTED:
                        raise NotFound(_("Report %(id)s not found.") % {"id": report.pk})
                    allowed.add(report.pk)
                missing = unknown - allowed
                if missing:
                    raise NotFound(_("Report %(id)s not found.") % {"id": min(missing)})
        new = store.write_batch(batch, kind=kind, now=now,
                                added_by_id=getattr(acting_user, "pk", None))
        result.rows += len(batch)
        result.added += new
        result.batches += 1
        result.sources |= sources if len(result.sources) < 100_000 else set()
        audit_record(action=f"intel.indicators.bulk_add.{kind}", actor=acting_user,
                     obj=audit_obj, object_type="" if audit_obj else "intel.indicator",
                     details={"batch": result.batches, "given": len(batch), "added": new,
                              "sources": len(sources)})
        store.refresh_statistics(result.batches)
        if progress is not None:
            progress(len(batch))


@transaction.atomic
def indicator_update(*, indicator: Indicator, acting_user: Any,
                     for_detection: bool | None = None, comment: str | None = None) -> Indicator:
    indicator = (Indicator.objects.select_for_update(of=("self",))
                 .select_related("report", "value").get(pk=indicator.pk))
    if indicator.report is None or not can_edit(acting_user, indicator.report):
        raise NotFound(_("Indicator not found."))
    changes: dict[str, Any] = {}
    if for_detection is not None:
        indicator.for_detection = changes["for_detection"] = bool(for_detection)
    if comment is not None:
        checked = prepare({"type": indicator.value.type, "value": indicator.value.value,
                           "comment": comment}, index=None, where="indicator")
        indicator.comment = changes["comment"] = checked.row.comment
    indicator.save(update_fields=["for_detection", "comment"])
    audit_record(action="intel.indicator.edit", actor=acting_user, obj=indicator,
                 details={"report": indicator.report_id, "fields": sorted(changes)})
    return indicator


@transaction.atomic
def indicator_remove(*, indicator: Indicator, acting_user: Any) -> None:
    indicator = Indicator.objects.select_related("report", "value").get(pk=indicator.pk)
    if indicator.report is None or not can_edit(acting_user, indicator.report):
        raise NotFound(_("Indicator not found."))
    if indicator.report.status == Status.RETRACTED:
        raise DomainError(_("A retracted report can no longer be changed."))
    audit_record(action="intel.indicator.remove", actor=acting_user, obj=indicator,
                 details={"report": indicator.report_id, "type": indicator.value.type})
    indicator.delete()


# --- sightings ----------------------------------------------------------------------------

@transaction.atomic
def sighting_add(*, acting_user: Any, kind: str, value: str = "", type: str | None = None,
                 indicator: Indicator | None = None, seen_at: Any = None, source: str = "",
                 named: bool = False) -> list[Sighting]:
    """Record that the acting user's organisation saw a value, found it a false positive or
    considers it expired. Only on a value the user can see on some indicator."""
    viewer = viewer_for(acting_user)
    if not viewer.reads_content or viewer.organisation_id is None:
        raise NotAllowed(_("Only participants, coordinators and partners record sightings."))
    if kind not in Sighting.Kind.values:
        raise DomainError(_("A sighting is seen, false_positive or expired."), field="kind")
    source = (source or "").strip()
    if len(source) > 200 or any(ord(c) < 32 for c in source):
        raise DomainError(_("The source is at most 200 characters of plain text."),
                          field="source")
    when = _when(seen_at, timezone.now(), "seen_at")
    if when > timezone.now() + timedelta(minutes=5):
        raise DomainError(_("A sighting cannot lie in the future."), field="seen_at")
    visible = Indicator.objects.visible_to(acting_user)
    if indicator is not None:
        targets = list(visible.filter(pk=indicator.pk).values_list("value_id", "pk")[:1])
    else:
        if type is not None and type != "":
            try:
                readings = [normalise(type, value)]
            except InvalidValue as exc:
                raise DomainError(exc.message, field="value") from None
        else:
            readings = normalise_any(value)
        digests = [r.digest for r in readings]
        found: dict[int, int] = {}
        for value_id, pk in visible.filter(value__digest__in=digests).values_list(
                "value_id", "pk").order_by("pk"):
            found.setdefault(value_id, pk)
        targets = list(found.items())
    if not targets:
        raise NotFound(_("No indicator with this value that you can see."))
    made = []
    for value_id, indicator_id in targets:
        sighting = Sighting.objects.create(
            value_id=value_id, indicator_id=indicator_id, kind=kind,
            organisation_id=viewer.organisation_id, user=acting_user, named=bool(named),
            seen_at=when, source=source,
        )
        audit_record(action="intel.sighting.add", actor=acting_user, obj=sighting,
                     details={"kind": kind, "value": value_id, "named": bool(named)})
        made.append(sighting)
    return made


# --- warninglists and correlation settings (coordinators) ---------------------------------

def _coordinator(user: Any) -> None:
    if not viewer_for(user).is_coordinator:
        raise NotAllowed(_("Only ISAC coordinators manage this."))


@transaction.atomic
def warninglist_save(*, acting_user: Any, warninglist: Warninglist | None = None, name: str,
                     kind: str, entries: str, description: str = "", source: str = "",
                     enabled: bool = True) -> Warninglist:
    _coordinator(acting_user)
    if warninglist is not None and warninglist.shipped:
        raise DomainError(_("A shipped list cannot be edited; switch it off instead."))
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise DomainError(_("A list needs a name of at most 200 characters."), field="name")
    if kind not in Warninglist.Kind.values:
        raise DomainError(_("Unknown kind of list."), field="kind")
    cleaned = parse_entries(kind, entries or "")
    if warninglist is None:
        from django.utils.text import slugify

        base = slugify(name)[:50] or "list"
        key = base
        n = 1
        while Warninglist.objects.filter(key=key).exists():
            n += 1
            key = f"{base}-{n}"
        warninglist = Warninglist(key=key)
    warninglist.name = name
    warninglist.kind = kind
    warninglist.entries = "\n".join(cleaned)
    warninglist.description = (description or "").strip()[:2000]
    warninglist.source = (source or "").strip()[:1000]
    warninglist.enabled = enabled
    warninglist.updated_by = acting_user
    warninglist.save()
    audit_record(action="intel.warninglist.save", actor=acting_user, obj=warninglist,
                 details={"kind": kind, "entries": len(cleaned), "enabled": enabled})
    _lists_changed()
    return warninglist


def _lists_changed() -> None:
    # Now (this process sees its own change at once) and once committed (another process
    # that rebuilt its matcher in between rebuilds it again).
    bump_version()
    transaction.on_commit(bump_version)


@transaction.atomic
def warninglist_set_enabled(*, acting_user: Any, warninglist: Warninglist,
                            enabled: bool) -> Warninglist:
    _coordinator(acting_user)
    warninglist.enabled = enabled
    warninglist.updated_by = acting_user
    warninglist.save(update_fields=["enabled", "updated_by", "updated_at"])
    audit_record(action="intel.warninglist.enable" if enabled else "intel.warninglist.disable",
                 actor=acting_user, obj=warninglist, details={"key": warninglist.key})
    _lists_changed()
    return warninglist


def correlation_settings() -> CorrelationSettings:
    found = CorrelationSettings.objects.filter(pk=1).first()
    return found if found is not None else CorrelationSettings(pk=1)


@transaction.atomic
def correlation_threshold_set(*, acting_user: Any, threshold: int) -> CorrelationSettings:
    _coordinator(acting_user)
    if not 1 <= int(threshold) <= 100_000:
        raise DomainError(_("The threshold lies between 1 and 100,000."), field="threshold")
    settings_row = correlation_settings()
    old = settings_row.threshold
    settings_row.threshold = int(threshold)
    settings_row.updated_by = acting_user
    settings_row.save()
    audit_record(action="intel.correlation.threshold", actor=acting_user, obj=settings_row,
                 details={"from": old, "to": settings_row.threshold})
    return settings_row


@transaction.atomic
def exclusion_add(*, acting_user: Any, value: str, comment: str = "") -> CorrelationExclusion:
    _coordinator(acting_user)
    raw = (value or "").strip()
    readings = normalise_any(raw)
    text = readings[0].value if readings else raw
    if not text or len(text) > 2048 or any(ord(c) < 32 for c in text):
        raise DomainError(_("Give the value to leave out of the correlation."), field="value")
    exclusion, _created = CorrelationExclusion.objects.get_or_create(
        value=text, defaults={"comment": (comment or "").strip()[:500], "created_by": acting_user})
    audit_record(action="intel.correlation.exclude", actor=acting_user, obj=exclusion,
                 details={"value": text})
    return exclusion


@transaction.atomic
def exclusion_remove(*, acting_user: Any, exclusion: CorrelationExclusion) -> None:
    _coordinator(acting_user)
    audit_record(action="intel.correlation.include", actor=acting_user, obj=exclusion,
                 details={"value": exclusion.value})
    exclusion.delete()


# --- the hook the report services call ------------------------------------------------------

def report_changed(*, report: Report, event: str) -> None:
    """Keep the search index and the counts in step with a report (created, edited,
    published, retracted). Runs inside the report service's transaction. Correlation needs
    nothing here: it is read through the policy, so a new audience or a retraction is in
    force at once."""
    if event in ("create", "edit"):
        search_index.update_report(report)
    if event in ("edit", "publish", "retract"):
        from vrisac.interop.taxii.services import report_shared

        report_shared(report=report)


def can_add_to(user: Any, report: Report) -> bool:
    return can_view(user, report) and can_edit(user, report) and report.status != "retracted"


__all__ = ["IndicatorValue", "Prepared", "bulk_ingest", "report_indicators_add"]


@transaction.atomic
def export_record(*, acting_user: Any, format: str, filters: Any) -> None:
    """One audit row per export: who took which indicators out, in which form."""
    viewer = viewer_for(acting_user)
    if not viewer.reads_content:
        raise NotFound(_("Not found."))
    audit_record(action="intel.export", actor=acting_user, object_type="intel.export",
                 details={"format": format, **filters.as_dict()})


# --- retention ----------------------------------------------------------------------------

def expired_indicators_remove(*, before: datetime, dry_run: bool = False) -> int:
    """Remove feed indicators that their feed has not listed since ``before``: they expired
    (a feed keeps what it still lists current through ``last_seen``). Indicators on reports
    stay as long as their report: they are part of what was shared."""
    expired = Indicator.objects.filter(feed__isnull=False, last_seen__lt=before)
    if dry_run:
        return expired.count()
    return int(expired.delete()[1].get(Indicator._meta.label, 0))


def sightings_remove(*, before: datetime, dry_run: bool = False) -> int:
    """Remove sightings recorded before ``before``."""
    old = Sighting.objects.filter(seen_at__lt=before)
    return old.count() if dry_run else int(old.delete()[0])
