"""Reads for STIX: a report's bundle for someone who may see the report."""

from __future__ import annotations

from typing import Any

from vrisac.reports.models import Report
from vrisac.reports.selectors import report_get

from .export import report_bundle


def report_bundle_for(*, user: Any, pk: Any) -> tuple[Report, dict[str, Any]]:
    """The bundle of one report the user may see (``NotFound`` otherwise)."""
    report = report_get(user=user, pk=pk)
    return report, report_bundle(report)
