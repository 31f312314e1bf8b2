"""Writes on inventories: one item on a page or through the API, or a CSV file. Every
change queues re-matching of the changed items once it commits."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from vrisac.advisories.normalise import Aliases, CpeError, PurlError, inventory_keys
from vrisac.core.audit import audit_record
from vrisac.core.errors import DomainError, NotFound
from vrisac.core.jobs import job_enqueue, job_run
from vrisac.organisations.models import Organisation
from vrisac.sharing.policy import can_view_organisation_data, viewer_for

from .models import InventoryItem

CSV_COLUMNS = ["vendor", "product", "version", "cpe", "purl", "internet_facing", "criticality"]
OPTIONAL_COLUMNS = ["owner", "notes"]
MAX_ROWS = 20_000
_YES = {"yes", "y", "ja", "j", "true", "1"}
_NO = {"no", "n", "nee", "false", "0", ""}
_CRITICALITY = {"high": "high", "hoog": "high", "medium": "medium", "middel": "medium",
                "gemiddeld": "medium", "low": "low", "laag": "low", "": "medium"}
_LIMITS = {"vendor": 200, "product": 200, "version": 100, "cpe": 500, "purl": 500,
           "owner": 200, "notes": 5000}


def _text(value: Any, name: str) -> str:
    text = ("" if value is None else str(value)).strip()
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise DomainError(_("The text contains control characters."), field=name)
    if len(text) > _LIMITS[name]:
        raise DomainError(_("At most %(n)d characters.") % {"n": _LIMITS[name]}, field=name)
    return text


def clean_fields(data: dict[str, Any], aliases: Aliases) -> dict[str, Any]:
    """Check one item's fields; raises ``DomainError`` naming the field."""
    cleaned: dict[str, Any] = {name: _text(data.get(name, ""), name) for name in _LIMITS}
    for name in ("vendor", "product"):
        if not cleaned[name]:
            raise DomainError(_("This field is required."), field=name)
    facing = data.get("internet_facing", False)
    if isinstance(facing, bool):
        cleaned["internet_facing"] = facing
    elif str(facing).strip().lower() in _YES:
        cleaned["internet_facing"] = True
    elif str(facing).strip().lower() in _NO:
        cleaned["internet_facing"] = False
    else:
        raise DomainError(_("Write yes or no, not %(v)r.") % {"v": str(facing)[:20]},
                          field="internet_facing")
    criticality = str(data.get("criticality") or "").strip().lower()
    if criticality not in _CRITICALITY:
        raise DomainError(_("Write high, medium or low, not %(v)r.") % {"v": criticality[:20]},
                          field="criticality")
    cleaned["criticality"] = _CRITICALITY[criticality]
    try:
        cleaned.update(inventory_keys(cleaned["vendor"], cleaned["product"], cleaned["cpe"],
                                      cleaned["purl"], aliases))
    except CpeError as exc:
        raise DomainError(_("Not a CPE 2.3 name: %(e)s") % {"e": exc}, field="cpe") from None
    except PurlError as exc:
        raise DomainError(_("Not a package URL: %(e)s") % {"e": exc}, field="purl") from None
    if not cleaned["name_key"]:
        raise DomainError(_("The vendor and product need letters or digits."), field="product")
    return cleaned


def _check_access(user: Any, organisation: Organisation) -> None:
    if not can_view_organisation_data(user, organisation.pk):
        raise NotFound(_("Organisation not found."))


def _after_commit(ids: Iterable[int], *, now: bool = False, triggered_by: Any = None) -> None:
    """Re-match the changed items: queued for the worker, or at once (the command line)."""
    ids = sorted(set(ids))
    if not ids:
        return
    if now:
        transaction.on_commit(lambda: job_run("alerts.rematch_items", arguments={"ids": ids},
                                              triggered_by=triggered_by))
    else:
        transaction.on_commit(lambda: job_enqueue("alerts.rematch_items",
                                                  arguments={"ids": ids},
                                                  triggered_by=triggered_by))


def _exists(organisation: Organisation, cleaned: dict[str, Any], exclude: int | None) -> bool:
    qs = InventoryItem.objects.filter(organisation=organisation, vendor=cleaned["vendor"],
                                      product=cleaned["product"], version=cleaned["version"])
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


@transaction.atomic
def item_create(*, organisation: Organisation, acting_user: Any, **data: Any) -> InventoryItem:
    _check_access(acting_user, organisation)
    cleaned = clean_fields(data, Aliases.load())
    if _exists(organisation, cleaned, None):
        raise DomainError(_("This product and version are already in the inventory."),
                          field="version")
    item = InventoryItem.objects.create(organisation=organisation, **cleaned)
    audit_record(action="assets.item.create", actor=acting_user, obj=item,
                 organisation_id=organisation.pk,
                 details={"vendor": item.vendor, "product": item.product,
                          "version": item.version})
    _after_commit([item.pk], triggered_by=acting_user)
    return item


@transaction.atomic
def item_update(*, item: InventoryItem, acting_user: Any, **data: Any) -> InventoryItem:
    item = InventoryItem.objects.select_for_update().filter(pk=item.pk).first()  # type: ignore[assignment]
    if item is None or not can_view_organisation_data(acting_user, item.organisation_id):
        raise NotFound(_("Item not found."))
    current = {name: getattr(item, name) for name in [*CSV_COLUMNS, *OPTIONAL_COLUMNS]}
    current.update(data)
    cleaned = clean_fields(current, Aliases.load())
    if _exists(item.organisation, cleaned, item.pk):
        raise DomainError(_("This product and version are already in the inventory."),
                          field="version")
    changed = sorted(k for k, v in cleaned.items() if getattr(item, k) != v)
    for key, value in cleaned.items():
        setattr(item, key, value)
    item.save()
    audit_record(action="assets.item.update", actor=acting_user, obj=item,
                 organisation_id=item.organisation_id, details={"fields": changed})
    if changed:
        _after_commit([item.pk], triggered_by=acting_user)
    return item


