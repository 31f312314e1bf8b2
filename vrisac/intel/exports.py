"""Exports for the tools a CISO's team feeds: CSV for a SIEM or a spreadsheet, and plain
lists of one type per line for a firewall or a DNS blocklist.

Both are streamed (memory stays flat for a million rows), read through the sharing policy
(``selectors.export_queryset``: published reports and feeds the user may see), carry the
warninglist hits (or leave them out) and are recorded in the audit log, one row per export.
CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) are prefixed with a single quote.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from vrisac.core.errors import DomainError
from vrisac.core.limits import moment_or_none
from vrisac.sharing.tlp import TLP

from .normalise import TYPES
from .selectors import ExportFilters, export_rows

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ["uuid", "type", "value", "for_detection", "comment", "first_seen", "last_seen",
               "tlp", "source", "source_id", "warninglists"]


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) or text.lstrip(" ").startswith(FORMULA_START[:4]):
        return "'" + text
    return text


class _Line:
    """A file-like object for csv.writer that hands back what was written."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text = text


def csv_lines(*, user: Any, filters: ExportFilters) -> Iterator[str]:
    line = _Line()
    writer = csv.writer(line, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield line.text
    for indicator, hits in export_rows(user=user, filters=filters):
        source = indicator.source
        writer.writerow([safe_cell(v) for v in (
            indicator.uuid, indicator.value.type, indicator.value.value,
            "true" if indicator.for_detection else "false", indicator.comment,
            indicator.first_seen.isoformat(), indicator.last_seen.isoformat(), source.tlp,
            "report" if indicator.report_id else "feed",
            indicator.report_id or indicator.feed_name or "",
            "; ".join(hits),
        )])
        yield line.text


def text_lines(*, user: Any, filters: ExportFilters) -> Iterator[str]:
    """One value per line, each once, for the types asked (a firewall or DNS list)."""
    seen: set[bytes] = set()
    for indicator, _hits in export_rows(user=user, filters=filters):
        digest = bytes(indicator.value.digest)
        if digest in seen:
            continue
        if len(seen) < 2_000_000:
            seen.add(digest)
        yield indicator.value.value + "\n"


def parse_filters(*, types: list[str] | None = None, since: str | None = None,
                  tlp: list[str] | None = None, for_detection: str | bool | None = None,
                  without_warninglisted: str | bool | None = None) -> ExportFilters:
    """Filters from a query string; a bad one is refused naming it."""
    chosen = [t for t in (types or []) if t]
    unknown = sorted(set(chosen) - set(TYPES))
    if unknown:
        raise DomainError(_("Unknown type(s): %(t)s") % {"t": ", ".join(unknown)}, field="type")
    labels = [t for t in (tlp or []) if t]
    bad = sorted(set(labels) - set(TLP.values))
    if bad:
        raise DomainError(_("Unknown TLP label(s): %(t)s") % {"t": ", ".join(bad)}, field="tlp")
    moment = moment_or_none(since)
    if since and moment is None:
        raise DomainError(_("since is a date (2025-01-31) or a date and time."), field="since")
    return ExportFilters(types=chosen, since=moment, tlp=labels,
                         for_detection=_flag(for_detection, "for_detection"),
                         without_warninglisted=bool(_flag(without_warninglisted,
                                                          "without_warninglisted")))


def _flag(value: str | bool | None, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise DomainError(_("%(n)s is true or false.") % {"n": name}, field=name)