@transaction.atomic
def item_delete(*, item: InventoryItem, acting_user: Any) -> None:
    if not can_view_organisation_data(acting_user, item.organisation_id):
        raise NotFound(_("Item not found."))
    audit_record(action="assets.item.delete", actor=acting_user, obj=item,
                 organisation_id=item.organisation_id,
                 details={"vendor": item.vendor, "product": item.product,
                          "version": item.version})
    item.delete()


@dataclass
class CsvReport:
    file: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, line: int | str, column: str, message: str) -> None:
        self.problems.append({"file": self.file, "line": line, "field": column,
                              "message": str(message)})

    def lines(self) -> list[str]:
        return [f"{p['file']}: line {p['line']}: {p['field']}: {p['message']}"
                for p in self.problems]


def inventory_import_csv(*, organisation: Organisation, stream: IO[bytes], filename: str,
                         acting_user: Any = None, rematch_now: bool = False) -> CsvReport:
    """Import ``vendor,product,version,cpe,purl,internet_facing,criticality`` (and optional
    ``owner``, ``notes``). Good rows are added or updated (keyed on vendor, product and
    version); bad rows are listed by line and field, and nothing of them is stored.
    ``acting_user`` None: the operator on the command line."""
    if acting_user is not None:
        _check_access(acting_user, organisation)
    report = CsvReport(file=filename)
    limit = settings.VRISAC_IMPORT_MAX_MB.get("csv", 10) * 1024 * 1024
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise DomainError(_("%(f)s is larger than %(n)d MB.") % {"f": filename,
                                                                "n": limit // 1024 // 1024},
                          field="file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DomainError(_("%(f)s is not UTF-8 text (byte %(b)d).") % {
            "f": filename, "b": exc.start}, field="file") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise DomainError(_("%(f)s is empty.") % {"f": filename}, field="file") from None
    except csv.Error as exc:
        raise DomainError(_("%(f)s: line 1 is not CSV (%(e)s).") % {"f": filename, "e": exc},
                          field="file") from None
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise DomainError(_("%(f)s: line 1 lacks the column(s) %(c)s; expected %(all)s.") % {
            "f": filename, "c": ", ".join(missing), "all": ",".join(CSV_COLUMNS)}, field="file")
    unknown = [c for c in header if c not in CSV_COLUMNS + OPTIONAL_COLUMNS]
    for column in unknown:
        report.problem(1, column or "(empty)", _("unknown column, ignored"))
    aliases = Aliases.load()
    good: dict[tuple[str, str, str], tuple[int, dict[str, Any]]] = {}
    line = 1
    try:
        for row in reader:
            line += 1
            if not any(cell.strip() for cell in row):
                continue
            if len(good) + len(report.problems) > MAX_ROWS:
                report.problem(line, "(file)", _("more than %(n)d rows; the rest was not read")
                               % {"n": MAX_ROWS})
                break
            if len(row) != len(header):
                report.problem(line, "(row)", _("has %(n)d columns instead of %(h)d") % {
                    "n": len(row), "h": len(header)})
                continue
            data = {h: v for h, v in zip(header, row, strict=True) if h not in unknown}
            try:
                cleaned = clean_fields(data, aliases)
            except DomainError as exc:
                report.problem(line, exc.field or "(row)", exc.message)
                continue
            key = (cleaned["vendor"], cleaned["product"], cleaned["version"])
            if key in good:
                report.problem(line, "version", _("the same product and version as line %(l)d")
                               % {"l": good[key][0]})
                continue
            good[key] = (line, cleaned)
    except csv.Error as exc:
        report.problem(line, "(row)", _("not readable as CSV (%(e)s); the rest was not read")
                       % {"e": exc})
    changed_ids: list[int] = []
    with transaction.atomic():
        existing = {(i.vendor, i.product, i.version): i
                    for i in InventoryItem.objects.select_for_update()
                    .filter(organisation=organisation)}
        new = []
        updates = []
        for key, (_line, cleaned) in good.items():
            item = existing.get(key)
            if item is None:
                new.append(InventoryItem(organisation=organisation, **cleaned))
                continue
            if all(getattr(item, k) == v for k, v in cleaned.items()):
                report.unchanged += 1
                continue
            for k, v in cleaned.items():
                setattr(item, k, v)
            updates.append(item)
        created = InventoryItem.objects.bulk_create(new, batch_size=500)
        if updates:
            InventoryItem.objects.bulk_update(updates, sorted(good[_key(updates[0])][1]),
                                              batch_size=500)
        report.created, report.updated = len(created), len(updates)
        changed_ids = [i.pk for i in created] + [i.pk for i in updates]
        audit_record(action="assets.inventory.import", actor=acting_user,
                     actor_label="" if acting_user else "command line",
                     organisation_id=organisation.pk, object_type="organisation",
                     object_id=organisation.pk,
                     details={"file": filename[-200:], "created": report.created,
                              "updated": report.updated, "rejected": len(report.problems)})
        _after_commit(changed_ids, now=rematch_now, triggered_by=acting_user)
    return report


def _key(item: InventoryItem) -> tuple[str, str, str]:
    return (item.vendor, item.product, item.version)


def organisation_for(user: Any) -> Organisation:
    """The organisation whose inventory this person keeps."""
    viewer = viewer_for(user)
    if not viewer.is_participant or viewer.organisation_id is None:
        raise NotFound(_("Organisation not found."))
    return Organisation.objects.get(pk=viewer.organisation_id)
